use reqwest::StatusCode;

use crate::support::{expect_401, raw, Api};

#[tokio::test]
async fn logout_is_204_with_an_empty_body() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let resp = api.logout(&pair.access).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(resp.headers().get("content-type").is_none(), "{resp:?}");
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.is_empty(), "{bytes:?}");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let other = api.login("demo", "demo").await;
    assert_eq!(api.logout(&pair.access).await.status(), 204);
    expect_401(api.me(&pair.access).await, "Invalid token").await;
    api.refresh_refused(&pair.refresh, "RefreshToken Invalid")
        .await;
    // Another session of the same user is not touched.
    api.me_ok(&other.access, "demo").await;
    api.refresh(&other.refresh).await;
}

#[tokio::test]
async fn logout_ends_the_tokens_of_refreshes_too() {
    let api = Api::start().await;
    let first = api.login("demo", "demo").await;
    let second = api.refresh(&first.refresh).await;
    assert_eq!(api.logout(&first.access).await.status(), 204);
    expect_401(api.me(&second.access).await, "Invalid token").await;
    api.refresh_refused(&second.refresh, "RefreshToken Invalid")
        .await;
}

#[tokio::test]
async fn logout_without_a_header_is_401_missing() {
    let api = Api::start().await;
    let resp = api.post("/auth/logout").send().await.unwrap();
    expect_401(resp, "Missing token").await;
    expect_401(api.logout_with(raw("Bearer ")).await, "Missing token").await;
}

#[tokio::test]
async fn logout_with_an_unknown_token_is_401_invalid() {
    let api = Api::start().await;
    api.login("demo", "demo").await;
    expect_401(api.logout("2YotnFZFEjr1zCsicMWpAA").await, "Invalid token").await;
}

#[tokio::test]
async fn logout_with_an_expired_token_is_401_expired() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    api.server.advance_clock(3600);
    expect_401(api.logout(&pair.access).await, "Token expired").await;
}

#[tokio::test]
async fn logout_twice_is_401_invalid() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    assert_eq!(api.logout(&pair.access).await.status(), 204);
    expect_401(api.logout(&pair.access).await, "Invalid token").await;
}

#[tokio::test]
async fn logout_with_another_scheme_is_401() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    for value in [
        "Basic x".to_owned(),
        "Basic ZGVtbzpkZW1v".to_owned(),
        format!("Token {}", pair.access),
        pair.access.clone(),
    ] {
        expect_401(api.logout_with(raw(&value)).await, "Missing token").await;
    }
    // None of it logged the session out.
    api.me_ok(&pair.access, "demo").await;
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let resp = api
        .logout_with(raw(&format!("bearer {}", pair.access)))
        .await;
    assert_eq!(resp.status(), 204);
}
