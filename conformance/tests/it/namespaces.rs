//! A run of the suite against the mock a frontend developer is using
//! leaves their state alone: it runs in a namespace of its own, which it
//! forgets at the end, and runs in parallel do not meet.

use serde_json::{json, Value};

use crate::support::{config, Served};

/// A frontend's session in the default namespace, over plain HTTP.
fn frontend_login(uri: &str) -> Value {
    let resp = reqwest::blocking::Client::new()
        .post(format!("{uri}/auth/login"))
        .json(&json!({"username": "demo", "password": "demo"}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().unwrap()
}

#[test]
fn a_suite_run_leaves_the_developers_namespace_alone() {
    let served = Served::start(openapi::reference_spec());
    let uri = served.uri();
    let tokens = frontend_login(&uri);
    let before = served.server.clock();
    let reference = openapi::reference::reference_json();
    // Two runs at once, each in its own namespace.
    let runs: Vec<conformance::Report> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=2)
            .map(|seed| {
                let (uri, doc) = (uri.clone(), reference.clone());
                s.spawn(move || {
                    conformance::run(&config(&uri, doc, 5, seed), &conformance::NoProgress)
                        .expect("the run completes")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for report in &runs {
        assert!(report.passed(), "{}", report.to_text());
    }
    // The developer's clock was neither frozen nor moved, and their
    // session lives: the access token works, the refresh token refreshes.
    let after = served.server.clock();
    assert!(!after.frozen);
    assert_eq!(after.offset, before.offset);
    let client = reqwest::blocking::Client::new();
    let me = client
        .get(format!("{uri}/me"))
        .bearer_auth(tokens["accessToken"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(me.status(), 200);
    let refreshed = client
        .post(format!("{uri}/auth/refresh"))
        .json(&json!({"refreshToken": tokens["refreshToken"]}))
        .send()
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    // Only the developer's session is in the default namespace, and the
    // runs' own namespaces are gone.
    assert_eq!(served.server.sessions().len(), 1);
    assert_eq!(served.server.namespaces(), ["default"]);
}

#[test]
fn a_named_namespace_is_kept_after_the_run() {
    let served = Served::start(openapi::reference_spec());
    let mut c = config(&served.uri(), openapi::reference::reference_json(), 3, 7);
    c.namespace = Some("qa".to_owned());
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    assert!(report.passed(), "{}", report.to_text());
    let qa = served
        .server
        .namespace("qa")
        .expect("the run's namespace is kept");
    assert!(qa.clock().frozen, "the run froze its own namespace's clock");
    assert!(!served.server.clock().frozen);
}
