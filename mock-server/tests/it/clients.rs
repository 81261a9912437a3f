//! OAuth clients (`x-token-lifecycle.clients`, a binding's `client`): the
//! mock checks client authentication (HTTP Basic and form fields) and binds
//! every token to the client that got it.

use mock_server::MockServer;
use openapi::wire::basic_authorization;
use serde_json::{json, Value};

/// A token endpoint split in two operations (password login with HTTP
/// Basic, refresh with the client in the form), and a protected resource.
fn spec() -> openapi::Spec {
    let form = |props: Value, required: Value| {
        json!({"required": true, "content": {"application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": props, "required": required}
        }}})
    };
    let tokens = json!({"200": {"description": "tokens", "content": {"application/json": {
        "schema": {"type": "object", "properties": {
            "access_token": {"type": "string"}, "refresh_token": {"type": "string"}
        }}}}},
        "400": {"description": "invalid_grant"},
        "401": {"description": "invalid_client"}});
    let issue = json!({"accessToken": "$response.body#/access_token",
                       "refreshToken": "$response.body#/refresh_token"});
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "oauth", "version": "1"},
        "x-token-lifecycle": {
            "accounts": [{"username": "demo", "password": "demo"}],
            "clients": [{"id": "web", "secret": "web secret"}, {"id": "spa"}]
        },
        "components": {"securitySchemes": {
            "client": {"type": "http", "scheme": "basic"},
            "bearer": {"type": "http", "scheme": "bearer"}
        }},
        "paths": {
            "/token/password": {"post": {
                "security": [{"client": []}],
                "requestBody": form(
                    json!({"username": {"type": "string"}, "password": {"type": "string"}}),
                    json!(["username", "password"])),
                "responses": tokens.clone(),
                "x-token-lifecycle": {"action": "login",
                    "username": "$request.body#/username", "password": "$request.body#/password",
                    "client": {"auth": "client_secret_basic"},
                    "issue": issue.clone(),
                    "outcomes": {"invalidCredentials": 400, "invalid": 400}}
            }},
            "/token/refresh": {"post": {
                "requestBody": form(
                    json!({"refresh_token": {"type": "string"},
                           "client_id": {"type": "string"}, "client_secret": {"type": "string"}}),
                    json!(["refresh_token", "client_id"])),
                "responses": tokens,
                "x-token-lifecycle": {"action": "refresh",
                    "refreshToken": "$request.body#/refresh_token",
                    "client": {"auth": "client_secret_post"},
                    "issue": issue,
                    "outcomes": {"invalid": 400, "expired": 400}}
            }},
            "/me": {"get": {
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "me"}, "401": {"description": "no"}},
                "x-token-lifecycle": {"action": "protected",
                    "accessToken": {"from": "$request.header.Authorization", "scheme": "Bearer"}}
            }}
        }
    });
    openapi::Spec::from_value(doc).expect("the test spec loads")
}

async fn login(server: &MockServer, authorization: Option<String>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{}/token/password", server.uri()))
        .form(&[("username", "demo"), ("password", "demo")]);
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    req.send().await.unwrap()
}

async fn refresh(server: &MockServer, token: &str, client: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![("refresh_token", token)];
    form.extend_from_slice(client);
    reqwest::Client::new()
        .post(format!("{}/token/refresh", server.uri()))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn clients_authenticate_and_tokens_stay_with_their_client() {
    let server = MockServer::builder().spec(spec()).start().await.unwrap();
    // No client, a wrong secret: invalidClient (401).
    assert_eq!(login(&server, None).await.status(), 401);
    let wrong = basic_authorization("web", "nope");
    assert_eq!(login(&server, Some(wrong)).await.status(), 401);
    // The right secret, form-encoded in Basic as RFC 6749 writes it.
    let ok = login(&server, Some(basic_authorization("web", "web secret"))).await;
    assert_eq!(ok.status(), 200);
    let tokens: Value = ok.json().await.unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    // Another (public) client cannot use web's refresh token...
    let foreign = refresh(&server, &rt, &[("client_id", "spa")]).await;
    assert_eq!(foreign.status(), 400);
    // ...which is still good for web, with its secret in the form.
    let own = refresh(
        &server,
        &rt,
        &[("client_id", "web"), ("client_secret", "web secret")],
    )
    .await;
    assert_eq!(own.status(), 200);
    let next: Value = own.json().await.unwrap();
    // A confidential client without its secret does not authenticate.
    let bare = refresh(
        &server,
        next["refresh_token"].as_str().unwrap(),
        &[("client_id", "web")],
    )
    .await;
    assert_eq!(bare.status(), 401);
    // The access token works on its own.
    let me = reqwest::Client::new()
        .get(format!("{}/me", server.uri()))
        .bearer_auth(next["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}
