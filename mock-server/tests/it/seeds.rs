use serde_json::{json, Value};

use mock_server::MockServer;

use crate::support::Api;

async fn fixture(name: &str) -> Api {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name);
    let spec = openapi::Spec::from_path(&path).unwrap();
    Api::with(MockServer::builder().spec(spec)).await
}

#[tokio::test]
async fn globkurier_logout_is_204_without_a_body_and_a_missing_token_is_its_401() {
    let api = fixture("globkurier.yaml").await;
    let resp = api
        .post_json(
            "/v1/auth/login",
            &json!({"login": "demo", "password": "demo"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let token = resp.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // No token at all: the documented 401, not a generic 400.
    let resp = api.post_json("/v1/auth/logout", &json!({})).await;
    assert_eq!(resp.status(), 401);
    // Accept-Language outside pl, en, br, fr is a 400 naming the header.
    let logout = |language: &'static str| {
        let req = api.post("/v1/auth/logout").header("x-auth-token", &token);
        req.header("accept-language", language)
            .json(&json!({}))
            .send()
    };
    let resp = logout("de").await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("$request.header.Accept-Language"));
    let resp = logout("pl").await.unwrap();
    assert_eq!(resp.status(), 204);
    assert!(resp.bytes().await.unwrap().is_empty());
    // The session is over.
    let resp = api
        .get("/v1/user")
        .header("x-auth-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn spryker_refresh_speaks_json_api_and_answers_901_for_a_missing_token() {
    let api = fixture("spryker-glue.yaml").await;
    let envelope =
        |kind: &str, attributes: Value| json!({"data": {"type": kind, "attributes": attributes}});
    let resp = api
        .post("/access-tokens")
        .header("content-type", "application/vnd.api+json")
        .body(
            envelope(
                "access-tokens",
                json!({"username": "demo", "password": "demo"}),
            )
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let body: Value = resp.json().await.unwrap();
    let refresh = body["data"]["attributes"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh_with = |attributes: Value| {
        api.post("/refresh-tokens")
            .header("content-type", "application/vnd.api+json")
            .body(envelope("refresh-tokens", attributes).to_string())
            .send()
    };
    let resp = refresh_with(json!({"refreshToken": refresh}))
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["type"], "refresh-tokens");
    assert_eq!(body["data"]["attributes"]["tokenType"], "Bearer");
    // Missing or empty: the documented 901.
    for attributes in [json!({}), json!({"refreshToken": ""})] {
        let resp = refresh_with(attributes).await.unwrap();
        assert_eq!(resp.status(), 422);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "901", "{body}");
    }
    // Revoking anything answers 204.
    for path in ["/refresh-tokens/mine", "/refresh-tokens/whatever"] {
        assert_eq!(api.delete(path).send().await.unwrap().status(), 204);
    }
}

#[tokio::test]
async fn the_refresh_token_api_answers_its_documented_401() {
    let api = fixture("refresh-token-api.yaml").await;
    let resp = api
        .post_json(
            "/api/login/refresh-token",
            &json!({"refreshToken": "aaaassw23242455555555555555555444464646"}),
        )
        .await;
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "401");
}
