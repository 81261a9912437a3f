//! One spec per lint rule, under `lints/<rule>/spec.yaml`; `clean*` specs
//! must lint clean.

use crate::{case, load};

#[test]
fn every_lint_spec_reports_its_rule() {
    insta::glob!("lints/*/spec.yaml", |path| {
        let (name, rule) = case(path);
        let report = drift::lint(&load(path));
        if name.starts_with("clean") {
            assert!(report.is_empty(), "{name}:\n{}", report.to_text());
        } else {
            assert!(
                report.by_rule(&rule).next().is_some(),
                "{rule} not reported:\n{}",
                report.to_text()
            );
        }
        insta::assert_snapshot!(report.to_text());
    });
}

#[test]
fn the_globkurier_204_body_is_flagged_at_its_content() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/lints/no-body-status-has-content");
    let report = drift::lint(&load(&dir.join("spec.yaml")));
    let f = report
        .by_rule("no-body-status-has-content")
        .next()
        .expect("flagged");
    assert_eq!(f.severity, drift::Severity::Breaking);
    assert_eq!(
        f.new.as_deref(),
        Some("#/paths/~1auth~1logout/post/responses/204/content")
    );
}

#[test]
fn examples_resolve_component_refs_and_nullable() {
    let spec = serde_json::json!({
        "openapi": "3.0.3",
        "paths": {"/a": {"get": {"responses": {"200": {
            "description": "ok",
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/A"},
                "examples": {
                    "good": {"value": {"b": {"n": null}}},
                    "bad": {"$ref": "#/components/examples/Bad"}
                }
            }}
        }}}}},
        "components": {
            "schemas": {
                "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
                "B": {"type": "object", "properties": {"n": {"type": "integer", "nullable": true}}}
            },
            "examples": {"Bad": {"value": {"b": {"n": "x"}}}}
        }
    });
    let report = drift::lint(&spec);
    let bad: Vec<_> = report.by_rule("example-schema-mismatch").collect();
    assert_eq!(bad.len(), 1, "{}", report.to_text());
    assert_eq!(
        bad[0].new.as_deref(),
        Some("#/components/examples/Bad/value")
    );
}
