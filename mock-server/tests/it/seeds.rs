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

/// The Docker Engine API, written in Swagger 2.0, served as a client
/// developer uses it: under its `basePath`, `/_ping` as text, `/auth` a
/// login answering an identity token, bodies checked against the 2.0 body
/// parameter.
#[tokio::test]
async fn docker_engine_swagger_2_is_served_under_its_base_path() {
    let api = fixture("docker-engine.yaml").await;
    let resp = api.get("/v1.43/_ping").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(crate::support::content_type(&resp).starts_with("text/plain"));
    assert_eq!(resp.text().await.unwrap(), "OK");
    let resp = api.get("/v1.43/version").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let version: Value = resp.json().await.unwrap();
    assert_eq!(version["ApiVersion"], json!("1.40"));
    // The login: the identity token is minted, not the example's.
    let credentials = |password: &str| {
        let registry = "https://index.docker.io/v1/";
        json!({"username": "demo", "password": password, "serveraddress": registry})
    };
    let resp = api.post_json("/v1.43/auth", &credentials("demo")).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let token = body["IdentityToken"].as_str().unwrap();
    assert!(token.len() >= 20 && token != "9cbaf023786cd7...", "{body}");
    assert_eq!(body["Status"], json!("Login Succeeded"));
    let resp = api.post_json("/v1.43/auth", &credentials("wrong")).await;
    assert_eq!(resp.status(), 401);
    let refusal = resp.text().await.unwrap();
    assert!(refusal.contains("incorrect username"), "{refusal}");
    // The body parameter of /containers/create is the request body: a
    // wrong type is refused with the 400 the document gives.
    let resp = api
        .post_json("/v1.43/containers/create?name=web", &json!({"Image": 7}))
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"message": "Something went wrong."})
    );
    let resp = api
        .post_json(
            "/v1.43/containers/create?name=web",
            &json!({"Image": "nginx", "HostConfig": {"AutoRemove": true}}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    assert!(
        created["Id"].is_string() && created["Warnings"].is_array(),
        "{created}"
    );
    let sent = [
        api.post("/v1.43/containers/ede54ee1afda/start"),
        // Query parameters are typed: `all` is a boolean.
        api.get("/v1.43/containers/json?all=maybe"),
        api.get("/v1.43/containers/json?all=true&limit=2"),
    ];
    let mut statuses = Vec::new();
    for request in sent {
        statuses.push(request.send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [204, 400, 200]);
}

/// `host` without `schemes` is a scheme-relative server (`//host/v1`):
/// its path is still the base path.
#[tokio::test]
async fn a_swagger_2_host_without_schemes_keeps_its_base_path() {
    let spec = openapi::Spec::from_value(json!({
        "swagger": "2.0", "info": {"title": "t", "version": "1"},
        "host": "api.example.com", "basePath": "/v1/",
        "paths": {"/pets": {"get": {"produces": ["application/json"],
            "responses": {"200": {"description": "ok", "schema": {"type": "array", "items": {"type": "string"}},
                "examples": {"application/json": ["rex"]}}}}}}
    }))
    .unwrap();
    assert_eq!(
        spec.document()["servers"],
        json!([{"url": "//api.example.com/v1"}])
    );
    let api = Api::with(MockServer::builder().spec(spec)).await;
    let resp = api.get("/v1/pets").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!(["rex"]));
}

/// An absent body is a missing token, answered as the spec maps `missing`
/// (the Refresh Token API's documented 401), exactly as `{}` is.
#[tokio::test]
async fn an_absent_body_is_a_missing_token_like_an_empty_object() {
    let api = fixture("refresh-token-api.yaml").await;
    let empty = api.post_json("/api/login/refresh-token", &json!({})).await;
    assert_eq!(empty.status(), 401);
    let empty_body: Value = empty.json().await.unwrap();
    let absent = api
        .post("/api/login/refresh-token")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(absent.status(), 401);
    let absent_body: Value = absent.json().await.unwrap();
    assert_eq!(absent_body, empty_body);
}
