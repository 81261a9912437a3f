//! JWT access tokens and ID tokens (`x-token-lifecycle.tokens.format:
//! jwt`), checked as a client checks them: with the mock's JWKS.

use jsonwebtoken::jwk::{JwkSet, ThumbprintHash};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use mock_server::MockServer;
use serde_json::{json, Value};

/// The reference spec with JWT tokens, and an ID token at login.
pub fn spec(tokens: Value) -> openapi::Spec {
    let mut doc = openapi::reference::reference_json();
    doc["x-token-lifecycle"]["tokens"] = tokens;
    let login = doc
        .pointer_mut("/paths/~1auth~1login/post")
        .expect("the reference spec has a login");
    login["x-token-lifecycle"]["issue"]["idToken"] = json!("$response.body#/idToken");
    let schema = doc
        .pointer_mut("/components/schemas/TokenPair/properties")
        .and_then(Value::as_object_mut);
    if let Some(props) = schema {
        props.insert("idToken".into(), json!({"type": "string"}));
    }
    openapi::Spec::from_value(doc).expect("the patched reference spec loads")
}

async fn login(server: &MockServer) -> Value {
    reqwest::Client::new()
        .post(format!("{}/auth/login", server.uri()))
        .json(&json!({"username": "demo", "password": "demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn get(server: &MockServer, path: &str) -> Value {
    let resp = reqwest::get(format!("{}{path}", server.uri()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn rs256_access_tokens_verify_with_the_jwks_and_carry_the_models_claims() {
    let tokens = json!({"format": "jwt", "issuer": "https://issuer.example", "audience": "api"});
    let server = MockServer::builder()
        .spec(spec(tokens))
        .start()
        .await
        .unwrap();
    let discovery = get(&server, "/.well-known/openid-configuration").await;
    assert_eq!(discovery["issuer"], "https://issuer.example");
    let jwks_uri = discovery["jwks_uri"].as_str().unwrap();
    assert!(jwks_uri.ends_with("/.well-known/jwks.json"), "{jwks_uri}");
    let jwks: JwkSet =
        serde_json::from_value(get(&server, "/.well-known/jwks.json").await).unwrap();
    let pair = login(&server).await;
    let access = pair["accessToken"].as_str().unwrap();
    let header = decode_header(access).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("the kid is in the JWKS");
    // The key id is derived from the key (RFC 7638), not random.
    assert_eq!(
        header.kid,
        Some(jwk.thumbprint(ThumbprintHash::SHA256).unwrap())
    );
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&["https://issuer.example"]);
    validation.set_audience(&["api"]);
    let claims = decode::<Value>(access, &key, &validation).unwrap().claims;
    assert_eq!(claims["sub"], "demo");
    let ttl = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert_eq!(Some(ttl), pair["expiresIn"].as_u64());
    // Every token is its own: a unique jti.
    let again = login(&server).await;
    let other = decode::<Value>(again["accessToken"].as_str().unwrap(), &key, &validation)
        .unwrap()
        .claims;
    assert_ne!(claims["jti"], other["jti"]);
    // The ID token is signed by the same key, for the user.
    let id = pair["idToken"].as_str().expect("an ID token at login");
    let mut id_validation = Validation::new(Algorithm::RS256);
    id_validation.set_issuer(&["https://issuer.example"]);
    id_validation.set_audience(&["api"]);
    let id_claims = decode::<Value>(id, &key, &id_validation).unwrap().claims;
    assert_eq!(id_claims["sub"], "demo");
    // A good signature is not enough: the model decides. After logout
    // the JWT still verifies but is refused.
    let client = reqwest::Client::new();
    let logout = client
        .post(format!("{}/auth/logout", server.uri()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert!(decode::<Value>(access, &key, &validation).is_ok());
    let me = client
        .get(format!("{}/me", server.uri()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
}

/// A mock whose access tokens are HS256 JWTs signed with `shared-secret`.
async fn hs256_server() -> MockServer {
    let tokens = json!({"format": "jwt", "algorithm": "HS256", "secret": "shared-secret"});
    MockServer::builder()
        .spec(spec(tokens))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn hs256_tokens_are_signed_with_the_specs_secret() {
    let server = hs256_server().await;
    let pair = login(&server).await;
    let access = pair["accessToken"].as_str().unwrap();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&["urn:tokenmock"]);
    validation.validate_aud = false;
    let key = DecodingKey::from_secret(b"shared-secret").unwrap();
    let claims = decode::<Value>(access, &key, &validation).unwrap().claims;
    assert_eq!(claims["sub"], "demo");
    assert!(decode::<Value>(
        access,
        &DecodingKey::from_secret(b"other").unwrap(),
        &validation
    )
    .is_err());
    // The secret is not published.
    let jwks = get(&server, "/.well-known/jwks.json").await;
    assert_eq!(jwks["keys"], json!([]));
    // Refresh tokens stay opaque.
    assert_eq!(
        pair["refreshToken"].as_str().unwrap().matches('.').count(),
        0
    );
}

#[test]
fn hs256_without_a_secret_does_not_load() {
    let mut doc = openapi::reference::reference_json();
    doc["x-token-lifecycle"]["tokens"] = json!({"format": "jwt", "algorithm": "HS256"});
    let err = openapi::Spec::from_value(doc).unwrap_err().to_string();
    assert!(err.contains("#/x-token-lifecycle/tokens/secret"), "{err}");
}

/// A JWT with the claims `edit` makes of `access`'s, signed with `secret`.
fn resigned(access: &str, secret: &[u8], edit: impl FnOnce(&mut Value)) -> String {
    use base64::Engine;
    let payload = access.split('.').nth(1).unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let mut claims: Value = serde_json::from_slice(&payload).unwrap();
    edit(&mut claims);
    let header = jsonwebtoken::Header::new(Algorithm::HS256);
    let key = jsonwebtoken::EncodingKey::from_secret(secret).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

#[tokio::test]
async fn a_jwt_counts_only_with_its_signature_and_the_stamp_in_its_jti() {
    let server = hs256_server().await;
    let pair = login(&server).await;
    let access = pair["accessToken"].as_str().unwrap();
    let client = reqwest::Client::new();
    let me = |token: String| {
        client
            .get(format!("{}/me", server.uri()))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(me(access.to_owned()).await.unwrap().status(), 200);
    let mut claims = Value::Null;
    resigned(access, b"shared-secret", |c| claims = c.clone());
    assert_eq!(claims["sid"], 0, "the session, as a claim");
    let jti = claims["jti"].as_str().unwrap().to_owned();
    assert_eq!(jti.len(), mock_server::TOKEN_LEN);
    // Signed by another key; a jti with one character changed, signed by
    // the spec's; the jti alone, as if it were a token.
    let other_key = resigned(access, b"other-secret", |_| {});
    let forged_jti = resigned(access, b"shared-secret", |c| {
        let mut j = jti.clone();
        let last = if j.ends_with('A') { "B" } else { "A" };
        j.replace_range(j.len() - 1.., last);
        c["jti"] = json!(j);
    });
    for (what, token) in [
        ("another key", other_key),
        ("an altered jti", forged_jti),
        ("the bare jti", jti.clone()),
    ] {
        let resp = me(token).await.unwrap();
        assert_eq!(resp.status(), 401, "{what}");
    }
    // The JWT itself still works.
    assert_eq!(me(access.to_owned()).await.unwrap().status(), 200);
}

#[tokio::test]
async fn discovery_names_the_revocation_and_introspection_endpoints_the_spec_binds() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/oauth2.yaml"
    ))
    .unwrap()
    .replacen(
        "x-token-lifecycle:\n",
        "x-token-lifecycle:\n  tokens:\n    format: jwt\n    algorithm: RS256\n",
        1,
    );
    let spec = openapi::Spec::from_str(&text).expect("the fixture with JWTs loads");
    let server = MockServer::builder().spec(spec).start().await.unwrap();
    let discovery = get(&server, "/.well-known/openid-configuration").await;
    let base = server.uri();
    assert_eq!(discovery["token_endpoint"], format!("{base}/oauth/token"));
    assert_eq!(
        discovery["revocation_endpoint"],
        format!("{base}/oauth/revoke")
    );
    assert_eq!(
        discovery["introspection_endpoint"],
        format!("{base}/oauth/introspect")
    );
}
