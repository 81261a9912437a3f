//! The rule registry (`drift::rules`) against the pairs and
//! `docs/drift.md`: every rule the diff reports is registered, has a
//! hand-made pair, and is documented.

use std::collections::BTreeSet;
use std::path::Path;

use drift::Direction;

use crate::{case, load};

/// Rules whose cases need options or a config, tested in `gate.rs`.
const NOT_PAIRS: [&str; 5] = [
    "version-major-bump-missing",
    "version-decreased",
    "version-not-semver",
    "drift-ignore-expired",
    "drift-ignore-unused",
];

fn pair_rules() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/pairs");
    std::fs::read_dir(dir)
        .expect("pairs/")
        .map(|e| case(&e.expect("entry").path().join("old.yaml")).1)
        .collect()
}

/// The schema rule suffixes: the rules under `request-body-` and `response-`.
fn suffixes() -> BTreeSet<String> {
    drift::rules()
        .into_iter()
        .filter(|r| r.direction != Direction::None)
        .filter_map(|r| {
            let response =
                r.id.strip_prefix("response-")
                    .filter(|s| !s.starts_with("header-"));
            r.id.strip_prefix("request-body-")
                .or(response)
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_finding_of_every_pair_is_a_registered_rule() {
    let known: BTreeSet<String> = drift::rules().into_iter().map(|r| r.id).collect();
    insta::glob!("pairs/*/old.yaml", |path| {
        let old = load(path);
        let new = load(&path.with_file_name("new.yaml"));
        for (a, b) in [(&old, &new), (&new, &old)] {
            for f in crate::pairs::diff(a, b).findings {
                assert!(
                    known.contains(&f.rule),
                    "{}: `{}` is not registered",
                    path.display(),
                    f.rule
                );
            }
        }
    });
}

#[test]
fn every_rule_has_a_pair() {
    let pairs = pair_rules();
    let mut missing = Vec::new();
    for r in drift::rules() {
        if r.direction == Direction::None
            && !NOT_PAIRS.contains(&r.id.as_str())
            && !pairs.contains(&r.id)
        {
            missing.push(r.id);
        }
    }
    for suffix in suffixes() {
        if !pairs.iter().any(|p| p.ends_with(&format!("-{suffix}"))) {
            missing.push(format!("*-{suffix}"));
        }
    }
    assert!(
        missing.is_empty(),
        "rules without a pair under tests/it/pairs: {missing:?}"
    );
}

#[test]
fn docs_list_every_rule_and_no_other() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/drift.md");
    let text = std::fs::read_to_string(&path).expect("docs/drift.md");
    // The first cell of every table row that names a rule.
    let documented: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(id, _)| id.to_owned())
        .collect();
    let mut expected: BTreeSet<String> = drift::rules()
        .into_iter()
        .filter(|r| r.direction == Direction::None)
        .map(|r| r.id)
        .collect();
    expected.extend(suffixes().into_iter().map(|s| format!("…-{s}")));
    let missing: Vec<_> = expected.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&expected).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "docs/drift.md: missing {missing:?}, unknown {unknown:?}"
    );
}
