use conformance::Property::GuardsRefuseDeadTokens;
use conformance::Status;

use crate::support::{config, spec, specs, with_guarded_operation, Served};

#[test]
fn the_mock_passes_its_own_suite_for_every_spec_over_many_seeds() {
    for (name, value) in specs() {
        let served = Served::start(spec(value.clone()));
        let checked = spec(value.clone());
        let guarded = checked
            .operations()
            .iter()
            .any(|op| checked.guards_of(op).next().is_some());
        for seed in 0..10 {
            let c = config(&served.uri(), value.clone(), 20, seed);
            let report = conformance::run(&c, &conformance::NoProgress).unwrap();
            assert!(
                report.passed(),
                "{name}, seed {seed}:\n{}",
                report.to_text()
            );
            assert!(
                report.sequences >= 20,
                "{name}: {} sequences",
                report.sequences
            );
            let guard = GuardsRefuseDeadTokens.name();
            let exercised = report
                .checks
                .iter()
                .any(|c| c.name == guard && c.status == Status::Passed);
            assert_eq!(exercised, guarded, "{name}, seed {seed}: {guard}");
        }
    }
}

/// The reference spec has no guarded operation: one is added, so that the
/// guard property is exercised too; and its tokens are declared JWTs, so
/// that the JWT checks are.
#[test]
fn every_lifecycle_property_is_exercised_on_the_reference_spec() {
    let mut doc = openapi::reference::reference_json();
    doc["x-token-lifecycle"]["tokens"] =
        serde_json::json!({"format": "jwt", "issuer": "https://issuer.example", "audience": "api"});
    let (value, _) = with_guarded_operation(doc);
    let served = Served::start(spec(value.clone()));
    let report = conformance::run(
        &config(&served.uri(), value, 150, 7),
        &conformance::NoProgress,
    )
    .unwrap();
    // The OAuth properties are not the reference's (no client, no
    // introspection): tests/it/oauth.rs passes them on oauth2.yaml.
    let oauth = [
        conformance::Property::ClientBound.name(),
        conformance::Property::IntrospectionAgrees.name(),
    ];
    let unexercised: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status != conformance::Status::Passed && !oauth.contains(&c.name.as_str()))
        .map(|c| format!("{} ({:?})", c.name, c.message))
        .collect();
    assert!(unexercised.is_empty(), "not passed: {unexercised:?}");
    assert!(report.passed(), "{}", report.to_text());
}

#[test]
fn a_spec_without_guarded_operations_skips_the_guard_property_with_the_reason() {
    let value = openapi::reference::reference_json();
    let served = Served::start(spec(value.clone()));
    let report = conformance::run(
        &config(&served.uri(), value, 20, 0),
        &conformance::NoProgress,
    )
    .unwrap();
    let guard = report
        .checks
        .iter()
        .find(|c| c.name == conformance::Property::GuardsRefuseDeadTokens.name())
        .unwrap();
    assert_eq!(guard.status, conformance::Status::NotApplicable);
    assert!(
        guard
            .message
            .as_deref()
            .unwrap_or("")
            .contains("no guarded operation"),
        "{guard:?}"
    );
}

/// Operations whose only body media type is a form or multipart are checked
/// with bodies written by the codec the mock parses with, not skipped. No
/// 400 is documented, so a body the mock read differently from what the
/// suite meant would fail the valid-request check.
#[test]
fn form_and_multipart_bodies_are_sent_and_checked() {
    let body = |media: &str| {
        serde_json::json!({
            "requestBody": {"required": true, "content": {media: {"schema": {
                "type": "object",
                "required": ["name", "count"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 12},
                    "count": {"type": "integer", "minimum": 1},
                    "ratio": {"type": "number"},
                    "active": {"type": "boolean"},
                    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "meta": {"type": "object", "properties": {"source": {"type": "string"}}}
                }
            }}}},
            "responses": {"201": {"description": "Stored."}}
        })
    };
    let mut form = body("application/x-www-form-urlencoded");
    form["operationId"] = "form".into();
    let mut upload = body("multipart/form-data");
    upload["operationId"] = "upload".into();
    let value = serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "forms", "version": "1"},
        "paths": {"/form": {"post": form}, "/upload": {"post": upload}}
    });
    let served = Served::start(spec(value.clone()));
    let report = conformance::run(
        &config(&served.uri(), value, 40, 3),
        &conformance::NoProgress,
    )
    .unwrap();
    for op in ["form", "upload"] {
        for check in ["responses match the spec", "invalid bodies rejected"] {
            let name = format!("{op}: {check}");
            let result = report.checks.iter().find(|c| c.name == name);
            assert!(
                result.is_some_and(|c| c.status == conformance::Status::Passed && c.checks == 40),
                "{name}: {result:?}\n{}",
                report.to_text()
            );
        }
    }
    assert!(report.requests >= 160, "{} requests", report.requests);
}
