use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{content_type, expect_401, expect_problem, json, Api};

/// `POST path` of the admin API, with a JSON body if any, which must answer
/// 200; its JSON body.
async fn post_ok(api: &Api, path: &str, body: Option<Value>) -> Value {
    let resp = match body {
        Some(body) => api.post_json(path, &body).await,
        None => api.post(path).send().await.unwrap(),
    };
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    json(resp).await
}

/// `POST /__mock/clock/freeze`, which must answer the frozen clock.
async fn freeze(api: &Api) {
    let clock = post_ok(api, "/__mock/clock/freeze", None).await;
    assert_eq!(clock["frozen"], true);
}

/// `GET path`, which must answer 200 with a body of media type `media`.
async fn get_ok(api: &Api, path: &str, media: &str) -> reqwest::Response {
    let resp = api.get(path).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(content_type(&resp).starts_with(media));
    resp
}

#[tokio::test]
async fn reset_forgets_tokens() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let resp = api.post("/__mock/reset").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    expect_401(api.me(&pair.access).await, "Invalid token").await;
    api.refresh_refused(&pair.refresh, "RefreshToken Invalid")
        .await;
    // Accounts stay.
    api.login("demo", "demo").await;
}

#[tokio::test]
async fn reset_puts_the_clock_back() {
    let api = Api::start().await;
    api.server.advance_clock(1000);
    assert_eq!(api.get_json("/__mock/clock").await["offset"], 1000);
    api.post("/__mock/reset").send().await.unwrap();
    assert_eq!(api.get_json("/__mock/clock").await["offset"], 0);
}

#[tokio::test]
async fn clock_advance_moves_time() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    let advance = json!({"seconds": 3600});
    let clock = post_ok(&api, "/__mock/clock/advance", Some(advance)).await;
    assert_eq!(clock["offset"], 3600);
    assert!(clock["now"].as_u64().unwrap() > 3600);
    expect_401(api.me(&pair.access).await, "Token expired").await;
}

#[tokio::test]
async fn sessions_show_user_and_liveness() {
    let api = Api::start().await;
    let demo = api.login("demo", "demo").await;
    api.login("alice", "alice-secret").await;
    let sessions = api.get_json("/__mock/sessions").await;
    assert!(sessions.get("next").is_none(), "one page: {sessions}");
    let sessions = sessions["items"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["username"], "demo");
    assert_eq!(sessions[0]["live"], true);
    assert_eq!(sessions[1]["username"], "alice");
    assert!(sessions[0]["id"].is_u64() && sessions[0]["startedAt"].is_u64());

    assert_eq!(api.logout(&demo.access).await.status(), 204);
    let sessions = &api.get_json("/__mock/sessions").await["items"];
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

    let tokens = api.get_json("/__mock/tokens").await;
    let tokens = tokens["items"].as_array().unwrap();
    // Each session's newest tokens: the first pair was superseded by the
    // refresh, so it is not listed (it is still judged when presented).
    assert_eq!(tokens.len(), 4);
    for old in [&first.access, &first.refresh] {
        assert!(tokens.iter().all(|x| x["token"] != old.as_str()));
    }
    api.me_ok(&first.access, "demo").await;
    api.refresh_refused(&first.refresh, "RefreshToken Invalid")
        .await;
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
    assert_eq!(view(&second.access), v("access", "live", true));
    assert_eq!(view(&second.refresh), v("refresh", "live", true));
    assert_eq!(view(&revoked.access), v("access", "live", true));
    assert_eq!(view(&revoked.refresh), v("refresh", "revoked", false));
    assert_eq!(
        find(&second.access)["session"],
        find(&second.refresh)["session"]
    );
    assert_ne!(
        find(&second.access)["session"],
        find(&revoked.access)["session"]
    );

    // Logout leaves the states but makes nothing of the session usable.
    api.logout(&second.access).await;
    let tokens = api.get_json("/__mock/tokens").await;
    let usable = |t: &str| {
        tokens["items"]
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
    let journal = api.get_json("/__mock/journal").await;
    let entries = journal["items"].as_array().unwrap();
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

    let last = api.get_json("/__mock/journal?limit=1").await;
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert_eq!(last["items"][0]["status"], 404);

    assert_eq!(
        api.delete("/__mock/journal").send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(api.get_json("/__mock/journal").await, json!({"items": []}));
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
        let status = resp.status();
        assert!(status.is_client_error(), "{what}: {status}");
        // Admin errors are the mock's problem documents too.
        expect_problem(resp, status.as_u16()).await;
    }
    // Nothing moved the clock.
    assert_eq!(api.get_json("/__mock/clock").await["offset"], 0);
}

#[tokio::test]
async fn the_admin_openapi_document_is_reviewed() {
    let api = Api::start().await;
    let resp = get_ok(&api, "/__mock/openapi.json", "application/json").await;
    let doc = json(resp).await;
    assert_eq!(doc["info"]["title"], "Mock admin API");
    insta::assert_json_snapshot!("admin_openapi", doc);
}

#[tokio::test]
async fn the_admin_serves_swagger_ui() {
    let api = Api::start().await;
    let resp = get_ok(&api, "/__mock/docs/", "text/html").await;
    let html = resp.text().await.unwrap();
    assert!(html.to_ascii_lowercase().contains("swagger"));
}

#[tokio::test]
async fn the_admin_serves_the_mocked_spec() {
    let api = Api::start().await;
    let spec = api.get_json("/__mock/spec").await;
    assert_eq!(spec, openapi::reference::reference_json());
}

#[tokio::test]
async fn a_frozen_clock_moves_only_when_advanced() {
    let api = Api::start().await;
    freeze(&api).await;
    let before = api.get_json("/__mock/clock").await;
    assert_eq!(before["frozen"], true);
    let after = post_ok(&api, "/__mock/clock/advance", Some(json!({"seconds": 10}))).await;
    assert_eq!(
        after["now"].as_u64().unwrap(),
        before["now"].as_u64().unwrap() + 10
    );
    let resumed = post_ok(&api, "/__mock/clock/resume", None).await;
    assert_eq!(resumed["frozen"], false);
    // Reset unfreezes too.
    freeze(&api).await;
    api.post("/__mock/reset").send().await.unwrap();
    assert_eq!(api.get_json("/__mock/clock").await["frozen"], false);
}

/// `MockServer`'s accessors and the admin API show one state.
#[tokio::test]
async fn the_rust_accessors_show_what_the_admin_api_shows() {
    let api = Api::start().await;
    api.freeze_clock(); // the words below count seconds
                        // A logged-out session, a refreshed one, time gone by.
    let alice = api.login("alice", "alice-secret").await;
    assert_eq!(api.logout(&alice.access).await.status(), 204);
    let first = api.login("demo", "demo").await;
    api.refresh(&first.refresh).await;
    api.server.advance_clock(60);

    let sessions = api.get_json("/__mock/sessions").await;
    assert_eq!(
        serde_json::to_value(api.server.sessions()).unwrap(),
        sessions["items"]
    );
    let mut tokens = api.get_json("/__mock/tokens").await["items"].take();
    assert_eq!(tokens.as_array().unwrap().len(), 4);
    // The admin API adds what a person reads: the five-word status, why,
    // and the fingerprint the journal shows instead of the token.
    let mut statuses: Vec<(String, String)> = tokens
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .map(|t| {
            let t = t.as_object_mut().unwrap();
            assert!(t
                .remove("fingerprint")
                .unwrap()
                .as_str()
                .unwrap()
                .starts_with('#'));
            let text = |v: Value| v.as_str().unwrap().to_owned();
            (
                text(t.remove("status").unwrap()),
                text(t.remove("why").unwrap()),
            )
        })
        .collect();
    statuses.sort();
    assert_eq!(serde_json::to_value(api.server.tokens()).unwrap(), tokens);
    let expected = [
        ("ended", "session 0 ended by logout 60 s ago"),
        ("ended", "session 0 ended by logout 60 s ago"),
        ("live", "expires in 3540 s"),
        ("live", "expires in 86340 s"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(s, w)| (s.to_string(), w.to_string()))
        .collect();
    assert_eq!(statuses, expected);
    let clock = api.get_json("/__mock/clock").await;
    assert_eq!(serde_json::to_value(api.server.clock()).unwrap(), clock);
    // The admin calls are not journaled, so both see the same entries.
    let journal = api.get_json("/__mock/journal").await;
    assert_eq!(
        serde_json::to_value(api.server.journal(1000)).unwrap(),
        journal["items"]
    );

    api.server.clear_journal();
    assert_eq!(api.get_json("/__mock/journal").await, json!({"items": []}));
    api.server.freeze_clock();
    assert_eq!(api.get_json("/__mock/clock").await["frozen"], true);
    api.server.resume_clock();
    assert_eq!(api.get_json("/__mock/clock").await["frozen"], false);
    api.server.reset();
    assert_eq!(api.get_json("/__mock/sessions").await, json!({"items": []}));
    assert!(api.server.tokens().is_empty());
}

/// Every page of a listing, following `next` from the first.
async fn all_pages(api: &Api, path: &str) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut url = path.to_owned();
    loop {
        let page = api.get_json(&url).await;
        pages.push(page["items"].as_array().unwrap().clone());
        match page.get("next").and_then(Value::as_str) {
            Some(next) => url = format!("{path}&cursor={next}"),
            None => return pages,
        }
        assert!(pages.len() < 100, "the pages do not end");
    }
}

#[tokio::test]
async fn listings_come_a_page_at_a_time() {
    let api = Api::start().await;
    for _ in 0..5 {
        api.login("demo", "demo").await;
    }
    let sizes = |pages: &[Vec<Value>]| pages.iter().map(Vec::len).collect::<Vec<_>>();
    let sessions = all_pages(&api, "/__mock/sessions?limit=2").await;
    assert_eq!(sizes(&sessions), [2, 2, 1]);
    let ids: Vec<u64> = sessions
        .concat()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [0, 1, 2, 3, 4]);

    let tokens = all_pages(&api, "/__mock/tokens?limit=3").await;
    assert_eq!(sizes(&tokens), [3, 3, 3, 1]);
    let all = tokens.concat();
    let unique: std::collections::HashSet<_> = all.iter().map(|t| t["token"].clone()).collect();
    assert_eq!(unique.len(), 10, "every token once");
    let whole = api.get_json("/__mock/tokens?limit=1000").await;
    assert_eq!(whole["items"].as_array().unwrap(), &all, "the same order");

    // The journal pages back in time: the newest first, each page oldest
    // first, `next` to older entries.
    let journal = all_pages(&api, "/__mock/journal?limit=2").await;
    assert_eq!(sizes(&journal), [2, 2, 1]);
    let seqs: Vec<Vec<u64>> = journal
        .iter()
        .map(|p| p.iter().map(|e| e["seq"].as_u64().unwrap()).collect())
        .collect();
    assert_eq!(seqs, [vec![4, 5], vec![2, 3], vec![1]]);
}

#[tokio::test]
async fn a_bad_page_request_is_a_400_problem() {
    let api = Api::start().await;
    api.login("demo", "demo").await;
    api.login("demo", "demo").await;
    let page = api.get_json("/__mock/sessions?limit=1").await;
    let sessions_cursor = page["next"].as_str().unwrap().to_owned();
    for path in [
        "/__mock/sessions?limit=0".to_owned(),
        "/__mock/tokens?limit=1001".to_owned(),
        "/__mock/journal?limit=-1".to_owned(),
        "/__mock/sessions?cursor=garbage".to_owned(),
        "/__mock/journal?cursor=".to_owned(),
        // A cursor of another listing.
        format!("/__mock/tokens?cursor={sessions_cursor}"),
        format!("/__mock/journal?cursor={sessions_cursor}"),
    ] {
        let resp = api.get(&path).send().await.unwrap();
        expect_problem(resp, 400).await;
    }
}
