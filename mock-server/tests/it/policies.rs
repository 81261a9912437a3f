use mock_server::MockServer;
use serde_json::json;

use crate::support::{bearer, expect_401, Api};

/// The reference spec with: no session end on reuse, logout kills only the
/// access token, and revoke answers 404 for an invalid token.
fn lenient_spec() -> openapi::Spec {
    let mut doc = openapi::reference::reference_json();
    let policy = &mut doc["x-token-lifecycle"]["policy"];
    policy["reuseEndsSession"] = json!(false);
    policy["logoutEnds"] = json!("access-token");
    policy["revokeIgnoresInvalidTokens"] = json!(false);
    let revoke = &mut doc["paths"]["/refresh-tokens/{refreshToken}"]["delete"];
    revoke["responses"]["404"] = json!({"description": "No such live refresh token."});
    revoke["x-token-lifecycle"]["outcomes"] = json!({"invalid": 404});
    openapi::Spec::from_value(doc).expect("the modified spec loads")
}

async fn lenient() -> Api {
    Api::with(MockServer::builder().spec(lenient_spec())).await
}

#[tokio::test]
async fn reuse_does_not_end_the_session() {
    let api = lenient().await;
    let first = api.login("demo", "demo").await;
    let second = api.refresh(&first.refresh).await;
    // Still single use...
    api.refresh_refused(&first.refresh, "RefreshToken Invalid")
        .await;
    // ...but the session lives on.
    api.me_ok(&second.access, "demo").await;
    api.me_ok(&first.access, "demo").await;
    api.refresh(&second.refresh).await;
}

#[tokio::test]
async fn logout_ends_only_the_access_token() {
    let api = lenient().await;
    let first = api.login("demo", "demo").await;
    assert_eq!(api.logout(&first.access).await.status(), 204);
    expect_401(api.me(&first.access).await, "Invalid token").await;
    expect_401(api.logout(&first.access).await, "Invalid token").await;
    let second = api.refresh(&first.refresh).await;
    api.me_ok(&second.access, "demo").await;
}

#[tokio::test]
async fn revoking_an_unknown_token_is_404() {
    let api = lenient().await;
    let pair = api.login("demo", "demo").await;
    let resp = api.revoke("tGzv3JOkF0XG5Qx2TlKWIA").await;
    assert_eq!(resp.status(), 404);
    // A live one is still revoked with 204, and then it is unknown.
    assert_eq!(api.revoke(&pair.refresh).await.status(), 204);
    assert_eq!(api.revoke(&pair.refresh).await.status(), 404);
    api.refresh_refused(&pair.refresh, "RefreshToken Invalid")
        .await;
    // Revoke-all keeps answering 204 with a valid token.
    let resp = api.revoke_mine(Some(bearer(&pair.access))).await;
    assert_eq!(resp.status(), 204);
}

#[tokio::test]
async fn the_reference_policies_still_hold_on_the_reference_spec() {
    // The same checks against the reference show the difference is the spec's.
    let api = Api::start().await;
    let first = api.login("demo", "demo").await;
    assert_eq!(api.revoke("tGzv3JOkF0XG5Qx2TlKWIA").await.status(), 204);
    assert_eq!(api.logout(&first.access).await.status(), 204);
    api.refresh_refused(&first.refresh, "RefreshToken Invalid")
        .await;
}

#[tokio::test]
async fn shorter_ttls_come_from_the_spec() {
    let mut doc = openapi::reference::reference_json();
    doc["x-token-lifecycle"]["policy"]["accessTokenTtl"] = json!(60);
    doc["x-token-lifecycle"]["policy"]["refreshTokenTtl"] = json!(120);
    let spec = openapi::Spec::from_value(doc).unwrap();
    let api = Api::with(MockServer::builder().spec(spec)).await;
    let resp = api
        .login_raw(json!({"username": "demo", "password": "demo"}))
        .await;
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["expiresIn"], 60);
    let access = body["accessToken"].as_str().unwrap();
    let refresh = body["refreshToken"].as_str().unwrap();
    api.server.advance_clock(60);
    expect_401(api.me(access).await, "Token expired").await;
    api.server.advance_clock(60);
    api.refresh_refused(refresh, "RefreshToken Expired").await;
}

#[tokio::test]
async fn a_typo_in_a_policy_is_a_load_error() {
    let mut doc = openapi::reference::reference_json();
    doc["x-token-lifecycle"]["policy"]["reuseEndSession"] = json!(false);
    assert!(openapi::Spec::from_value(doc).is_err());
}

/// A binding that maps a finer outcome (`spent`) answers with its own
/// example; unmapped finer outcomes get `invalid`'s.
#[tokio::test]
async fn finer_outcomes_pick_their_own_example() {
    let mut doc = openapi::reference::reference_json();
    let op = &mut doc["paths"]["/auth/refresh"]["post"];
    op["responses"]["401"]["content"]["application/json"]["examples"]["spent"] =
        json!({"value": {"code": "401", "response": "RefreshToken Spent"}});
    op["x-token-lifecycle"]["outcomes"]["spent"] = json!({"status": 401, "example": "spent"});
    let spec = openapi::Spec::from_value(doc).unwrap();
    let api = Api::with(MockServer::builder().spec(spec)).await;
    let pair = api.login("demo", "demo").await;
    api.refresh(&pair.refresh).await;
    api.refresh_refused(&pair.refresh, "RefreshToken Spent")
        .await;
    api.refresh_refused("garbage", "RefreshToken Invalid").await;
}
