use mock_server::MockServer;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

use crate::support::{content_type, expect_400, expect_problem, Api};

const XML: &str = r#"<pets><pet id="1">Rex</pet><pet id="2">Tom</pet></pets>"#;

/// A small spec with no `x-token-lifecycle` at all.
fn pets_spec() -> openapi::Spec {
    openapi::Spec::from_value(json!({
        "openapi": "3.1.0",
        "info": {"title": "Pets", "version": "1.0.0"},
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {"name": "X-Request-Id", "in": "header", "required": true, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "The pets.",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
                                    "examples": {
                                        "two": {"value": [{"id": 1, "name": "Rex"}, {"id": 2, "name": "Tom"}]},
                                        "one": {"value": [{"id": 3, "name": "Kit"}]}
                                    }
                                },
                                "application/xml": {
                                    "schema": {"type": "string"},
                                    "example": XML
                                }
                            }
                        },
                        "404": {
                            "description": "No pets.",
                            "content": {"application/json": {"example": {"message": "no pets"}}}
                        }
                    }
                }
            },
            "/secret": {
                "get": {
                    "operationId": "secret",
                    "security": [{"apiKey": []}],
                    "responses": {
                        "200": {
                            "description": "The secret.",
                            "content": {"application/json": {"example": {"secret": 42}}}
                        },
                        "401": {"description": "No key."}
                    }
                }
            }
        },
        "components": {
            "schemas": {
                "Pet": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}
                }
            },
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
            }
        }
    }))
    .expect("the pets spec loads")
}

async fn pets() -> Api {
    Api::with(MockServer::builder().spec(pets_spec())).await
}

fn list(api: &Api, query: &str) -> RequestBuilder {
    api.get(&format!("/pets{query}"))
        .header("x-request-id", "r-1")
}

/// `GET /pets` with this `Prefer` header.
async fn with_prefer(api: &Api, value: &str) -> Response {
    list(api, "").header("prefer", value).send().await.unwrap()
}

/// `GET /pets` with this `Accept` header.
async fn with_accept(api: &Api, value: &str) -> Response {
    list(api, "").header("accept", value).send().await.unwrap()
}

#[tokio::test]
async fn the_first_example_is_the_default_answer() {
    let api = pets().await;
    let resp = list(&api, "").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(content_type(&resp), "application/json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!([{"id": 1, "name": "Rex"}, {"id": 2, "name": "Tom"}])
    );
}

#[tokio::test]
async fn prefer_code_picks_a_documented_status() {
    let api = pets().await;
    let resp = with_prefer(&api, "code=404").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"message": "no pets"}));
    // An undocumented or malformed status is the caller's mistake: a 400
    // that names the documented ones.
    for code in ["code=418", "code=abc"] {
        let resp = with_prefer(&api, code).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let body: Value = resp.json().await.unwrap();
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(code) && detail.contains("200"), "{detail}");
    }
}

#[tokio::test]
async fn prefer_example_picks_a_named_example() {
    let api = pets().await;
    let resp = with_prefer(&api, "example=one").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!([{"id": 3, "name": "Kit"}]));
    // Several preferences in one header.
    let resp = with_prefer(&api, "code=200, example=\"one\"").await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!([{"id": 3, "name": "Kit"}]));
    // An unknown example is a 400 naming the examples there are.
    let resp = with_prefer(&api, "example=none").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("example=none") && detail.contains("one"),
        "{detail}"
    );
}

#[tokio::test]
async fn prefer_dynamic_generates_from_the_schema() {
    let api = pets().await;
    let resp = with_prefer(&api, "dynamic=true").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    let items = body.as_array().expect("an array, as the schema says");
    for pet in items {
        assert!(pet["id"].is_i64(), "{body}");
        assert!(pet["name"].is_string(), "{body}");
    }
    assert_ne!(
        body,
        json!([{"id": 1, "name": "Rex"}, {"id": 2, "name": "Tom"}])
    );
    assert_ne!(body, json!([{"id": 3, "name": "Kit"}]));
    // Deterministic for one seed.
    let again: Value = with_prefer(&api, "dynamic=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body, again);
}

#[tokio::test]
async fn accept_negotiates_json_or_xml() {
    let api = pets().await;
    let resp = with_accept(&api, "application/xml").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(content_type(&resp), "application/xml");
    assert_eq!(resp.text().await.unwrap(), XML);

    let resp = with_accept(&api, "application/xml;q=0.5, application/json").await;
    assert_eq!(content_type(&resp), "application/json");

    let resp = with_accept(&api, "application/json;q=0.1, application/xml;q=0.9").await;
    assert_eq!(content_type(&resp), "application/xml");

    for any in ["*/*", "application/*", "text/html, */*;q=0.1"] {
        let resp = with_accept(&api, any).await;
        assert_eq!(resp.status(), StatusCode::OK, "{any}");
        assert_eq!(content_type(&resp), "application/json", "{any}");
    }
}

#[tokio::test]
async fn accept_matching_nothing_is_406() {
    let api = pets().await;
    for accept in ["text/csv", "image/*", "application/json;q=0"] {
        let resp = with_accept(&api, accept).await;
        assert_eq!(resp.status(), StatusCode::NOT_ACCEPTABLE, "{accept}");
        assert_eq!(content_type(&resp), "application/problem+json");
    }
}

#[tokio::test]
async fn query_parameters_are_validated() {
    let api = pets().await;
    let resp = list(&api, "?limit=abc").send().await.unwrap();
    expect_400(resp, &["$request.query.limit"]).await;
    let resp = list(&api, "?limit=0").send().await.unwrap();
    expect_400(resp, &["$request.query.limit"]).await;
    let resp = list(&api, "?limit=1.5").send().await.unwrap();
    expect_400(resp, &["$request.query.limit"]).await;
    let resp = list(&api, "?limit=5").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Unknown parameters are tolerated.
    let resp = list(&api, "?other=x").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_required_header_is_checked() {
    let api = pets().await;
    let resp = api.get("/pets").send().await.unwrap();
    expect_400(resp, &["$request.header.X-Request-Id"]).await;
    // Every problem at once.
    let resp = api.get("/pets?limit=abc").send().await.unwrap();
    expect_400(
        resp,
        &["$request.header.X-Request-Id", "$request.query.limit"],
    )
    .await;
}

#[tokio::test]
async fn an_api_key_is_required_where_the_spec_says_so() {
    let api = pets().await;
    let secret = |key: &'static str| api.get("/secret").header("x-api-key", key).send();
    let resp = api.get("/secret").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().get("www-authenticate").is_some());
    let resp = secret("").await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = secret("k").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"secret": 42}));
}

#[tokio::test]
async fn unbound_operations_are_journaled_without_outcome() {
    let api = pets().await;
    list(&api, "").send().await.unwrap();
    let journal = api.server.journal(1);
    assert_eq!(journal[0].operation.as_deref(), Some("listPets"));
    assert_eq!(journal[0].outcome, None);
    assert_eq!(journal[0].status, 200);
}

/// Generated bodies validate against their schema, patterns and exclusive
/// `oneOf`s included.
#[tokio::test]
async fn generated_bodies_validate_against_their_schema() {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "ids", "version": "1"},
        "paths": {"/ids": {"get": {"responses": {"200": {
            "description": "ids",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ids"}}}
        }}}}},
        "components": {"schemas": {"Ids": {
            "type": "object",
            "required": ["sid", "either"],
            "properties": {
                "sid": {"type": "string", "pattern": "^AC[0-9a-f]{32}$"},
                // An integer such as 1 also matches the number branch,
                // which oneOf forbids: the first variant is invalid.
                "either": {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0.5, "multipleOf": 0.5}]}
            }
        }}}
    });
    let spec = openapi::Spec::from_value(doc).unwrap();
    let api = Api::with(MockServer::builder().spec(spec)).await;
    for prefer in ["", "dynamic=true"] {
        let resp = api.get("/ids").header("prefer", prefer).send();
        let resp = resp.await.unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        let sid = body["sid"].as_str().unwrap();
        assert!(sid.len() == 34 && sid.starts_with("AC"), "{body}");
        let check = openapi::Spec::from_value(json!({
            "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"schemas": {"Ids": api.server.spec().document()["components"]["schemas"]["Ids"].clone()}}
        }))
        .unwrap();
        let violations = check
            .schemas()
            .validate("/components/schemas/Ids", &body)
            .unwrap();
        assert!(violations.is_empty(), "{body}: {violations:?}");
    }
}

/// The refusals of unbound operations are problem documents too: 406,
/// a `Prefer` the spec cannot honour, and a 401 the spec does not document.
#[tokio::test]
async fn unbound_refusals_are_problem_documents() {
    let api = pets().await;
    expect_problem(with_accept(&api, "text/csv").await, 406).await;
    expect_problem(with_prefer(&api, "code=418").await, 400).await;
    let problem = expect_problem(with_prefer(&api, "example=none").await, 400).await;
    assert!(problem.errors.is_empty(), "{problem:?}");

    let mut doc = pets_spec().document().clone();
    doc["paths"]["/secret"]["get"]["responses"]
        .as_object_mut()
        .unwrap()
        .remove("401");
    let api = Api::with(MockServer::builder().spec(openapi::Spec::from_value(doc).unwrap())).await;
    let resp = api.get("/secret").send().await.unwrap();
    let challenge = resp.headers().get("www-authenticate").cloned();
    let problem = expect_problem(resp, 401).await;
    assert_eq!(problem.title, "Unauthorized");
    assert_eq!(
        challenge.unwrap(),
        "ApiKey in=\"header\", name=\"X-API-Key\""
    );
}
