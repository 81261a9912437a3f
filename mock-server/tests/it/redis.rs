//! Replicas sharing state through one real redis-server (`--state
//! redis://…`): a token of one replica works on the other, logout, clock,
//! reset and namespaces apply to both, concurrent refreshes have one
//! winner, and Redis going away means 503s, never a wrong answer.

use std::sync::Arc;

use mock_server::MockServer;
use reqwest::StatusCode;
use serde_json::{json, Value};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};

use crate::support::{expect_401, expect_problem, json, save, scratch, Api, Events, Pair};
use crate::support_redis::Redis;

/// Two replicas on `redis`.
async fn replicas(redis: &Redis) -> (Api, Api) {
    let start = || Api::with(MockServer::builder().state_redis(redis.url()));
    (start().await, start().await)
}

async fn admin_json(api: &Api, method: &str, path: &str, body: Option<Value>) -> Value {
    let url = api.url(&format!("/__mock{path}"));
    let req = match method {
        "GET" => api.client.get(url),
        _ => api.client.post(url),
    };
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let resp = req.send().await.unwrap();
    assert!(resp.status().is_success(), "{method} {path}: {resp:?}");
    if resp.status() == StatusCode::NO_CONTENT {
        return Value::Null;
    }
    json(resp).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_from_one_replica_works_on_the_other_and_logout_ends_it_everywhere() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = replicas(&redis).await;
    let pair = a.login("demo", "demo").await;
    b.me_ok(&pair.access, "demo").await;
    let next = b.refresh(&pair.refresh).await;
    a.me_ok(&next.access, "demo").await;
    // The spent refresh token is spent on both.
    a.refresh_refused(&pair.refresh, "RefreshToken Invalid")
        .await;
    let second = b.login("demo", "demo").await;
    assert_eq!(a.logout(&second.access).await.status(), 204);
    expect_401(b.me(&second.access).await, "Invalid token").await;
    // The admin listings read the shared state.
    let sessions = admin_json(&b, "GET", "/sessions", None).await;
    assert_eq!(sessions["items"].as_array().unwrap().len(), 2, "{sessions}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scripted_lifecycle_through_alternating_replicas_is_one_lifecycle() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = replicas(&redis).await;
    let apis = [&a, &b];
    let mut pair = apis[0].login("demo", "demo").await;
    for i in 1..=10 {
        let api = apis[i % 2];
        api.me_ok(&pair.access, "demo").await;
        pair = api.refresh(&pair.refresh).await;
    }
    let old = pair.clone();
    let newer = apis[1].refresh(&pair.refresh).await;
    // Reuse of a spent token on the other replica ends the session there.
    apis[0]
        .refresh_refused(&old.refresh, "RefreshToken Invalid")
        .await;
    expect_401(apis[1].me(&newer.access).await, "Invalid token").await;
    assert_eq!(a.server.sessions(), b.server.sessions());
    assert!(b.server.sessions().iter().all(|s| !s.live));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_a_thousand_concurrent_refreshes_over_two_replicas_exactly_one_wins() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = replicas(&redis).await;
    let pair = a.login("demo", "demo").await;
    let apis = Arc::new([a, b]);
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let apis = apis.clone();
            let refresh = pair.refresh.clone();
            tokio::spawn(async move { apis[i % 2].refresh_raw(&refresh).await.status() })
        })
        .collect();
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::UNAUTHORIZED => refused += 1,
            other => panic!("a refresh answered {other}"),
        }
    }
    assert_eq!((ok, refused), (1, 999));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clock_reset_and_namespaces_apply_to_every_replica() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = replicas(&redis).await;
    let pair = a.login("demo", "demo").await;
    admin_json(&a, "POST", "/clock/freeze", None).await;
    let moved = admin_json(&a, "POST", "/clock/advance", Some(json!({"seconds": 3600}))).await;
    let seen = admin_json(&b, "GET", "/clock", None).await;
    assert_eq!(seen, moved);
    assert_eq!(seen["frozen"], true);
    // An hour on: the access token expired on both.
    expect_401(b.me(&pair.access).await, "Token expired").await;
    let fresh = b.login("demo", "demo").await;
    admin_json(&b, "POST", "/reset", None).await;
    expect_401(a.me(&fresh.access).await, "Invalid token").await;
    assert_eq!(a.server.clock(), b.server.clock());
    assert!(!a.server.clock().frozen);
    // A namespace made through one replica is listed by the other, with
    // its own state.
    let resp = a
        .post("/auth/login")
        .header("x-mock-namespace", "run-1")
        .json(&json!({"username": "demo", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let listed = admin_json(&b, "GET", "/namespaces", None).await;
    let names: Vec<&str> = listed["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "run-1"]);
    assert_eq!(listed["namespaces"][1]["sessions"], 1);
    let deleted = b.delete("/__mock/namespaces/run-1").send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(a.server.namespaces(), ["default"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_down_answers_503_and_after_its_restart_the_replicas_reconnect() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let (a, b) = replicas(&redis).await;
    let before = a.login("demo", "demo").await;
    b.me_ok(&before.access, "demo").await;
    redis.kill();
    for api in [&a, &b] {
        let problem = expect_problem(api.me(&before.access).await, 503).await;
        assert!(problem.detail.contains("redis"), "{}", problem.detail);
        let resp = api
            .login_raw(json!({"username": "demo", "password": "demo"}))
            .await;
        expect_problem(resp, 503).await;
        let resp = api.get("/__mock/sessions").send().await.unwrap();
        expect_problem(resp, 503).await;
    }
    redis.restart();
    // The restarted Redis is empty (no persistence): the namespace starts
    // anew with a new token key, so the tokens of before are unknown on
    // both replicas, and new logins work across them.
    expect_401(a.me(&before.access).await, "Invalid token").await;
    expect_401(b.me(&before.access).await, "Invalid token").await;
    let after: Pair = b.login("demo", "demo").await;
    a.me_ok(&after.access, "demo").await;
    assert_eq!(a.logout(&after.access).await.status(), 204);
    expect_401(b.me(&after.access).await, "Invalid token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_sign_rs256_tokens_with_one_key_and_publish_one_jwks() {
    let Some(redis) = Redis::start() else { return };
    let spec = || crate::jwt::spec(json!({"format": "jwt", "algorithm": "RS256"}));
    let start = || Api::with(MockServer::builder().spec(spec()).state_redis(redis.url()));
    let (a, b) = (start().await, start().await);
    let jwks = a.get_json("/.well-known/jwks.json").await;
    assert_eq!(b.get_json("/.well-known/jwks.json").await, jwks);
    let set: JwkSet = serde_json::from_value(jwks).unwrap();
    assert_eq!(set.keys.len(), 1, "{set:?}");
    let resp = a
        .post_json(
            "/auth/login",
            &json!({"username": "demo", "password": "demo"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body = json(resp).await;
    let pair = Pair {
        access: body["accessToken"].as_str().unwrap().to_owned(),
        refresh: body["refreshToken"].as_str().unwrap().to_owned(),
    };
    // A's JWT verifies with B's published key, and B accepts it.
    let kid = decode_header(&pair.access).unwrap().kid.unwrap();
    let key = DecodingKey::from_jwk(set.find(&kid).expect("the kid is published")).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    let claims = decode::<Value>(&pair.access, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "demo");
    b.me_ok(&pair.access, "demo").await;
    assert_eq!(b.logout(&pair.access).await.status(), 204);
    expect_401(a.me(&pair.access).await, "Invalid token").await;
    // A replica started later reads the same key.
    let c = start().await;
    assert_eq!(
        c.get_json("/.well-known/jwks.json").await,
        b.get_json("/.well-known/jwks.json").await
    );
}

/// fixtures/oidc.yaml (the authorization-code flow, RS256) on `redis`.
async fn oidc_replica(redis: &Redis) -> Api {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/oidc.yaml");
    let spec = openapi::Spec::from_path(path.as_ref()).expect("fixtures/oidc.yaml loads");
    let mut api = Api::with(MockServer::builder().spec(spec).state_redis(redis.url())).await;
    // The authorize endpoint answers with a redirect the test reads.
    api.client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    api
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "http://127.0.0.1/callback";

/// A code for alice from `api`'s authorize endpoint (S256 PKCE).
async fn code_from(api: &Api) -> String {
    let challenge = openapi::authcode::s256(VERIFIER);
    let resp = api
        .get("/authorize")
        .query(&[
            ("response_type", "code"),
            ("client_id", "spa"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("login_hint", "alice"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let at = resp.headers()["location"].to_str().unwrap().to_owned();
    let (_, query) = at.split_once('?').expect("a query");
    openapi::wire::query_pairs(query)
        .into_iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no code in {at}"))
}

/// The code exchanged at `api`'s token endpoint: status and body.
async fn exchange_at(api: &Api, code: &str) -> (u16, Value) {
    let resp = api
        .post("/token")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", "spa"),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn userinfo(api: &Api, access: &str) -> u16 {
    let resp = api.get("/userinfo").bearer_auth(access).send().await;
    resp.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_issued_by_one_replica_is_exchanged_on_another_once() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = (oidc_replica(&redis).await, oidc_replica(&redis).await);
    let code = code_from(&a).await;
    let (status, tokens) = exchange_at(&b, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&a, access).await, 200);
    // The same code again, on the replica that issued it: refused, and
    // the session its first use started ends on both.
    let (status, body) = exchange_at(&a, &code).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(userinfo(&b, access).await, 401);
    let (status, _) = exchange_at(&b, &code).await;
    assert_eq!(status, 400);
    // A reset through one replica forgets the codes of both.
    let unused = code_from(&b).await;
    let reset = a.post("/__mock/reset").send().await.unwrap();
    assert!(reset.status().is_success(), "{reset:?}");
    let (status, body) = exchange_at(&b, &unused).await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_exchanges_of_one_code_over_two_replicas_exactly_one_wins() {
    let Some(redis) = Redis::start() else { return };
    let apis = Arc::new([oidc_replica(&redis).await, oidc_replica(&redis).await]);
    let code = code_from(&apis[0]).await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let apis = apis.clone();
            let code = code.clone();
            tokio::spawn(async move { exchange_at(&apis[i % 2], &code).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        if status == 400 {
            assert_eq!(body["error"], "invalid_grant", "{body}");
        }
        statuses.push(status);
    }
    statuses.sort_unstable();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(ok, 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [200, 400].contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_journal_is_shared_by_the_replicas_and_a_reset_clears_it_for_all() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = replicas(&redis).await;
    let pair = a.login("demo", "demo").await;
    b.me_ok(&pair.access, "demo").await;
    a.me_ok(&pair.access, "demo").await;
    let next = b.refresh(&pair.refresh).await;
    a.me_ok(&next.access, "demo").await;
    // Either replica lists every replica's requests, in one sequence.
    let seen = |page: &Value| -> Vec<(u64, String)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let line = format!(
                    "{} {}",
                    e["method"].as_str().unwrap(),
                    e["uri"].as_str().unwrap()
                );
                (e["seq"].as_u64().unwrap(), line)
            })
            .collect()
    };
    let on_a = admin_json(&a, "GET", "/journal", None).await;
    let on_b = admin_json(&b, "GET", "/journal", None).await;
    assert_eq!(seen(&on_a), seen(&on_b));
    let lines: Vec<String> = seen(&on_a).into_iter().map(|(_, l)| l).collect();
    assert_eq!(
        lines,
        [
            "POST /auth/login",
            "GET /me",
            "GET /me",
            "POST /auth/refresh",
            "GET /me"
        ]
    );
    let seqs: Vec<u64> = seen(&on_a).into_iter().map(|(s, _)| s).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(a.server.journal(10).len(), 5);
    // Pages: the newest two on B, then the older ones from A's cursor.
    let newest = admin_json(&b, "GET", "/journal?limit=2", None).await;
    assert_eq!(seen(&newest), seen(&on_a)[3..]);
    let cursor = newest["next"].as_str().expect("older entries follow");
    let older = admin_json(
        &a,
        "GET",
        &format!("/journal?limit=2&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(seen(&older), seen(&on_a)[1..3]);
    let listed = admin_json(&b, "GET", "/namespaces", None).await;
    assert_eq!(listed["namespaces"][0]["requests"], 5, "{listed}");
    // A reset through B clears the journal A lists.
    admin_json(&b, "POST", "/reset", None).await;
    let after = admin_json(&a, "GET", "/journal", None).await;
    assert_eq!(seen(&after), []);
    assert!(a.server.journal(10).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reload_to_rs256_while_redis_is_down_keeps_the_last_spec_instead_of_opaque_tokens() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let dir = scratch();
    let path = dir.join("api.json");
    let mut doc = openapi::reference::reference_json();
    save(&path, &doc);
    let spec = openapi::Spec::from_path(&path).unwrap();
    let api = Api::with(
        MockServer::builder()
            .spec(spec)
            .watch(&path)
            .state_redis(redis.url()),
    )
    .await;
    let mut events = Events::open(&api).await;
    redis.kill();
    // The new token settings need the shared RS256 key, which cannot be
    // read: the reload is refused, rather than served with opaque tokens.
    doc["x-token-lifecycle"]["tokens"] = json!({"format": "jwt", "algorithm": "RS256"});
    save(&path, &doc);
    let error = events.until("spec-error").await;
    assert!(error.contains("shared RS256 key"), "{error}");
    assert!(api.server.spec().lifecycle().tokens.jwt.is_none());
    // Once Redis is back, the next save is served, with JWTs.
    redis.restart();
    save(&path, &doc);
    events.until("spec").await;
    assert!(api.server.spec().lifecycle().tokens.jwt.is_some());
    let body = json(
        api.post_json(
            "/auth/login",
            &json!({"username": "demo", "password": "demo"}),
        )
        .await,
    )
    .await;
    let access = body["accessToken"].as_str().unwrap();
    assert_eq!(decode_header(access).unwrap().alg, Algorithm::RS256);
    let _ = std::fs::remove_dir_all(dir);
}
