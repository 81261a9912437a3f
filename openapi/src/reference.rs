//! The reference token-lifecycle API, authored in Rust with utoipa.
//!
//! This is the worked example of the `x-token-lifecycle` vocabulary (see
//! `docs/bindings.md`): a login that issues an access and a refresh token,
//! single-use refresh with rotation, logout, revocation and one protected
//! resource. [`reference_yaml`] is what `openapi/reference.yaml` holds.
//!
//! The request and response types below exist to describe the wire format:
//! their doc comments and attributes become the component schemas.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

pub use crate::problem::{FieldError, Problem};

/// Credentials presented to `POST /auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "demo", "password": "demo"}))]
pub struct LoginRequest {
    /// The account's user name.
    #[schema(min_length = 1)]
    pub username: String,
    /// The account's password.
    #[schema(min_length = 1)]
    pub password: String,
}

/// A refresh token presented to `POST /auth/refresh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"refreshToken": "tGzv3JOkF0XG5Qx2TlKWIA"}))]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh. It works once.
    #[schema(min_length = 1)]
    pub refresh_token: String,
}

/// The kind of access token issued: always `Bearer` (RFC 6750).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum TokenType {
    /// Send the access token as `Authorization: Bearer <accessToken>`.
    Bearer,
}

/// `tokenType` as a plain one-value string enum. Deriving it inline would wrap
/// it in a `oneOf` (utoipa does so to keep the field's own description).
fn token_type_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["Bearer"]))
        .description(Some(
            "Always `Bearer`: send the access token as `Authorization: Bearer <accessToken>`.",
        ))
        .build()
}

/// The tokens issued by a login or a refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    /// The access token: send it as `Authorization: Bearer <accessToken>`.
    pub access_token: String,
    /// The refresh token: exchange it once at `POST /auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(schema_with = token_type_schema)]
    pub token_type: TokenType,
    /// Seconds until the access token expires.
    #[schema(minimum = 1)]
    pub expires_in: i64,
}

/// The body of every 401 answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The HTTP status code, as a string.
    pub code: String,
    /// Why the request was refused.
    pub response: String,
}

/// The user the access token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// The user name of the token's account.
    pub username: String,
}

/// The `WWW-Authenticate` challenge sent with every 401 (RFC 6750).
#[derive(ToSchema)]
#[schema(example = "Bearer error=\"invalid_token\"")]
#[allow(dead_code)]
struct BearerChallenge(String);

/// Log in with a user name and a password.
///
/// Checks the credentials and starts a new session: the answer carries an
/// access token (send it as `Authorization: Bearer <accessToken>`, it lives
/// `expiresIn` seconds) and a refresh token for `POST /auth/refresh`. Every
/// login starts a session of its own; earlier sessions of the same user keep
/// working.
#[utoipa::path(
    post,
    path = "/auth/login",
    operation_id = "login",
    tag = "auth",
    request_body(content = LoginRequest, description = "The account's credentials."),
    responses(
        (status = 200, description = "Logged in: a new session and its first token pair.",
            body = TokenPair,
            example = json!({
                "accessToken": "2YotnFZFEjr1zCsicMWpAA",
                "refreshToken": "tGzv3JOkF0XG5Qx2TlKWIA",
                "tokenType": "Bearer",
                "expiresIn": 3600
            })),
        (status = 400, description = "The body is not a valid login request (malformed JSON, a missing or empty field, an unknown field).",
            body = Problem, content_type = "application/problem+json",
            example = json!({
                "type": "about:blank",
                "title": "Bad Request",
                "status": 400,
                "detail": "The request body is not a valid login request.",
                "errors": [{"location": "$request.body#/password", "message": "\"\" is shorter than 1 character"}]
            })),
        (status = 401, description = "Unknown user or wrong password.",
            body = ErrorBody, content_type = "application/json",
            headers(("WWW-Authenticate" = inline(BearerChallenge), description = "The Bearer challenge (RFC 6750).")),
            examples(
                ("invalidCredentials" = (summary = "Unknown user or wrong password",
                    value = json!({"code": "401", "response": "Invalid credentials"})))
            )),
    ),
    extensions(
        ("x-token-lifecycle" = json!({
            "action": "login",
            "username": "$request.body#/username",
            "password": "$request.body#/password",
            "issue": {
                "accessToken": "$response.body#/accessToken",
                "refreshToken": "$response.body#/refreshToken",
                "expiresIn": "$response.body#/expiresIn"
            },
            "outcomes": {
                "invalidCredentials": {"status": 401, "example": "invalidCredentials"}
            }
        }))
    )
)]
#[allow(dead_code)]
fn login() {}

/// Exchange a refresh token for a new token pair.
///
/// A refresh token works exactly once: a successful refresh spends it and
/// answers with a new access token and a new refresh token in the same
/// session. Presenting a refresh token that was already spent is treated as
/// theft: it ends the whole session, so the access token and the refresh
/// token issued by the first use stop working too. A refresh token also
/// stops working when it expires, is revoked, or its session is logged out.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    operation_id = "refresh",
    tag = "auth",
    request_body(content = RefreshRequest, description = "The refresh token to spend."),
    responses(
        (status = 200, description = "Refreshed: the refresh token is spent and a new pair is issued in the same session.",
            body = TokenPair,
            example = json!({
                "accessToken": "8xLOxBtZp8nYjXkF3kZd9Q",
                "refreshToken": "Qm9uZCwgSmFtZXMgQm9uZA",
                "tokenType": "Bearer",
                "expiresIn": 3600
            })),
        (status = 400, description = "The body is not a valid refresh request (malformed JSON, a missing or empty field, an unknown field).",
            body = Problem, content_type = "application/problem+json",
            example = json!({
                "type": "about:blank",
                "title": "Bad Request",
                "status": 400,
                "detail": "The request body is not a valid refresh request.",
                "errors": [{"location": "$request.body#/refreshToken", "message": "\"refreshToken\" is a required property"}]
            })),
        (status = 401, description = "The refresh token has expired, or is unknown, already spent, revoked, or its session has ended.",
            body = ErrorBody, content_type = "application/json",
            headers(("WWW-Authenticate" = inline(BearerChallenge), description = "The Bearer challenge (RFC 6750).")),
            examples(
                ("expired" = (summary = "The refresh token's lifetime has run out",
                    value = json!({"code": "401", "response": "RefreshToken Expired"}))),
                ("invalid" = (summary = "Unknown, spent, revoked, or its session has ended",
                    value = json!({"code": "401", "response": "RefreshToken Invalid"})))
            )),
    ),
    extensions(
        ("x-token-lifecycle" = json!({
            "action": "refresh",
            "refreshToken": "$request.body#/refreshToken",
            "issue": {
                "accessToken": "$response.body#/accessToken",
                "refreshToken": "$response.body#/refreshToken",
                "expiresIn": "$response.body#/expiresIn"
            },
            "outcomes": {
                "expired": {"status": 401, "example": "expired"},
                "invalid": {"status": 401, "example": "invalid"}
            }
        }))
    )
)]
#[allow(dead_code)]
fn refresh() {}

/// Log out: end the session of the access token.
///
/// Ends the whole session the access token belongs to: the access token and
/// every refresh token of the session stop working at once. Other sessions of
/// the same user are not touched.
#[utoipa::path(
    post,
    path = "/auth/logout",
    operation_id = "logout",
    tag = "auth",
    security(("bearerAuth" = [])),
    responses(
        (status = 204, description = "Logged out: the session has ended."),
        (status = 401, description = "The access token is missing, expired, or invalid (unknown, or its session has already ended).",
            body = ErrorBody, content_type = "application/json",
            headers(("WWW-Authenticate" = inline(BearerChallenge), description = "The Bearer challenge (RFC 6750).")),
            examples(
                ("invalid" = (summary = "Unknown token, or its session has ended",
                    value = json!({"code": "401", "response": "Invalid token"}))),
                ("expired" = (summary = "The access token's lifetime has run out",
                    value = json!({"code": "401", "response": "Token expired"}))),
                ("missing" = (summary = "No Authorization header, or an empty token",
                    value = json!({"code": "401", "response": "Missing token"})))
            )),
    ),
    extensions(
        ("x-token-lifecycle" = json!({
            "action": "logout",
            "accessToken": {"from": "$request.header.Authorization", "scheme": "Bearer"}
        }))
    )
)]
#[allow(dead_code)]
fn logout() {}

/// Revoke one refresh token.
///
/// The refresh token can no longer be used to refresh. Access tokens already
/// issued keep working until they expire. The answer is always 204, whether
/// the token was live, already spent, revoked, expired, or never existed, so
/// the endpoint reveals nothing about tokens.
#[utoipa::path(
    delete,
    path = "/refresh-tokens/{refreshToken}",
    operation_id = "revokeRefreshToken",
    tag = "tokens",
    params(
        ("refreshToken" = String, Path, description = "The refresh token to revoke.")
    ),
    responses(
        (status = 204, description = "Done: the refresh token, if it was live, can no longer refresh."),
    ),
    extensions(
        ("x-token-lifecycle" = json!({
            "action": "revoke",
            "refreshToken": "$request.path.refreshToken"
        }))
    )
)]
#[allow(dead_code)]
fn revoke_refresh_token() {}

/// Revoke every refresh token of the caller.
///
/// Revokes every live refresh token of the access token's user, in all of
/// their sessions; access tokens keep working until they expire. The access
/// token is optional and the answer is always 204: without a token, or with
/// an invalid one, nothing is revoked.
#[utoipa::path(
    delete,
    path = "/refresh-tokens/mine",
    operation_id = "revokeAllRefreshTokens",
    tag = "tokens",
    security(("bearerAuth" = []), ()),
    responses(
        (status = 204, description = "Done: the user's refresh tokens, if any, can no longer refresh."),
    ),
    extensions(
        ("x-token-lifecycle" = json!({
            "action": "revoke-all",
            "accessToken": {"from": "$request.header.Authorization", "scheme": "Bearer"}
        }))
    )
)]
#[allow(dead_code)]
fn revoke_all_refresh_tokens() {}

/// Who am I: the user the access token belongs to.
///
/// A protected resource: answers with the user name of the access token's
/// account while the token is live, and 401 once it has expired or its
/// session has ended (logout, or reuse of a spent refresh token).
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "me",
    tag = "account",
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The token's user.",
            body = Me,
            example = json!({"username": "demo"})),
        (status = 401, description = "The access token is missing, expired, or invalid (unknown, or its session has ended).",
            body = ErrorBody, content_type = "application/json",
            headers(("WWW-Authenticate" = inline(BearerChallenge), description = "The Bearer challenge (RFC 6750).")),
            examples(
                ("invalid" = (summary = "Unknown token, or its session has ended",
                    value = json!({"code": "401", "response": "Invalid token"}))),
                ("expired" = (summary = "The access token's lifetime has run out",
                    value = json!({"code": "401", "response": "Token expired"}))),
                ("missing" = (summary = "No Authorization header, or an empty token",
                    value = json!({"code": "401", "response": "Missing token"})))
            )),
    ),
    extensions(
        ("x-token-lifecycle" = json!({
            "action": "protected",
            "accessToken": {"from": "$request.header.Authorization", "scheme": "Bearer"},
            "subject": "$response.body#/username"
        }))
    )
)]
#[allow(dead_code)]
fn me() {}

/// What the document says about itself.
const DESCRIPTION: &str = "\
The reference token-lifecycle API: a login that issues an access token and a \
refresh token, single-use refresh tokens with rotation, logout, revocation and \
a protected resource.

It is the worked example of the `x-token-lifecycle` extension: the extension \
at the root names the accounts and the policies, the one on each operation says \
what the operation does to the session and where its tokens sit. One document \
drives both the mock server and the conformance suite.

- An access token lives 3600 seconds, a refresh token 86400 seconds.
- A refresh token works once: a refresh spends it and issues a new pair.
- Presenting a spent refresh token again ends its whole session.
- Logout ends the session: its access token and refresh tokens die together.
- Revocation always answers 204, whatever the token.

Accounts: `demo` / `demo` and `alice` / `alice-secret`.";

/// Adds what the derive cannot express: a fixed `info` (the derive would copy
/// `license` and `contact` from the host crate's `Cargo.toml`), the bearer
/// security scheme and the root `x-token-lifecycle` extension.
struct ReferenceModifier;

impl Modify for ReferenceModifier {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.info = utoipa::openapi::InfoBuilder::new()
            .title("Token Lifecycle Reference API")
            .version("1.0.0")
            .description(Some(DESCRIPTION))
            .build();

        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearerAuth",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "An access token from `POST /auth/login` or `POST /auth/refresh`, \
                             sent as `Authorization: Bearer <accessToken>`.",
                        ))
                        .build(),
                ),
            );

        let root = ExtensionsBuilder::new()
            .add(
                "x-token-lifecycle",
                json!({
                    "accounts": [
                        {"username": "demo", "password": "demo"},
                        {"username": "alice", "password": "alice-secret"}
                    ],
                    "policy": {
                        "accessTokenTtl": 3600,
                        "refreshTokenTtl": 86400,
                        "refreshSingleUse": true,
                        "reuseEndsSession": true,
                        "logoutEnds": "session",
                        "revokeIgnoresInvalidTokens": true
                    }
                }),
            )
            .build();
        openapi
            .extensions
            .get_or_insert_with(Default::default)
            .merge(root);
    }
}

/// The derive that collects the operations and schemas.
#[derive(OpenApi)]
#[openapi(
    servers((url = "http://127.0.0.1:8080", description = "The mock server, run locally")),
    paths(login, refresh, logout, revoke_refresh_token, revoke_all_refresh_tokens, me),
    components(schemas(LoginRequest, RefreshRequest, TokenPair, Problem, FieldError, ErrorBody, Me)),
    tags(
        (name = "auth", description = "Log in, refresh the token pair, log out."),
        (name = "tokens", description = "Revoke refresh tokens."),
        (name = "account", description = "A resource that needs a live access token.")
    ),
    modifiers(&ReferenceModifier)
)]
struct ReferenceApi;

/// The reference spec as a utoipa document.
pub fn reference_openapi() -> utoipa::openapi::OpenApi {
    ReferenceApi::openapi()
}

/// The reference spec as JSON.
pub fn reference_json() -> serde_json::Value {
    serde_json::to_value(reference_openapi()).expect("the reference spec serializes to JSON")
}

/// The reference spec as YAML, byte for byte the same on every call.
pub fn reference_yaml() -> String {
    reference_openapi()
        .to_yaml()
        .expect("the reference spec serializes to YAML")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const OPERATIONS: [(&str, &str, &str, &str); 6] = [
        ("/auth/login", "post", "login", "login"),
        ("/auth/refresh", "post", "refresh", "refresh"),
        ("/auth/logout", "post", "logout", "logout"),
        (
            "/refresh-tokens/{refreshToken}",
            "delete",
            "revokeRefreshToken",
            "revoke",
        ),
        (
            "/refresh-tokens/mine",
            "delete",
            "revokeAllRefreshTokens",
            "revoke-all",
        ),
        ("/me", "get", "me", "protected"),
    ];

    #[test]
    fn yaml_is_deterministic_and_matches_json() {
        let yaml = reference_yaml();
        assert_eq!(yaml, reference_yaml());
        assert!(yaml.starts_with("openapi: 3.1.0\n"));
        let json = reference_json();
        assert_eq!(json["openapi"], "3.1.0");
        assert_eq!(json["info"]["title"], "Token Lifecycle Reference API");
        assert_eq!(json["info"]["version"], "1.0.0");
        assert!(json["info"].get("license").is_none());
        assert_eq!(json["servers"][0]["url"], "http://127.0.0.1:8080");
    }

    #[test]
    fn root_binding_sits_at_the_root() {
        let json = reference_json();
        let root = &json["x-token-lifecycle"];
        assert_eq!(root["accounts"][1]["password"], "alice-secret");
        assert_eq!(root["policy"]["logoutEnds"], "session");
        assert_eq!(root["policy"]["accessTokenTtl"], 3600);
    }

    #[test]
    fn every_operation_is_bound() {
        let json = reference_json();
        for (path, method, id, action) in OPERATIONS {
            let op = &json["paths"][path][method];
            assert_eq!(op["operationId"], id, "{method} {path}");
            assert_eq!(op["x-token-lifecycle"]["action"], action, "{method} {path}");
        }
    }

    #[test]
    fn every_401_has_its_outcome_examples_and_challenge() {
        let json = reference_json();
        let expect: [(&str, &str, &[&str]); 4] = [
            ("/auth/login", "post", &["invalidCredentials"]),
            ("/auth/refresh", "post", &["expired", "invalid"]),
            ("/auth/logout", "post", &["invalid", "expired", "missing"]),
            ("/me", "get", &["invalid", "expired", "missing"]),
        ];
        for (path, method, names) in expect {
            let unauthorized = &json["paths"][path][method]["responses"]["401"];
            let examples = &unauthorized["content"]["application/json"]["examples"];
            for name in names {
                assert_eq!(examples[name]["value"]["code"], "401", "{path} {name}");
            }
            let challenge = &unauthorized["headers"]["WWW-Authenticate"]["schema"];
            assert_eq!(challenge["example"], "Bearer error=\"invalid_token\"");
            let outcomes = &json["paths"][path][method]["x-token-lifecycle"]["outcomes"];
            if let Value::Object(outcomes) = outcomes {
                for (name, outcome) in outcomes {
                    let example = outcome["example"].as_str().unwrap();
                    assert!(examples.get(example).is_some(), "{path} {name}");
                }
            }
        }
    }
}
