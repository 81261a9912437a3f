//! `fixtures/oauth2.yaml`: one token endpoint dispatching by `grant_type`
//! (a binding per grant, `when`), client authentication per binding
//! (HTTP Basic), RFC 7009 revocation and RFC 7662 introspection.

use mock_server::MockServer;
use openapi::wire::basic_authorization;
use serde_json::{json, Value};

use crate::support::{root, Api};

const WEB: (&str, &str) = ("web-app", "web-app-secret");
const MOBILE: (&str, &str) = ("mobile-app", "mobile-app-secret");

async fn oauth() -> Api {
    let spec = openapi::Spec::from_path(&root().join("fixtures/oauth2.yaml")).unwrap();
    let api = Api::with(MockServer::builder().spec(spec)).await;
    api.freeze_clock();
    api
}

/// A form post to `path` as `client` (HTTP Basic; `None`: no client).
async fn post(
    api: &Api,
    path: &str,
    client: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = api.post(path).form(form);
    if let Some((id, secret)) = client {
        req = req.header("authorization", basic_authorization(id, secret));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn password_grant(api: &Api, client: (&str, &str)) -> (String, String) {
    let (status, body) = post(
        api,
        "/oauth/token",
        Some(client),
        &[
            ("grant_type", "password"),
            ("username", "demo"),
            ("password", "demo"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let field = |k: &str| body[k].as_str().unwrap().to_owned();
    (field("access_token"), field("refresh_token"))
}

async fn refresh_grant(api: &Api, client: (&str, &str), refresh: &str) -> (u16, Value) {
    post(
        api,
        "/oauth/token",
        Some(client),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await
}

async fn introspect(api: &Api, token: &str) -> Value {
    let (status, body) = post(api, "/oauth/introspect", Some(WEB), &[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn me(api: &Api, access: &str) -> u16 {
    api.get("/api/me")
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The OAuth error body the spec documents for `code`.
fn error(code: &str) -> Value {
    let spec = openapi::Spec::from_path(&root().join("fixtures/oauth2.yaml")).unwrap();
    spec.document()["components"]["examples"][code]["value"].clone()
}

#[tokio::test]
async fn each_grant_type_gets_its_own_binding() {
    let api = oauth().await;
    let (access, refresh) = password_grant(&api, WEB).await;
    assert_eq!(me(&api, &access).await, 200);
    let (status, next) = refresh_grant(&api, WEB, &refresh).await;
    assert_eq!(status, 200, "{next}");
    assert_ne!(next["refresh_token"].as_str(), Some(refresh.as_str()));
    // The spent refresh token again: RFC 6749's invalid_grant, and the
    // reuse ends the grant.
    let (status, body) = refresh_grant(&api, WEB, &refresh).await;
    assert_eq!((status, body), (400, error("invalid_grant")));
    assert_eq!(me(&api, next["access_token"].as_str().unwrap()).await, 401);
    // A wrong password is invalid_grant too (section 5.2).
    let (status, body) = post(
        &api,
        "/oauth/token",
        Some(WEB),
        &[
            ("grant_type", "password"),
            ("username", "demo"),
            ("password", "nope"),
        ],
    )
    .await;
    assert_eq!((status, body), (400, error("invalid_grant")));
}

#[tokio::test]
async fn a_grant_no_binding_names_is_unsupported() {
    let api = oauth().await;
    for grant in ["client_credentials", "authorization_code", "PASSWORD"] {
        let (status, body) = post(&api, "/oauth/token", Some(WEB), &[("grant_type", grant)]).await;
        assert_eq!(
            (status, body),
            (400, error("unsupported_grant_type")),
            "{grant}"
        );
    }
    let last = api.server.journal(1);
    assert_eq!(last[0].outcome.as_deref(), Some("unsupported"));
    // No grant type at all breaks the schema: a 400 (the spec's own
    // shape), not a grant.
    let (status, body) = post(&api, "/oauth/token", Some(WEB), &[("username", "demo")]).await;
    assert_eq!(status, 400, "{body}");
    // A grant without what it needs is the binding's `missing`.
    let (status, body) = post(
        &api,
        "/oauth/token",
        Some(WEB),
        &[("grant_type", "refresh_token")],
    )
    .await;
    assert_eq!((status, body), (400, error("invalid_request")));
}

#[tokio::test]
async fn clients_authenticate_on_every_grant_and_keep_their_tokens() {
    let api = oauth().await;
    let (access, refresh) = password_grant(&api, WEB).await;
    // No client, a wrong secret, an unknown client: invalid_client, 401,
    // with the Basic challenge the spec documents.
    for client in [None, Some(("web-app", "nope")), Some(("tv-app", "x"))] {
        let resp = {
            let mut req = api.post("/oauth/token").form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
            ]);
            if let Some((id, secret)) = client {
                req = req.header("authorization", basic_authorization(id, secret));
            }
            req.send().await.unwrap()
        };
        assert_eq!(resp.status(), 401, "{client:?}");
        assert_eq!(
            resp.headers()["www-authenticate"],
            "Basic realm=\"oauth\"",
            "{client:?}"
        );
        assert_eq!(resp.json::<Value>().await.unwrap(), error("invalid_client"));
    }
    // Another client's refresh token is no grant of this one.
    let (status, body) = refresh_grant(&api, MOBILE, &refresh).await;
    assert_eq!((status, body), (400, error("invalid_grant")));
    // Nor can it revoke it: 200 (RFC 7009 section 2.2), the token lives on.
    let (status, _) = post(&api, "/oauth/revoke", Some(MOBILE), &[("token", &access)]).await;
    assert_eq!(status, 200);
    assert_eq!(me(&api, &access).await, 200);
    let (status, _) = refresh_grant(&api, WEB, &refresh).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn rfc_7009_revokes_either_kind_and_answers_200_for_unknown_tokens() {
    let api = oauth().await;
    let (access, refresh) = password_grant(&api, WEB).await;
    // An access token, without a hint.
    let (status, body) = post(&api, "/oauth/revoke", Some(WEB), &[("token", &access)]).await;
    assert_eq!((status, body), (200, Value::Null));
    assert_eq!(me(&api, &access).await, 401);
    // A refresh token, with a wrong hint: found all the same (section 2.1).
    let (status, _) = post(
        &api,
        "/oauth/revoke",
        Some(WEB),
        &[("token", &refresh), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = refresh_grant(&api, WEB, &refresh).await;
    assert_eq!(status, 400);
    // Unknown, already revoked, garbage: 200.
    for token in ["never-issued", refresh.as_str(), "\u{1F600}"] {
        let (status, _) = post(&api, "/oauth/revoke", Some(WEB), &[("token", token)]).await;
        assert_eq!(status, 200, "{token}");
    }
    // No token, an empty one: the binding's `missing`, whatever the policy
    // says of invalid tokens.
    for form in [&[][..], &[("token", "")][..]] {
        let (status, body) = post(&api, "/oauth/revoke", Some(WEB), form).await;
        assert_eq!((status, body), (400, error("invalid_request")), "{form:?}");
    }
    // The client authenticates here too.
    let (status, body) = post(&api, "/oauth/revoke", None, &[("token", "x")]).await;
    assert_eq!((status, body), (401, error("invalid_client")));
}

#[tokio::test]
async fn rfc_7662_introspection_is_the_models_word() {
    let api = oauth().await;
    let (access, refresh) = password_grant(&api, WEB).await;
    let now = api.server.clock().now;
    let a = introspect(&api, &access).await;
    assert_eq!(
        a,
        json!({"active": true, "client_id": "web-app", "sub": "demo",
               "token_type": "access_token", "exp": now + 3600})
    );
    let r = introspect(&api, &refresh).await;
    assert_eq!(r["token_type"], "refresh_token");
    assert_eq!(r["exp"], now + 1_209_600);
    // Another client asks about web-app's token: introspection answers
    // about any token (the caller is a resource server).
    let (status, b) = post(
        &api,
        "/oauth/introspect",
        Some(MOBILE),
        &[("token", &access)],
    )
    .await;
    assert_eq!((status, b["client_id"].clone()), (200, json!("web-app")));
    // Inactive: `active` and nothing more (section 2.2).
    post(&api, "/oauth/revoke", Some(WEB), &[("token", &access)]).await;
    assert_eq!(introspect(&api, &access).await, json!({"active": false}));
    assert_eq!(introspect(&api, "garbage").await, json!({"active": false}));
    // Expired.
    api.server.advance_clock(1_209_600);
    assert_eq!(introspect(&api, &refresh).await, json!({"active": false}));
    let (status, body) = post(&api, "/oauth/introspect", Some(WEB), &[]).await;
    assert_eq!((status, body), (400, error("invalid_request")));
}

#[tokio::test]
async fn the_guarded_resource_refuses_what_the_model_holds_dead() {
    let api = oauth().await;
    let (access, _) = password_grant(&api, WEB).await;
    let orders = |t: String| {
        let req = api.get("/api/orders").bearer_auth(t);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(orders(access.clone()).await, 200);
    post(&api, "/oauth/revoke", Some(WEB), &[("token", &access)]).await;
    assert_eq!(orders(access).await, 401);
}

/// `revokeIgnoresInvalidTokens` answers a revocation without a token with
/// its success only where the binding does not map `missing`: mapped, the
/// binding's own answer holds (the 400 of django-oauth-toolkit for
/// an empty `token`, here revoke-all's 401).
#[tokio::test]
async fn a_revocation_honours_missing_where_its_binding_maps_it() {
    let mut doc = openapi::reference::reference_json();
    let op = &mut doc["paths"]["/refresh-tokens/mine"]["delete"];
    op["responses"]["401"] = json!({"description": "No access token."});
    op["x-token-lifecycle"]["outcomes"] = json!({"missing": 401});
    let spec = openapi::Spec::from_value(doc).unwrap();
    let api = Api::with(MockServer::builder().spec(spec)).await;
    let status = |resp: reqwest::Response| resp.status().as_u16();
    assert_eq!(status(api.revoke_mine(None).await), 401);
    // A token it cannot revoke is still ignored.
    let garbage = crate::support::bearer("garbage");
    assert_eq!(status(api.revoke_mine(Some(garbage)).await), 204);
}
