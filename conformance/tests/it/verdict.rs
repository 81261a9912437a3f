use std::collections::BTreeSet;

use serde_json::{json, Value};

use conformance::{CheckResult, Property, Report, Status, Verdict};

use crate::refimpl::{Defects, RefImpl};
use crate::support::{config, failed_checks, reference_with, spec, with_guarded_operation, Served};

fn reference() -> Value {
    openapi::reference::reference_json()
}

fn run(target: &str, checked: Value, cases: u32, seed: u64) -> Report {
    conformance::run(
        &config(target, checked, cases, seed),
        &conformance::NoProgress,
    )
    .unwrap()
}

/// Every property that is not "not applicable" passed and was first
/// exercised within `limit` requests of the run.
#[track_caller]
fn assert_exercised_within(report: &Report, limit: u64) {
    let text = report.to_text();
    for c in &report.checks {
        if c.status == Status::NotApplicable || Property::named(&c.name).is_none() {
            continue;
        }
        assert_eq!(c.status, Status::Passed, "{}:\n{text}", c.name);
        let at = c.first_at.unwrap_or(u64::MAX);
        assert!(
            at <= limit,
            "{} first exercised at request {at}:\n{text}",
            c.name
        );
    }
}

#[test]
fn every_applicable_property_is_exercised_within_150_requests_on_the_mock() {
    let (guarded, _) = with_guarded_operation(reference());
    for doc in [reference(), guarded] {
        let mock = Served::start(spec(doc.clone()));
        for seed in 0..3 {
            let report = run(&mock.uri(), doc.clone(), 5, seed);
            assert_exercised_within(&report, 150);
        }
    }
}

#[test]
fn every_applicable_property_is_exercised_within_150_requests_on_the_reference_implementation() {
    let server = RefImpl::start(Defects::default());
    for seed in 0..3 {
        let report = run(&server.uri(), reference(), 5, seed);
        assert_exercised_within(&report, 150);
        let applicable = report
            .checks
            .iter()
            .filter(|c| c.status != Status::NotApplicable)
            .count();
        assert!(applicable >= 30, "{}", report.to_text());
    }
}

#[test]
fn the_correct_reference_implementation_raises_no_false_alarm_over_20_seeds() {
    let server = RefImpl::start(Defects::default());
    for seed in 0..20 {
        let report = run(&server.uri(), reference(), 20, seed);
        assert_eq!(
            report.verdict(),
            Verdict::Passed,
            "seed {seed}:\n{}",
            report.to_text()
        );
    }
}

/// Over three seeds against `defects`, assert that exactly `property`
/// failed, and return its failure's message and result.
fn only_failure(defects: Defects, property: Property) -> (String, CheckResult) {
    let server = RefImpl::start(defects);
    let mut failed = BTreeSet::new();
    let mut last = None;
    for seed in 1..4 {
        let report = run(&server.uri(), reference(), 20, seed);
        failed.extend(failed_checks(&report));
        last = Some(report);
    }
    let report = last.unwrap();
    let name = property.name();
    assert_eq!(
        failed,
        BTreeSet::from([name.to_owned()]),
        "{}",
        report.to_text()
    );
    let f = report.checks.into_iter().find(|c| c.name == name).unwrap();
    // Found in the directed phase: before the generated requests.
    assert!(f.detected_at.unwrap() <= 150, "{f:?}");
    (f.message.clone().unwrap_or_default(), f)
}

#[test]
fn a_500_on_malformed_json_is_reported_under_malformed_requests_only() {
    let defects = Defects {
        malformed_500: true,
        ..Defects::default()
    };
    let (message, f) = only_failure(defects, Property::MalformedRequestsRejected);
    for what in [
        "login: a truncated JSON body got 500",
        "a JSON body with trailing garbage got 500",
        "a body that is not UTF-8 got 500",
        "refresh: a truncated JSON body got 500",
    ] {
        assert!(message.contains(what), "{what}: {message}");
    }
    // Content types and empty bodies are refused correctly: not named.
    assert!(!message.contains("content type"), "{message}");
    assert!(!message.contains("empty body"), "{message}");
    assert!(f
        .steps
        .iter()
        .all(|s| s.status == 500 && s.curl.starts_with("curl ")));
}

#[test]
fn counter_tokens_are_reported_under_tokens_unpredictable_only() {
    let defects = Defects {
        counter_tokens: true,
        ..Defects::default()
    };
    let (message, _) = only_failure(defects, Property::TokensUnpredictable);
    for what in [
        "estimated 0 unpredictable bits",
        "what varies is a counter",
        "they contain the user name \"demo\"",
        "successive tokens: demo-",
    ] {
        assert!(message.contains(what), "{what}: {message}");
    }
}

#[test]
fn a_run_that_could_not_log_in_says_so_first_and_does_not_pass() {
    let server = RefImpl::start(Defects::default());
    let mut c = config(&server.uri(), reference(), 5, 0);
    c.users = vec![("demo".into(), "not-the-password".into())];
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    let text = report.to_text();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("could not log in: login (POST /auth/login) as \"demo\" answered 401"),
        "{text}"
    );
    assert!(first.contains("Invalid credentials"), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
    assert_eq!(report.verdict(), Verdict::Unexercised, "{text}");
    let status = |p: Property| {
        report
            .checks
            .iter()
            .find(|c| c.name == p.name())
            .unwrap()
            .status
    };
    for p in [
        Property::LoginIssuesTokens,
        Property::RefreshSingleUse,
        Property::TokensUnpredictable,
        Property::RaceNoFork,
    ] {
        assert_eq!(status(p), Status::NotExercised, "{}: {text}", p.name());
    }
    // What needs no session was still checked.
    assert_eq!(
        status(Property::UnknownTokensRejected),
        Status::Passed,
        "{text}"
    );
    assert_eq!(
        status(Property::MalformedRequestsRejected),
        Status::Passed,
        "{text}"
    );
    assert!(text.contains("NOT VERIFIED"), "{text}");
}

#[test]
fn without_accounts_a_real_target_is_not_verified_and_says_why() {
    let server = RefImpl::start_without_hooks(Defects::default());
    let report = run(&server.uri(), reference(), 5, 0);
    let text = report.to_text();
    assert_eq!(report.verdict(), Verdict::Unexercised, "{text}");
    let login = report
        .checks
        .iter()
        .find(|c| c.name == Property::LoginIssuesTokens.name())
        .unwrap();
    assert_eq!(login.status, Status::NotExercised);
    assert!(
        login.message.as_deref().unwrap().contains("pass --user"),
        "{text}"
    );
    // Allowed, the same report passes, and says what was allowed.
    let mut c = config(&server.uri(), reference(), 5, 0);
    c.allow_unexercised = true;
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    assert_eq!(report.verdict(), Verdict::Passed);
    assert!(report
        .to_text()
        .contains("(allowed by --allow-unexercised)"));
}

#[test]
fn what_the_spec_says_the_api_does_not_do_is_not_applicable_and_passes() {
    let mut doc = reference_with("refreshSingleUse", json!(false));
    doc["x-token-lifecycle"]["policy"]["rotateOnRefresh"] = json!(true);
    let mock = Served::start(spec(doc.clone()));
    let report = run(&mock.uri(), doc, 10, 0);
    assert_eq!(report.verdict(), Verdict::Passed, "{}", report.to_text());
    let na: Vec<&str> = report
        .with_status(Status::NotApplicable)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        na,
        [
            Property::RefreshSingleUse.name(),
            Property::ReuseEndsSession.name(),
            Property::ClientBound.name(),
            Property::IntrospectionAgrees.name(),
            Property::GuardsRefuseDeadTokens.name(),
            // Opaque tokens: nothing for the JWT checks.
            Property::JwtExpAgreesWithExpiresIn.name(),
            Property::JwtIatNotInTheFuture.name(),
            Property::JwtJtiUnique.name(),
            Property::JwtSignatureVerifies.name(),
            Property::JwtIssAndAudAsDeclared.name(),
            Property::RaceNoFork.name(),
        ],
        "{}",
        report.to_text()
    );
}

#[test]
fn race_rounds_are_bursts_each_judged() {
    let mock = Served::start(spec(reference()));
    let mut c = config(&mock.uri(), reference(), 5, 0);
    c.race_rounds = 7;
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    for p in [
        Property::RaceOneWins,
        Property::RaceNoFork,
        Property::RaceNoServerError,
    ] {
        let r = report.checks.iter().find(|r| r.name == p.name()).unwrap();
        assert_eq!((r.status, r.checks), (Status::Passed, 7), "{}", p.name());
    }
    c.race_rounds = 0;
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    let r = report
        .checks
        .iter()
        .find(|r| r.name == Property::RaceOneWins.name())
        .unwrap();
    assert_eq!(r.status, Status::NotExercised);
    assert!(r.message.as_deref().unwrap().contains("--race-rounds 0"));
}
