//! The small API: thresholds, formats, errors.

use drift::{Error, FailOn, Finding, Format, Report, Severity};

#[test]
fn thresholds() {
    let warning = Report::from_findings(vec![Finding::new("r", Severity::Warning, "m")]);
    assert!(warning.exceeds(FailOn::Warning));
    assert!(warning.exceeds(FailOn::Info));
    assert!(!warning.exceeds(FailOn::Breaking));
    assert!(!Report::default().exceeds(FailOn::Info));
    let breaking = Report::from_findings(vec![Finding::new("r", Severity::Breaking, "m")]);
    assert!(breaking.exceeds(FailOn::Breaking));
    assert_eq!(breaking.max_severity(), Some(Severity::Breaking));
}

#[test]
fn parsing_names() {
    assert_eq!("breaking".parse::<FailOn>().unwrap(), FailOn::Breaking);
    assert_eq!("Warning".parse::<FailOn>().unwrap(), FailOn::Warning);
    assert_eq!("md".parse::<Format>().unwrap(), Format::Markdown);
    assert_eq!("junit".parse::<Format>().unwrap(), Format::Junit);
    let e: Error = "loud".parse::<FailOn>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown fail-on threshold `loud` (expected breaking, warning or info)"
    );
    let e: Error = "pdf".parse::<Format>().unwrap_err();
    assert!(e.to_string().starts_with("unknown output format `pdf`"));
}

#[test]
fn findings_are_sorted_most_severe_first_and_deduplicated() {
    let f = |rule: &str, sev| Finding::new(rule, sev, "m").at(None, Some("#/a"));
    let r = Report::from_findings(vec![
        f("b", Severity::Info),
        f("a", Severity::Breaking),
        f("a", Severity::Breaking),
        f("c", Severity::Warning),
    ]);
    let rules: Vec<_> = r.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["a", "c", "b"]);
    assert_eq!(r.summary(), "1 breaking, 1 warning, 1 info");
}

#[test]
fn a_shared_component_change_is_reported_for_every_operation() {
    // Pet is the response of GET and POST: its removed property is one
    // finding per operation, each naming the component.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/pairs/response-property-removed");
    let report = drift::diff(
        &crate::load(&dir.join("old.yaml")),
        &crate::load(&dir.join("new.yaml")),
    );
    let found: Vec<(Option<&str>, Option<&str>)> = report
        .by_rule("response-property-removed")
        .map(|f| (f.operation.as_deref(), f.component.as_deref()))
        .collect();
    let pet = Some("#/components/schemas/Pet");
    assert_eq!(
        found,
        [(Some("GET /pets"), pet), (Some("POST /pets"), pet)],
        "{}",
        report.to_text()
    );
}
