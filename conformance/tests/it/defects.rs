use serde_json::{json, Value};

use conformance::{Group, Property, Report, Status};

use crate::support::{
    config, failed_checks, policy, reference_with, spec, with_guarded_operation, Served,
};

fn reference() -> Value {
    openapi::reference::reference_json()
}

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

/// [`failures_against`] the reference spec.
fn failures(served: Value) -> (Vec<String>, Report) {
    failures_against(served, reference())
}

/// Assert that `failed` names `check`.
fn assert_caught(failed: &[String], report: &Report, check: &str) {
    assert!(
        failed.iter().any(|f| f == check),
        "{check} did not fail:\n{}",
        report.to_text()
    );
}

#[test]
fn reuse_that_does_not_end_the_session_is_caught() {
    let (failed, report) = failures(reference_with("reuseEndsSession", json!(false)));
    assert_eq!(
        failed,
        [Property::ReuseEndsSession.name()],
        "{}",
        report.to_text()
    );
    // A short sequence: log in, refresh, reuse, then use the session (or
    // show through a revocation that it is still alive).
    let f = report
        .checks
        .iter()
        .find(|c| c.status == Status::Failed)
        .unwrap();
    assert_eq!(f.group, Group::Stateful);
    assert!(f.steps.len() <= 6, "{}", report.to_text());
    assert!(f.steps.iter().all(|s| s.curl.starts_with("curl ")));
}

#[test]
fn refresh_tokens_that_work_twice_are_caught() {
    let mut served = reference_with("refreshSingleUse", json!(false));
    policy(&mut served, "rotateOnRefresh", json!(true));
    let (failed, report) = failures(served);
    assert_caught(&failed, &report, Property::RefreshSingleUse.name());
    // Every concurrent refresh wins, each with a new refresh token that
    // still works: a fork.
    assert_caught(&failed, &report, Property::RaceNoFork.name());
    let fork = report
        .checks
        .iter()
        .find(|c| c.name == Property::RaceNoFork.name())
        .unwrap();
    assert!(
        fork.message
            .as_deref()
            .unwrap()
            .contains("the session forked"),
        "{fork:?}"
    );
}

#[test]
fn revoke_answering_404_for_unknown_tokens_is_caught() {
    let mut served = reference_with("revokeAlwaysSucceeds", json!(false));
    let op = &mut served["paths"]["/refresh-tokens/{refreshToken}"]["delete"];
    op["responses"]["404"] = json!({"description": "unknown token"});
    op["x-token-lifecycle"]["outcomes"] = json!({"invalid": 404, "expired": 404, "missing": 404});
    let (failed, report) = failures(served);
    assert_caught(&failed, &report, Property::RevokeAlways.name());
}

#[test]
fn logout_answering_200_is_caught() {
    let mut served = reference();
    let responses = &mut served["paths"]["/auth/logout"]["post"]["responses"];
    let ok = responses
        .as_object_mut()
        .unwrap()
        .shift_remove("204")
        .unwrap();
    responses["200"] = ok;
    let (failed, report) = failures(served);
    assert_caught(&failed, &report, Property::LogoutEndsSession.name());
}

#[test]
fn logout_that_keeps_the_refresh_token_alive_is_caught() {
    let (failed, report) = failures(reference_with("logoutEnds", json!("access-token")));
    assert_caught(&failed, &report, Property::LogoutEndsSession.name());
}

#[test]
fn shorter_access_tokens_are_caught_by_the_expiry_checks_only() {
    let (failed, report) = failures(reference_with("accessTokenTtl", json!(600)));
    assert_eq!(
        failed,
        [Property::TokensExpire.name()],
        "{}",
        report.to_text()
    );
}

#[test]
fn refresh_without_rotation_is_caught() {
    let (failed, report) = failures(reference_with("refreshSingleUse", json!(false)));
    assert_caught(&failed, &report, Property::RefreshRotates.name());
}

/// Serve a modified copy of the reference spec with a guarded operation
/// (`GET /unbound/me`, whose path `modify` is given), check it against the
/// unmodified one, and assert that exactly `property` fails.
fn assert_only_failure(modify: impl FnOnce(&mut Value, &str), property: Property) {
    let (checked, path) = with_guarded_operation(reference());
    let mut served = checked.clone();
    modify(&mut served, &path.unwrap());
    let (failed, report) = failures_against(served, checked);
    assert_eq!(failed, [property.name()], "{}", report.to_text());
}

#[test]
fn a_guarded_operation_that_ignores_tokens_fails_only_the_guard_property() {
    // The served copy forgot the operation's security: no guard.
    assert_only_failure(
        |doc, path| {
            let op = doc["paths"][path]["get"].as_object_mut().unwrap();
            op.shift_remove("security");
        },
        Property::GuardsRefuseDeadTokens,
    );
}

#[test]
fn a_guarded_operation_that_refuses_live_tokens_fails_only_the_guard_property() {
    // The served copy secures it with a key the suite never sends.
    assert_only_failure(
        |doc, path| {
            doc["components"]["securitySchemes"]["key"] =
                json!({"type": "apiKey", "in": "header", "name": "x-api-key"});
            doc["paths"][path]["get"]["security"] = json!([{"key": []}]);
        },
        Property::GuardsRefuseDeadTokens,
    );
}

#[test]
fn a_token_alive_everywhere_is_blamed_on_what_should_have_killed_it_not_the_guard() {
    assert_only_failure(
        |doc, _| policy(doc, "reuseEndsSession", json!(false)),
        Property::ReuseEndsSession,
    );
}
