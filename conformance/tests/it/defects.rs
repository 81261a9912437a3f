use serde_json::{json, Value};

use conformance::{Group, Property, Status};

use crate::support::{config, spec, Served};

fn reference() -> Value {
    openapi::reference::reference_json()
}

/// Serve `served`, check it against the reference spec over three seeds, and
/// return the names of the checks that failed in any of them (and the last
/// report).
fn failures(served: Value) -> (Vec<String>, conformance::Report) {
    let mock = Served::start(spec(served));
    let mut failed: Vec<String> = Vec::new();
    let mut last = None;
    for seed in 1..4 {
        let report = conformance::run(
            &config(&mock.uri(), reference(), 100, seed),
            &conformance::NoProgress,
        )
        .unwrap();
        for c in report.checks.iter().filter(|c| c.status == Status::Failed) {
            if !failed.contains(&c.name) {
                failed.push(c.name.clone());
            }
        }
        last = Some(report);
    }
    (failed, last.unwrap())
}

fn policy(v: &mut Value, key: &str, value: Value) {
    v["x-token-lifecycle"]["policy"][key] = value;
}

#[test]
fn reuse_that_does_not_end_the_session_is_caught() {
    let mut served = reference();
    policy(&mut served, "reuseEndsSession", json!(false));
    let (failed, report) = failures(served);
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
    let mut served = reference();
    policy(&mut served, "refreshSingleUse", json!(false));
    policy(&mut served, "rotateOnRefresh", json!(true));
    let (failed, report) = failures(served);
    assert!(
        failed.contains(&Property::RefreshSingleUse.name().to_owned()),
        "{}",
        report.to_text()
    );
    assert!(
        failed.contains(&"concurrent refreshes: one wins".to_owned()),
        "{}",
        report.to_text()
    );
}

#[test]
fn revoke_answering_404_for_unknown_tokens_is_caught() {
    let mut served = reference();
    policy(&mut served, "revokeAlwaysSucceeds", json!(false));
    let op = &mut served["paths"]["/refresh-tokens/{refreshToken}"]["delete"];
    op["responses"]["404"] = json!({"description": "unknown token"});
    op["x-token-lifecycle"]["outcomes"] = json!({"invalid": 404, "expired": 404, "missing": 404});
    let (failed, report) = failures(served);
    assert!(
        failed.contains(&Property::RevokeAlways.name().to_owned()),
        "{}",
        report.to_text()
    );
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
    assert!(
        failed.contains(&Property::LogoutEndsSession.name().to_owned()),
        "{}",
        report.to_text()
    );
}

#[test]
fn logout_that_keeps_the_refresh_token_alive_is_caught() {
    let mut served = reference();
    policy(&mut served, "logoutEnds", json!("access-token"));
    let (failed, report) = failures(served);
    assert!(
        failed.contains(&Property::LogoutEndsSession.name().to_owned()),
        "{}",
        report.to_text()
    );
}

#[test]
fn shorter_access_tokens_are_caught_by_the_expiry_checks() {
    let mut served = reference();
    policy(&mut served, "accessTokenTtl", json!(600));
    let (failed, report) = failures(served);
    assert!(
        failed.contains(&Property::TokensExpire.name().to_owned()),
        "{}",
        report.to_text()
    );
}

#[test]
fn refresh_without_rotation_is_caught() {
    let mut served = reference();
    policy(&mut served, "refreshSingleUse", json!(false));
    let (failed, report) = failures(served);
    assert!(
        failed.contains(&Property::RefreshRotates.name().to_owned()),
        "{}",
        report.to_text()
    );
}
