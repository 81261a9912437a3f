//! The seeded defects of the mock: each serves a copy of the reference
//! spec that differs in one behaviour, checked against the spec it should
//! follow, with the property that must catch it. The defect tests
//! (`defects.rs`) and the detection bench (`benches/detection.rs`) use
//! them.

use serde_json::{json, Value};

use conformance::Property;

use crate::support::{oauth2, policy, reference_with, with_guarded_operation};

/// A served spec that breaks the checked one.
pub struct Seeded {
    /// In words.
    pub name: &'static str,
    /// What the mock serves.
    pub served: Value,
    /// What the suite checks it against.
    pub checked: Value,
    /// The property that must report it.
    pub property: Property,
}

fn reference() -> Value {
    openapi::reference::reference_json()
}

fn against_reference(name: &'static str, served: Value, property: Property) -> Seeded {
    Seeded {
        name,
        served,
        checked: reference(),
        property,
    }
}

pub fn reuse_does_not_end_the_session() -> Seeded {
    let served = reference_with("reuseEndsSession", json!(false));
    against_reference(
        "reuse does not end the session",
        served,
        Property::ReuseEndsSession,
    )
}

pub fn refresh_tokens_work_twice() -> Seeded {
    let mut served = reference_with("refreshSingleUse", json!(false));
    policy(&mut served, "rotateOnRefresh", json!(true));
    against_reference(
        "refresh tokens work twice",
        served,
        Property::RefreshSingleUse,
    )
}

pub fn revoke_answers_404_for_unknown_tokens() -> Seeded {
    let mut served = reference_with("revokeIgnoresInvalidTokens", json!(false));
    let op = &mut served["paths"]["/refresh-tokens/{refreshToken}"]["delete"];
    op["responses"]["404"] = json!({"description": "unknown token"});
    op["x-token-lifecycle"]["outcomes"] = json!({"invalid": 404, "expired": 404, "missing": 404});
    against_reference(
        "revoke answers 404 for unknown tokens",
        served,
        Property::RevokeAlways,
    )
}

pub fn logout_answers_200() -> Seeded {
    let mut served = reference();
    let responses = &mut served["paths"]["/auth/logout"]["post"]["responses"];
    let ok = responses
        .as_object_mut()
        .and_then(|r| r.shift_remove("204"))
        .unwrap_or_default();
    responses["200"] = ok;
    against_reference("logout answers 200", served, Property::LogoutEndsSession)
}

pub fn logout_keeps_the_refresh_token_alive() -> Seeded {
    let served = reference_with("logoutEnds", json!("access-token"));
    against_reference(
        "logout keeps the refresh token alive",
        served,
        Property::LogoutEndsSession,
    )
}

pub fn access_tokens_live_600_s() -> Seeded {
    let served = reference_with("accessTokenTtl", json!(600));
    against_reference(
        "access tokens live 600 s, not 3600",
        served,
        Property::TokensExpire,
    )
}

pub fn refresh_does_not_rotate() -> Seeded {
    let served = reference_with("refreshSingleUse", json!(false));
    against_reference("refresh does not rotate", served, Property::RefreshRotates)
}

/// The reference spec with a guarded operation (`GET /unbound/me`), served
/// as `modify` changes it (given the operation's path).
fn guarded(
    name: &'static str,
    modify: impl FnOnce(&mut Value, &str),
    property: Property,
) -> Seeded {
    let (checked, path) = with_guarded_operation(reference());
    let mut served = checked.clone();
    modify(&mut served, &path.unwrap_or_default());
    Seeded {
        name,
        served,
        checked,
        property,
    }
}

pub fn guarded_operation_ignores_tokens() -> Seeded {
    // The served copy forgot the operation's security: no guard.
    guarded(
        "a guarded operation ignores tokens",
        |doc, path| {
            if let Some(op) = doc["paths"][path]["get"].as_object_mut() {
                op.shift_remove("security");
            }
        },
        Property::GuardsRefuseDeadTokens,
    )
}

pub fn guarded_operation_refuses_live_tokens() -> Seeded {
    // The served copy secures it with a key the suite never sends.
    guarded(
        "a guarded operation refuses live tokens",
        |doc, path| {
            doc["components"]["securitySchemes"]["key"] =
                json!({"type": "apiKey", "in": "header", "name": "x-api-key"});
            doc["paths"][path]["get"]["security"] = json!([{"key": []}]);
        },
        Property::GuardsRefuseDeadTokens,
    )
}

pub fn token_alive_everywhere_after_reuse() -> Seeded {
    guarded(
        "reuse does not end the session, with a guarded operation",
        |doc, _| policy(doc, "reuseEndsSession", json!(false)),
        Property::ReuseEndsSession,
    )
}

/// `fixtures/oauth2.yaml` served as `modify` changes it, checked against
/// itself.
fn oauth(name: &'static str, modify: impl FnOnce(&mut Value), property: Property) -> Seeded {
    let checked = oauth2();
    let mut served = checked.clone();
    modify(&mut served);
    Seeded {
        name,
        served,
        checked,
        property,
    }
}

const TOKEN: &str = "/paths/~1oauth~1token/post/x-token-lifecycle";
const INTROSPECT: &str = "/paths/~1oauth~1introspect/post/x-token-lifecycle";

pub fn introspection_calls_every_token_an_access_token() -> Seeded {
    // The served endpoint does not say `token_type`: the example's
    // `access_token` stays in every answer.
    oauth(
        "introspection calls every token an access token",
        |doc| {
            let places = doc.pointer_mut(&format!("{INTROSPECT}/introspection"));
            if let Some(p) = places.and_then(Value::as_object_mut) {
                p.shift_remove("tokenType");
            }
        },
        Property::IntrospectionAgrees,
    )
}

pub fn introspection_reads_the_wrong_field() -> Seeded {
    // The served endpoint introspects `token_type_hint`: every token is
    // inactive to it, and a request without a hint has no token.
    oauth(
        "introspection reads the wrong field",
        |doc| {
            if let Some(b) = doc.pointer_mut(INTROSPECT) {
                b["token"] = json!("$request.body#/token_type_hint");
            }
        },
        Property::IntrospectionAgrees,
    )
}

pub fn refresh_ignores_the_client() -> Seeded {
    // The served refresh grant authenticates no client: anyone may
    // refresh anyone's token.
    oauth(
        "the refresh grant ignores the client",
        |doc| {
            let b = doc.pointer_mut(&format!("{TOKEN}/1"));
            if let Some(b) = b.and_then(Value::as_object_mut) {
                b.shift_remove("client");
            }
        },
        Property::ClientBound,
    )
}

/// Every seeded defect.
pub fn all() -> Vec<Seeded> {
    vec![
        reuse_does_not_end_the_session(),
        refresh_tokens_work_twice(),
        revoke_answers_404_for_unknown_tokens(),
        logout_answers_200(),
        logout_keeps_the_refresh_token_alive(),
        access_tokens_live_600_s(),
        refresh_does_not_rotate(),
        guarded_operation_ignores_tokens(),
        guarded_operation_refuses_live_tokens(),
        token_alive_everywhere_after_reuse(),
        introspection_calls_every_token_an_access_token(),
        introspection_reads_the_wrong_field(),
        refresh_ignores_the_client(),
    ]
}
