//! A real implementation nobody here wrote: djangorestframework-simplejwt,
//! started by `scripts/simplejwt/run.sh` (a venv with pinned Django, DRF and
//! simplejwt; users demo and alice), checked against
//! `fixtures/simplejwt.yaml`.

use std::sync::Arc;

use conformance::{Property, Status};

use crate::support::{assert_forked, root, simplejwt as start};

fn check(url: &str) -> conformance::Report {
    let spec = openapi::Spec::from_path(&root().join("fixtures/simplejwt.yaml")).unwrap();
    let mut c = conformance::Config::new(url);
    c.spec = Some(Arc::new(spec));
    // A real target: its accounts are given, as a QA team would.
    c.users = vec![
        ("demo".into(), "demo".into()),
        ("alice".into(), "alice-secret".into()),
    ];
    c.cases = 40;
    c.seed = 1;
    c.concurrency = 2;
    // A round of 20 concurrent refreshes forks simplejwt about one time in
    // two (measured: docs/performance.md); ten rounds miss it once in a
    // thousand runs.
    c.race_rounds = 10;
    conformance::run(&c, &conformance::NoProgress).unwrap()
}

#[test]
fn simplejwt_follows_its_spec_and_the_suite_raises_no_false_alarm() {
    let Some(django) = start(true, true) else {
        return;
    };
    let report = check(&django.url);
    let text = report.to_text();
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| c.name.as_str())
        .collect();
    // The one real defect: simplejwt's blacklist check and insert are not
    // atomic, so concurrent refreshes with one token can win more than
    // once, each with a new refresh token that works: a fork. Anything
    // else would be a false alarm.
    assert_eq!(failed, [Property::RaceNoFork.name()], "{text}");
    assert_forked(&report);
    let passed = |p: Property| {
        report
            .checks
            .iter()
            .any(|c| c.name == p.name() && c.status == Status::Passed)
    };
    for p in [
        Property::LoginIssuesTokens,
        Property::TokensUnique,
        Property::RefreshRotates,
        Property::RefreshSingleUse,
        Property::UnknownTokensRejected,
        Property::UnauthorizedChallenge,
        // JWTs with a jti and an HMAC signature: no false alarm.
        Property::TokensUnpredictable,
        Property::MalformedRequestsRejected,
        Property::RaceOneWins,
        Property::RaceNoServerError,
    ] {
        assert!(passed(p), "{} did not pass:\n{text}", p.name());
    }
    // Said plainly, not silently passed: what the spec says it does not do.
    let skipped: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::NotApplicable)
        .map(|c| c.name.as_str())
        .collect();
    assert!(skipped.contains(&"reuse ends the session"), "{text}");
    assert!(
        skipped.contains(&"logout answers 204 and ends the session"),
        "{text}"
    );
    // Its tokens live 300 s and its clock cannot be moved: expiry is not
    // exercised, and said so with what would exercise it.
    let expiry = report
        .checks
        .iter()
        .find(|c| c.name == Property::TokensExpire.name())
        .unwrap();
    assert_eq!(expiry.status, Status::NotExercised, "{text}");
    assert!(
        expiry
            .message
            .as_deref()
            .unwrap()
            .contains("--expiry-wait 301"),
        "{text}"
    );
}

#[test]
fn without_the_blacklist_app_refresh_tokens_are_not_single_use() {
    let Some(django) = start(false, true) else {
        return;
    };
    let report = check(&django.url);
    let failed = |name: &str| {
        report
            .checks
            .iter()
            .any(|c| c.name == name && c.status == Status::Failed)
    };
    assert!(
        failed(Property::RefreshSingleUse.name()),
        "{}",
        report.to_text()
    );
    assert!(!report.passed());
}
