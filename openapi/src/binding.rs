//! Behaviour bindings: what the `x-token-lifecycle` extension (see
//! `docs/bindings.md`) says of a document and of each operation, once
//! read and checked by [`crate::vocabulary`].

use std::collections::BTreeMap;

use serde_json::Value;

use crate::expr::Expr;
use crate::media::simple_text;
use crate::model::{Client, Invalidity, OutcomeName};

pub use crate::model::{ActionKind, ConcurrentRefresh, LogoutScope, Policy};

/// The root declaration: accounts and policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// Whether the document has a root `x-token-lifecycle` at all.
    pub declared: bool,
    /// `(username, password)` pairs.
    pub accounts: Vec<(String, String)>,
    /// The OAuth clients (RFC 6749 section 2).
    pub clients: Vec<Client>,
    /// The redirect URIs each client registered (RFC 6749 section 3.1.2),
    /// by client id: where the authorize endpoint may send a code.
    pub redirect_uris: BTreeMap<String, Vec<String>>,
    /// What the tokens look like.
    pub tokens: Tokens,
    /// The policies.
    pub policy: Policy,
}

/// What issued tokens look like.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Access tokens are signed JWTs (RFC 9068 style), not opaque strings.
    pub jwt: Option<Jwt>,
}

/// How JWT access tokens (and ID tokens) are signed and what they claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwt {
    /// The signing algorithm.
    pub algorithm: JwtAlgorithm,
    /// The `iss` claim, where the spec declares it ([`Jwt::issuer`] is
    /// the one the mock writes).
    pub declared_issuer: Option<String>,
    /// The `aud` claim of access tokens, if any.
    pub audience: Option<String>,
    /// The HS256 secret (the mock makes an RS256 key itself).
    pub secret: Option<String>,
    /// Where the JWKS is: an `http(s)` URL, or a path on the API's server
    /// (where the mock publishes its keys). `None`: the discovery
    /// document's `jwks_uri`, else [`DEFAULT_JWKS_PATH`].
    pub jwks: Option<String>,
}

/// The issuer of a spec that declares none.
pub const DEFAULT_ISSUER: &str = "urn:tokenmock";

/// Where the JWKS is when the spec does not say.
pub const DEFAULT_JWKS_PATH: &str = "/.well-known/jwks.json";

impl Jwt {
    /// The `iss` claim: the declared issuer, or [`DEFAULT_ISSUER`].
    pub fn issuer(&self) -> &str {
        self.declared_issuer.as_deref().unwrap_or(DEFAULT_ISSUER)
    }

    /// The path the mock serves its JWKS at: the declared location's path
    /// (of a URL too), else [`DEFAULT_JWKS_PATH`].
    pub fn jwks_path(&self) -> &str {
        let Some(at) = self.jwks.as_deref() else {
            return DEFAULT_JWKS_PATH;
        };
        match at.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => at,
        }
    }
}

/// A JWT signing algorithm the mock offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum JwtAlgorithm {
    /// RSA with SHA-256: the mock makes a key at start and publishes it as
    /// a JWKS.
    RS256,
    /// HMAC with SHA-256 and the spec's `secret`.
    HS256,
}

impl JwtAlgorithm {
    /// Every algorithm, in documentation order.
    pub const ALL: [JwtAlgorithm; 2] = [JwtAlgorithm::RS256, JwtAlgorithm::HS256];

    /// The name used in specs and in JWT headers.
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::RS256 => "RS256",
            JwtAlgorithm::HS256 => "HS256",
        }
    }
}

/// How a bound operation's client authenticates (RFC 6749 section 2.3,
/// the names of OpenID Connect's `token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// HTTP Basic with the client id and secret (form-encoded, then
    /// base64) in `Authorization`.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the (form) body.
    ClientSecretPost,
    /// A public client: `client_id` alone.
    None,
}

impl ClientAuthMethod {
    /// Every method, in documentation order.
    pub const ALL: [ClientAuthMethod; 3] = [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
        ClientAuthMethod::None,
    ];

    /// The name used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
            ClientAuthMethod::None => "none",
        }
    }

    /// The method of a spec name.
    pub fn parse(s: &str) -> Option<ClientAuthMethod> {
        ClientAuthMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Where a bound operation reads its client's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientBinding {
    /// How the client authenticates.
    pub method: ClientAuthMethod,
    /// Where the client id is (`client_secret_post`, `none`).
    pub id: Option<Source>,
    /// Where the secret is (`client_secret_post`).
    pub secret: Option<Source>,
}

/// Where a presented token or credential is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The request location.
    pub expr: Expr,
    /// The word before the token (`Bearer`), if any.
    pub scheme: Option<String>,
}

impl Source {
    /// Strip the scheme word from a raw value. A value without the expected
    /// scheme yields an empty string (treated as not presented).
    pub fn strip<'v>(&self, raw: &'v str) -> &'v str {
        match &self.scheme {
            // A credential is taken exactly as sent: `demo ` is not `demo`.
            None => raw,
            Some(scheme) => match raw.trim().split_once(' ') {
                Some((word, rest)) if word.eq_ignore_ascii_case(scheme) => rest.trim(),
                _ => "",
            },
        }
    }

    /// Format a token as it must be sent (`Bearer <token>`).
    pub fn format(&self, token: &str) -> String {
        match &self.scheme {
            None => token.to_owned(),
            Some(s) => format!("{s} {token}"),
        }
    }
}

/// Where the response carries issued tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Issue {
    /// The new access token.
    pub access_token: Option<Expr>,
    /// The new refresh token.
    pub refresh_token: Option<Expr>,
    /// The access token's TTL in seconds.
    pub expires_in: Option<Expr>,
    /// The refresh token's TTL in seconds.
    pub refresh_expires_in: Option<Expr>,
    /// An OpenID Connect ID token (where tokens are JWTs).
    pub id_token: Option<Expr>,
}

/// Where a code exchange (`exchange-code`) reads what the token request
/// presents (RFC 6749 section 4.1.3, RFC 7636 section 4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodePlaces {
    /// `code` (default `$request.body#/code`).
    pub code: Source,
    /// `redirect_uri` (default `$request.body#/redirect_uri`).
    pub redirect_uri: Source,
    /// `code_verifier` (default `$request.body#/code_verifier`).
    pub verifier: Source,
}

/// Where an introspection answer (RFC 7662) carries what it says of a
/// token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntrospectionPlaces {
    /// `active`: whether the token would be accepted now.
    pub active: Option<Expr>,
    /// `exp`: when it expires, in seconds since the epoch.
    pub exp: Option<Expr>,
    /// `sub`: its user.
    pub sub: Option<Expr>,
    /// `client_id`: the client it was issued to.
    pub client_id: Option<Expr>,
    /// `token_type`: `access_token` or `refresh_token`.
    pub token_type: Option<Expr>,
}

/// One condition of a binding's `when`: the request carries `value` at
/// `place`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The request place (no scheme word).
    pub place: Source,
    /// The value it must hold: a string, number or boolean.
    pub value: Value,
}

impl Condition {
    /// Whether `found` (the value at the place, as parsed; `None` where
    /// the request has nothing there) satisfies the condition: the same
    /// value, or the same text (a form body or a parameter carries text).
    pub fn holds(&self, found: Option<&Value>) -> bool {
        found.is_some_and(|f| *f == self.value || simple_text(f) == self.text())
    }

    /// The value as the request writes it.
    pub fn text(&self) -> String {
        simple_text(&self.value)
    }

    /// `grant_type=password`: the place's last name and the value, for
    /// variant names in reports and `--include`.
    pub fn label(&self) -> String {
        let name = match &self.place.expr {
            Expr::RequestBody(ptr) => ptr
                .tokens()
                .last()
                .cloned()
                .unwrap_or_else(|| "body".to_owned()),
            e => e
                .request_place()
                .map_or_else(|| e.to_string(), |(_, n)| n.to_owned()),
        };
        format!("{name}={}", self.text())
    }
}

/// Which documented response an outcome gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeResponse {
    /// The status.
    pub status: u16,
    /// A named example of that response, if chosen.
    pub example: Option<String>,
}

/// An operation's binding, checked against the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The action.
    pub action: ActionKind,
    /// The conditions on the request (all must hold) under which this
    /// binding, of several on one operation, answers; empty: always.
    pub when: Vec<Condition>,
    /// Login user name.
    pub username: Option<Source>,
    /// Login password.
    pub password: Option<Source>,
    /// The presented access token.
    pub access_token: Option<Source>,
    /// The presented refresh token.
    pub refresh_token: Option<Source>,
    /// A presented token of either kind (revoke-token, introspect).
    pub token: Option<Source>,
    /// RFC 7009's `token_type_hint` (revoke-token).
    pub token_type_hint: Option<Source>,
    /// Where an introspection answer says what it says (introspect).
    pub introspection: IntrospectionPlaces,
    /// Where issued tokens go.
    pub issue: Issue,
    /// Where the user's name goes (protected).
    pub subject: Option<Expr>,
    /// How the client authenticates, where the API has clients.
    pub client: Option<ClientBinding>,
    /// Where a code exchange reads the code, redirect URI and verifier
    /// (`exchange-code` only).
    pub exchange: Option<CodePlaces>,
    /// Every name of [`OutcomeName::MAPPED`] mapped to a response, and
    /// the details of `invalid` the spec maps.
    pub outcomes: BTreeMap<OutcomeName, OutcomeResponse>,
    /// The outcome names the spec maps itself (the others are defaults).
    pub explicit: Vec<OutcomeName>,
}

impl Binding {
    /// The response for an outcome name (always present after reading for
    /// the names of [`OutcomeName::MAPPED`]; a detail of `invalid` the
    /// binding does not map gets `invalid`'s).
    pub fn outcome(&self, name: OutcomeName) -> OutcomeResponse {
        let fallback = || name.fallback().and_then(|f| self.outcomes.get(&f));
        self.outcomes
            .get(&name)
            .or_else(fallback)
            .cloned()
            .unwrap_or(OutcomeResponse {
                status: 401,
                example: None,
            })
    }

    /// The request places the binding reads a token or credential at:
    /// user name, password, access token, refresh token, token (those it
    /// has).
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        [
            &self.username,
            &self.password,
            &self.access_token,
            &self.refresh_token,
            &self.token,
        ]
        .into_iter()
        .flatten()
    }

    /// Whether the binding answers a request: every condition of its
    /// `when` holds for what `read` finds at the condition's place.
    pub fn matches(&self, mut read: impl FnMut(&Expr) -> Option<Value>) -> bool {
        self.when
            .iter()
            .all(|c| c.holds(read(&c.place.expr).as_ref()))
    }

    /// `grant_type=password`: the conditions in words (empty without
    /// any).
    pub fn label(&self) -> String {
        let labels: Vec<String> = self.when.iter().map(Condition::label).collect();
        labels.join(", ")
    }

    /// The missing-token rule, one for the mock and the oracle: a request
    /// whose only problems (named as runtime expressions, e.g.
    /// `$request.header.x-auth-token`) are at the places this binding reads
    /// gets the model's answer, where the spec maps `missing`, rather than
    /// a generic 400.
    pub fn answers_missing<'l>(&self, mut problems: impl Iterator<Item = &'l str>) -> bool {
        // An absent body (`$request.body`) is a missing token where the
        // binding reads one from the body, as `{}` is.
        let at_source = |location: &str| {
            self.sources().any(|s| {
                s.expr.to_string().eq_ignore_ascii_case(location)
                    || location == "$request.body" && matches!(s.expr, Expr::RequestBody(_))
            })
        };
        self.maps(OutcomeName::Missing) && problems.all(at_source)
    }

    /// Whether the spec maps this outcome itself (not a default).
    pub fn maps(&self, name: OutcomeName) -> bool {
        self.explicit.contains(&name)
    }

    /// The response for a model outcome, refined by why a token is invalid:
    /// the detail's own mapping where the binding has one. Also the names to
    /// try as example names, most specific first.
    pub fn respond_to(
        &self,
        outcome: OutcomeName,
        detail: Option<Invalidity>,
    ) -> (OutcomeResponse, Vec<OutcomeName>) {
        match detail.filter(|_| outcome == OutcomeName::Invalid) {
            Some(d) => (self.outcome(d.name()), vec![d.name(), outcome]),
            None => (self.outcome(outcome), vec![outcome]),
        }
    }
}
