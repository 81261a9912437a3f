use reqwest::StatusCode;
use serde_json::{json, Value};

use mock_server::{Latency, MockServer};

use crate::support::{
    content_type, expect_problem, mock_binary, save, scratch, Api, Events, Started,
};

#[tokio::test]
async fn watch_reloads_keeps_state_and_survives_a_broken_edit() {
    let dir = scratch();
    let path = dir.join("api.json");
    let mut doc = openapi::reference::reference_json();
    save(&path, &doc);
    let spec = openapi::Spec::from_path(&path).unwrap();
    let api = Api::with(MockServer::builder().spec(spec).watch(&path)).await;
    let mut events = Events::open(&api).await;
    let pair = api.login("demo", "demo").await;

    // A broken edit: the error names where, the last good spec serves on.
    let mut broken = doc.clone();
    broken["paths"]["/me"]["get"]["responses"]["200"] =
        json!({"$ref": "#/components/responses/Nope"});
    save(&path, &broken);
    let error = events.until("spec-error").await;
    assert!(error.contains("#/paths/~1me/get/responses/200"), "{error}");
    assert!(error.contains("#/components/responses/Nope"), "{error}");
    api.me_ok(&pair.access, "demo").await;

    // A good edit: a new operation; sessions and tokens are kept.
    doc["paths"]["/health"] = json!({"get": {
        "operationId": "health",
        "responses": {"200": {"description": "up", "content": {"application/json": {
            "example": {"status": "up"}}}}}
    }});
    save(&path, &doc);
    events.until("spec").await;
    assert_eq!(api.get_json("/health").await, json!({"status": "up"}));
    assert!(api
        .server
        .spec()
        .operations()
        .iter()
        .any(|o| o.path == "/health"));
    api.me_ok(&pair.access, "demo").await;
    api.refresh(&pair.refresh).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_reload_keeps_the_jwt_signing_key_while_the_token_settings_stay() {
    let dir = scratch();
    let path = dir.join("api.json");
    let mut doc = openapi::reference::reference_json();
    doc["x-token-lifecycle"]["tokens"] = json!({"format": "jwt"});
    save(&path, &doc);
    let spec = openapi::Spec::from_path(&path).unwrap();
    let api = Api::with(MockServer::builder().spec(spec).watch(&path)).await;
    let mut events = Events::open(&api).await;
    let before = api.get_json("/.well-known/jwks.json").await;
    assert_eq!(before["keys"].as_array().map(Vec::len), Some(1));
    // An edit elsewhere: tokens signed before it still verify.
    doc["info"]["title"] = json!("edited");
    save(&path, &doc);
    events.until("spec").await;
    assert_eq!(api.get_json("/.well-known/jwks.json").await, before);
    // New token settings: a new key.
    doc["x-token-lifecycle"]["tokens"]["issuer"] = json!("https://other.example");
    save(&path, &doc);
    events.until("spec").await;
    assert_ne!(api.get_json("/.well-known/jwks.json").await, before);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn prefer_delay_holds_one_answer_and_is_bounded() {
    let api = Api::start().await;
    let resp = api
        .post("/auth/login")
        .header("prefer", "delay=300")
        .json(&json!({"username": "demo", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let entry = api.server.journal(1).pop().unwrap();
    assert!(entry.latency_ms >= 300.0, "{entry:?}");

    let resp = api
        .get("/me")
        .header("prefer", "delay=60001")
        .send()
        .await
        .unwrap();
    let p = expect_problem(resp, 400).await;
    assert!(p.detail.contains("60000"), "{}", p.detail);
}

#[tokio::test]
async fn latency_delays_every_answer_within_its_range() {
    let latency = Latency::parse("40..60").unwrap();
    let api = Api::with(MockServer::builder().latency(latency)).await;
    api.login("demo", "demo").await;
    api.get("/nope").send().await.unwrap();
    let journal = api.server.journal(10);
    assert_eq!(journal.len(), 2);
    assert!(journal.iter().all(|e| e.latency_ms >= 40.0), "{journal:?}");
    // Prefer: delay overrides it.
    api.get("/nope")
        .header("prefer", "delay=0")
        .send()
        .await
        .unwrap();
    assert!(Latency::parse("1..60001").is_err());
}

#[tokio::test]
async fn the_index_points_at_the_docs_the_dashboard_and_the_admin_api() {
    let api = Api::start().await;
    let page = api.get("/").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(content_type(&page).starts_with("text/html"));
    let html = page.text().await.unwrap();
    for href in [
        "/__mock/api-docs/",
        "/__mock/ui",
        "/__mock/docs/",
        "/auth/login",
    ] {
        assert!(html.contains(href), "{href} not in the index");
    }
    let index = api
        .get("/")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let index: Value = index.json().await.unwrap();
    assert_eq!(index["title"], api.server.spec().title());
    assert_eq!(index["links"][0]["href"], "/__mock/api-docs/");

    // The docs' document sends "try it out" here, not to the real API.
    let doc = api.get_json("/__mock/api-docs/openapi.json").await;
    assert_eq!(
        doc["servers"],
        json!([{"url": "/", "description": "this mock"}])
    );
    let ui = api
        .get("/__mock/api-docs/")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ui.contains("SwaggerUIBundle") && ui.contains("/auth/refresh"));
    assert!(
        !ui.contains("Mock admin API"),
        "the admin document, not the spec's"
    );
}

#[tokio::test]
async fn a_spec_with_its_own_root_keeps_it() {
    let spec = openapi::Spec::from_value(json!({
        "openapi": "3.0.3",
        "info": {"title": "rooted", "version": "1"},
        "servers": [{"url": "https://api.example.com/v2"}],
        "paths": {"/": {"get": {"responses": {"200": {"description": "root",
            "content": {"application/json": {"example": {"root": true}}}}}}}}
    }))
    .unwrap();
    let api = Api::with(MockServer::builder().spec(spec)).await;
    assert_eq!(api.get_json("/").await, json!({"root": true}));
    let doc = api.get_json("/__mock/api-docs/openapi.json").await;
    assert_eq!(doc["servers"][0]["url"], "/v2");
}

#[test]
fn json_logs_and_cors_refusals_say_what_happened() {
    let mut command = mock_binary();
    command.args(["--port", "0", "--log-format", "json"]);
    let mock = Started::new(command);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let login = client
            .post(format!("{}/auth/login", mock.url))
            .header("origin", "https://app.example.com")
            .json(&json!({"username": "demo", "password": "demo"}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), StatusCode::OK);
        assert!(!login.headers().contains_key("access-control-allow-origin"));
    });
    let log = mock.stop();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let request = lines
        .iter()
        .find(|l| l["target"] == "mock_server::request")
        .unwrap_or_else(|| panic!("no request line: {log}"));
    assert_eq!(request["level"], "INFO");
    assert_eq!(request["method"], "POST");
    assert_eq!(request["path"], "/auth/login");
    assert_eq!(request["status"], 200);
    assert_eq!(request["outcome"], "success");
    assert_eq!(request["namespace"], "default");
    assert!(request["latency_ms"].as_f64().is_some(), "{request}");
    let cors = lines
        .iter()
        .find(|l| l["target"] == "mock_server::cors")
        .unwrap_or_else(|| panic!("no CORS line: {log}"));
    assert_eq!(cors["level"], "WARN");
    assert_eq!(cors["origin"], "https://app.example.com");
    let message = cors["message"].as_str().unwrap();
    assert!(
        message.contains("--cors-origin https://app.example.com"),
        "{message}"
    );
}

#[test]
fn completions_and_the_man_page_come_from_the_binary() {
    let run = |args: &[&str]| {
        let out = mock_binary().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let bash = run(&["completions", "bash"]);
    assert!(
        bash.contains("_mock__server") && bash.contains("--watch"),
        "{bash}"
    );
    let zsh = run(&["completions", "zsh"]);
    assert!(zsh.contains("#compdef mock-server"), "{zsh}");
    let man = run(&["man"]);
    assert!(
        man.contains(".TH mock-server") && man.contains("latency"),
        "{man}"
    );
}
