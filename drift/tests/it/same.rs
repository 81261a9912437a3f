//! Rewrites with identical meaning: reordering, allOf split differently,
//! renamed refs, wrappers, nullable spellings... must report nothing.

use crate::{case, load};

#[test]
fn identical_meaning_reports_nothing() {
    insta::glob!("same/*/old.yaml", |path| {
        let (name, _) = case(path);
        let old = load(path);
        let new = load(&path.with_file_name("new.yaml"));
        for (a, b) in [(&old, &new), (&new, &old)] {
            let report = drift::diff(a, b);
            assert!(report.is_empty(), "{name}:\n{}", report.to_text());
        }
    });
}
