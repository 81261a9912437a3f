use serde_json::json;

use crate::support::{expect_400, expect_401, Api};

#[tokio::test]
async fn a_refresh_issues_two_new_tokens() {
    let api = Api::start().await;
    let first = api.login("demo", "demo").await;
    let second = api.refresh(&first.refresh).await;
    assert_ne!(second.access, first.access);
    assert_ne!(second.refresh, first.refresh);
    api.me_ok(&second.access, "demo").await;
    // The old access token of the same session still works until it expires.
    api.me_ok(&first.access, "demo").await;
    // The chain goes on.
    let third = api.refresh(&second.refresh).await;
    api.me_ok(&third.access, "demo").await;
}

#[tokio::test]
async fn a_refresh_token_works_once() {
    let api = Api::start().await;
    let first = api.login("demo", "demo").await;
    api.refresh(&first.refresh).await;
    api.refresh_refused(&first.refresh, "RefreshToken Invalid")
        .await;
    // And stays dead.
    api.refresh_refused(&first.refresh, "RefreshToken Invalid")
        .await;
}

#[tokio::test]
async fn reuse_ends_the_whole_session() {
    let api = Api::start().await;
    let first = api.login("demo", "demo").await;
    let second = api.refresh(&first.refresh).await;
    api.me_ok(&second.access, "demo").await;

    // The thief (or the victim) presents the spent token again.
    api.refresh_refused(&first.refresh, "RefreshToken Invalid")
        .await;

    // Everything of the session is dead now.
    expect_401(api.me(&second.access).await, "Invalid token").await;
    expect_401(api.me(&first.access).await, "Invalid token").await;
    api.refresh_refused(&second.refresh, "RefreshToken Invalid")
        .await;
}

#[tokio::test]
async fn reuse_does_not_touch_other_sessions() {
    let api = Api::start().await;
    let other = api.login("demo", "demo").await;
    let alice = api.login("alice", "alice-secret").await;
    let first = api.login("demo", "demo").await;
    api.refresh(&first.refresh).await;
    api.refresh_refused(&first.refresh, "RefreshToken Invalid")
        .await;
    api.me_ok(&other.access, "demo").await;
    api.me_ok(&alice.access, "alice").await;
    api.refresh(&other.refresh).await;
    api.refresh(&alice.refresh).await;
}

#[tokio::test]
async fn a_missing_or_empty_refresh_token_is_400() {
    let api = Api::start().await;
    let resp = api.post_json("/auth/refresh", &json!({})).await;
    expect_400(resp, &["$request.body#/refreshToken"]).await;
    let resp = api.refresh_raw("").await;
    expect_400(resp, &["$request.body#/refreshToken"]).await;
    let resp = api
        .post_json("/auth/refresh", &json!({"refreshToken": null}))
        .await;
    expect_400(resp, &["$request.body#/refreshToken"]).await;
    let resp = api
        .post_json("/auth/refresh", &json!({"refresh_token": "x"}))
        .await;
    expect_400(
        resp,
        &[
            "$request.body#/refreshToken",
            "$request.body#/refresh_token",
        ],
    )
    .await;
}

#[tokio::test]
async fn an_expired_refresh_token_is_401_expired() {
    let api = Api::start().await;
    let first = api.login("demo", "demo").await;
    api.server.advance_clock(86400);
    api.refresh_refused(&first.refresh, "RefreshToken Expired")
        .await;
    // Expiry is no reuse: asking again still says expired.
    api.refresh_refused(&first.refresh, "RefreshToken Expired")
        .await;
}

#[tokio::test]
async fn an_unknown_refresh_token_is_401_invalid() {
    let api = Api::start().await;
    api.login("demo", "demo").await;
    for token in [
        "tGzv3JOkF0XG5Qx2TlKWIA",
        "x",
        "Bearer abc",
        "💥",
        "' OR 1=1 --",
    ] {
        api.refresh_refused(token, "RefreshToken Invalid").await;
    }
}

#[tokio::test]
async fn an_access_token_is_no_refresh_token() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    api.refresh_refused(&pair.access, "RefreshToken Invalid")
        .await;
    // Presenting the wrong kind of token harms nothing.
    api.me_ok(&pair.access, "demo").await;
    api.refresh(&pair.refresh).await;
}

#[tokio::test]
async fn a_refresh_token_is_no_access_token() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    expect_401(api.me(&pair.refresh).await, "Invalid token").await;
    expect_401(api.logout(&pair.refresh).await, "Invalid token").await;
    api.refresh(&pair.refresh).await;
}
