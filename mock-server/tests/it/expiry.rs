use openapi::model::{TokenKind, TokenState};
use reqwest::StatusCode;

use crate::support::{expect_401, same_second, token, Api};

#[tokio::test]
async fn an_access_token_lives_3600_seconds_on_a_frozen_clock() {
    let api = Api::start().await;
    api.freeze_clock();
    let pair = api.login("demo", "demo").await;
    api.server.advance_clock(3599);
    api.me_ok(&pair.access, "demo").await;
    api.server.advance_clock(1);
    expect_401(api.me(&pair.access).await, "Token expired").await;
}

#[tokio::test]
async fn a_refresh_token_lives_86400_seconds_on_a_frozen_clock() {
    let api = Api::start().await;
    api.freeze_clock();
    let first = api.login("demo", "demo").await;
    let second = api.login("demo", "demo").await;
    api.server.advance_clock(86399);
    api.refresh(&first.refresh).await;
    api.server.advance_clock(1);
    api.refresh_refused(&second.refresh, "RefreshToken Expired")
        .await;
}

#[tokio::test]
async fn an_access_token_lives_3600_seconds() {
    let api = Api::start().await;
    // Straddling a wall-clock second would make "3599 s later" 3600 s later:
    // same_second retries until one run fits within one second.
    let (token, before, at_expiry) = same_second(&api, || async {
        let pair = api.login("demo", "demo").await;
        api.server.advance_clock(3599);
        let before = api.me(&pair.access).await.status();
        api.server.advance_clock(1);
        let at_expiry = api.me(&pair.access).await;
        (pair.access, before, at_expiry)
    })
    .await;
    assert_eq!(before, StatusCode::OK);
    expect_401(at_expiry, "Token expired").await;
    // And expired stays expired.
    expect_401(api.me(&token).await, "Token expired").await;
}

#[tokio::test]
async fn a_refresh_token_lives_86400_seconds() {
    let api = Api::start().await;
    let (before, at_expiry) = same_second(&api, || async {
        let first = api.login("demo", "demo").await;
        let second = api.login("demo", "demo").await;
        api.server.advance_clock(86399);
        let before = api.refresh_raw(&first.refresh).await.status();
        api.server.advance_clock(1);
        let at_expiry = api.refresh_raw(&second.refresh).await;
        (before, at_expiry)
    })
    .await;
    assert_eq!(before, StatusCode::OK);
    expect_401(at_expiry, "RefreshToken Expired").await;
}

#[tokio::test]
async fn a_refreshed_pair_gets_fresh_lifetimes() {
    let api = Api::start().await;
    let (old, new, status) = same_second(&api, || async {
        let first = api.login("demo", "demo").await;
        api.server.advance_clock(3000);
        let second = api.refresh(&first.refresh).await;
        api.server.advance_clock(3000);
        let status = api.me(&second.access).await.status();
        (first, second, status)
    })
    .await;
    assert_eq!(status, StatusCode::OK);
    expect_401(api.me(&old.access).await, "Token expired").await;
    api.me_ok(&new.access, "demo").await;
}

#[tokio::test]
async fn expiry_shows_in_the_token_list() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    api.server.advance_clock(3600);
    let tokens = api.server.tokens();
    let access = token(&tokens, &pair.access);
    assert_eq!(access.kind, TokenKind::Access);
    assert_eq!(access.state, TokenState::Live);
    assert!(!access.usable);
    let refresh = token(&tokens, &pair.refresh);
    assert!(refresh.usable);
    assert_eq!(refresh.expires_at - access.expires_at, 86400 - 3600);
}
