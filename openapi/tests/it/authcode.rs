//! Authorization codes: single use, expiry, PKCE (S256 and plain), and the
//! binding of a code to its client and redirect URI; the code flow's
//! vocabulary and the model's session without a password.

use openapi::authcode::{
    redirect_matches, s256, well_formed, Challenge, ChallengeMethod, CodeError, Codes, Grant,
    Redemption, CODE_TTL,
};
use openapi::model::{Model, Outcome, Policy, Rejection, TokenKind};
use proptest::prelude::*;
use serde_json::json;

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://app.example/cb";

fn grant(challenge: Option<Challenge>) -> Grant {
    Grant {
        username: "demo".into(),
        client_id: "spa".into(),
        redirect_uri: REDIRECT.into(),
        redirect_uri_sent: true,
        scope: Some("openid profile".into()),
        nonce: Some("n-1".into()),
        challenge,
        issued_at: 100,
    }
}

fn s256_grant() -> Grant {
    grant(Some(Challenge {
        method: ChallengeMethod::S256,
        value: CHALLENGE.into(),
    }))
}

fn redemption<'a>(code: &'a str, verifier: Option<&'a str>) -> Redemption<'a> {
    Redemption {
        code: Some(code),
        client_id: Some("spa"),
        redirect_uri: Some(REDIRECT),
        verifier,
    }
}

#[test]
fn the_s256_challenge_is_rfc_7636s() {
    assert_eq!(s256(VERIFIER), CHALLENGE);
    assert!(well_formed(VERIFIER));
    assert!(!well_formed("too-short"));
    assert!(!well_formed(&"a".repeat(129)));
    assert!(!well_formed(&format!("{}+", "a".repeat(43))));
}

#[test]
fn a_code_works_once_and_its_reuse_names_the_session_it_started() {
    let mut codes = Codes::new();
    codes.issue("c1".into(), s256_grant(), 100);
    let got = codes.redeem(redemption("c1", Some(VERIFIER)), 101).unwrap();
    assert_eq!(got.username, "demo");
    assert_eq!(got.nonce.as_deref(), Some("n-1"));
    assert!(got.openid());
    // Before the session is recorded, a replay names none.
    assert_eq!(
        codes.redeem(redemption("c1", Some(VERIFIER)), 102),
        Err(CodeError::Reused { session: None })
    );
    codes.started("c1", 7);
    assert_eq!(
        codes.redeem(redemption("c1", Some(VERIFIER)), 103),
        Err(CodeError::Reused { session: Some(7) })
    );
}

#[test]
fn a_code_expires_after_its_lifetime_to_the_second() {
    let mut codes = Codes::new();
    codes.issue("c1".into(), s256_grant(), 100);
    codes.issue("c2".into(), s256_grant(), 100);
    assert!(codes
        .redeem(redemption("c1", Some(VERIFIER)), 100 + CODE_TTL - 1)
        .is_ok());
    assert_eq!(
        codes.redeem(redemption("c2", Some(VERIFIER)), 100 + CODE_TTL),
        Err(CodeError::Expired)
    );
    // Long after, codes are forgotten when new ones are issued.
    codes.issue("c3".into(), s256_grant(), 100 + 2 * CODE_TTL);
    assert_eq!(codes.len(), 1);
    assert_eq!(
        codes.redeem(redemption("c1", Some(VERIFIER)), 100 + 2 * CODE_TTL),
        Err(CodeError::Unknown)
    );
}

#[test]
fn pkce_s256_and_plain_and_no_downgrade() {
    let mut codes = Codes::new();
    codes.issue("s".into(), s256_grant(), 0);
    assert_eq!(
        codes.redeem(redemption("s", Some(CHALLENGE)), 1),
        Err(CodeError::VerifierMismatch),
        "the challenge is not the verifier"
    );
    codes.issue("s2".into(), s256_grant(), 0);
    assert_eq!(
        codes.redeem(redemption("s2", None), 1),
        Err(CodeError::VerifierMissing)
    );
    let plain = Challenge {
        method: ChallengeMethod::Plain,
        value: VERIFIER.into(),
    };
    codes.issue("p".into(), grant(Some(plain)), 0);
    assert!(codes.redeem(redemption("p", Some(VERIFIER)), 1).is_ok());
    codes.issue("n".into(), grant(None), 0);
    assert_eq!(
        codes.redeem(redemption("n", Some(VERIFIER)), 1),
        Err(CodeError::UnexpectedVerifier)
    );
    codes.issue("n2".into(), grant(None), 0);
    assert!(codes.redeem(redemption("n2", None), 1).is_ok());
    assert_eq!(ChallengeMethod::parse(None), Some(ChallengeMethod::Plain));
    assert_eq!(
        ChallengeMethod::parse(Some("S256")),
        Some(ChallengeMethod::S256)
    );
    assert_eq!(ChallengeMethod::parse(Some("s256")), None);
}

#[test]
fn a_code_is_bound_to_its_client_and_redirect_uri() {
    let mut codes = Codes::new();
    codes.issue("c".into(), s256_grant(), 0);
    let other_client = Redemption {
        client_id: Some("web"),
        ..redemption("c", Some(VERIFIER))
    };
    assert_eq!(codes.redeem(other_client, 1), Err(CodeError::WrongClient));
    // Another client's attempt leaves the code to its own client.
    assert!(codes.redeem(redemption("c", Some(VERIFIER)), 1).is_ok());
    for uri in [Some("https://app.example/cb2"), None] {
        codes.issue("r".into(), s256_grant(), 0);
        let r = Redemption {
            redirect_uri: uri,
            ..redemption("r", Some(VERIFIER))
        };
        assert_eq!(
            codes.redeem(r, 1),
            Err(CodeError::RedirectMismatch),
            "{uri:?}"
        );
        // A wrong redirect spends the code.
        assert!(matches!(
            codes.redeem(redemption("r", Some(VERIFIER)), 1),
            Err(CodeError::Reused { .. })
        ));
    }
    // Where the authorization request named no redirect_uri, the token
    // request need not.
    let mut unnamed = s256_grant();
    unnamed.redirect_uri_sent = false;
    codes.issue("u".into(), unnamed, 0);
    let r = Redemption {
        redirect_uri: None,
        ..redemption("u", Some(VERIFIER))
    };
    assert!(codes.redeem(r, 1).is_ok());
    assert_eq!(
        codes.redeem(Redemption::default(), 1),
        Err(CodeError::Missing)
    );
}

#[test]
fn loopback_redirect_uris_match_on_any_port() {
    assert!(redirect_matches(
        "http://127.0.0.1/cb",
        "http://127.0.0.1:5000/cb"
    ));
    assert!(redirect_matches("http://[::1]:1/cb", "http://[::1]:2/cb"));
    assert!(!redirect_matches(
        "http://127.0.0.1/cb",
        "http://127.0.0.1:5000/other"
    ));
    assert!(!redirect_matches(
        "https://app.example/cb",
        "https://app.example:444/cb"
    ));
    assert!(!redirect_matches(
        "http://localhost/cb",
        "http://localhost:3000/cb"
    ));
    assert!(!redirect_matches(
        "http://127.0.0.1/cb",
        "http://127.0.0.1.evil/cb"
    ));
}

proptest! {
    #[test]
    fn only_the_verifier_opens_its_s256_challenge(
        verifier in "[A-Za-z0-9._~-]{43,128}",
        other in "[A-Za-z0-9._~-]{43,128}",
    ) {
        let c = Challenge { method: ChallengeMethod::S256, value: s256(&verifier) };
        prop_assert!(c.verifies(&verifier));
        prop_assert_eq!(c.verifies(&other), other == verifier);
    }
}

#[test]
fn grant_starts_a_session_without_a_password_for_a_known_client() {
    let mut model =
        Model::new(Policy::default(), [("demo", "demo")]).with_clients([openapi::model::Client {
            id: "spa".into(),
            secret: None,
        }]);
    let mut mint = openapi::model::Symbolic::new();
    let Outcome::Issued(t) = model.grant("demo", Some("spa"), 5, &mut mint) else {
        panic!("no tokens")
    };
    assert_eq!(model.session(t.session).unwrap().started_at, 5);
    assert!(model.is_usable(&t.access_token, TokenKind::Access, 6, &mint));
    assert_eq!(
        model.grant("nobody", Some("spa"), 5, &mut mint),
        Outcome::Rejected(Rejection::InvalidCredentials)
    );
    assert_eq!(
        model.grant("demo", Some("web"), 5, &mut mint),
        Outcome::Rejected(Rejection::InvalidClient)
    );
    // Ending the session kills its tokens.
    model.end_session(t.session, 6);
    assert!(!model.is_usable(&t.access_token, TokenKind::Access, 6, &mint));
    assert!(!model.is_usable(&t.refresh_token, TokenKind::Refresh, 6, &mint));
}

/// A minimal code-flow document, with `patch` applied to its operations.
fn flow_doc() -> serde_json::Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "flow", "version": "1"},
        "x-token-lifecycle": {
            "accounts": [{"username": "demo", "password": "demo"}],
            "clients": [{"id": "spa", "redirectUris": ["http://127.0.0.1/cb"]}]
        },
        "paths": {
            "/authorize": {"get": {
                "parameters": [
                    {"name": "response_type", "in": "query", "schema": {"type": "string"}},
                    {"name": "client_id", "in": "query", "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "page"}, "302": {"description": "back"}},
                "x-token-lifecycle": {"action": "authorize"}
            }},
            "/token": {"post": {
                "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "client_id": {"type": "string"}}
                }}}},
                "responses": {"200": {"description": "tokens", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"access_token": {"type": "string"}}}
                }}}},
                "x-token-lifecycle": {"action": "exchange-code",
                    "client": {"auth": "none"},
                    "issue": {"accessToken": "$response.body#/access_token"}}
            }}
        }
    })
}

fn problems(doc: serde_json::Value) -> Vec<String> {
    match openapi::Spec::from_value(doc) {
        Ok(_) => Vec::new(),
        Err(e) => e.to_string().lines().map(str::to_owned).collect(),
    }
}

#[test]
fn the_code_flow_vocabulary_loads_and_names_what_is_wrong() {
    let doc = flow_doc();
    let spec = openapi::Spec::from_value(doc.clone()).expect("the flow document loads");
    assert_eq!(
        spec.lifecycle().redirect_uris["spa"],
        vec!["http://127.0.0.1/cb".to_owned()]
    );
    let exchange = spec
        .operations()
        .iter()
        .find_map(|o| o.bindings.iter().find_map(|b| b.exchange.clone()))
        .expect("the exchange's places");
    assert_eq!(exchange.code.expr.to_string(), "$request.body#/code");
    assert_eq!(
        exchange.verifier.expr.to_string(),
        "$request.body#/code_verifier"
    );

    let mut broken = doc.clone();
    broken["paths"]["/authorize"]["get"]["responses"]
        .as_object_mut()
        .unwrap()
        .remove("302");
    broken["paths"]["/authorize"]["get"]["parameters"]
        .as_array_mut()
        .unwrap()
        .pop();
    broken["paths"]["/token"]["post"]["x-token-lifecycle"]
        .as_object_mut()
        .unwrap()
        .remove("client");
    broken["paths"]["/token"]["post"]["x-token-lifecycle"]["code"] = json!("$request.body#/nope");
    broken["x-token-lifecycle"]["clients"][0]["redirectUris"] =
        json!(["/relative", "https://a.example/#x"]);
    broken["x-token-lifecycle"]["tokens"] = json!({"format": "jwt", "jwks": "jwks.json"});
    let found = problems(broken).join("\n");
    for expected in [
        "#/paths/~1authorize/get/x-token-lifecycle: an `authorize` operation must document its redirect",
        "the operation declares no query parameter `client_id`",
        "#/paths/~1token/post/x-token-lifecycle/client: action `exchange-code` needs `client`",
        "#/paths/~1token/post/x-token-lifecycle/code",
        "#/x-token-lifecycle/clients/0/redirectUris/0",
        "#/x-token-lifecycle/clients/0/redirectUris/1",
        "#/x-token-lifecycle/tokens/jwks",
    ] {
        assert!(found.contains(expected), "no `{expected}` in:\n{found}");
    }
    // The exchange's places on another action are refused.
    let mut misplaced = doc;
    misplaced["paths"]["/authorize"]["get"]["x-token-lifecycle"]["code"] =
        json!("$request.query.code");
    let found = problems(misplaced).join("\n");
    assert!(
        found.contains("only `exchange-code` reads `code`"),
        "{found}"
    );
}
