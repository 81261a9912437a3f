//! The named properties of a run. A failure is reported under the property
//! that explains it; every property ends passed, failed, not applicable,
//! not exercised or deselected (see [`crate::verdict`]).

use std::fmt;

use crate::report::Group;

/// A named property of a token lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Property {
    /// Login with good credentials issues tokens; bad ones are refused.
    LoginIssuesTokens,
    /// No token is ever issued twice.
    TokensUnique,
    /// A refresh issues new tokens (and a new refresh token under rotation).
    RefreshRotates,
    /// A refresh token works once.
    RefreshSingleUse,
    /// Presenting a spent refresh token ends its session.
    ReuseEndsSession,
    /// Logout answers its documented success and ends the session.
    LogoutEndsSession,
    /// Revocations answer success whatever token they are given (where the
    /// spec says they ignore invalid tokens).
    RevokeAlways,
    /// A revoked refresh token cannot refresh.
    RevokedCannotRefresh,
    /// Revoke-all revokes the user's refresh tokens and no one else's.
    RevokeAllPerUser,
    /// Tokens stop working when their lifetime is over.
    TokensExpire,
    /// Unknown, garbage, empty and missing tokens are refused.
    UnknownTokensRejected,
    /// An access token is no refresh token and the reverse.
    WrongKindRejected,
    /// A client the API does not know is refused, and another client's
    /// token can be neither refreshed nor revoked (RFC 6749 section 6,
    /// RFC 7009 section 2.1).
    ClientBound,
    /// A bound introspection endpoint (RFC 7662) says of every token what
    /// the model says: active or not, and whose.
    IntrospectionAgrees,
    /// A token the model holds dead is refused on every guarded operation
    /// (unbound, carrying a credential where a `protected` binding reads
    /// its access token); a live one is not.
    GuardsRefuseDeadTokens,
    /// Every 401 carries a `WWW-Authenticate` challenge (where documented).
    UnauthorizedChallenge,
    /// Error bodies are the documented ones.
    ErrorBodiesMatch,
    /// Every answer is documented: status, content type, schema, headers.
    ResponsesDocumented,
    /// Requests the spec forbids are refused with a 4xx.
    InvalidRequestsRejected,
    /// Anything else the model predicts.
    ModelAgreement,
    /// Tokens cannot be predicted from earlier ones: what varies between
    /// successive tokens carries at least 128 bits.
    TokensUnpredictable,
    /// A JWT's `exp - iat` is the lifetime the answer's `expiresIn` (or
    /// the model) says, within the clock skew.
    JwtExpAgreesWithExpiresIn,
    /// A JWT's `iat` is not after the target's now plus the clock skew.
    JwtIatNotInTheFuture,
    /// No two JWT access tokens carry one `jti`.
    JwtJtiUnique,
    /// A JWT is signed with the declared algorithm by a key of the key set
    /// the spec locates (or the declared HS256 secret).
    JwtSignatureVerifies,
    /// A JWT's `iss` is the declared issuer and its `aud` holds the
    /// declared audience (an ID token's: the client).
    JwtIssAndAudAsDeclared,
    /// Syntactically broken JSON bodies, a wrong or missing content type
    /// and an empty body get a 4xx, never a 5xx.
    MalformedRequestsRejected,
    /// Of concurrent refreshes with one refresh token exactly one wins (all
    /// of them when refresh tokens are not single use; identical answers
    /// where the spec declares `concurrentRefresh: same-answer`).
    RaceOneWins,
    /// Concurrent refreshes with one refresh token never leave two
    /// different live refresh tokens.
    RaceNoFork,
    /// No answer to concurrent requests is a 5xx.
    RaceNoServerError,
    /// Every request is answered within `--request-timeout` (and
    /// `--max-response-time`, when set).
    RespondsInTime,
    /// Every response body fits in `--max-body`.
    BodyWithinLimit,
    /// No connection is dropped or reset before the answer is complete.
    AnswersEveryRequest,
}

impl Property {
    /// Every property, in report order.
    pub const ALL: [Property; 33] = [
        Property::LoginIssuesTokens,
        Property::TokensUnique,
        Property::RefreshRotates,
        Property::RefreshSingleUse,
        Property::ReuseEndsSession,
        Property::LogoutEndsSession,
        Property::RevokeAlways,
        Property::RevokedCannotRefresh,
        Property::RevokeAllPerUser,
        Property::TokensExpire,
        Property::UnknownTokensRejected,
        Property::WrongKindRejected,
        Property::ClientBound,
        Property::IntrospectionAgrees,
        Property::GuardsRefuseDeadTokens,
        Property::UnauthorizedChallenge,
        Property::ErrorBodiesMatch,
        Property::ResponsesDocumented,
        Property::InvalidRequestsRejected,
        Property::ModelAgreement,
        Property::TokensUnpredictable,
        Property::JwtExpAgreesWithExpiresIn,
        Property::JwtIatNotInTheFuture,
        Property::JwtJtiUnique,
        Property::JwtSignatureVerifies,
        Property::JwtIssAndAudAsDeclared,
        Property::MalformedRequestsRejected,
        Property::RaceOneWins,
        Property::RaceNoFork,
        Property::RaceNoServerError,
        Property::RespondsInTime,
        Property::BodyWithinLimit,
        Property::AnswersEveryRequest,
    ];

    /// The properties every request is judged by, whatever its phase
    /// (the transport's).
    pub const TRANSPORT: [Property; 3] = [
        Property::RespondsInTime,
        Property::BodyWithinLimit,
        Property::AnswersEveryRequest,
    ];

    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            Property::LoginIssuesTokens => "login issues tokens",
            Property::TokensUnique => "tokens unique",
            Property::RefreshRotates => "refresh rotates",
            Property::RefreshSingleUse => "refresh single-use",
            Property::ReuseEndsSession => "reuse ends the session",
            Property::LogoutEndsSession => "logout answers 204 and ends the session",
            Property::RevokeAlways => "revoke succeeds whatever the token",
            Property::RevokedCannotRefresh => "revoked token cannot refresh",
            Property::RevokeAllPerUser => "revoke-all is per user",
            Property::TokensExpire => "tokens expire",
            Property::UnknownTokensRejected => "unknown tokens rejected",
            Property::WrongKindRejected => "wrong kind of token rejected",
            Property::ClientBound => "tokens stay with their client",
            Property::IntrospectionAgrees => "introspection agrees with the model",
            Property::GuardsRefuseDeadTokens => "dead tokens refused on guarded operations",
            Property::UnauthorizedChallenge => "401 carries WWW-Authenticate",
            Property::ErrorBodiesMatch => "error bodies match the spec",
            Property::ResponsesDocumented => "responses match the spec",
            Property::InvalidRequestsRejected => "invalid requests rejected",
            Property::ModelAgreement => "model agreement",
            Property::TokensUnpredictable => "tokens unpredictable",
            Property::JwtExpAgreesWithExpiresIn => "jwt exp agrees with expiresIn",
            Property::JwtIatNotInTheFuture => "jwt iat not in the future",
            Property::JwtJtiUnique => "jwt jti unique",
            Property::JwtSignatureVerifies => "jwt signature verifies",
            Property::JwtIssAndAudAsDeclared => "jwt iss and aud as declared",
            Property::MalformedRequestsRejected => "malformed requests rejected",
            Property::RaceOneWins => "concurrent refreshes: one wins",
            Property::RaceNoFork => "concurrent refreshes do not fork the session",
            Property::RaceNoServerError => "no server error under concurrency",
            Property::RespondsInTime => "responds in time",
            Property::BodyWithinLimit => "response body within --max-body",
            Property::AnswersEveryRequest => "answers every request",
        }
    }
}

impl std::str::FromStr for Property {
    type Err = String;

    /// A property by its report name (`tokens unique`) or its kebab-case
    /// name (`tokens-unique`), as `--checks` takes them.
    fn from_str(s: &str) -> Result<Property, String> {
        let wanted = s.trim().to_lowercase().replace(' ', "-");
        Property::ALL
            .into_iter()
            .find(|p| p.name().replace(' ', "-") == wanted || p.key() == wanted)
            .ok_or_else(|| {
                let known: Vec<&str> = Property::ALL.iter().map(|p| p.key()).collect();
                format!("no property `{s}` (known: {})", known.join(", "))
            })
    }
}

impl Property {
    /// The kebab-case name (JSON, `--checks`).
    pub fn key(self) -> &'static str {
        match self {
            Property::LoginIssuesTokens => "login-issues-tokens",
            Property::TokensUnique => "tokens-unique",
            Property::RefreshRotates => "refresh-rotates",
            Property::RefreshSingleUse => "refresh-single-use",
            Property::ReuseEndsSession => "reuse-ends-session",
            Property::LogoutEndsSession => "logout-ends-session",
            Property::RevokeAlways => "revoke-always",
            Property::RevokedCannotRefresh => "revoked-cannot-refresh",
            Property::RevokeAllPerUser => "revoke-all-per-user",
            Property::TokensExpire => "tokens-expire",
            Property::UnknownTokensRejected => "unknown-tokens-rejected",
            Property::WrongKindRejected => "wrong-kind-rejected",
            Property::ClientBound => "client-bound-tokens",
            Property::IntrospectionAgrees => "introspection-agrees",
            Property::GuardsRefuseDeadTokens => "guards-refuse-dead-tokens",
            Property::UnauthorizedChallenge => "unauthorized-challenge",
            Property::ErrorBodiesMatch => "error-bodies-match",
            Property::ResponsesDocumented => "responses-documented",
            Property::InvalidRequestsRejected => "invalid-requests-rejected",
            Property::ModelAgreement => "model-agreement",
            Property::TokensUnpredictable => "tokens-unpredictable",
            Property::JwtExpAgreesWithExpiresIn => "jwt-exp",
            Property::JwtIatNotInTheFuture => "jwt-iat",
            Property::JwtJtiUnique => "jwt-jti-unique",
            Property::JwtSignatureVerifies => "jwt-signature",
            Property::JwtIssAndAudAsDeclared => "jwt-iss-aud",
            Property::MalformedRequestsRejected => "malformed-requests-rejected",
            Property::RaceOneWins => "race-one-wins",
            Property::RaceNoFork => "race-no-fork",
            Property::RaceNoServerError => "race-no-server-error",
            Property::RespondsInTime => "responds-in-time",
            Property::BodyWithinLimit => "body-within-limit",
            Property::AnswersEveryRequest => "answers-every-request",
        }
    }

    /// The group a report lists the property in.
    pub fn group(self) -> Group {
        match self {
            Property::MalformedRequestsRejected => Group::Stateless,
            Property::RaceOneWins | Property::RaceNoFork | Property::RaceNoServerError => {
                Group::Concurrency
            }
            Property::RespondsInTime
            | Property::BodyWithinLimit
            | Property::AnswersEveryRequest => Group::Transport,
            _ => Group::Stateful,
        }
    }

    /// Whether this is one of the JWT checks (`crate::jwt`).
    pub fn is_jwt(self) -> bool {
        matches!(
            self,
            Property::JwtExpAgreesWithExpiresIn
                | Property::JwtIatNotInTheFuture
                | Property::JwtJtiUnique
                | Property::JwtSignatureVerifies
                | Property::JwtIssAndAudAsDeclared
        )
    }

    /// The property of a report name, if any.
    pub fn named(name: &str) -> Option<Property> {
        Property::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
