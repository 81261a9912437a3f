use mock_server::{Cors, MockServer};
use reqwest::header::HeaderMap;
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

use crate::support::Api;

const ORIGIN: &str = "http://localhost:5173";
const EVIL: &str = "https://evil.example";

fn get<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn list(h: &HeaderMap, name: &str) -> Vec<String> {
    get(h, name)
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

async fn preflight(api: &Api, origin: &str) -> Response {
    api.client
        .request(Method::OPTIONS, api.url("/auth/login"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap()
}

async fn login_from(api: &Api, origin: &str, password: &str) -> Response {
    api.post("/auth/login")
        .header("origin", origin)
        .json(&json!({"username": "demo", "password": password}))
        .send()
        .await
        .unwrap()
}

fn assert_no_cors(h: &HeaderMap) {
    let cors: Vec<&str> = h
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "unexpected CORS headers: {cors:?}");
}

#[tokio::test]
async fn a_localhost_preflight_is_allowed() {
    let api = Api::start().await;
    let resp = preflight(&api, ORIGIN).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let h = resp.headers();
    assert_eq!(get(h, "access-control-allow-origin"), Some(ORIGIN));
    assert!(list(h, "access-control-allow-methods").contains(&"post".to_owned()));
    let allowed = list(h, "access-control-allow-headers");
    assert!(allowed.contains(&"content-type".to_owned()), "{allowed:?}");
    assert!(allowed.contains(&"authorization".to_owned()), "{allowed:?}");
    assert_eq!(get(h, "access-control-allow-credentials"), Some("true"));
    assert!(list(h, "vary").contains(&"origin".to_owned()));
    assert!(resp.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_actual_localhost_request_gets_cors_headers() {
    let api = Api::start().await;
    for (password, status) in [("demo", 200), ("wrong", 401)] {
        let resp = login_from(&api, ORIGIN, password).await;
        assert_eq!(resp.status(), status);
        let h = resp.headers();
        assert_eq!(get(h, "access-control-allow-origin"), Some(ORIGIN));
        assert_eq!(get(h, "access-control-allow-credentials"), Some("true"));
        let exposed = list(h, "access-control-expose-headers");
        assert!(
            exposed.contains(&"www-authenticate".to_owned()),
            "{exposed:?}"
        );
    }
    for origin in [
        "http://127.0.0.1:3000",
        "http://[::1]:8000",
        "http://localhost",
    ] {
        let resp = login_from(&api, origin, "demo").await;
        assert_eq!(
            get(resp.headers(), "access-control-allow-origin"),
            Some(origin)
        );
    }
}

#[tokio::test]
async fn other_origins_get_no_cors_headers_by_default() {
    let api = Api::start().await;
    for origin in [
        EVIL,
        "http://localhost.evil.example",
        "null",
        "http://localhost5173",
    ] {
        let resp = preflight(&api, origin).await;
        assert!(!resp.status().is_server_error());
        assert_no_cors(resp.headers());
        let resp = login_from(&api, origin, "demo").await;
        assert_eq!(resp.status(), 200, "the request itself is answered");
        assert_no_cors(resp.headers());
    }
}

#[tokio::test]
async fn cors_any_allows_every_origin_without_credentials() {
    let api = Api::with(MockServer::builder().cors(Cors::Any)).await;
    let resp = preflight(&api, EVIL).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get(resp.headers(), "access-control-allow-origin"),
        Some("*")
    );
    let resp = login_from(&api, EVIL, "demo").await;
    assert_eq!(
        get(resp.headers(), "access-control-allow-origin"),
        Some("*")
    );
    assert_eq!(
        get(resp.headers(), "access-control-allow-credentials"),
        None
    );
    let exposed = list(resp.headers(), "access-control-expose-headers");
    assert!(exposed.contains(&"www-authenticate".to_owned()));
}

#[tokio::test]
async fn cors_off_and_explicit_origins() {
    let api = Api::with(MockServer::builder().cors(Cors::Off)).await;
    assert_no_cors(preflight(&api, ORIGIN).await.headers());
    assert_no_cors(login_from(&api, ORIGIN, "demo").await.headers());

    let app = "https://app.example.com";
    let api = Api::with(MockServer::builder().cors(Cors::Origins(vec![app.into()]))).await;
    assert_eq!(
        get(
            preflight(&api, app).await.headers(),
            "access-control-allow-origin"
        ),
        Some(app)
    );
    assert_no_cors(preflight(&api, ORIGIN).await.headers());
}

#[tokio::test]
async fn a_preflight_of_an_unknown_path_is_no_5xx() {
    let api = Api::start().await;
    let resp = api
        .client
        .request(Method::OPTIONS, api.url("/nope"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn error_answers_carry_cors_headers_too() {
    let api = Api::start().await;
    let cases = [
        (Method::GET, "/nope", 404),
        (Method::GET, "/auth/login", 405),
        (Method::GET, "/me", 401),
        (Method::POST, "/auth/refresh", 400),
        (Method::POST, "/auth/logout", 401),
    ];
    for (method, path, status) in cases {
        let resp = api
            .client
            .request(method, api.url(path))
            .header("origin", ORIGIN)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{path}");
        assert_eq!(
            get(resp.headers(), "access-control-allow-origin"),
            Some(ORIGIN),
            "{path}"
        );
    }
}
