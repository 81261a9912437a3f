//! Malformed documents never panic.

use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("paths".to_owned()),
        Just("/a/{id}".to_owned()),
        Just("get".to_owned()),
        Just("post".to_owned()),
        Just("responses".to_owned()),
        Just("204".to_owned()),
        Just("200".to_owned()),
        Just("content".to_owned()),
        Just("schema".to_owned()),
        Just("$ref".to_owned()),
        Just("properties".to_owned()),
        Just("allOf".to_owned()),
        Just("oneOf".to_owned()),
        Just("parameters".to_owned()),
        Just("requestBody".to_owned()),
        Just("components".to_owned()),
        Just("schemas".to_owned()),
        Just("security".to_owned()),
        Just("x-token-lifecycle".to_owned()),
        Just("example".to_owned()),
        Just("action".to_owned()),
        "[a-z]{1,3}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        Just(json!("#/components/schemas/a")),
        Just(json!("#/paths")),
        Just(json!("#")),
        Just(json!("$request.body#/x")),
        "[a-z#/{}]{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn arbitrary_json_never_panics(a in arb_json(), b in arb_json()) {
        let _ = drift::diff(&a, &b);
        let _ = drift::lint(&a);
    }
}

#[test]
fn garbage_shapes() {
    let shapes = [
        json!(null),
        json!([1, 2]),
        json!({"paths": []}),
        json!({"paths": {"/a": "x"}}),
        json!({"paths": {"/a": {"get": {"responses": "x", "parameters": {"a": 1}}}}}),
        json!({"paths": {"/a": {"get": {"responses": {"200": {"content": []}}, "security": "x"}}}}),
        json!({"paths": {"/a": {"$ref": "#/paths/~1a"}}}),
        json!({"paths": {"/a": {"get": {"x-token-lifecycle": [1], "responses": {"204": {"content": {"a": 1}}}}}}}),
        json!({"x-token-lifecycle": {"policy": {"accessTokenTtl": "soon"}}}),
        json!({"x-token-lifecycle": 3}),
        json!({"paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/A"}, "example": 1}}}}}}},
            "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}}}),
        json!({"paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"allOf": [{"$ref": "#/components/schemas/A"}], "oneOf": [true, false, 3]}}}}}}}},
            "components": {"schemas": {"A": {"allOf": [{"$ref": "#/components/schemas/A"}], "properties": 3, "required": "x", "enum": 1}}}}),
        json!({"paths": {"/a": {"get": {"x-token-lifecycle": {"action": "refresh", "refreshToken": {"from": 3}, "issue": "x",
            "outcomes": {"success": {"status": []}}}, "responses": {}}}}}),
    ];
    for a in &shapes {
        for b in &shapes {
            let _ = drift::diff(a, b);
        }
        let _ = drift::lint(a);
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let mut schema = json!({"type": "string"});
    for i in 0..200 {
        schema = json!({"type": "object", "properties": {format!("p{i}"): schema}});
    }
    let doc = |s: &Value| {
        json!({"paths": {"/a": {"post": {"requestBody": {"content": {"application/json": {"schema": s, "example": {}}}},
            "responses": {"200": {"description": "ok"}}}}}})
    };
    let mut other = schema.clone();
    other["type"] = json!("array");
    let _ = drift::diff(&doc(&schema), &doc(&other));
    let _ = drift::lint(&doc(&schema));
}
