//! A real OAuth 2.0 server nobody here wrote: django-oauth-toolkit 3
//! (DOT), started by `scripts/dot/run.sh` (a venv with pinned Django, DRF
//! and DOT; SQLite; users demo and alice; confidential clients web-app and
//! mobile-app authenticating with HTTP Basic), once with refresh token
//! rotation (DOT's default) and once with `REFRESH_TOKEN_REUSE_PROTECTION`,
//! each checked against `fixtures/django-oauth-toolkit.yaml` (rotation) and
//! `fixtures/django-oauth-toolkit-reuse.yaml` (reuse protection). The
//! verdict is exact: the matching spec passes with no false alarm, the
//! mismatched one fails exactly where the two behaviours differ.

use std::sync::Arc;

use conformance::{Property, Report, Status};
use openapi::model::Client;

use crate::support::{config, dot, failed_checks, root, spec, Served};

const ROTATION: &str = "fixtures/django-oauth-toolkit.yaml";
const REUSE: &str = "fixtures/django-oauth-toolkit-reuse.yaml";

/// The suite against `url` with `fixture`: the accounts and clients given
/// as a QA team would, few cases (every login costs DOT a password hash
/// and every client authentication a secret hash).
fn check(url: &str, fixture: &str) -> Report {
    let spec = openapi::Spec::from_path(&root().join(fixture)).unwrap();
    let mut c = conformance::Config::new(url);
    c.spec = Some(Arc::new(spec));
    c.users = vec![
        ("demo".into(), "demo".into()),
        ("alice".into(), "alice-secret".into()),
    ];
    c.clients = ["web-app", "mobile-app"]
        .into_iter()
        .map(|id| Client {
            id: id.into(),
            secret: Some(format!("{id}-secret")),
        })
        .collect();
    c.cases = 5;
    c.seed = 1;
    c.concurrency = 2;
    // Not the race check: what DOT answers concurrent refreshes depends on
    // who wins the SQLite write lock (fixtures/README.md: same-answer,
    // and under reuse protection now and then a 500); an exact verdict
    // cannot rest on it.
    c.race_rounds = 0;
    conformance::run(&c, &conformance::NoProgress).unwrap()
}

/// The verdict table: every check's name and status, one a line (the
/// counts and messages vary with timing; the verdict must not).
fn verdict(report: &Report) -> String {
    report
        .checks
        .iter()
        .map(|c| format!("{:<14} {}\n", format!("{:?}", c.status), c.name))
        .collect()
}

/// Assert that nothing but `expected` failed, and snapshot the verdict.
#[track_caller]
fn assert_verdict(report: &Report, expected: &[Property], snapshot: &str) {
    let text = report.to_text();
    let failed = failed_checks(report);
    let want: Vec<&str> = expected.iter().map(|p| p.name()).collect();
    assert_eq!(failed, want, "{text}");
    insta::assert_snapshot!(snapshot, verdict(report));
}

/// One DOT variant against both specs: `matching` passes with nothing
/// failed and every one of `passed` passed; `other` fails exactly
/// `differs`. Verdicts snapshotted as `dot_{variant}_against_{spec}_spec`.
fn pairing(
    reuse_protection: bool,
    (matching, passed): (&str, &[Property]),
    (other, differs): (&str, &[Property]),
) {
    let flag = if reuse_protection { "1" } else { "0" };
    let Some(server) = dot(&[("DOT_REUSE_PROTECTION", flag)], false) else {
        return;
    };
    let name = |spec: &str| if spec == REUSE { "reuse" } else { "rotation" };
    let variant = if reuse_protection {
        "reuse"
    } else {
        "rotation"
    };
    let report = check(&server.url, matching);
    let snapshot = format!("dot_{variant}_against_{}_spec", name(matching));
    assert_verdict(&report, &[], &snapshot);
    for &p in passed {
        assert_eq!(
            status(&report, p),
            Status::Passed,
            "{p}:\n{}",
            report.to_text()
        );
    }
    let report = check(&server.url, other);
    let snapshot = format!("dot_{variant}_against_{}_spec", name(other));
    assert_verdict(&report, differs, &snapshot);
}

#[test]
fn dot_with_rotation_follows_its_spec_and_differs_from_reuse_protection_where_it_should() {
    // The reuse-protection spec says a spent refresh token ends the
    // grant; this server lets the grant live on.
    pairing(
        false,
        (
            ROTATION,
            &[
                Property::LoginIssuesTokens,
                Property::RefreshRotates,
                Property::RefreshSingleUse,
                Property::RevokeAlways,
                Property::RevokedCannotRefresh,
                Property::ClientBound,
                Property::ModelAgreement,
            ],
        ),
        (REUSE, &[Property::ReuseEndsSession]),
    );
}

#[test]
fn dot_with_reuse_protection_follows_its_spec_and_differs_from_rotation_where_it_should() {
    // The rotation spec says the grant outlives a reused token; this
    // server ends it, and the model sees the tokens die.
    pairing(
        true,
        (
            REUSE,
            &[Property::ReuseEndsSession, Property::ModelAgreement],
        ),
        (ROTATION, &[Property::ModelAgreement]),
    );
}

fn status(report: &Report, p: Property) -> Status {
    report
        .checks
        .iter()
        .find(|c| c.name == p.name())
        .unwrap_or_else(|| panic!("no check {p}:\n{}", report.to_text()))
        .status
}

/// The pairing without Python: the mock serving the reuse-protection spec,
/// checked against the rotation spec with a single random case. The
/// directed phase alone must tell the two apart (before it ran the reuse
/// script only where the spec says reuse ends the session, and a server
/// that ended it against a spec saying it does not went unseen).
#[test]
fn a_server_that_ends_the_session_on_reuse_fails_a_spec_saying_it_does_not() {
    let load = |f: &str| -> serde_json::Value {
        serde_norway::from_str(&std::fs::read_to_string(root().join(f)).unwrap()).unwrap()
    };
    let served = Served::start(spec(load(REUSE)));
    for seed in 0..3 {
        let mut c = config(&served.uri(), load(ROTATION), 1, seed);
        c.race_rounds = 0;
        let report = conformance::run(&c, &conformance::NoProgress).unwrap();
        assert_eq!(
            failed_checks(&report),
            [Property::ModelAgreement.name()],
            "seed {seed}:\n{}",
            report.to_text()
        );
    }
}
