use crate::support::{config, spec, specs, Served};

#[test]
fn the_mock_passes_its_own_suite_for_every_spec_over_many_seeds() {
    for (name, value) in specs() {
        let served = Served::start(spec(value.clone()));
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
        }
    }
}

#[test]
fn every_lifecycle_property_is_exercised_on_the_reference_spec() {
    let value = openapi::reference::reference_json();
    let served = Served::start(spec(value.clone()));
    let report = conformance::run(
        &config(&served.uri(), value, 150, 7),
        &conformance::NoProgress,
    )
    .unwrap();
    let skipped: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status == conformance::Status::Skipped)
        .map(|c| format!("{} ({:?})", c.name, c.message))
        .collect();
    assert!(skipped.is_empty(), "skipped: {skipped:?}");
    assert!(report.passed(), "{}", report.to_text());
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
