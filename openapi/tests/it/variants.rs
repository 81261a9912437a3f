//! Several bindings on one operation (`when`), the RFC 7009 and 7662
//! actions and the renamed revocation policy: what loads, what each
//! request gets, and every problem of the reader (snapshots).

use openapi::binding::ActionKind;
use openapi::expr::Expr;
use openapi::model::OutcomeName;
use openapi::{LoadError, Rule, Spec};
use serde_json::{json, Value};

use crate::support::{load, root};

const TOKEN: &str = "/paths/~1oauth~1token/post";
const LC: &str = "x-token-lifecycle";

fn oauth2() -> Value {
    load(&root().join("fixtures/oauth2.yaml"))
}

/// `oauth2.yaml` with the value at `pointer` (under the token endpoint's
/// extension) replaced.
fn token_endpoint(pointer: &str, value: Value) -> Value {
    let mut doc = oauth2();
    *doc.pointer_mut(&format!("{TOKEN}/{LC}{pointer}"))
        .unwrap_or_else(|| panic!("no {pointer}")) = value;
    doc
}

/// Every problem the loader refuses `doc` for, one a line (each must also
/// be lint's: drift's agreement test runs over the same table).
fn problems_of(doc: &Value) -> String {
    match Spec::from_value(doc.clone()) {
        Err(LoadError::Bindings(problems)) => problems
            .iter()
            .map(|p| format!("{} {p}", p.rule.id()))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => panic!("refused for something else: {e}"),
        Ok(_) => panic!("the document loads"),
    }
}

/// A form body as the mock reads it.
fn form(pairs: &[(&str, &str)]) -> impl FnMut(&Expr) -> Option<Value> {
    let body: serde_json::Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(*v)))
        .collect();
    let body = Value::Object(body);
    move |e| match e {
        Expr::RequestBody(ptr) => ptr.get(&body).cloned(),
        _ => None,
    }
}

#[test]
fn the_token_endpoint_answers_each_grant_with_its_own_binding() {
    let spec = Spec::from_value(oauth2()).expect("oauth2.yaml loads");
    let op = spec.operation("token").unwrap();
    let actions: Vec<ActionKind> = op.bindings.iter().map(|b| b.action).collect();
    assert_eq!(actions, [ActionKind::Login, ActionKind::Refresh]);
    let chosen = |pairs: &[(&str, &str)]| op.binding_for(form(pairs)).map(|b| b.action);
    assert_eq!(
        chosen(&[("grant_type", "password"), ("username", "demo")]),
        Some(ActionKind::Login)
    );
    assert_eq!(
        chosen(&[("grant_type", "refresh_token")]),
        Some(ActionKind::Refresh)
    );
    assert_eq!(chosen(&[("grant_type", "client_credentials")]), None);
    assert_eq!(chosen(&[]), None);
    // No binding matches: the operation's `unsupported`, as mapped.
    let unsupported = op.unsupported.clone().unwrap();
    assert_eq!(unsupported.status, 400);
    assert_eq!(
        unsupported.example.as_deref(),
        Some("unsupported_grant_type")
    );
    assert_eq!(op.variant_name(0), "token [grant_type=password]");
    assert_eq!(op.variant_name(1), "token [grant_type=refresh_token]");
    // An operation with one unconditional binding has no variant names
    // and no `unsupported`.
    let me = spec.operation("me").unwrap();
    assert_eq!(me.variant_name(0), "me");
    assert!(me.unsupported.is_none());
}

#[test]
fn unsupported_defaults_to_the_lowest_documented_4xx() {
    let mut doc = oauth2();
    for i in 0..2 {
        let outcomes = doc
            .pointer_mut(&format!("{TOKEN}/{LC}/{i}/outcomes"))
            .and_then(Value::as_object_mut)
            .unwrap();
        outcomes.shift_remove("unsupported");
    }
    let spec = Spec::from_value(doc).unwrap();
    let op = spec.operation("token").unwrap();
    assert_eq!(op.unsupported.as_ref().map(|r| r.status), Some(400));
    // (401 is documented too: `unsupported` is not a refusal of a token.)
    assert!(op.response(401).is_some());
}

#[test]
fn the_rfc_7009_and_7662_actions_read_their_places() {
    let spec = Spec::from_value(oauth2()).unwrap();
    let revoke = &spec.operation("revoke").unwrap().bindings[0];
    assert_eq!(revoke.action, ActionKind::RevokeToken);
    assert_eq!(
        revoke.token.as_ref().unwrap().expr.to_string(),
        "$request.body#/token"
    );
    assert_eq!(
        revoke.token_type_hint.as_ref().unwrap().expr.to_string(),
        "$request.body#/token_type_hint"
    );
    let introspect = &spec.operation("introspect").unwrap().bindings[0];
    assert_eq!(introspect.action, ActionKind::Introspect);
    let places = &introspect.introspection;
    let shown: Vec<String> = [
        &places.active,
        &places.exp,
        &places.sub,
        &places.client_id,
        &places.token_type,
    ]
    .iter()
    .map(|e| e.as_ref().map(ToString::to_string).unwrap_or_default())
    .collect();
    assert_eq!(
        shown,
        [
            "$response.body#/active",
            "$response.body#/exp",
            "$response.body#/sub",
            "$response.body#/client_id",
            "$response.body#/token_type"
        ]
    );
    assert!(introspect.maps(OutcomeName::Missing));
}

#[test]
fn two_bindings_that_can_match_one_request_overlap() {
    let doc = token_endpoint("/1/when", json!({"$request.body#/grant_type": "password"}));
    insta::assert_snapshot!(problems_of(&doc));
}

#[test]
fn conditions_on_different_places_overlap() {
    // `grant_type=password&scope=admin` matches both.
    let doc = token_endpoint("/1/when", json!({"$request.body#/scope": "admin"}));
    insta::assert_snapshot!(problems_of(&doc));
}

#[test]
fn a_binding_without_when_after_others_overlaps_them() {
    let mut doc = oauth2();
    let second = doc
        .pointer_mut(&format!("{TOKEN}/{LC}/1"))
        .and_then(Value::as_object_mut)
        .unwrap();
    second.shift_remove("when");
    insta::assert_snapshot!(problems_of(&doc));
}

#[test]
fn a_binding_after_one_without_when_is_unreachable() {
    let mut doc = oauth2();
    let first = doc
        .pointer_mut(&format!("{TOKEN}/{LC}/0"))
        .and_then(Value::as_object_mut)
        .unwrap();
    first.shift_remove("when");
    insta::assert_snapshot!(problems_of(&doc));
}

#[test]
fn a_value_the_schema_forbids_is_unreachable() {
    let mut doc = oauth2();
    doc["components"]["schemas"]["TokenRequest"]["properties"]["grant_type"]["enum"] =
        json!(["password", "refresh_token"]);
    let doc_ok = doc.clone();
    assert!(
        Spec::from_value(doc_ok).is_ok(),
        "both values are in the enum"
    );
    let mut doc = doc;
    *doc.pointer_mut(&format!("{TOKEN}/{LC}/1/when")).unwrap() =
        json!({"$request.body#/grant_type": "refresh"});
    insta::assert_snapshot!(problems_of(&doc));
}

#[test]
fn conditions_are_checked_like_every_request_place() {
    let doc = token_endpoint(
        "/0/when",
        json!({
            "$request.body#/grant": "password",
            "$request.query.grant_type": "password",
            "$response.body#/x": "y",
            "$request.body#/grant_type": ["password"],
        }),
    );
    insta::assert_snapshot!(problems_of(&doc));
}

#[test]
fn a_list_and_when_of_the_wrong_shape() {
    let empty = token_endpoint("", json!([]));
    insta::assert_snapshot!("empty list", problems_of(&empty));
    let no_conditions = token_endpoint("/0/when", json!({}));
    insta::assert_snapshot!("empty when", problems_of(&no_conditions));
    let not_an_object = token_endpoint("/0/when", json!("grant_type=password"));
    insta::assert_snapshot!("when not an object", problems_of(&not_an_object));
}

#[test]
fn bindings_that_disagree_on_unsupported_conflict() {
    let doc = token_endpoint("/1/outcomes/unsupported", json!(401));
    insta::assert_snapshot!(problems_of(&doc));
}

#[test]
fn the_new_actions_need_their_fields() {
    let mut doc = oauth2();
    let revoke = format!("/paths/~1oauth~1revoke/post/{LC}");
    let introspect = format!("/paths/~1oauth~1introspect/post/{LC}");
    doc.pointer_mut(&revoke)
        .and_then(Value::as_object_mut)
        .unwrap()
        .shift_remove("token");
    doc.pointer_mut(&introspect)
        .and_then(Value::as_object_mut)
        .unwrap()
        .shift_remove("introspection");
    insta::assert_snapshot!(problems_of(&doc));
}

#[test]
fn the_old_name_of_the_revocation_policy_loads_with_a_warning() {
    let mut doc = oauth2();
    let policy = doc["x-token-lifecycle"]["policy"].as_object_mut().unwrap();
    policy.shift_remove("revokeIgnoresInvalidTokens");
    policy.insert("revokeAlwaysSucceeds".into(), json!(false));
    let spec = Spec::from_value(doc.clone()).expect("an old name still loads");
    assert!(!spec.lifecycle().policy.revoke_ignores_invalid_tokens);
    let warnings: Vec<(Rule, &str)> = spec
        .warnings()
        .iter()
        .map(|w| (w.rule, w.at.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [(
            Rule::DeprecatedName,
            "/x-token-lifecycle/policy/revokeAlwaysSucceeds"
        )]
    );
    assert!(Rule::DeprecatedName.is_warning());
    // The tolerant reading drift compares reads it too.
    assert!(!openapi::vocabulary::policy_of(&doc).revoke_ignores_invalid_tokens);
    // Both names: which one holds?
    doc["x-token-lifecycle"]["policy"]["revokeIgnoresInvalidTokens"] = json!(true);
    insta::assert_snapshot!(problems_of(&doc));
}
