//! One hand-made old/new pair per diff rule, under `pairs/<rule>/`.

use crate::{case, load};

/// The date the pairs are diffed on: sunsets before it have passed.
pub fn today() -> drift::Date {
    drift::Date::from_calendar_date(2026, time::Month::June, 1).expect("a date")
}

/// The diff the pairs are judged by: the default options on [`today`].
pub fn diff(old: &serde_json::Value, new: &serde_json::Value) -> drift::Report {
    drift::diff_with(old, new, &drift::Options::default().today(today()))
}

#[test]
fn every_pair_reports_its_rule() {
    insta::glob!("pairs/*/old.yaml", |path| {
        let (_, rule) = case(path);
        let old = load(path);
        let new = load(&path.with_file_name("new.yaml"));
        let report = diff(&old, &new);
        assert!(
            report.by_rule(&rule).next().is_some(),
            "{rule} not reported:\n{}",
            report.to_text()
        );
        insta::assert_snapshot!(report.to_text());
    });
}

#[test]
fn a_document_against_itself_has_no_finding() {
    insta::glob!("pairs/*/*.yaml", |path| {
        let doc = load(path);
        let report = drift::diff(&doc, &doc);
        assert!(report.is_empty(), "{}", report.to_text());
    });
}

#[test]
fn the_reverse_diff_does_not_panic_and_is_reported_too() {
    insta::glob!("pairs/*/old.yaml", |path| {
        let old = load(path);
        let new = load(&path.with_file_name("new.yaml"));
        let report = drift::diff(&new, &old);
        assert!(
            !report.is_empty(),
            "the reverse of {} found nothing",
            path.display()
        );
    });
}

#[test]
fn severities_of_key_rules() {
    use drift::Severity::*;
    let cases = [
        ("operation-removed", Breaking),
        ("request-parameter-added-required", Breaking),
        ("request-parameter-added", Info),
        ("request-body-enum-value-removed", Breaking),
        ("request-body-property-made-required", Breaking),
        ("request-body-constraint-tightened", Breaking),
        ("response-property-removed", Breaking),
        ("response-property-made-optional", Breaking),
        ("response-enum-value-added", Warning),
        ("response-type-changed", Breaking),
        ("security-added", Breaking),
        ("lifecycle-refresh-no-longer-single-use", Breaking),
        ("lifecycle-access-token-ttl-decreased", Breaking),
        ("lifecycle-access-token-ttl-increased", Info),
        ("lifecycle-logout-status-changed", Breaking),
        ("lifecycle-token-location-moved", Breaking),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/pairs");
    for (rule, severity) in cases {
        let old = load(&dir.join(rule).join("old.yaml"));
        let new = load(&dir.join(rule).join("new.yaml"));
        let report = drift::diff(&old, &new);
        let f = report
            .by_rule(rule)
            .next()
            .unwrap_or_else(|| panic!("{rule} missing"));
        assert_eq!(f.severity, severity, "{rule}");
    }
}

#[test]
fn logout_204_to_200_is_a_lifecycle_change_and_a_status_change() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/pairs/lifecycle-logout-status-changed");
    let report = drift::diff(&load(&dir.join("old.yaml")), &load(&dir.join("new.yaml")));
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(
        rules.contains(&"lifecycle-logout-status-changed"),
        "{rules:?}"
    );
    assert!(rules.contains(&"response-status-removed"), "{rules:?}");
    let f = report
        .by_rule("lifecycle-logout-status-changed")
        .next()
        .unwrap();
    assert!(
        f.message.contains("204") && f.message.contains("200"),
        "{}",
        f.message
    );
}

#[test]
fn reordered_inline_alternatives_are_matched_by_meaning_then_compared() {
    use serde_json::json;
    let doc = |variants: serde_json::Value| {
        json!({"openapi": "3.0.3", "paths": {"/a": {"get": {"responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"oneOf": variants}}}
        }}}}}})
    };
    let a = json!({"type": "object", "required": ["x"], "properties": {"x": {"type": "string"}, "y": {"type": "string"}}});
    let a2 = json!({"type": "object", "required": ["x"], "properties": {"x": {"type": "string"}}});
    let b = json!({"type": "object", "required": ["z"], "properties": {"z": {"type": "integer"}}});
    let report = drift::diff(&doc(json!([a, b])), &doc(json!([b, a2])));
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["response-property-removed"], "{}", report.to_text());
    let f = &report.findings[0];
    assert_eq!(
        f.old.as_deref(),
        Some("#/paths/~1a/get/responses/200/content/application~1json/schema/oneOf/0/properties/y")
    );
}

#[test]
fn an_object_becoming_an_array_is_one_type_change_not_ten_removals() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/pairs/response-type-changed--object-to-array");
    let report = drift::diff(&load(&dir.join("old.yaml")), &load(&dir.join("new.yaml")));
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["response-type-changed"], "{}", report.to_text());
    assert!(report.findings[0].message.contains("from object to array"));
}
