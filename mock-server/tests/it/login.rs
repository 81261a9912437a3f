use mock_server::MockServer;
use serde_json::json;

use crate::support::{expect_400, expect_401, Api};

#[tokio::test]
async fn demo_and_alice_log_in_with_a_token_pair() {
    let api = Api::start().await;
    let demo = api.login("demo", "demo").await;
    api.me_ok(&demo.access, "demo").await;
    let alice = api.login("alice", "alice-secret").await;
    api.me_ok(&alice.access, "alice").await;
}

#[tokio::test]
async fn every_login_starts_a_new_session_with_new_tokens() {
    let api = Api::start().await;
    let first = api.login("demo", "demo").await;
    let second = api.login("demo", "demo").await;
    assert_ne!(first.access, second.access);
    assert_ne!(first.refresh, second.refresh);
    // Both sessions work side by side.
    api.me_ok(&first.access, "demo").await;
    api.me_ok(&second.access, "demo").await;
    assert_eq!(api.server.sessions().len(), 2);
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let api = Api::start().await;
    let resp = api
        .post("/auth/login")
        .header("content-type", "application/json")
        .body(r#"{"username": "demo", "password": }"#)
        .send()
        .await
        .unwrap();
    let body = expect_400(resp, &["$request.body"]).await;
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("malformed JSON"));
}

#[tokio::test]
async fn a_missing_field_is_named() {
    let api = Api::start().await;
    let resp = api.login_raw(json!({"username": "demo"})).await;
    expect_400(resp, &["$request.body#/password"]).await;
    let resp = api.login_raw(json!({"password": "demo"})).await;
    expect_400(resp, &["$request.body#/username"]).await;
    let resp = api.login_raw(json!({})).await;
    expect_400(
        resp,
        &["$request.body#/username", "$request.body#/password"],
    )
    .await;
}

#[tokio::test]
async fn a_wrong_type_is_named() {
    let api = Api::start().await;
    let resp = api
        .login_raw(json!({"username": "demo", "password": 1234}))
        .await;
    expect_400(resp, &["$request.body#/password"]).await;
    let resp = api
        .login_raw(json!({"username": ["demo"], "password": "demo"}))
        .await;
    expect_400(resp, &["$request.body#/username"]).await;
}

#[tokio::test]
async fn an_unknown_field_is_named() {
    let api = Api::start().await;
    let resp = api
        .login_raw(json!({"username": "demo", "password": "demo", "remember": true}))
        .await;
    let body = expect_400(resp, &["$request.body#/remember"]).await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
}

#[tokio::test]
async fn an_empty_string_is_named() {
    let api = Api::start().await;
    let resp = api
        .login_raw(json!({"username": "demo", "password": ""}))
        .await;
    expect_400(resp, &["$request.body#/password"]).await;
    let resp = api
        .login_raw(json!({"username": "", "password": "demo"}))
        .await;
    expect_400(resp, &["$request.body#/username"]).await;
}

#[tokio::test]
async fn the_400_for_a_number_username_is_reviewed() {
    let api = Api::start().await;
    let resp = api.login_raw(json!({"username": 5})).await;
    let body = expect_400(
        resp,
        &["$request.body#/username", "$request.body#/password"],
    )
    .await;
    insta::assert_json_snapshot!("login_400_username_number", body);
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_is_401_invalid_credentials() {
    let api = Api::start().await;
    let cases = [
        ("demo", "wrong"),
        ("demo", "DEMO"),
        ("alice", "demo"),
        ("nobody", "demo"),
        ("Demo", "demo"),
        ("demo", "demo!"),
    ];
    for (u, p) in cases {
        let resp = api.login_raw(json!({"username": u, "password": p})).await;
        expect_401(resp, "Invalid credentials").await;
    }
    // A failed login starts no session.
    let sessions = api.server.sessions();
    assert!(sessions.is_empty(), "{sessions:?}");
}

#[tokio::test]
async fn the_builder_adds_and_replaces_accounts() {
    let api = Api::with(
        MockServer::builder()
            .user("carol", "pw")
            .user("demo", "new"),
    )
    .await;
    let carol = api.login("carol", "pw").await;
    api.me_ok(&carol.access, "carol").await;
    let demo = api.login("demo", "new").await;
    api.me_ok(&demo.access, "demo").await;
    let resp = api
        .login_raw(json!({"username": "demo", "password": "demo"}))
        .await;
    expect_401(resp, "Invalid credentials").await;
    // The other declared account is untouched.
    api.login("alice", "alice-secret").await;
}

/// Credentials are compared exactly: `"demo "` is not `demo`.
#[tokio::test]
async fn credentials_and_tokens_are_not_trimmed() {
    let api = Api::start().await;
    for (u, p) in [
        ("demo ", "demo"),
        ("demo", " demo "),
        (" alice", "alice-secret\t"),
    ] {
        let resp = api.login_raw(json!({"username": u, "password": p})).await;
        expect_401(resp, "Invalid credentials").await;
    }
    let pair = api.login("demo", "demo").await;
    let padded = format!(" {} ", pair.refresh);
    api.refresh_refused(&padded, "RefreshToken Invalid").await;
}
