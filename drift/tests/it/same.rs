//! Rewrites with identical meaning: reordering, allOf split differently,
//! renamed refs, wrappers, nullable spellings... must report nothing, but
//! a component renamed, which is told once as `component-renamed` (info:
//! the same on the wire, a new type name for generated clients).

use crate::{case, load};

#[test]
fn identical_meaning_reports_nothing() {
    insta::glob!("same/*/old.yaml", |path| {
        let (name, _) = case(path);
        let old = load(path);
        let new = load(&path.with_file_name("new.yaml"));
        for (a, b) in [(&old, &new), (&new, &old)] {
            let report = drift::diff(a, b);
            let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
            let expected: &[&str] = if name.ends_with("ref-renamed") {
                &["component-renamed"]
            } else {
                &[]
            };
            assert_eq!(rules, expected, "{name}:\n{}", report.to_text());
        }
    });
}
