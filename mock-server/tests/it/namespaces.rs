use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use mock_server::MockServer;

use crate::support::{expect_401, expect_problem, json, pair, Api};

/// A client whose every request names `namespace`.
fn client_in(namespace: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-mock-namespace", namespace.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// What a conformance run does to the mock, in namespace `ns`: reset,
/// freeze the clock, log in, refresh, reuse (ending the session), log out,
/// and move the clock a day ahead.
async fn suite_like_run(api: &Api, ns: &str) {
    let c = client_in(ns);
    let url = |p: &str| api.url(p);
    let ok = |r: reqwest::Response| {
        assert!(r.status().is_success(), "{ns}: {r:?}");
        r
    };
    ok(c.post(url("/__mock/reset")).send().await.unwrap());
    ok(c.post(url("/__mock/clock/freeze")).send().await.unwrap());
    let login = json!({"username": "demo", "password": "demo"});
    let log_in = || c.post(url("/auth/login")).json(&login).send();
    let first = pair(log_in().await.unwrap()).await;
    let refresh = |t: &str| {
        c.post(url("/auth/refresh"))
            .json(&json!({"refreshToken": t}))
            .send()
    };
    let second = pair(refresh(&first.refresh).await.unwrap()).await;
    expect_401(
        refresh(&first.refresh).await.unwrap(),
        "RefreshToken Invalid",
    )
    .await;
    let third = pair(log_in().await.unwrap()).await;
    let logout = c.post(url("/auth/logout")).bearer_auth(&third.access);
    assert_eq!(logout.send().await.unwrap().status(), 204);
    let day = json!({"seconds": 86_400});
    ok(c.post(url("/__mock/clock/advance"))
        .json(&day)
        .send()
        .await
        .unwrap());
    let me = c.get(url("/me")).bearer_auth(&second.access);
    expect_401(me.send().await.unwrap(), "Token expired").await;
}

/// The proof: a frontend session lives in the default namespace
/// while suite-like runs (two at once) use the same mock in namespaces of
/// their own; afterwards the frontend's tokens still work and its clock is
/// untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suite_run_in_its_namespace_leaves_the_developers_state_alone() {
    let api = Api::start().await;
    let frontend = api.login("demo", "demo").await;
    let clock_before = api.server.clock();
    assert!(!clock_before.frozen);

    let runs = ["run-1", "run-2"].map(|ns| suite_like_run(&api, ns));
    let page = async {
        // The frontend keeps using the mock meanwhile.
        for _ in 0..5 {
            api.me_ok(&frontend.access, "demo").await;
        }
    };
    futures::join!(join_all(runs), page);

    api.me_ok(&frontend.access, "demo").await;
    let clock_after = api.server.clock();
    assert!(!clock_after.frozen, "the developer's clock was frozen");
    assert_eq!(clock_after.offset, 0, "the developer's clock was moved");
    assert_eq!(api.server.sessions().len(), 1);
    assert!(api.server.sessions()[0].live);
    assert!(api.server.tokens().iter().all(|t| t.usable));
    let journal = api.server.journal(1000);
    assert_eq!(
        journal.len(),
        7,
        "only the frontend's requests: {journal:?}"
    );
    let refreshed = api.refresh(&frontend.refresh).await;
    api.me_ok(&refreshed.access, "demo").await;

    // Each run's namespace has its own state, clock and journal. A day
    // on, every token of its two sessions has expired, so the sessions
    // are forgotten; the namespace list still counts them.
    let listed = api.get_json("/__mock/namespaces").await;
    for ns in ["run-1", "run-2"] {
        let space = api.server.namespace(ns).expect("made by the run");
        let clock = space.clock();
        assert!(clock.frozen && clock.offset == 86_400, "{ns}: {clock:?}");
        assert!(space.sessions().is_empty(), "{ns}");
        let counts = listed["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == ns)
            .map(|n| (n["sessions"].clone(), n["liveSessions"].clone()));
        assert_eq!(counts, Some((json!(2), json!(0))), "{ns}");
        assert_eq!(space.journal(1000).len(), 6, "{ns}");
    }
}

#[tokio::test]
async fn tokens_of_one_namespace_mean_nothing_in_another() {
    let api = Api::start().await;
    let theirs = pair(
        client_in("other")
            .post(api.url("/auth/login"))
            .json(&json!({"username": "demo", "password": "demo"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    expect_401(api.me(&theirs.access).await, "Invalid token").await;
    let me = client_in("other")
        .get(api.url("/me"))
        .bearer_auth(&theirs.access);
    assert_eq!(me.send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn the_admin_api_lists_targets_and_deletes_namespaces() {
    let api = Api::start().await;
    api.login("demo", "demo").await;
    let c = client_in("ci-42");
    let frozen = c
        .post(api.url("/__mock/clock/freeze"))
        .send()
        .await
        .unwrap();
    assert_eq!(json(frozen).await["frozen"], true);
    assert!(!api.server.clock().frozen, "the default clock runs on");
    // EventSource cannot send headers: the query names a namespace too.
    let clock = api.get_json("/__mock/clock?namespace=ci-42").await;
    assert_eq!(clock["frozen"], true);

    let list = api.get_json("/__mock/namespaces").await;
    assert_eq!(list["max"], mock_server::DEFAULT_MAX_NAMESPACES);
    let brief: Vec<Value> = list["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            json!([
                n["name"],
                n["sessions"],
                n["liveSessions"],
                n["clock"]["frozen"]
            ])
        })
        .collect();
    assert_eq!(
        brief,
        [
            json!(["ci-42", 0, 0, true]),
            json!(["default", 1, 1, false])
        ]
    );
    assert_eq!(api.server.namespaces(), ["ci-42", "default"]);

    let gone = api.delete("/__mock/namespaces/ci-42").send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert!(api.server.namespace("ci-42").is_none());
    expect_problem(
        api.delete("/__mock/namespaces/ci-42").send().await.unwrap(),
        404,
    )
    .await;
    let p = expect_problem(
        api.delete("/__mock/namespaces/default")
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    assert!(p.detail.contains("reset"), "{}", p.detail);
}

#[tokio::test]
async fn past_the_bound_a_new_namespace_is_a_409_and_a_bad_name_a_400() {
    let api = Api::with(MockServer::builder().max_namespaces(2)).await;
    let login = |ns: &str| {
        client_in(ns)
            .post(api.url("/auth/login"))
            .json(&json!({"username": "demo", "password": "demo"}))
            .send()
    };
    assert_eq!(login("a").await.unwrap().status(), StatusCode::OK);
    let p = expect_problem(login("b").await.unwrap(), 409).await;
    assert!(
        p.detail.contains("2 namespaces") && p.detail.contains("DELETE /__mock/namespaces/"),
        "{}",
        p.detail
    );
    // Existing namespaces go on working; nothing was evicted.
    assert_eq!(login("a").await.unwrap().status(), StatusCode::OK);
    api.login("demo", "demo").await;
    let admin = client_in("b").get(api.url("/__mock/sessions")).send().await;
    expect_problem(admin.unwrap(), 409).await;

    let p = expect_problem(login("no spaces").await.unwrap(), 400).await;
    assert!(p.detail.contains("x-mock-namespace"), "{}", p.detail);
}

#[tokio::test]
async fn pages_may_send_the_namespace_header() {
    let api = Api::start().await;
    for path in ["/auth/login", "/__mock/reset"] {
        let resp = api
            .client
            .request(reqwest::Method::OPTIONS, api.url(path))
            .header("origin", "http://localhost:5173")
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, x-mock-namespace",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NO_CONTENT, "{path}");
        let allowed = resp.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap();
        assert!(allowed.contains("x-mock-namespace"), "{path}: {allowed}");
    }
}
