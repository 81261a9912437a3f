//! The lint over the repository's own specs: every real fixture
//! (`fixtures/*.yaml`) and the reference spec lint without a breaking
//! finding; `fixtures/lint/globkurier-published.yaml` (GlobKurier's page as
//! published, a body under 204) gets exactly the 204 finding.

use std::path::{Path, PathBuf};

use drift::Severity;

use crate::load;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn real_specs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures"))
        .expect("fixtures/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files.push(root().join("openapi/reference.yaml"));
    files
}

#[test]
fn every_real_spec_lints_without_a_breaking_finding() {
    let files = real_specs();
    assert!(files.len() >= 5, "{files:?}");
    for path in files {
        let report = drift::lint(&load(&path));
        assert_eq!(
            report.count(Severity::Breaking),
            0,
            "{}:\n{}",
            path.display(),
            report.to_text()
        );
    }
}

#[test]
fn the_published_globkurier_gets_exactly_the_204_finding() {
    let path = root().join("fixtures/lint/globkurier-published.yaml");
    let report = drift::lint(&load(&path));
    assert_eq!(report.findings.len(), 1, "{}", report.to_text());
    let f = &report.findings[0];
    assert_eq!(f.rule, "no-body-status-has-content");
    assert_eq!(f.severity, Severity::Breaking);
    assert_eq!(f.operation.as_deref(), Some("POST /v1/auth/logout"));
    assert_eq!(
        f.new.as_deref(),
        Some("#/paths/~1v1~1auth~1logout/post/responses/204/content")
    );
}

#[test]
fn the_published_globkurier_differs_from_the_fixture_only_by_the_204_body() {
    let fixture = load(&root().join("fixtures/globkurier.yaml"));
    let published = load(&root().join("fixtures/lint/globkurier-published.yaml"));
    // Fixture -> published: the 204 gains a body, nothing else changes.
    let report = drift::diff(&fixture, &published);
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["response-body-added"], "{}", report.to_text());
}
