use reqwest::{Response, StatusCode};

use crate::support::{bearer, raw, Api};

async fn expect_204(resp: Response) {
    assert_eq!(resp.status(), StatusCode::NO_CONTENT, "{resp:?}");
    assert!(resp.headers().get("content-type").is_none());
    assert!(resp.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn revoking_a_live_token_stops_refresh_but_not_access() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    expect_204(api.revoke(&pair.refresh).await).await;
    api.refresh_refused(&pair.refresh, "RefreshToken Invalid")
        .await;
    api.me_ok(&pair.access, "demo").await;
}

#[tokio::test]
async fn revoke_is_204_whatever_the_token() {
    let api = Api::start().await;
    // Spent.
    let spent = api.login("demo", "demo").await;
    let next = api.refresh(&spent.refresh).await;
    expect_204(api.revoke(&spent.refresh).await).await;
    // Revoked (twice).
    let revoked = api.login("demo", "demo").await;
    expect_204(api.revoke(&revoked.refresh).await).await;
    expect_204(api.revoke(&revoked.refresh).await).await;
    // An access token.
    expect_204(api.revoke(&next.access).await).await;
    // Unknown and garbage, raw in the path (percent-encoded where needed).
    for raw in [
        "tGzv3JOkF0XG5Qx2TlKWIA",
        "x",
        "%00",
        "%FF%FE",
        "%2F..%2F..%2Fetc%2Fpasswd",
        "%F0%9F%92%A5",
        "a%20b%0D%0Ac",
        "%25",
        "%",
        "%zz",
        "mine%2F..",
        "'%22%3Cscript%3E",
        &"A".repeat(4000),
    ] {
        expect_204(api.revoke(raw).await).await;
    }
    // Expired.
    let expired = api.login("alice", "alice-secret").await;
    api.server.advance_clock(86400);
    expect_204(api.revoke(&expired.refresh).await).await;
}

#[tokio::test]
async fn revoking_a_spent_token_does_not_end_the_session() {
    let api = Api::start().await;
    let first = api.login("demo", "demo").await;
    let second = api.refresh(&first.refresh).await;
    expect_204(api.revoke(&first.refresh).await).await;
    api.me_ok(&second.access, "demo").await;
    api.refresh(&second.refresh).await;
}

#[tokio::test]
async fn revoke_mine_revokes_every_session_of_the_user() {
    let api = Api::start().await;
    let one = api.login("demo", "demo").await;
    let two = api.login("demo", "demo").await;
    // A refreshed session: its current refresh token is the new one.
    let three = api.login("demo", "demo").await;
    let three = api.refresh(&three.refresh).await;
    let alice = api.login("alice", "alice-secret").await;

    expect_204(api.revoke_mine(Some(bearer(&one.access))).await).await;

    for pair in [&one, &two, &three] {
        api.refresh_refused(&pair.refresh, "RefreshToken Invalid")
            .await;
        // Access tokens keep working.
        api.me_ok(&pair.access, "demo").await;
    }
    api.refresh(&alice.refresh).await;
}

#[tokio::test]
async fn revoke_mine_without_a_valid_token_revokes_nothing() {
    let api = Api::start().await;
    let demo = api.login("demo", "demo").await;
    let alice = api.login("alice", "alice-secret").await;
    expect_204(api.revoke_mine(None).await).await;
    for value in [
        "Bearer garbage",
        "Bearer ",
        "Basic ZGVtbzpkZW1v",
        "Bearer 💥",
    ] {
        expect_204(api.revoke_mine(Some(raw(value))).await).await;
    }
    // A refresh token is no access token either.
    expect_204(api.revoke_mine(Some(bearer(&demo.refresh))).await).await;
    api.refresh(&demo.refresh).await;
    api.refresh(&alice.refresh).await;
}

#[tokio::test]
async fn revoke_mine_with_an_expired_access_token_revokes_nothing() {
    let api = Api::start().await;
    let demo = api.login("demo", "demo").await;
    api.server.advance_clock(3600);
    expect_204(api.revoke_mine(Some(bearer(&demo.access))).await).await;
    api.refresh(&demo.refresh).await;
}
