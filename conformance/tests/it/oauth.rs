//! `fixtures/oauth2.yaml`: every variant of the token endpoint is driven
//! (the refresh properties are passed, not skipped), the suite
//! authenticates as the bindings say, checks that tokens stay with their
//! client, uses the introspection endpoint as a second oracle, and never
//! writes a client secret out.

use serde_json::Value;

use conformance::{Property, Report, Status};

use crate::seeded;
use crate::support::{config, failed_checks, oauth2, spec, Served};

fn run(served: &Served, checked: Value, cases: u32, seed: u64) -> Report {
    conformance::run(
        &config(&served.uri(), checked, cases, seed),
        &conformance::NoProgress,
    )
    .unwrap()
}

fn status_of(report: &Report, name: &str) -> Status {
    report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check `{name}`:\n{}", report.to_text()))
        .status
}

#[test]
fn every_variant_is_driven_and_the_refresh_properties_pass() {
    let served = Served::start(spec(oauth2()));
    for seed in 0..3 {
        let report = run(&served, oauth2(), 10, seed);
        assert!(report.passed(), "seed {seed}:\n{}", report.to_text());
        for p in [
            Property::LoginIssuesTokens,
            Property::RefreshRotates,
            Property::RefreshSingleUse,
            Property::ReuseEndsSession,
            Property::RevokedCannotRefresh,
            Property::RevokeAlways,
            Property::ClientBound,
            Property::IntrospectionAgrees,
            Property::GuardsRefuseDeadTokens,
            Property::ErrorBodiesMatch,
            Property::TokensExpire,
            Property::RaceOneWins,
        ] {
            assert_eq!(
                status_of(&report, p.name()),
                Status::Passed,
                "{p}, seed {seed}:\n{}",
                report.to_text()
            );
        }
        // The form-encoded operations are checked statelessly too.
        for op in ["token", "revoke", "introspect"] {
            let name = format!("{op}: responses match the spec");
            assert_eq!(
                status_of(&report, &name),
                Status::Passed,
                "{name}:\n{}",
                report.to_text()
            );
        }
        // No variant was left out.
        assert!(
            !report
                .checks
                .iter()
                .any(|c| c.name.ends_with(": lifecycle")),
            "{}",
            report.to_text()
        );
    }
}

#[test]
fn a_variant_left_out_by_include_says_so_under_its_name() {
    let served = Served::start(spec(oauth2()));
    let mut c = config(&served.uri(), oauth2(), 5, 0);
    c.selection.exclude = vec!["when:grant_type=refresh_token".parse().unwrap()];
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    let left_out = report
        .checks
        .iter()
        .find(|c| c.name == "token [grant_type=refresh_token]: lifecycle")
        .unwrap_or_else(|| panic!("{}", report.to_text()));
    assert_eq!(left_out.status, Status::Deselected, "{left_out:?}");
    assert!(
        left_out
            .message
            .as_deref()
            .unwrap_or("")
            .contains("--exclude when:grant_type=refresh_token"),
        "{left_out:?}"
    );
    // The password grant still runs; the refresh properties are
    // deselected with the reason, not failed and not passed.
    assert_eq!(
        status_of(&report, Property::LoginIssuesTokens.name()),
        Status::Passed
    );
    assert_eq!(
        status_of(&report, Property::RefreshRotates.name()),
        Status::Deselected,
        "{}",
        report.to_text()
    );
    assert!(report.passed(), "{}", report.to_text());
}

#[test]
fn a_variant_is_picked_by_its_name_or_its_condition() {
    let spec = spec(oauth2());
    let token = spec.operation("token").unwrap();
    let pick = |filter: &str| conformance::Selection {
        include: vec![filter.parse().unwrap()],
        ..Default::default()
    };
    for filter in ["id:token [grant_type=password]", "when:grant_type=password"] {
        let s = pick(filter);
        assert!(s.leaves_out_variant(&spec, token, 0).is_none(), "{filter}");
        assert!(s.leaves_out_variant(&spec, token, 1).is_some(), "{filter}");
        // The operation is in (the stateless checks send it).
        assert!(s.leaves_out(&spec, token).is_none(), "{filter}");
        // An operation with no such binding is not.
        let me = spec.operation("me").unwrap();
        assert!(s.leaves_out(&spec, me).is_some(), "{filter}");
    }
    // The operation's id picks every variant.
    let s = pick("id:token");
    assert!(s.leaves_out_variant(&spec, token, 1).is_none());
    assert!("when:grant_type".parse::<conformance::OpFilter>().is_err());
}

/// Serve `served`, check it against oauth2.yaml over three seeds, and
/// return every check that failed.
fn failures(served: Value) -> (Vec<String>, Report) {
    let mock = Served::start(spec(served));
    let mut failed: Vec<String> = Vec::new();
    let mut last = None;
    for seed in 1..4 {
        let report = run(&mock, oauth2(), 10, seed);
        // The defect's property is muted once reported: the others are
        // still reached.
        let unexercised: Vec<&str> = report
            .with_status(Status::NotExercised)
            .map(|c| c.name.as_str())
            .collect();
        assert!(unexercised.is_empty(), "{}", report.to_text());
        for f in failed_checks(&report) {
            if !failed.contains(&f) {
                failed.push(f);
            }
        }
        last = Some(report);
    }
    (failed, last.unwrap())
}

#[test]
fn introspection_that_calls_every_token_an_access_token_fails_only_its_property() {
    let d = seeded::introspection_calls_every_token_an_access_token();
    let (failed, report) = failures(d.served);
    assert_eq!(failed, [d.property.name()], "{}", report.to_text());
}

#[test]
fn introspection_that_reads_the_wrong_field_fails_only_its_property() {
    let d = seeded::introspection_reads_the_wrong_field();
    let (failed, report) = failures(d.served);
    assert_eq!(failed, [d.property.name()], "{}", report.to_text());
}

#[test]
fn a_refresh_grant_that_ignores_the_client_fails_only_the_client_property() {
    let d = seeded::refresh_ignores_the_client();
    let (failed, report) = failures(d.served);
    assert_eq!(failed, [d.property.name()], "{}", report.to_text());
}

#[test]
fn clients_come_from_the_environment() {
    let served = Served::start(spec(oauth2()));
    let dir = crate::support::root();
    let uri = served.uri();
    let args = [
        "run",
        "--target",
        uri.as_str(),
        "--spec",
        "fixtures/oauth2.yaml",
        "--client-env",
        "QA_CLIENT_1",
        "--client-env",
        "QA_CLIENT_2",
        "--cases",
        "5",
    ];
    let env = [
        ("QA_CLIENT_1", "web-app:web-app-secret"),
        ("QA_CLIENT_2", "mobile-app:mobile-app-secret"),
    ];
    let (code, out, err) = crate::support::conformance_in(&dir, &args, &env);
    assert_eq!(code, 0, "{out}{err}");
    let line = out
        .lines()
        .find(|l| l.contains(Property::ClientBound.name()))
        .unwrap_or_default();
    assert!(line.trim_start().starts_with("ok"), "{out}");
    // A variable that does not hold ID:SECRET names the variable, not
    // the value.
    let env = [("QA_CLIENT_1", ":web-app-secret"), ("QA_CLIENT_2", "x")];
    let (code, _, err) = crate::support::conformance_in(&dir, &args, &env);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--client-env QA_CLIENT_1"), "{err}");
    assert!(!err.contains("web-app-secret"), "{err}");
}

#[test]
fn a_client_secret_is_never_written_out() {
    // A defect, so that failing sequences (with their curl commands) are
    // in the report.
    let d = seeded::refresh_ignores_the_client();
    let mock = Served::start(spec(d.served));
    let mut c = config(&mock.uri(), oauth2(), 5, 1);
    let secret = "web-app-secret";
    c.clients = vec![
        openapi::model::Client {
            id: "web-app".into(),
            secret: Some(secret.into()),
        },
        openapi::model::Client {
            id: "mobile-app".into(),
            secret: Some("mobile-app-secret".into()),
        },
    ];
    // The first from the environment (as --client-env gives it), the
    // second as given on a command line.
    c.secrets = vec![conformance::Secret {
        reference: "${OAUTH_CLIENT#*:}".into(),
        value: secret.into(),
    }];
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    assert!(!report.passed(), "{}", report.to_text());
    let basic = |id: &str, s: &str| {
        openapi::wire::basic_authorization(id, s)
            .trim_start_matches("Basic ")
            .to_owned()
    };
    for text in [report.to_text(), report.to_json(), report.to_junit()] {
        for leak in [
            secret.to_owned(),
            "mobile-app-secret".to_owned(),
            basic("web-app", secret),
            basic("mobile-app", "mobile-app-secret"),
        ] {
            assert!(!text.contains(&leak), "{leak} written out:\n{text}");
        }
    }
    let json = report.to_json();
    assert!(
        json.contains("printf '%s:%s' web-app \\\"${OAUTH_CLIENT#*:}\\\" | base64"),
        "{json}"
    );
    assert!(json.contains("<base64 of mobile-app:mo…>"), "{json}");
}

/// A token endpoint told apart by a query parameter and a header (two
/// conditions, both must hold), with JSON bodies: every variant is sent
/// with the values its `when` needs, and the mock dispatches by them.
fn by_query_and_header() -> Value {
    let tokens = serde_json::json!({
        "200": {"description": "tokens", "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {"accessToken": {"type": "string"}, "refreshToken": {"type": "string"}}
        }}}},
        "400": {"description": "no such flow"},
        "401": {"description": "refused"}
    });
    let issue = serde_json::json!({
        "accessToken": "$response.body#/accessToken",
        "refreshToken": "$response.body#/refreshToken"
    });
    serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "flows", "version": "1"},
        "x-token-lifecycle": {"accounts": [
            {"username": "demo", "password": "demo"},
            {"username": "alice", "password": "alice-secret"}
        ]},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/token": {"post": {
                "operationId": "token",
                "parameters": [
                    {"name": "flow", "in": "query", "required": true,
                     "schema": {"type": "string", "enum": ["login", "refresh", "device"]}},
                    {"name": "X-Client-Kind", "in": "header", "schema": {"type": "string"}}
                ],
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"user": {"type": "string"}, "pass": {"type": "string"},
                                   "refresh": {"type": "string"}}
                }}}},
                "responses": tokens,
                "x-token-lifecycle": [
                    {"when": {"$request.query.flow": "login", "$request.header.X-Client-Kind": "web"},
                     "action": "login", "username": "$request.body#/user",
                     "password": "$request.body#/pass", "issue": issue},
                    {"when": {"$request.query.flow": "refresh"},
                     "action": "refresh", "refreshToken": "$request.body#/refresh", "issue": issue,
                     "outcomes": {"unsupported": 400}}
                ]
            }},
            "/me": {"get": {
                "operationId": "me",
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "me"}, "401": {"description": "no"}},
                "x-token-lifecycle": {"action": "protected",
                    "accessToken": {"from": "$request.header.Authorization", "scheme": "Bearer"}}
            }}
        }
    })
}

#[test]
fn conditions_on_query_and_header_values_are_sent_and_dispatched() {
    let doc = by_query_and_header();
    let served = Served::start(spec(doc.clone()));
    let report = run(&served, doc, 10, 2);
    assert!(report.passed(), "{}", report.to_text());
    for p in [
        Property::LoginIssuesTokens,
        Property::RefreshRotates,
        Property::ReuseEndsSession,
    ] {
        assert_eq!(
            status_of(&report, p.name()),
            Status::Passed,
            "{p}:\n{}",
            report.to_text()
        );
    }
    // By hand: the login needs both conditions; one alone is no binding's.
    let client = reqwest::blocking::Client::new();
    let post = |query: &str, kind: Option<&str>| {
        let mut req = client
            .post(format!("{}/token?flow={query}", served.uri()))
            .json(&serde_json::json!({"user": "demo", "pass": "demo"}));
        if let Some(k) = kind {
            req = req.header("x-client-kind", k);
        }
        req.send().unwrap().status().as_u16()
    };
    assert_eq!(post("login", Some("web")), 200);
    assert_eq!(post("login", Some("tv")), 400);
    assert_eq!(post("login", None), 400);
    assert_eq!(post("device", Some("web")), 400);
}
