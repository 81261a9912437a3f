//! The authorization-code flow with PKCE on fixtures/oidc.yaml, as an
//! OpenID Connect client runs it: the authorize endpoint (with
//! `login_hint`, or the account picker), the code exchange, the ID token
//! checked with the JWKS, the discovery document, and every error of RFC
//! 6749 section 4.1.2.1 and 5.2.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use mock_server::MockServer;
use openapi::authcode::s256;
use openapi::wire::query_pairs;
use serde_json::Value;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "http://127.0.0.1/callback";

fn fixture() -> openapi::Spec {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/oidc.yaml");
    openapi::Spec::from_path(path.as_ref()).expect("fixtures/oidc.yaml loads")
}

async fn mock() -> MockServer {
    MockServer::builder().spec(fixture()).start().await.unwrap()
}

/// A client that does not follow redirects: the test reads them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The query of a redirect's `Location`, as pairs.
fn location(resp: &reqwest::Response) -> (String, Vec<(String, String)>) {
    let at = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Location on a {}", resp.status()))
        .to_owned();
    let (base, query) = at.split_once('?').unwrap_or((&at, ""));
    (base.to_owned(), query_pairs(query))
}

fn param<'p>(pairs: &'p [(String, String)], name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn authorize(server: &MockServer, query: &[(&str, &str)]) -> reqwest::Response {
    client()
        .get(format!("{}/authorize", server.uri()))
        .query(query)
        .send()
        .await
        .unwrap()
}

/// The usual request: S256 PKCE, state, nonce, openid, `login_hint`.
fn usual<'a>(challenge: &'a str, hint: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "st-42"),
        ("nonce", "n-0S6"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("login_hint", hint),
    ]
}

async fn code_for(server: &MockServer, hint: &str) -> String {
    let challenge = s256(VERIFIER);
    let resp = authorize(server, &usual(&challenge, hint)).await;
    assert_eq!(resp.status(), 302);
    let (base, pairs) = location(&resp);
    assert_eq!(base, REDIRECT);
    assert_eq!(param(&pairs, "state"), Some("st-42"));
    param(&pairs, "code").expect("a code").to_owned()
}

async fn exchange(server: &MockServer, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = client()
        .post(format!("{}/token", server.uri()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn token_form<'a>(code: &'a str, verifier: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", "spa"),
        ("code_verifier", verifier),
    ]
}

async fn userinfo(server: &MockServer, access: &str) -> u16 {
    client()
        .get(format!("{}/userinfo", server.uri()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn get_json(server: &MockServer, path: &str) -> Value {
    let resp = client()
        .get(format!("{}{path}", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

async fn id_claims(server: &MockServer, id_token: &str) -> Value {
    let jwks: JwkSet =
        serde_json::from_value(get_json(server, "/.well-known/jwks.json").await).unwrap();
    let kid = decode_header(id_token).unwrap().kid.unwrap();
    let key = DecodingKey::from_jwk(jwks.find(&kid).expect("the kid is published")).unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&["http://127.0.0.1:8080"]);
    v.set_audience(&["spa"]);
    decode::<Value>(id_token, &key, &v).unwrap().claims
}

#[tokio::test]
async fn a_login_hint_skips_the_picker_and_the_code_works_once_with_its_verifier() {
    let server = mock().await;
    let code = code_for(&server, "alice").await;
    let (status, tokens) = exchange(&server, &token_form(&code, VERIFIER)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 300);
    let access = tokens["access_token"].as_str().unwrap();
    let claims = id_claims(&server, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["azp"], "spa");
    assert_eq!(claims["nonce"], "n-0S6");
    assert_eq!(
        claims["at_hash"].as_str(),
        Some(expected_at_hash(access).as_str())
    );
    assert!(claims["auth_time"].as_u64().unwrap() <= claims["iat"].as_u64().unwrap());
    assert_eq!(userinfo(&server, access).await, 200);

    // The same code again: invalid_grant, and the tokens of its first use
    // die with their session (RFC 6749 section 4.1.2).
    let (status, body) = exchange(&server, &token_form(&code, VERIFIER)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(userinfo(&server, access).await, 401);
    assert!(server.sessions().iter().all(|s| !s.live));
}

/// `at_hash` as OpenID Connect Core section 3.1.3.6 defines it: the left
/// half of the SHA-256 of the access token, base64url.
fn expected_at_hash(access: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(access.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[tokio::test]
async fn the_code_needs_its_verifier_redirect_uri_and_client() {
    let server = mock().await;
    for (what, form) in [
        ("a wrong verifier", vec![("code_verifier", "x".repeat(43))]),
        ("no verifier", vec![("code_verifier", String::new())]),
        (
            "another redirect URI",
            vec![("redirect_uri", "http://127.0.0.1/other".to_owned())],
        ),
    ] {
        let code = code_for(&server, "demo").await;
        let mut sent: Vec<(&str, String)> = token_form(&code, VERIFIER)
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect();
        for (k, v) in &form {
            sent.retain(|(n, _)| n != k);
            sent.push((k, v.clone()));
        }
        let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = exchange(&server, &sent).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &"invalid_grant".into()),
            "{what}: {body}"
        );
        // A failed attempt spends the code: the right verifier no longer
        // helps.
        let (status, _) = exchange(&server, &token_form(&code, VERIFIER)).await;
        assert_eq!(status, 400, "{what}: the code after a failed attempt");
    }
    // An unknown client is invalid_client (401), and leaves the code alone.
    let code = code_for(&server, "demo").await;
    let mut form = token_form(&code, VERIFIER);
    form.retain(|(k, _)| *k != "client_id");
    form.push(("client_id", "nobody"));
    let (status, body) = exchange(&server, &form).await;
    assert_eq!((status, &body["error"]), (401, &"invalid_client".into()));
    let (status, _) = exchange(&server, &token_form(&code, VERIFIER)).await;
    assert_eq!(status, 200);
    // No code at all: invalid_request.
    let (status, body) = exchange(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", ""),
            ("client_id", "spa"),
        ],
    )
    .await;
    assert_eq!((status, &body["error"]), (400, &"invalid_request".into()));
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes_and_plain_pkce_works() {
    let server = mock().await;
    server.freeze_clock();
    let plain = [
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", VERIFIER),
        ("code_challenge_method", "plain"),
        ("login_hint", "demo"),
    ];
    let code = |resp: reqwest::Response| {
        let (_, pairs) = location(&resp);
        param(&pairs, "code").unwrap().to_owned()
    };
    let first = code(authorize(&server, &plain).await);
    server.advance_clock(600);
    let (status, body) = exchange(&server, &token_form(&first, VERIFIER)).await;
    assert_eq!((status, &body["error"]), (400, &"invalid_grant".into()));
    let second = code(authorize(&server, &plain).await);
    server.advance_clock(599);
    let (status, body) = exchange(&server, &token_form(&second, VERIFIER)).await;
    assert_eq!(status, 200, "{body}");
    // Without `openid` in the scope there is no ID token.
    assert!(body.get("id_token").is_none(), "{body}");
}

#[tokio::test]
async fn the_picker_lists_the_accounts_without_passwords() {
    let server = mock().await;
    let challenge = s256(VERIFIER);
    let mut query = usual(&challenge, "");
    query.retain(|(k, _)| *k != "login_hint");
    let resp = authorize(&server, &query).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = resp.text().await.unwrap();
    for account in ["demo", "alice"] {
        assert!(
            page.contains(&format!("name=\"login_hint\" value=\"{account}\"")),
            "{page}"
        );
    }
    assert!(!page.contains("alice-secret"), "a password on the page");
    // The spec binds POST /authorize too: the choice is a form POST that
    // carries the request on.
    assert!(page.contains("method=\"post\""), "{page}");
    assert!(page.contains(&format!("name=\"code_challenge\" value=\"{challenge}\"")));
    // An unknown hint shows the picker, saying so.
    let resp = authorize(&server, &usual(&challenge, "mallory")).await;
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("No account is named `mallory`"));
    // The form's POST chooses the account.
    let mut form = query.clone();
    form.push(("login_hint", "demo"));
    let resp = client()
        .post(format!("{}/authorize", server.uri()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert!(param(&location(&resp).1, "code").is_some());
}

#[tokio::test]
async fn an_unchecked_client_or_redirect_uri_is_an_error_page_never_a_redirect() {
    let server = mock().await;
    let challenge = s256(VERIFIER);
    for (name, value) in [
        ("redirect_uri", "https://attacker.example/callback"),
        ("redirect_uri", "http://127.0.0.1/callback/../other"),
        ("client_id", "nobody"),
    ] {
        let mut query = usual(&challenge, "demo");
        query.retain(|(k, _)| *k != name);
        query.push((name, value));
        let resp = authorize(&server, &query).await;
        assert_eq!(resp.status(), 400, "{name}={value}");
        assert!(resp.headers().get("location").is_none(), "{name}={value}");
        assert!(resp.text().await.unwrap().contains("id=\"error\""));
    }
    // Any port of a loopback redirect URI (RFC 8252 section 7.3).
    let mut query = usual(&challenge, "demo");
    query.retain(|(k, _)| *k != "redirect_uri");
    query.push(("redirect_uri", "http://127.0.0.1:49152/callback"));
    let resp = authorize(&server, &query).await;
    assert_eq!(resp.status(), 302);
    assert_eq!(location(&resp).0, "http://127.0.0.1:49152/callback");
}

#[tokio::test]
async fn later_errors_go_back_to_the_client_with_error_and_state() {
    let server = mock().await;
    let challenge = s256(VERIFIER);
    let with = |changes: &[(&'static str, &'static str)], drop: &[&str]| {
        let mut query: Vec<(&str, String)> = usual(&challenge, "demo")
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect();
        query.retain(|(k, _)| !drop.contains(k) && !changes.iter().any(|(c, _)| c == k));
        query.extend(changes.iter().map(|(k, v)| (*k, (*v).to_owned())));
        query
    };
    for (query, error) in [
        (
            with(&[("response_type", "token")], &[]),
            "unsupported_response_type",
        ),
        (
            with(&[], &["code_challenge", "code_challenge_method"]),
            "invalid_request",
        ),
        (
            with(&[("code_challenge_method", "S512")], &[]),
            "invalid_request",
        ),
        (with(&[("code_challenge", "short")], &[]), "invalid_request"),
        (
            with(&[("prompt", "none")], &["login_hint"]),
            "login_required",
        ),
        (
            with(&[("error", "access_denied")], &["login_hint"]),
            "access_denied",
        ),
    ] {
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resp = authorize(&server, &query).await;
        assert_eq!(resp.status(), 302, "{error}");
        let (base, pairs) = location(&resp);
        assert_eq!(base, REDIRECT);
        assert_eq!(param(&pairs, "error"), Some(error), "{pairs:?}");
        assert_eq!(param(&pairs, "state"), Some("st-42"));
        assert!(param(&pairs, "code").is_none());
    }
}

#[tokio::test]
async fn the_discovery_document_names_the_flow_and_the_endpoints() {
    let server = mock().await;
    let doc = get_json(&server, "/.well-known/openid-configuration").await;
    let base = server.uri();
    assert_eq!(doc["issuer"], "http://127.0.0.1:8080");
    assert_eq!(doc["authorization_endpoint"], format!("{base}/authorize"));
    assert_eq!(doc["token_endpoint"], format!("{base}/token"));
    assert_eq!(doc["userinfo_endpoint"], format!("{base}/userinfo"));
    // The fixture binds neither RFC 7009 nor RFC 7662.
    assert!(doc.get("revocation_endpoint").is_none(), "{doc}");
    assert!(doc.get("introspection_endpoint").is_none(), "{doc}");
    assert_eq!(doc["jwks_uri"], format!("{base}/.well-known/jwks.json"));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256", "plain"])
    );
    assert_eq!(
        doc["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["none"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
}

#[tokio::test]
async fn a_refresh_keeps_the_original_auth_time_and_drops_the_nonce() {
    let server = mock().await;
    server.freeze_clock();
    let code = code_for(&server, "demo").await;
    let (_, tokens) = exchange(&server, &token_form(&code, VERIFIER)).await;
    let first = id_claims(&server, tokens["id_token"].as_str().unwrap()).await;
    server.advance_clock(100);
    let resp = client()
        .post(format!("{}/token", server.uri()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "spa"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let refreshed: Value = resp.json().await.unwrap();
    let again = id_claims(&server, refreshed["id_token"].as_str().unwrap()).await;
    assert_eq!(again["auth_time"], first["auth_time"]);
    assert_eq!(
        again["iat"].as_u64(),
        first["iat"].as_u64().map(|t| t + 100)
    );
    assert!(again.get("nonce").is_none(), "{again}");
}

#[tokio::test]
async fn the_token_endpoint_answers_another_grant_type_unsupported() {
    let server = mock().await;
    let resp = client()
        .post(format!("{}/token", server.uri()))
        .form(&[
            ("grant_type", "password"),
            ("username", "demo"),
            ("password", "demo"),
            ("client_id", "spa"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type", "{body}");
}
