//! Suite sharding: `--shard I/N` runs disjoint shares of the generated
//! units that together are the unsharded run's, and `merge` joins the
//! shards' reports into the verdicts of the unsharded run.

use std::collections::{BTreeMap, BTreeSet};

use conformance::{merge, Group, MergeOptions, Property, Report, Shard, Status};

use crate::seeded;
use crate::support::{config, conformance, failed_checks, spec, Scratch, Served};

const SEED: u64 = 11;
const CASES: u32 = 8;

/// Every unit of a report, as (list, number).
fn units(report: &Report) -> BTreeSet<(String, u64)> {
    report
        .units
        .iter()
        .flat_map(|(list, numbers)| numbers.iter().map(move |n| (list.clone(), *n)))
        .collect()
}

/// Each check's status, by group and name.
fn verdicts(report: &Report) -> BTreeMap<(Group, String), Status> {
    report
        .checks
        .iter()
        .map(|c| ((c.group, c.name.clone()), c.status))
        .collect()
}

/// The unsharded run of `checked` against `mock` and its `n` shards, each
/// report labelled as its file would be.
fn runs(mock: &Served, checked: serde_json::Value, n: u32) -> (Report, Vec<(String, Report)>) {
    let whole = conformance::run(
        &config(&mock.uri(), checked.clone(), CASES, SEED),
        &conformance::NoProgress,
    )
    .unwrap();
    let shards = (1..=n)
        .map(|i| {
            let mut c = config(&mock.uri(), checked.clone(), CASES, SEED);
            c.shard = Shard::new(i, n).unwrap();
            let report = conformance::run(&c, &conformance::NoProgress).unwrap();
            assert_eq!(report.shard, Some(c.shard));
            (format!("shard-{i}.json"), report)
        })
        .collect();
    (whole, shards)
}

#[test]
fn shards_are_disjoint_together_the_whole_and_merge_to_its_verdicts() {
    let reference = openapi::reference::reference_json();
    let mock = Served::start(spec(reference.clone()));
    let (whole, shards) = runs(&mock, reference, 3);
    assert!(whole.passed(), "{}", whole.to_text());
    let all = units(&whole);
    for list in ["directed", "race", "malformed", "stateful round 0"] {
        assert!(whole.units.contains_key(list), "no {list} units");
    }
    assert!(whole.units.keys().any(|l| l.starts_with("stateless ")));
    // Disjoint, and together the whole.
    let mut union = BTreeSet::new();
    for (label, shard) in &shards {
        let mine = units(shard);
        assert!(!mine.is_empty(), "{label} ran nothing");
        assert!(union.is_disjoint(&mine), "{label} overlaps another shard");
        union.extend(mine);
    }
    assert_eq!(union, all, "the shards' units are not the unsharded run's");
    // The shards are the same on a second run: nothing depends on timing.
    let mut again = config(
        &mock.uri(),
        openapi::reference::reference_json(),
        CASES,
        SEED,
    );
    again.shard = Shard::new(2, 3).unwrap();
    let second = conformance::run(&again, &conformance::NoProgress).unwrap();
    assert_eq!(second.units, shards[1].1.units);
    // Merged: the verdicts of the unsharded run, the units and counts
    // added up.
    let merged = merge(&shards, MergeOptions::default()).unwrap();
    assert_eq!(verdicts(&merged), verdicts(&whole), "{}", merged.to_text());
    assert_eq!(units(&merged), all);
    assert_eq!(merged.verdict(), whole.verdict());
    assert_eq!(merged.spec_digest, whole.spec_digest);
    let requests: u64 = shards.iter().map(|(_, r)| r.requests).sum();
    assert_eq!(merged.requests, requests);
    assert_eq!(
        merged.merged,
        (1..=3)
            .map(|i| Shard::new(i, 3).unwrap())
            .collect::<Vec<_>>()
    );
    assert!(merged.to_text().contains("shards 1/3, 2/3, 3/3 merged"));
    // A JSON report reads back as it was written.
    let read: Report = serde_json::from_str(&shards[0].1.to_json()).unwrap();
    assert_eq!(verdicts(&read), verdicts(&shards[0].1));
    assert_eq!(read.units, shards[0].1.units);
}

#[test]
fn a_defect_is_caught_by_the_merged_report() {
    let d = seeded::refresh_tokens_work_twice();
    let mock = Served::start(spec(d.served));
    let (whole, shards) = runs(&mock, d.checked, 3);
    let merged = merge(&shards, MergeOptions::default()).unwrap();
    let property = Property::RefreshSingleUse.name();
    assert!(
        failed_checks(&whole).iter().any(|f| f == property),
        "{}",
        whole.to_text()
    );
    assert!(
        failed_checks(&merged).iter().any(|f| f == property),
        "{}",
        merged.to_text()
    );
    assert_eq!(merged.verdict(), conformance::Verdict::Failed);
    // The failure keeps its minimal sequence, replayable with curl.
    let failure = merged.checks.iter().find(|c| c.name == property).unwrap();
    assert!(
        failure.steps.iter().any(|s| s.curl.starts_with("curl")),
        "{}",
        merged.to_text()
    );
}

/// A report of shard `index` of `total` with `seed`.
fn stub(index: u32, total: u32, seed: u64, digest: &str) -> (String, Report) {
    let mut r = Report::new("Reference", "http://127.0.0.1:8080", seed);
    r.spec_digest = digest.into();
    r.shard = Shard::new(index, total);
    r.checks
        .push(conformance::CheckResult::passed(Group::Stateful, "p", 1));
    (format!("shard-{index}.json"), r)
}

#[test]
fn merge_errors_name_the_shards() {
    let digest = "0123456789abcdef0123";
    let message = |reports: &[(String, Report)]| {
        merge(reports, MergeOptions::default())
            .unwrap_err()
            .to_string()
    };
    insta::assert_snapshot!(
        "missing_shard",
        message(&[stub(1, 3, 1, digest), stub(3, 3, 1, digest)])
    );
    insta::assert_snapshot!(
        "mismatched_seed",
        message(&[stub(1, 2, 1, digest), stub(2, 2, 2, digest)])
    );
    insta::assert_snapshot!(
        "duplicate_shard",
        message(&[
            stub(1, 2, 1, digest),
            ("copy.json".into(), stub(1, 2, 1, digest).1)
        ])
    );
    insta::assert_snapshot!(
        "mismatched_total",
        message(&[stub(1, 2, 1, digest), stub(2, 3, 1, digest)])
    );
    insta::assert_snapshot!(
        "mismatched_spec",
        message(&[stub(1, 2, 1, digest), stub(2, 2, 1, "fedcba9876543210ffff")])
    );
    // --allow-partial: merged, and the report says what is missing.
    let partial = merge(
        &[stub(1, 3, 1, digest), stub(3, 3, 1, digest)],
        MergeOptions {
            allow_partial: true,
        },
    )
    .unwrap();
    assert_eq!(
        partial.warnings,
        ["a partial merge: shard 2/3 missing".to_owned()]
    );
    assert_eq!(partial.checks[0].checks, 2);
}

#[test]
fn bad_shards_exit_2() {
    for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/3/3"] {
        let (code, _, err) =
            conformance(&["run", "--target", "http://127.0.0.1:9", "--shard", bad]);
        assert_eq!(code, 2, "--shard {bad}: {err}");
        assert!(err.contains("is not I/N with 1 ≤ I ≤ N"), "{err}");
    }
    let scratch = Scratch::new("bad-shard-file");
    let file = scratch.path("conformance.toml");
    std::fs::write(&file, "target = \"http://127.0.0.1:9\"\nshard = \"3/2\"\n").unwrap();
    let (code, _, err) = conformance(&["run", "--config", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("conformance.toml shard: `3/2` is not I/N"),
        "{err}"
    );
}

/// The CI recipe of docs/ci.md with the binary: two shards' JSON reports,
/// merged into JUnit; a missing shard exits 2 and names it.
#[test]
fn the_binary_runs_shards_and_merges_their_reports() {
    let mock = Served::start(openapi::reference_spec());
    let scratch = Scratch::new("shards");
    let uri = mock.uri();
    let mut files = Vec::new();
    for i in 1..=2 {
        let json = scratch.path(&format!("shard-{i}.json"));
        let report = format!("json={}", json.display());
        let shard = format!("{i}/2");
        let (code, out, err) = conformance(&[
            "run", "--target", &uri, "--cases", "3", "--seed", "4", "--shard", &shard, "--report",
            &report,
        ]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains(&format!("shard {i}/2")), "{out}");
        files.push(json.display().to_string());
    }
    let junit = scratch.path("merged.xml");
    let (code, out, err) = conformance(&[
        "merge",
        &files[0],
        &files[1],
        "--format",
        "junit",
        "--output",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("shards 1/2, 2/2 merged"), "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites") && xml.contains("failures=\"0\""),
        "{xml}"
    );
    let (code, _, err) = conformance(&["merge", &files[1]]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shard 1 of 2 missing (given: 2)"), "{err}");
    let (code, out, err) =
        conformance(&["merge", &files[1], "--allow-partial", "--format", "json"]);
    assert_ne!(code, 2, "{err}");
    assert!(out.contains("a partial merge: shard 1/2 missing"), "{out}");
}
