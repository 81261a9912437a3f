use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{content_type, expect_401, Api};

async fn get_json(api: &Api, path: &str) -> Value {
    let resp = api.get(path).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn reset_forgets_tokens() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let resp = api.post("/__mock/reset").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    expect_401(api.me(&pair.access).await, "Invalid token").await;
    expect_401(api.refresh_raw(&pair.refresh).await, "RefreshToken Invalid").await;
    // Accounts stay.
    api.login("demo", "demo").await;
}

#[tokio::test]
async fn reset_puts_the_clock_back() {
    let api = Api::start().await;
    api.server.advance_clock(1000);
    assert_eq!(get_json(&api, "/__mock/clock").await["offset"], 1000);
    api.post("/__mock/reset").send().await.unwrap();
    assert_eq!(get_json(&api, "/__mock/clock").await["offset"], 0);
}

#[tokio::test]
async fn clock_advance_moves_time() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let resp = api
        .post("/__mock/clock/advance")
        .json(&json!({"seconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let clock: Value = resp.json().await.unwrap();
    assert_eq!(clock["offset"], 3600);
    assert!(clock["now"].as_u64().unwrap() > 3600);
    expect_401(api.me(&pair.access).await, "Token expired").await;
}

#[tokio::test]
async fn sessions_show_user_and_liveness() {
    let api = Api::start().await;
    let demo = api.login("demo", "demo").await;
    api.login("alice", "alice-secret").await;
    let sessions = get_json(&api, "/__mock/sessions").await;
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["username"], "demo");
    assert_eq!(sessions[0]["live"], true);
    assert_eq!(sessions[1]["username"], "alice");
    assert!(sessions[0]["id"].is_u64() && sessions[0]["startedAt"].is_u64());

    assert_eq!(api.logout(&demo.access).await.status(), 204);
    let sessions = get_json(&api, "/__mock/sessions").await;
    assert_eq!(sessions[0]["live"], false);
    assert_eq!(sessions[1]["live"], true);
}

#[tokio::test]
async fn tokens_show_kind_state_and_usability() {
    let api = Api::start().await;
    let first = api.login("demo", "demo").await;
    let second = api.refresh(&first.refresh).await;
    let revoked = api.login("alice", "alice-secret").await;
    api.revoke(&revoked.refresh).await;

    let tokens = get_json(&api, "/__mock/tokens").await;
    let tokens = tokens.as_array().unwrap();
    assert_eq!(tokens.len(), 6);
    let find = |t: &str| tokens.iter().find(|x| x["token"] == t).unwrap();
    let view = |t: &str| {
        let x = find(t);
        (
            x["kind"].as_str().unwrap().to_owned(),
            x["state"].as_str().unwrap().to_owned(),
            x["usable"].as_bool().unwrap(),
        )
    };
    let v = |k: &str, s: &str, u: bool| (k.to_owned(), s.to_owned(), u);
    assert_eq!(view(&first.access), v("access", "live", true));
    assert_eq!(view(&first.refresh), v("refresh", "spent", false));
    assert_eq!(view(&second.access), v("access", "live", true));
    assert_eq!(view(&second.refresh), v("refresh", "live", true));
    assert_eq!(view(&revoked.access), v("access", "live", true));
    assert_eq!(view(&revoked.refresh), v("refresh", "revoked", false));
    assert_eq!(
        find(&first.access)["session"],
        find(&second.refresh)["session"]
    );
    assert_ne!(
        find(&first.access)["session"],
        find(&revoked.access)["session"]
    );

    // Logout leaves the states but makes nothing of the session usable.
    api.logout(&second.access).await;
    let tokens = get_json(&api, "/__mock/tokens").await;
    let usable = |t: &str| {
        tokens
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["token"] == t)
            .unwrap()["usable"]
            .clone()
    };
    assert_eq!(usable(&second.access), false);
    assert_eq!(usable(&second.refresh), false);
    assert_eq!(usable(&revoked.access), true);
}

#[tokio::test]
async fn the_journal_lists_requests() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    api.login_raw(json!({"username": "demo", "password": "x"}))
        .await;
    api.me(&pair.access).await;
    api.get("/nope?x=1").send().await.unwrap();
    let journal = get_json(&api, "/__mock/journal").await;
    let entries = journal.as_array().unwrap();
    assert_eq!(entries.len(), 4, "admin calls are not journaled: {journal}");
    let brief: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!([
                e["method"],
                e["uri"],
                e["status"],
                e["operation"],
                e["outcome"]
            ])
        })
        .collect();
    assert_eq!(
        brief,
        [
            json!(["POST", "/auth/login", 200, "login", "success"]),
            json!(["POST", "/auth/login", 401, "login", "invalidCredentials"]),
            json!(["GET", "/me", 200, "me", "success"]),
            json!(["GET", "/nope?x=1", 404, null, null]),
        ]
    );
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));

    let last = get_json(&api, "/__mock/journal?limit=1").await;
    assert_eq!(last.as_array().unwrap().len(), 1);
    assert_eq!(last[0]["status"], 404);

    assert_eq!(
        api.delete("/__mock/journal").send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(get_json(&api, "/__mock/journal").await, json!([]));
}

#[tokio::test]
async fn bad_admin_input_is_4xx() {
    let api = Api::start().await;
    let raw = |body: &'static str, ct: &'static str| {
        api.post("/__mock/clock/advance")
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let json_ct = "application/json";
    let cases = [
        (
            "negative",
            raw(r#"{"seconds": -5}"#, json_ct).await.unwrap(),
        ),
        ("string", raw(r#"{"seconds": "x"}"#, json_ct).await.unwrap()),
        ("float", raw(r#"{"seconds": 1.5}"#, json_ct).await.unwrap()),
        (
            "too far",
            raw(r#"{"seconds": 315360001}"#, json_ct).await.unwrap(),
        ),
        (
            "overflow",
            raw(r#"{"seconds": 1e30}"#, json_ct).await.unwrap(),
        ),
        ("missing", raw("{}", json_ct).await.unwrap()),
        ("null", raw("null", json_ct).await.unwrap()),
        ("malformed", raw("{", json_ct).await.unwrap()),
        ("empty", raw("", json_ct).await.unwrap()),
        (
            "text",
            raw(r#"{"seconds": 1}"#, "text/plain").await.unwrap(),
        ),
        (
            "limit not a number",
            api.get("/__mock/journal?limit=abc").send().await.unwrap(),
        ),
        (
            "limit too big",
            api.get("/__mock/journal?limit=5000").send().await.unwrap(),
        ),
        (
            "limit negative",
            api.get("/__mock/journal?limit=-1").send().await.unwrap(),
        ),
        (
            "unknown admin path",
            api.get("/__mock/nope").send().await.unwrap(),
        ),
        (
            "wrong admin method",
            api.get("/__mock/reset").send().await.unwrap(),
        ),
    ];
    for (what, resp) in cases {
        assert!(resp.status().is_client_error(), "{what}: {}", resp.status());
    }
    // Nothing moved the clock.
    assert_eq!(get_json(&api, "/__mock/clock").await["offset"], 0);
}

#[tokio::test]
async fn the_admin_openapi_document_is_reviewed() {
    let api = Api::start().await;
    let resp = api.get("/__mock/openapi.json").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(content_type(&resp).starts_with("application/json"));
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["info"]["title"], "Mock admin API");
    insta::assert_json_snapshot!("admin_openapi", doc);
}

#[tokio::test]
async fn the_admin_serves_swagger_ui() {
    let api = Api::start().await;
    let resp = api.get("/__mock/docs/").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(content_type(&resp).starts_with("text/html"));
    let html = resp.text().await.unwrap();
    assert!(html.to_ascii_lowercase().contains("swagger"));
}

#[tokio::test]
async fn the_admin_serves_the_mocked_spec() {
    let api = Api::start().await;
    let spec = get_json(&api, "/__mock/spec").await;
    assert_eq!(spec, openapi::reference::reference_json());
}

#[tokio::test]
async fn a_frozen_clock_moves_only_when_advanced() {
    let api = Api::start().await;
    api.freeze_clock().await;
    let before = get_json(&api, "/__mock/clock").await;
    assert_eq!(before["frozen"], true);
    let after: Value = api
        .post("/__mock/clock/advance")
        .json(&json!({"seconds": 10}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        after["now"].as_u64().unwrap(),
        before["now"].as_u64().unwrap() + 10
    );
    let resumed: Value = api
        .post("/__mock/clock/resume")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resumed["frozen"], false);
    // Reset unfreezes too.
    api.freeze_clock().await;
    api.post("/__mock/reset").send().await.unwrap();
    assert_eq!(get_json(&api, "/__mock/clock").await["frozen"], false);
}
