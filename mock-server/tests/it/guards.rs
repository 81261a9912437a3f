use serde_json::json;

use mock_server::MockServer;

use crate::support::Api;

/// The reference spec plus an unbound operation secured like `GET /me`.
fn spec_with_orders() -> openapi::Spec {
    let mut doc = openapi::reference::reference_json();
    doc["paths"]["/orders"] = json!({
        "get": {
            "operationId": "orders",
            "security": [{"bearerAuth": []}],
            "responses": {
                "200": {
                    "description": "orders",
                    "content": {"application/json": {"example": [{"id": 1}]}}
                },
                "401": {"description": "no or dead token"}
            }
        }
    });
    openapi::Spec::from_value(doc).unwrap()
}

#[tokio::test]
async fn unbound_operations_secured_like_protected_ones_check_the_token() {
    let api = Api::with(MockServer::builder().spec(spec_with_orders())).await;
    api.freeze_clock();
    let pair = api.login("demo", "demo").await;
    let orders = |token: String| api.get("/orders").bearer_auth(token).send();
    // A live token: the example.
    let resp = orders(pair.access.clone()).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap(),
        json!([{"id": 1}])
    );
    // Garbage, and no token at all: 401 with a challenge.
    let resp = orders("garbage".into()).await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("www-authenticate").is_some());
    let resp = api.get("/orders").send().await.unwrap();
    assert_eq!(resp.status(), 401);
    // After logout the session's token is dead here too.
    assert_eq!(api.logout(&pair.access).await.status(), 204);
    let resp = orders(pair.access.clone()).await.unwrap();
    assert_eq!(resp.status(), 401);
    // And an expired one.
    let pair = api.login("demo", "demo").await;
    api.server.advance_clock(3600);
    let resp = orders(pair.access).await.unwrap();
    assert_eq!(resp.status(), 401);
}
