use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::support::{expect_401, raw, Api, CHALLENGE};

#[tokio::test]
async fn me_answers_the_tokens_user() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let resp = api.me(&pair.access).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/json"
    );
    assert!(resp.headers().get("www-authenticate").is_none());
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap(),
        json!({"username": "demo"})
    );
}

#[tokio::test]
async fn me_without_a_valid_token_is_401() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let resp = api.get("/me").send().await.unwrap();
    expect_401(resp, "Missing token").await;
    expect_401(api.me("nope").await, "Invalid token").await;
    expect_401(api.me(&format!("{}x", pair.access)).await, "Invalid token").await;
    let resp = api.me_with(raw(&format!("Basic {}", pair.access))).await;
    expect_401(resp, "Missing token").await;
    let resp = api.me_with(raw("Bearer \u{fe0f}💥")).await;
    // A token of bytes no server issued is a wrong token, not a missing one.
    expect_401(resp, "Invalid token").await;
}

/// Collects every kind of 401 the reference API has and checks the challenge
/// on each.
#[tokio::test]
async fn every_401_carries_the_bearer_challenge() {
    let api = Api::start().await;
    let spent = api.login("demo", "demo").await;
    api.refresh(&spent.refresh).await;
    let logged_out = api.login("demo", "demo").await;
    assert_eq!(api.logout(&logged_out.access).await.status(), 204);
    let expiring = api.login("alice", "alice-secret").await;

    let mut all: Vec<(&str, Response)> = vec![
        (
            "login bad password",
            api.login_raw(json!({"username": "demo", "password": "x"}))
                .await,
        ),
        (
            "login unknown user",
            api.login_raw(json!({"username": "x", "password": "x"}))
                .await,
        ),
        ("refresh unknown", api.refresh_raw("unknown").await),
        ("refresh spent", api.refresh_raw(&spent.refresh).await),
        (
            "refresh logged out",
            api.refresh_raw(&logged_out.refresh).await,
        ),
        (
            "logout missing",
            api.post("/auth/logout").send().await.unwrap(),
        ),
        ("logout unknown", api.logout("unknown").await),
        ("logout logged out", api.logout(&logged_out.access).await),
        ("me missing", api.get("/me").send().await.unwrap()),
        ("me unknown", api.me("unknown").await),
        ("me logged out", api.me(&logged_out.access).await),
        ("head me missing", api.head("/me").send().await.unwrap()),
    ];
    api.server.advance_clock(86400);
    all.push(("refresh expired", api.refresh_raw(&expiring.refresh).await));
    all.push(("logout expired", api.logout(&expiring.access).await));
    all.push(("me expired", api.me(&expiring.access).await));

    for (what, resp) in all {
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(
            resp.headers()
                .get_all("www-authenticate")
                .iter()
                .collect::<Vec<_>>(),
            [CHALLENGE],
            "{what}"
        );
    }
}
