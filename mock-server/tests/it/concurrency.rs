use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{expect_401, Api};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_200_concurrent_refreshes_exactly_one_wins() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let requests = (0..200).map(|_| {
        api.post("/auth/refresh")
            .json(&json!({"refreshToken": pair.refresh}))
            .send()
    });
    let mut ok = Vec::new();
    let mut unauthorized = 0;
    for resp in join_all(requests).await {
        let resp = resp.unwrap();
        match resp.status() {
            StatusCode::OK => ok.push(resp.json::<Value>().await.unwrap()),
            StatusCode::UNAUTHORIZED => {
                expect_401(resp, "RefreshToken Invalid").await;
                unauthorized += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok.len(), 1);
    assert_eq!(unauthorized, 199);
    // The losers were reuse: the session, winner's tokens included, is dead.
    let winner = ok[0]["accessToken"].as_str().unwrap();
    expect_401(api.me(winner).await, "Invalid token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_logins_all_succeed_with_distinct_tokens() {
    let api = Api::start().await;
    let requests = (0..100).map(|_| {
        api.post("/auth/login")
            .json(&json!({"username": "demo", "password": "demo"}))
            .send()
    });
    let mut tokens = std::collections::HashSet::new();
    for resp in join_all(requests).await {
        let pair = crate::support::pair(resp.unwrap()).await;
        assert!(tokens.insert(pair.access));
        assert!(tokens.insert(pair.refresh));
    }
    assert_eq!(tokens.len(), 200);
    assert_eq!(api.server.sessions().len(), 100);
}
