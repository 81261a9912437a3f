use serde_json::Value;

use conformance::{Group, Property, Report, Status};

use crate::seeded::{self, Seeded};
use crate::support::{assert_forked, config, failed_checks, only_failure, spec, Served};

/// Serve `served`, check it against `checked` over three seeds, and return
/// the names of the checks that failed in any of them (and the last
/// report). The directed phase makes small budgets find as much: with
/// `--cases 5` the same seeds find every check `--cases 100` finds.
fn failures_against(served: Value, checked: Value) -> (Vec<String>, Report) {
    let mock = Served::start(spec(served));
    // Every check that failed, with the first report it failed in.
    let failing = |cases: u32| {
        let mut failed: Vec<(String, Report)> = Vec::new();
        let mut last = None;
        for seed in 1..4 {
            let report = conformance::run(
                &config(&mock.uri(), checked.clone(), cases, seed),
                &conformance::NoProgress,
            )
            .unwrap();
            for name in failed_checks(&report) {
                if !failed.iter().any(|(f, _)| *f == name) {
                    failed.push((name, report.clone()));
                }
            }
            last = Some(report);
        }
        (failed, last.unwrap())
    };
    let (failed, report) = failing(100);
    let (small, small_report) = failing(5);
    for (name, found_in) in &failed {
        assert!(
            small.iter().any(|(f, _)| f == name),
            "--cases 5 missed `{name}`, which --cases 100 found:\n{}\n--cases 5:\n{}",
            found_in.to_text(),
            small_report.to_text()
        );
    }
    let failed = failed.into_iter().map(|(f, _)| f).collect();
    (failed, report)
}

/// Assert that `failed` names `check`.
fn assert_caught(failed: &[String], report: &Report, check: &str) {
    assert!(
        failed.iter().any(|f| f == check),
        "{check} did not fail:\n{}",
        report.to_text()
    );
}

/// [`failures_against`] what a seeded defect serves, checked against
/// what it should follow.
fn failures(d: Seeded) -> (Vec<String>, Report) {
    failures_against(d.served, d.checked)
}

#[test]
fn reuse_that_does_not_end_the_session_is_caught() {
    let (failed, report) = failures(seeded::reuse_does_not_end_the_session());
    assert_eq!(failed, [Property::ReuseEndsSession.name()]);
    // A short sequence: log in, refresh, reuse, then use the session (or
    // show through a revocation that it is still alive).
    let f = only_failure(&report, Property::ReuseEndsSession);
    assert_eq!(f.group, Group::Stateful);
    assert!(f.steps.len() <= 6, "{}", report.to_text());
    assert!(f.steps.iter().all(|s| s.curl.starts_with("curl ")));
}

#[test]
fn refresh_tokens_that_work_twice_are_caught() {
    let (failed, report) = failures(seeded::refresh_tokens_work_twice());
    assert_caught(&failed, &report, Property::RefreshSingleUse.name());
    // Every concurrent refresh wins, each with a new refresh token that
    // still works: a fork.
    assert_caught(&failed, &report, Property::RaceNoFork.name());
    assert_forked(&report);
}

#[test]
fn revoke_answering_404_for_unknown_tokens_is_caught() {
    let (failed, report) = failures(seeded::revoke_answers_404_for_unknown_tokens());
    assert_caught(&failed, &report, Property::RevokeAlways.name());
}

#[test]
fn logout_answering_200_is_caught() {
    let (failed, report) = failures(seeded::logout_answers_200());
    assert_caught(&failed, &report, Property::LogoutEndsSession.name());
}

#[test]
fn logout_that_keeps_the_refresh_token_alive_is_caught() {
    let (failed, report) = failures(seeded::logout_keeps_the_refresh_token_alive());
    assert_caught(&failed, &report, Property::LogoutEndsSession.name());
}

#[test]
fn shorter_access_tokens_are_caught_by_the_expiry_checks_only() {
    let (failed, report) = failures(seeded::access_tokens_live_600_s());
    assert_eq!(
        failed,
        [Property::TokensExpire.name()],
        "{}",
        report.to_text()
    );
}

#[test]
fn refresh_without_rotation_is_caught() {
    let (failed, report) = failures(seeded::refresh_does_not_rotate());
    assert_caught(&failed, &report, Property::RefreshRotates.name());
}

/// Assert that exactly the seeded defect's property fails.
fn assert_only_failure(d: Seeded) {
    let property = d.property;
    let (failed, report) = failures(d);
    assert_eq!(failed, [property.name()], "{}", report.to_text());
}

#[test]
fn a_guarded_operation_that_ignores_tokens_fails_only_the_guard_property() {
    assert_only_failure(seeded::guarded_operation_ignores_tokens());
}

#[test]
fn a_guarded_operation_that_refuses_live_tokens_fails_only_the_guard_property() {
    assert_only_failure(seeded::guarded_operation_refuses_live_tokens());
}

#[test]
fn a_token_alive_everywhere_is_blamed_on_what_should_have_killed_it_not_the_guard() {
    assert_only_failure(seeded::token_alive_everywhere_after_reuse());
}

/// Found by the directed phase: each seeded defect's property fails within
/// the first 150 requests of a run (the bench prints the figures).
#[test]
fn every_seeded_defect_is_found_within_150_requests() {
    for d in seeded::all() {
        let mock = Served::start(spec(d.served));
        let report = conformance::run(
            &config(&mock.uri(), d.checked, 5, 0),
            &conformance::NoProgress,
        )
        .unwrap();
        let result = report
            .checks
            .iter()
            .find(|c| c.name == d.property.name())
            .unwrap();
        assert_eq!(
            result.status,
            Status::Failed,
            "{}:\n{}",
            d.name,
            report.to_text()
        );
        let at = result.detected_at.unwrap_or(u64::MAX);
        assert!(at <= 150, "{}: detected at request {at}", d.name);
    }
}
