use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{content_type, expect_problem, Api};

/// `HEAD /me`, with this bearer token if any.
async fn head_me(api: &Api, token: Option<&str>) -> reqwest::Response {
    let req = api.head("/me");
    match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    }
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn an_unknown_path_is_a_404_problem() {
    let api = Api::start().await;
    for path in ["/nope", "/auth", "/auth/login/extra", "/me/", "/ME", "//"] {
        let resp = api.get(path).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(content_type(&resp), "application/problem+json");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["status"], 404);
        assert_eq!(body["title"], "Not Found");
    }
    let resp = api.get("/nope").send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    insta::assert_json_snapshot!("not_found", body);
}

#[tokio::test]
async fn a_wrong_method_is_a_405_with_allow() {
    let api = Api::start().await;
    let cases = [
        (Method::GET, "/auth/login", "POST"),
        (Method::PUT, "/auth/refresh", "POST"),
        (Method::DELETE, "/auth/logout", "POST"),
        (Method::POST, "/me", "GET, HEAD"),
        (Method::GET, "/refresh-tokens/abc", "DELETE"),
        (Method::PATCH, "/refresh-tokens/mine", "DELETE"),
    ];
    for (method, path, allow) in cases {
        let resp = api
            .client
            .request(method.clone(), api.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            resp.headers().get("allow").unwrap(),
            allow,
            "{method} {path}"
        );
        assert_eq!(content_type(&resp), "application/problem+json");
    }
    let resp = api.get("/auth/login").send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    insta::assert_json_snapshot!("method_not_allowed", body);
}

#[tokio::test]
async fn head_works_on_a_get_route() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let resp = head_me(&api, Some(&pair.access)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().is_empty());
    // HEAD is no shortcut around authentication.
    let resp = head_me(&api, None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_server_base_path_is_an_optional_prefix() {
    // The reference spec's server URL has no path: /v1/me is unknown.
    let api = Api::start().await;
    let resp = api.get("/v1/me").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_journal_records_routing_results() {
    let api = Api::start().await;
    api.get("/nope").send().await.unwrap();
    api.get("/auth/login").send().await.unwrap();
    let journal = api.server.journal(10);
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[0].status, 404);
    assert_eq!(journal[0].operation, None);
    assert_eq!(journal[1].status, 405);
    assert_eq!(journal[1].method, "GET");
    assert_eq!(journal[1].uri, "/auth/login");
}

/// RFC 9110 §9.3.2: a HEAD answer should carry the header fields a GET would,
/// Content-Type included.
#[tokio::test]
async fn head_sends_the_headers_of_get() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let head = head_me(&api, Some(&pair.access)).await;
    assert_eq!(content_type(&head), "application/json");
}

/// Every refusal the mock builds itself is the one problem type the
/// reference spec documents, field errors included.
#[tokio::test]
async fn every_refusal_is_a_problem_document() {
    let api = Api::start().await;
    expect_problem(api.get("/nope").send().await.unwrap(), 404).await;
    expect_problem(api.get("/auth/login").send().await.unwrap(), 405).await;
    let big = json!({"username": "a".repeat(2 << 20), "password": "x"});
    expect_problem(api.login_raw(big).await, 413).await;
    let xml = api
        .post("/auth/login")
        .header("content-type", "application/xml");
    expect_problem(xml.body("<login/>").send().await.unwrap(), 415).await;
    let problem = expect_problem(api.login_raw(json!({})).await, 400).await;
    let at: Vec<&str> = problem.errors.iter().map(|e| e.location.as_str()).collect();
    assert_eq!(at, ["$request.body#/username", "$request.body#/password"]);
}
