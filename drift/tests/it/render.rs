//! Snapshots of every output format.

use drift::{Format, Report};

use crate::load;

fn sample() -> Report {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/pairs/lifecycle-logout-status-changed");
    let mut report = drift::diff(&load(&dir.join("old.yaml")), &load(&dir.join("new.yaml")));
    let dir = dir.with_file_name("response-enum-value-added");
    let more = drift::diff(&load(&dir.join("old.yaml")), &load(&dir.join("new.yaml")));
    report.findings.extend(more.findings);
    Report::from_findings(report.findings)
}

#[test]
fn text() {
    insta::assert_snapshot!(sample().render(Format::Text, "spec drift"));
}

#[test]
fn json() {
    let out = sample().render(Format::Json, "spec drift");
    let back: Report = serde_json::from_str(&out).expect("the json parses back");
    assert_eq!(back, sample());
    insta::assert_snapshot!(out);
}

#[test]
fn markdown() {
    insta::assert_snapshot!(sample().render(Format::Markdown, "Spec drift"));
}

#[test]
fn junit() {
    insta::assert_snapshot!(sample().render(Format::Junit, "spec drift"));
}

#[test]
fn github() {
    insta::assert_snapshot!(sample().render(Format::Github, "spec drift"));
}

#[test]
fn empty_reports() {
    let empty = Report::default();
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}\n{}",
        empty.render(Format::Text, "spec lint"),
        empty.render(Format::Junit, "spec lint"),
        empty.render(Format::Markdown, "spec lint"),
        empty.render(Format::Github, "spec lint"),
    ));
}

#[test]
fn junit_and_annotations_escape() {
    let f = drift::Finding::new("x", drift::Severity::Breaking, "a <b> & \"c\"\nd: e, f%");
    let r = Report::from_findings(vec![f]);
    let xml = r.render(Format::Junit, "t");
    assert!(xml.contains("a &lt;b&gt; &amp; &quot;c&quot;"), "{xml}");
    let gh = r.render(Format::Github, "t: u");
    assert_eq!(
        gh,
        "::error title=t%3A u%3A x::a <b> & \"c\"%0Ad: e, f%25\n"
    );
}

/// A shared parameter removed from five operations (directus 14 -> 15 lost
/// `meta` in 52): five findings, one per operation, grouped under the
/// component in text and Markdown, one annotation each in GitHub output,
/// and each listed in JSON and JUnit.
fn shared() -> Report {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/pairs/request-parameter-removed--shared-component");
    drift::diff(&load(&dir.join("old.yaml")), &load(&dir.join("new.yaml")))
}

#[test]
fn a_shared_component_is_grouped_in_text_and_markdown_and_listed_elsewhere() {
    let report = shared();
    assert_eq!(report.by_rule("request-parameter-removed").count(), 5);
    let text = report.render(Format::Text, "spec drift");
    assert_eq!(
        text.matches("query parameter `meta` removed").count(),
        1,
        "{text}"
    );
    let md = report.render(Format::Markdown, "spec drift");
    assert_eq!(
        md.matches("query parameter `meta` removed").count(),
        1,
        "{md}"
    );
    let gh = report.render(Format::Github, "spec drift");
    assert_eq!(gh.lines().count(), 5, "{gh}");
    let junit = report.render(Format::Junit, "spec drift");
    assert_eq!(junit.matches("<testcase ").count(), 5, "{junit}");
    let json: Report = serde_json::from_str(&report.render(Format::Json, "spec drift")).unwrap();
    assert_eq!(json.findings.len(), 5);
    insta::assert_snapshot!(format!("{text}\n{md}\n{gh}\n{junit}"));
}

#[test]
fn many_operations_fold_in_markdown() {
    let md = shared().render(Format::Markdown, "spec drift");
    assert!(
        md.contains("<details><summary>5 operations</summary>"),
        "{md}"
    );
}
