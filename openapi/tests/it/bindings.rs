//! Loading specs: every load error of the `x-token-lifecycle` vocabulary and
//! of the document itself, as snapshots of its message (which must name the
//! spec path), and the forms a binding may legitimately take.

use openapi::binding::{ActionKind, ConcurrentRefresh, LogoutScope, OutcomeResponse, Policy};
use openapi::expr::Expr;
use openapi::model::OutcomeName;
use openapi::model::RefreshLifetime;
use openapi::spec::Version;
use openapi::Spec;
use serde_json::{json, Value};

const LOGIN: &str = "/paths/~1auth~1login/post";
const ME: &str = "/paths/~1me/get";
const REVOKE: &str = "/paths/~1tokens~1{id}/delete";

/// A small valid spec with a bound login, protected and revoke operation.
fn base() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "bindings", "version": "1"},
        "x-token-lifecycle": {
            "accounts": [{"username": "demo", "password": "demo"}],
            "policy": {"accessTokenTtl": 60}
        },
        "components": {
            "schemas": {
                "Login": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "username": {"type": "string"},
                        "password": {"type": "string"}
                    }
                },
                "Tokens": {
                    "type": "object",
                    "properties": {
                        "accessToken": {"type": "string"},
                        "refreshToken": {"type": "string"},
                        "expiresIn": {"type": "integer"}
                    }
                }
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
            }
        },
        "paths": {
            "/auth/login": {"post": {
                "operationId": "login",
                "requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Login"}
                }}},
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Tokens"}
                    }}},
                    "401": {"description": "refused", "content": {"application/json": {
                        "schema": {"type": "object"},
                        "examples": {"bad": {"value": {"error": "bad"}}}
                    }}}
                },
                "x-token-lifecycle": {
                    "action": "login",
                    "username": "$request.body#/username",
                    "password": "$request.body#/password",
                    "issue": {
                        "accessToken": "$response.body#/accessToken",
                        "refreshToken": "$response.body#/refreshToken"
                    }
                }
            }},
            "/me": {"get": {
                "operationId": "me",
                "parameters": [{"name": "X-Token", "in": "header", "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "ok"},
                    "401": {"description": "refused"}
                },
                "x-token-lifecycle": {"action": "protected", "accessToken": "$request.header.X-Token"}
            }},
            "/tokens/{id}": {"delete": {
                "operationId": "revoke",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"204": {"description": "done"}},
                "x-token-lifecycle": {"action": "revoke", "refreshToken": "$request.path.id"}
            }}
        }
    })
}

/// `base()` with the value at `pointer` replaced (or, for `Value::Null`,
/// removed).
fn with(mut doc: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let key = key.replace("~1", "/").replace("~0", "~");
    let parent = doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    let map = parent.as_object_mut().expect("an object");
    if value.is_null() {
        map.remove(&key).unwrap_or_else(|| panic!("no {pointer}"));
    } else {
        map.insert(key, value);
    }
    doc
}

fn patched(pointer: &str, value: Value) -> Value {
    with(base(), pointer, value)
}

fn load(doc: &Value) -> Result<Spec, openapi::LoadError> {
    Spec::from_str(&serde_json::to_string_pretty(doc).unwrap())
}

/// The load error of `doc`, which must name a spec path.
fn error_of(doc: &Value) -> String {
    let err = load(doc).expect_err("the spec must not load").to_string();
    assert!(
        err.starts_with("#/"),
        "the message names no spec path: {err}"
    );
    err
}

fn error_of_text(text: &str) -> String {
    Spec::from_str(text)
        .expect_err("the text must not load")
        .to_string()
}

#[test]
fn the_base_spec_loads() {
    let spec = load(&base()).unwrap();
    assert_eq!(spec.version(), Version::V31);
    let actions: Vec<_> = spec
        .operations()
        .iter()
        .map(|o| o.bindings.first().unwrap().action)
        .collect();
    assert_eq!(
        actions,
        [ActionKind::Login, ActionKind::Protected, ActionKind::Revoke]
    );
    assert_eq!(
        spec.lifecycle().policy,
        Policy {
            access_token_ttl: 60,
            ..Policy::default()
        }
    );
    assert_eq!(
        spec.lifecycle().accounts,
        [("demo".to_owned(), "demo".to_owned())]
    );
    // Outcomes default to the lowest 2xx and 401.
    let login = spec.operation("login").unwrap().bindings.first().unwrap();
    assert_eq!(
        login.outcome(OutcomeName::Success),
        OutcomeResponse {
            status: 200,
            example: None
        }
    );
    assert_eq!(
        login.outcome(OutcomeName::InvalidCredentials),
        OutcomeResponse {
            status: 401,
            example: None
        }
    );
    let revoke = spec.operation("revoke").unwrap().bindings.first().unwrap();
    assert_eq!(revoke.outcome(OutcomeName::Success).status, 204);
    assert_eq!(
        revoke.refresh_token.as_ref().unwrap().expr,
        Expr::RequestPath("id".into())
    );
}

// ------------------------------------------------------------ load errors

#[test]
fn unknown_action() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/action"),
        json!("signin"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn missing_action() {
    let doc = patched(&format!("{REVOKE}/x-token-lifecycle/action"), Value::Null);
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn unknown_field_in_a_binding() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/refreshTokn"),
        json!("$request.body#/x"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn unknown_field_in_issue() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/issue/scope"),
        json!("$response.body#/x"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn unknown_root_field() {
    let doc = patched("/x-token-lifecycle/users", json!([]));
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn unknown_policy_field() {
    let doc = patched("/x-token-lifecycle/policy/accessTtl", json!(5));
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn bad_logout_ends() {
    let doc = patched("/x-token-lifecycle/policy/logoutEnds", json!("everything"));
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn zero_ttl() {
    let doc = patched("/x-token-lifecycle/policy/refreshTokenTtl", json!(0));
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn policy_flag_that_is_not_a_boolean() {
    let doc = patched("/x-token-lifecycle/policy/refreshSingleUse", json!("yes"));
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn account_without_a_password() {
    let doc = patched("/x-token-lifecycle/accounts", json!([{"username": "demo"}]));
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn body_pointer_to_a_property_the_schema_lacks() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/username"),
        json!("$request.body#/user"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn body_pointer_on_an_operation_without_a_body() {
    let doc = patched(
        &format!("{REVOKE}/x-token-lifecycle/refreshToken"),
        json!("$request.body#/token"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn header_not_declared() {
    let doc = patched(
        &format!("{ME}/x-token-lifecycle/accessToken"),
        json!("$request.header.X-Other"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn authorization_header_without_a_security_requirement() {
    let doc = patched(
        &format!("{ME}/x-token-lifecycle/accessToken"),
        json!({"from": "$request.header.Authorization", "scheme": "Bearer"}),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn path_param_not_declared() {
    let doc = patched(
        &format!("{REVOKE}/x-token-lifecycle/refreshToken"),
        json!("$request.path.token"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn query_param_not_declared() {
    let doc = patched(
        &format!("{ME}/x-token-lifecycle/accessToken"),
        json!("$request.query.token"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn cookie_not_declared() {
    let doc = patched(
        &format!("{ME}/x-token-lifecycle/accessToken"),
        json!("$request.cookie.sid"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn unparseable_expression() {
    let doc = patched(
        &format!("{ME}/x-token-lifecycle/accessToken"),
        json!("$request.headers.X-Token"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn response_expression_where_the_request_is_read() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/username"),
        json!("$response.body#/username"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn request_expression_where_the_response_is_written() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/issue/accessToken"),
        json!("$request.body#/username"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn empty_scheme() {
    let doc = patched(
        &format!("{ME}/x-token-lifecycle/accessToken"),
        json!({"from": "$request.header.X-Token", "scheme": ""}),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn outcome_status_not_documented() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/outcomes"),
        json!({"invalidCredentials": 403}),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn outcome_example_name_unknown() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/outcomes"),
        json!({"invalidCredentials": {"status": 401, "example": "nope"}}),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn unknown_outcome_name() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/outcomes"),
        json!({"denied": 401}),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn outcome_that_is_not_a_status() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/outcomes"),
        json!({"invalid": "401"}),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn login_without_password() {
    let doc = patched(&format!("{LOGIN}/x-token-lifecycle/password"), Value::Null);
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn login_without_issue() {
    let doc = patched(&format!("{LOGIN}/x-token-lifecycle/issue"), Value::Null);
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn protected_without_access_token() {
    let doc = patched(&format!("{ME}/x-token-lifecycle/accessToken"), Value::Null);
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn bound_operation_without_2xx() {
    let doc = patched(&format!("{ME}/responses/200"), Value::Null);
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn issue_pointer_outside_the_success_schema() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/issue/accessToken"),
        json!("$response.body#/token"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn issue_header_not_documented() {
    let doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/issue/accessToken"),
        json!("$response.header.X-Token"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn subject_on_a_response_without_a_body() {
    let doc = patched(
        &format!("{ME}/x-token-lifecycle/subject"),
        json!("$response.body#/username"),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn unresolvable_ref() {
    let doc = patched(
        "/components/schemas/Login",
        json!({"$ref": "#/components/schemas/Nope"}),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn external_ref() {
    let doc = patched(
        &format!("{LOGIN}/requestBody/content/application~1json/schema"),
        json!({"$ref": "schemas.yaml#/Login"}),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn ref_cycle() {
    let doc = with(
        patched(
            "/components/schemas/Login",
            json!({"$ref": "#/components/schemas/Loop"}),
        ),
        "/components/schemas/Loop",
        json!({"$ref": "#/components/schemas/Login"}),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn parameter_without_in() {
    let doc = patched(&format!("{ME}/parameters"), json!([{"name": "X-Token"}]));
    insta::assert_snapshot!(error_of(&doc));
}

/// Swagger 2.0 loads, converted (`swagger2.rs`); older versions do not.
#[test]
fn swagger_1_2_document() {
    let text = "swaggerVersion: '1.2'\nswagger: '1.2'\napis: []\n";
    insta::assert_snapshot!(error_of_text(text));
}

#[test]
fn unsupported_openapi_version() {
    let doc = patched("/openapi", json!("4.0.0"));
    insta::assert_snapshot!(load(&doc).unwrap_err().to_string());
}

#[test]
fn not_an_openapi_document() {
    insta::assert_snapshot!(error_of_text("title: hello\nitems: [1, 2]\n"));
}

#[test]
fn malformed_yaml() {
    insta::assert_snapshot!(error_of_text("openapi: 3.1.0\npaths:\n  /x: [unclosed\n"));
}

#[test]
fn malformed_json() {
    insta::assert_snapshot!(error_of_text("{\"openapi\": \"3.1.0\",}"));
}

// ------------------------------------------------------------ accepted forms

const SECURED: &str = r#"
openapi: 3.1.0
info: {title: secured, version: "1"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    key: {type: apiKey, in: header, name: X-Api-Key}
security:
  - bearer: []
paths:
  /me:
    get:
      operationId: me
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  username: {type: string}
        "401":
          description: refused
          content:
            application/json:
              examples:
                invalid: {value: {error: invalid}}
                expired: {value: {error: expired}}
      x-token-lifecycle:
        action: protected
        accessToken:
          from: $request.header.Authorization
          scheme: Bearer
        subject: $response.body#/username
        outcomes:
          invalid: 401
          expired: {status: 401, example: expired}
  /logout:
    post:
      operationId: logout
      security:
        - key: []
      responses:
        "204": {description: done}
        "403": {description: refused}
      x-token-lifecycle:
        action: logout
        accessToken: $request.header.x-api-key
"#;

#[test]
fn header_via_an_http_bearer_security_scheme_counts_as_declared() {
    let spec = Spec::from_str(SECURED).unwrap();
    let me = spec.operation("me").unwrap().bindings.first().unwrap();
    let source = me.access_token.as_ref().unwrap();
    assert_eq!(source.expr, Expr::RequestHeader("authorization".into()));
    assert_eq!(me.subject, Expr::parse("$response.body#/username"));
}

#[test]
fn from_and_scheme_source() {
    let spec = Spec::from_str(SECURED).unwrap();
    let me = spec.operation("me").unwrap().bindings.first().unwrap();
    let source = me.access_token.as_ref().unwrap();
    assert_eq!(source.scheme.as_deref(), Some("Bearer"));
    assert_eq!(source.format("tok"), "Bearer tok");
    assert_eq!(source.strip("Bearer tok"), "tok");
    assert_eq!(source.strip("  bearer   tok "), "tok");
    assert_eq!(
        source.strip("Basic tok"),
        "",
        "the wrong scheme is not presented"
    );
    assert_eq!(source.strip("tok"), "");
}

#[test]
fn shorthand_outcome_status() {
    let spec = Spec::from_str(SECURED).unwrap();
    let me = spec.operation("me").unwrap().bindings.first().unwrap();
    assert_eq!(
        me.outcome(OutcomeName::Invalid),
        OutcomeResponse {
            status: 401,
            example: None
        }
    );
    assert_eq!(
        me.outcome(OutcomeName::Expired),
        OutcomeResponse {
            status: 401,
            example: Some("expired".into())
        }
    );
    assert_eq!(me.outcome(OutcomeName::Success).status, 200);
}

#[test]
fn api_key_in_header_security_counts_as_declared() {
    let spec = Spec::from_str(SECURED).unwrap();
    let logout = spec.operation("logout").unwrap().bindings.first().unwrap();
    assert_eq!(
        logout.access_token.as_ref().unwrap().expr,
        Expr::RequestHeader("x-api-key".into())
    );
    // Without a 401 the failures go to the first documented 4xx.
    assert_eq!(logout.outcome(OutcomeName::Invalid).status, 403);
    assert_eq!(logout.outcome(OutcomeName::Success).status, 204);
}

#[test]
fn api_key_security_does_not_declare_authorization() {
    let text = SECURED.replace(
        "accessToken: $request.header.x-api-key",
        "accessToken: $request.header.Authorization",
    );
    insta::assert_snapshot!(error_of_text(&text));
}

#[test]
fn api_key_in_query_and_cookie_count_as_declared() {
    for (place, expr) in [
        ("query", "$request.query.X-Api-Key"),
        ("cookie", "$request.cookie.X-Api-Key"),
    ] {
        let text = SECURED
            .replace(
                "{type: apiKey, in: header",
                &format!("{{type: apiKey, in: {place}"),
            )
            .replace(
                "accessToken: $request.header.x-api-key",
                &format!("accessToken: {expr}"),
            );
        Spec::from_str(&text).unwrap_or_else(|e| panic!("{place}: {e}"));
    }
}

#[test]
fn every_policy_field_is_read() {
    let doc = patched(
        "/x-token-lifecycle/policy",
        json!({
            "accessTokenTtl": 1,
            "refreshTokenTtl": 2,
            "refreshSingleUse": false,
            "reuseEndsSession": false,
            "logoutEnds": "access-token",
            "revokeIgnoresInvalidTokens": false,
            "rotateOnRefresh": true,
            "refreshRevokesAccess": true,
            "revokeCascades": true,
            "revokeAccessRevokesRefresh": true,
            "reuseGraceSeconds": 30,
            "refreshLifetime": "absolute",
            "sessionTtl": 7200,
            "concurrentRefresh": "same-answer"
        }),
    );
    let spec = load(&doc).unwrap();
    let policy = &spec.lifecycle().policy;
    assert_eq!(
        policy,
        &Policy {
            access_token_ttl: 1,
            refresh_token_ttl: 2,
            refresh_single_use: false,
            reuse_ends_session: false,
            logout_ends: LogoutScope::AccessToken,
            revoke_ignores_invalid_tokens: false,
            rotate_on_refresh: Some(true),
            refresh_revokes_access: true,
            revoke_cascades: true,
            revoke_access_revokes_refresh: true,
            reuse_grace_seconds: 30,
            refresh_lifetime: RefreshLifetime::Absolute,
            session_ttl: Some(7200),
            concurrent_refresh: ConcurrentRefresh::SameAnswer,
        }
    );
    assert!(policy.rotate_on_refresh());
}

#[test]
fn a_spec_without_a_root_declaration_gets_the_defaults() {
    let mut doc = base();
    doc.as_object_mut().unwrap().remove("x-token-lifecycle");
    let spec = load(&doc).unwrap();
    assert!(!spec.lifecycle().declared);
    assert!(spec.lifecycle().accounts.is_empty());
    assert_eq!(spec.lifecycle().policy, Policy::default());
}

#[test]
fn body_pointers_go_through_refs_all_of_and_items() {
    let doc = with(
        with(
            patched(
                &format!("{LOGIN}/x-token-lifecycle/username"),
                json!("$request.body#/data/0/attributes/username"),
            ),
            &format!("{LOGIN}/requestBody/content/application~1json/schema"),
            json!({"type": "object", "properties": {"data": {"type": "array", "items": {
                "allOf": [{"type": "object", "properties": {"attributes": {"$ref": "#/components/schemas/Login"}}}]
            }}}}),
        ),
        &format!("{LOGIN}/x-token-lifecycle/password"),
        json!("$request.body#/data/0/attributes/password"),
    );
    load(&doc).unwrap();
}

// ------------------------------------------------------------ 3.0 schemas

const V30: &str = r#"
openapi: 3.0.3
info: {title: old, version: "1"}
paths:
  /x:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                note: {type: string, nullable: true}
      responses:
        "200": {description: ok}
components:
  schemas:
    MaybeName:
      type: string
      nullable: true
    Name:
      type: string
    Color:
      type: string
      enum: [red, green]
      nullable: true
    Positive:
      type: integer
      minimum: 0
      exclusiveMinimum: true
    NonNegative:
      type: integer
      minimum: 0
      exclusiveMinimum: false
    Below:
      type: number
      maximum: 10
      exclusiveMaximum: true
"#;

fn accepts(spec: &Spec, pointer: &str, value: Value) -> bool {
    spec.schemas().validate(pointer, &value).unwrap().is_empty()
}

#[test]
fn nullable_in_a_3_0_document_accepts_null() {
    let spec = Spec::from_str(V30).unwrap();
    assert_eq!(spec.version(), Version::V30);
    assert!(accepts(&spec, "/components/schemas/MaybeName", json!(null)));
    assert!(accepts(&spec, "/components/schemas/MaybeName", json!("x")));
    assert!(!accepts(&spec, "/components/schemas/MaybeName", json!(1)));
    assert!(!accepts(&spec, "/components/schemas/Name", json!(null)));
    assert!(accepts(&spec, "/components/schemas/Color", json!(null)));
    assert!(accepts(&spec, "/components/schemas/Color", json!("red")));
    assert!(!accepts(&spec, "/components/schemas/Color", json!("blue")));
    let inline = "/paths/~1x/post/requestBody/content/application~1json/schema";
    assert!(accepts(&spec, inline, json!({"note": null})));
    assert!(!accepts(&spec, inline, json!({"note": 5})));
}

#[test]
fn boolean_exclusive_bounds_in_a_3_0_document_are_translated() {
    let spec = Spec::from_str(V30).unwrap();
    assert!(!accepts(&spec, "/components/schemas/Positive", json!(0)));
    assert!(accepts(&spec, "/components/schemas/Positive", json!(1)));
    assert!(accepts(&spec, "/components/schemas/NonNegative", json!(0)));
    assert!(!accepts(
        &spec,
        "/components/schemas/NonNegative",
        json!(-1)
    ));
    assert!(accepts(&spec, "/components/schemas/Below", json!(9.5)));
    assert!(!accepts(&spec, "/components/schemas/Below", json!(10)));
}

#[test]
fn nullable_means_nothing_in_a_3_1_document() {
    let text = V30.replace("openapi: 3.0.3", "openapi: 3.1.0");
    let spec = Spec::from_str(&text).unwrap();
    // 3.1 has no `nullable`: an unknown keyword, ignored.
    assert!(!accepts(
        &spec,
        "/components/schemas/MaybeName",
        json!(null)
    ));
}

#[test]
fn a_violation_names_the_instance_path() {
    let spec = Spec::from_str(V30).unwrap();
    let inline = "/paths/~1x/post/requestBody/content/application~1json/schema";
    let violations = spec
        .schemas()
        .validate(inline, &json!({"note": 5}))
        .unwrap();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].path, "/note");
}

#[test]
fn nested_unresolvable_ref() {
    let doc = patched(
        "/components/schemas/Tokens/properties/extra",
        json!({"$ref": "#/components/schemas/Nope"}),
    );
    match load(&doc) {
        Ok(spec) => {
            let late = spec
                .schemas()
                .validate("/components/schemas/Tokens", &json!({}));
            panic!("loaded; the broken $ref only shows when a validator is built: {late:?}");
        }
        Err(e) => {
            let err = e.to_string();
            assert!(
                err.contains("#/components/schemas/Tokens/properties/extra"),
                "{err}"
            );
        }
    }
}

#[test]
fn unresolvable_ref_under_a_bound_body_pointer() {
    let doc = patched(
        "/components/schemas/Login/properties/username",
        json!({"$ref": "#/components/schemas/Nope"}),
    );
    let err = error_of(&doc);
    assert!(err.contains("#/components/schemas/Nope"), "{err}");
}

#[test]
fn account_declared_twice() {
    let doc = patched(
        "/x-token-lifecycle/accounts",
        json!([{"username": "demo", "password": "a"}, {"username": "demo", "password": "b"}]),
    );
    insta::assert_snapshot!(error_of(&doc));
}

#[test]
fn a_client_binding_reads_its_credentials_where_it_says() {
    use openapi::binding::{ClientAuthMethod, ClientBinding, Source};
    let body = |name: &str| Source {
        expr: Expr::parse(&format!("$request.body#/{name}")).unwrap(),
        scheme: None,
    };
    let post = ClientBinding {
        method: ClientAuthMethod::ClientSecretPost,
        id: Some(body("client_id")),
        secret: Some(body("client_secret")),
    };
    let basic = ClientBinding {
        method: ClientAuthMethod::ClientSecretBasic,
        ..post.clone()
    };
    // `app:s3cret`, and body fields that say otherwise.
    let request = |e: &Expr| match e {
        Expr::RequestHeader(h) if h == "authorization" => Some("Basic YXBwOnMzY3JldA==".to_owned()),
        Expr::RequestBody(_) if e.to_string().ends_with("/client_id") => Some("web".to_owned()),
        Expr::RequestBody(_) if e.to_string().ends_with("/client_secret") => {
            Some("other".to_owned())
        }
        _ => None,
    };
    let some = |a: &str, b: &str| (Some(a.to_owned()), Some(b.to_owned()));
    assert_eq!(
        openapi::request::client_credentials(&basic, request),
        some("app", "s3cret")
    );
    assert_eq!(
        openapi::request::client_credentials(&post, request),
        some("web", "other")
    );
    // Basic without a (decodable) header presents no client at all.
    assert_eq!(
        openapi::request::client_credentials(&basic, |_| None),
        (None, None)
    );
    assert_eq!(
        openapi::request::client_credentials(&basic, |_| Some("Basic !!!".to_owned())),
        (None, None)
    );
}
