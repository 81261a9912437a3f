//! The admin API's safety: the body limit everywhere, JSON only for calls
//! that change state, Host and Origin checked, the admin token; CORS `*`
//! without credentials.

use mock_server::{Cors, MockServer};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{connect, expect_problem, send, until_seen, Api};

async fn status(req: reqwest::RequestBuilder) -> StatusCode {
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn the_body_limit_holds_on_the_admin_api_without_reading_the_body() {
    let api = Api::start().await;
    // 300 MiB declared; not a byte of it is sent (or read).
    let mut conn = connect(&api.server).await;
    let head = format!(
        "POST /__mock/clock/advance HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        300u64 << 20
    );
    send(&mut conn, head.as_bytes()).await;
    let got = until_seen(&mut conn, "exceeds").await;
    assert!(got.starts_with("HTTP/1.1 413"), "{got}");
    // Sent in full past a small limit, it is refused as well.
    let api = Api::with(MockServer::builder().body_limit(64)).await;
    let big = json!({"seconds": 1, "pad": "x".repeat(200)});
    let resp = api
        .post("/__mock/clock/advance")
        .json(&big)
        .send()
        .await
        .unwrap();
    expect_problem(resp, 413).await;
    assert_eq!(api.server.clock().offset, 0);
}

#[tokio::test]
async fn state_changing_admin_calls_take_json_or_no_body() {
    let api = Api::start().await;
    let form = api
        .post("/__mock/clock/advance")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("seconds=60");
    let problem = expect_problem(form.send().await.unwrap(), 415).await;
    assert!(
        problem.detail.contains("application/json"),
        "{}",
        problem.detail
    );
    let text = api
        .post("/__mock/reset")
        .header("content-type", "text/plain")
        .body("{}");
    expect_problem(text.send().await.unwrap(), 415).await;
    let untyped = api.post("/__mock/clock/advance").body(r#"{"seconds":60}"#);
    expect_problem(untyped.send().await.unwrap(), 415).await;
    assert_eq!(api.server.clock().offset, 0, "nothing was done");
    // What the dashboard, the suite and curl send: JSON, or no body.
    let json = api
        .post_json("/__mock/clock/advance", &json!({"seconds": 60}))
        .await;
    assert_eq!(json.status(), StatusCode::OK);
    let bare = api.post("/__mock/clock/freeze").send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::OK);
    let deleted = api.delete("/__mock/journal").send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_rebound_host_is_refused_on_the_admin_api_only() {
    let api = Api::start().await;
    let rebound = api.get("/__mock/tokens").header("host", "evil.example");
    let problem = expect_problem(rebound.send().await.unwrap(), 403).await;
    assert!(
        problem.detail.contains("evil.example"),
        "{}",
        problem.detail
    );
    let dashboard = api.get("/__mock/ui").header("host", "evil.example:8080");
    expect_problem(dashboard.send().await.unwrap(), 403).await;
    for host in ["localhost:8080", "127.0.0.1", "[::1]:9", "app.localhost"] {
        let resp = api.get("/__mock/clock").header("host", host);
        assert_eq!(status(resp).await, StatusCode::OK, "{host}");
    }
    // The mocked API itself is not the admin API's business.
    let login = api
        .post("/auth/login")
        .header("host", "evil.example")
        .json(&json!({"username": "demo", "password": "demo"}));
    assert_eq!(login.send().await.unwrap().status(), StatusCode::OK);
    // A name allowed on purpose.
    let api = Api::with(MockServer::builder().allowed_host("mock.internal")).await;
    let allowed = api
        .get("/__mock/clock")
        .header("host", "mock.internal:8080");
    assert_eq!(allowed.send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_cross_site_page_cannot_drive_the_admin_api() {
    let api = Api::start().await;
    // A cross-site form POST: refused for its origin (and its type).
    let form = api
        .post("/__mock/reset")
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("");
    expect_problem(form.send().await.unwrap(), 403).await;
    let bare = api.post("/__mock/clock/advance").header("origin", "null");
    expect_problem(bare.send().await.unwrap(), 403).await;
    // The mock's own pages (the dashboard) and the default CORS origins
    // may.
    let own = format!("http://{}", api.server.address());
    for origin in [own.as_str(), "http://localhost:5173"] {
        let resp = api.post("/__mock/clock/freeze").header("origin", origin);
        assert_eq!(status(resp).await, StatusCode::OK, "{origin}");
    }
}

#[tokio::test]
async fn with_an_admin_token_every_admin_call_needs_it() {
    let token = "correct-horse-battery-staple";
    let api = Api::with(MockServer::builder().admin_token(token)).await;
    assert!(api.server.admin_access().contains("admin token"));
    for path in [
        "/__mock/tokens",
        "/__mock/journal",
        "/__mock/api-docs/openapi.json",
    ] {
        let resp = api.get(path).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(resp.headers().contains_key("www-authenticate"), "{path}");
        let wrong = api
            .get(path)
            .bearer_auth("correct-horse-battery-stapl")
            .send();
        assert_eq!(
            wrong.await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        let right = api.get(path).bearer_auth(token).send().await.unwrap();
        assert_eq!(right.status(), StatusCode::OK, "{path}");
    }
    // The dashboard's page holds nothing; it asks for the token.
    let page = api.get("/__mock/ui").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("mock-admin-token"));
    // A preflight carries no token, and is answered.
    let preflight = api
        .client
        .request(reqwest::Method::OPTIONS, api.url("/__mock/reset"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(allowed.contains("authorization"), "{allowed}");
    // The operations need no admin token.
    api.login("demo", "demo").await;
}

#[tokio::test]
async fn cors_star_allows_any_origin_without_credentials() {
    let api = Api::with(MockServer::builder().cors(Cors::Any)).await;
    for origin in ["https://evil.example", "null"] {
        let resp = api
            .post("/auth/login")
            .header("origin", origin)
            .json(&json!({"username": "demo", "password": "demo"}))
            .send()
            .await
            .unwrap();
        let h = resp.headers();
        assert_eq!(h["access-control-allow-origin"], "*", "{origin}");
        assert!(
            !h.contains_key("access-control-allow-credentials"),
            "{origin}"
        );
    }
    // `*` opens the operations, not the admin API, to every page.
    let admin = api
        .post("/__mock/reset")
        .header("origin", "https://evil.example");
    expect_problem(admin.send().await.unwrap(), 403).await;
    // A listed origin is echoed, with credentials.
    let app = "https://app.example.com";
    let api = Api::with(MockServer::builder().cors(Cors::Origins(vec![app.into()]))).await;
    let resp = api.get("/me").header("origin", app).send().await.unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], app);
    assert_eq!(resp.headers()["access-control-allow-credentials"], "true");
}

/// The start banner's `admin access` line (and the one after it), from
/// the binary started with `args` and `env`.
fn banner_admin_lines(args: &[&str], env: &[(&str, &str)]) -> String {
    use std::io::BufRead;
    let mut child = crate::support::mock_binary()
        .args(["--port", "0"])
        .args(args)
        .env_remove("MOCK_ADMIN_TOKEN")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    // The banner ends with the namespaces line.
    let lines: Vec<String> = out
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.trim_start().starts_with("namespaces"))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let at = lines
        .iter()
        .position(|l| l.contains("admin access"))
        .unwrap_or_else(|| panic!("no admin access line: {lines:?}"));
    lines[at..].join("\n")
}

#[test]
fn the_start_banner_says_who_may_use_the_admin_api() {
    let local = banner_admin_lines(&[], &[]);
    assert!(local.contains("open to this machine"), "{local}");
    let secret = "banner-token-never-printed";
    let env = banner_admin_lines(&[], &[("MOCK_ADMIN_TOKEN", secret)]);
    assert!(env.contains("requires the admin token"), "{env}");
    assert!(
        !env.contains(secret) && !env.contains("prefer MOCK_ADMIN_TOKEN"),
        "{env}"
    );
    let argv = banner_admin_lines(&["--admin-token", secret], &[]);
    assert!(argv.contains("prefer MOCK_ADMIN_TOKEN"), "{argv}");
    assert!(!argv.contains(secret), "{argv}");
}
