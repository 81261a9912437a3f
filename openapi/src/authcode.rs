//! Authorization codes (RFC 6749 section 4.1) with PKCE (RFC 7636): what
//! an authorization request granted, kept under its code until the client
//! exchanges it at the token endpoint.
//!
//! Pure, like the model: no IO, no clock (an [`Instant`] is passed in), no
//! randomness (the caller mints the code). A code works once, for the
//! client it was issued to, with the `redirect_uri` of its authorization
//! request and the `code_verifier` of its `code_challenge`, for
//! [`CODE_TTL`] seconds. A second use is refused and names the session the
//! first one started, so that the caller can revoke its tokens (RFC 6749
//! section 4.1.2: "SHOULD revoke all tokens previously issued based on
//! that authorization code").

use std::collections::HashMap;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::model::{Instant, SessionId};

/// Seconds a code lives: RFC 6749 section 4.1.2 recommends at most ten
/// minutes.
pub const CODE_TTL: u64 = 600;

/// How a `code_challenge` was derived from the verifier (RFC 7636 section
/// 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ChallengeMethod {
    /// `BASE64URL(SHA256(ASCII(code_verifier)))`.
    S256,
    /// The verifier itself.
    Plain,
}

impl ChallengeMethod {
    /// Every method, strongest first (the discovery document's order).
    pub const ALL: [ChallengeMethod; 2] = [ChallengeMethod::S256, ChallengeMethod::Plain];

    /// The name used in requests (`code_challenge_method`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeMethod::S256 => "S256",
            ChallengeMethod::Plain => "plain",
        }
    }

    /// The method of a request's `code_challenge_method` (RFC 7636: absent
    /// means `plain`); `None` for a method it does not define.
    pub fn parse(s: Option<&str>) -> Option<ChallengeMethod> {
        match s {
            None => Some(ChallengeMethod::Plain),
            Some(s) => ChallengeMethod::ALL.into_iter().find(|m| m.as_str() == s),
        }
    }
}

/// A PKCE challenge of an authorization request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Challenge {
    /// How it was derived.
    pub method: ChallengeMethod,
    /// The `code_challenge`.
    pub value: String,
}

impl Challenge {
    /// Whether `verifier` is the one this challenge was derived from.
    pub fn verifies(&self, verifier: &str) -> bool {
        let derived = match self.method {
            ChallengeMethod::S256 => s256(verifier),
            ChallengeMethod::Plain => verifier.to_owned(),
        };
        // Same length and bytes; the values are not secrets of the server.
        derived == self.value
    }
}

/// The S256 challenge of `verifier`: `BASE64URL(SHA256(verifier))`,
/// without padding (RFC 7636 section 4.2).
pub fn s256(verifier: &str) -> String {
    let digest = Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Whether `value` has the form RFC 7636 gives verifiers and challenges:
/// 43 to 128 characters of `[A-Za-z0-9-._~]`.
pub fn well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Whether a `redirect_uri` of a request matches one a client registered:
/// the same string, except that for a loopback IP literal over http
/// (`http://127.0.0.1/cb`, `http://[::1]/cb`) any port is accepted, as RFC
/// 8252 section 7.3 requires of native apps' redirects.
pub fn redirect_matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    match (
        loopback_without_port(registered),
        loopback_without_port(presented),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `http://127.0.0.1:8080/cb?x` as `("127.0.0.1", "/cb?x")`, for loopback
/// IP literals only.
fn loopback_without_port(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("http://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let host = match authority.strip_prefix('[') {
        Some(v6) => &authority[..v6.find(']')? + 2],
        None => authority.split(':').next()?,
    };
    matches!(host, "127.0.0.1" | "[::1]").then_some((host, path))
}

/// What an authorization request granted: stored under the code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    /// The account that was chosen (logged in).
    pub username: String,
    /// The client the code was issued to.
    pub client_id: String,
    /// The redirect URI the code was sent to.
    pub redirect_uri: String,
    /// Whether the authorization request named `redirect_uri` (then the
    /// token request must name the same, RFC 6749 section 4.1.3).
    pub redirect_uri_sent: bool,
    /// The `scope` asked for.
    pub scope: Option<String>,
    /// The OpenID Connect `nonce`, for the ID token.
    pub nonce: Option<String>,
    /// The PKCE challenge.
    pub challenge: Option<Challenge>,
    /// When the user was authenticated (the ID token's `auth_time`).
    pub issued_at: Instant,
}

impl Grant {
    /// Whether the scope asks for OpenID Connect (`openid`).
    pub fn openid(&self) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|w| w == "openid"))
    }
}

/// What a token request presents to redeem a code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Redemption<'a> {
    /// `code`.
    pub code: Option<&'a str>,
    /// The authenticated client's id.
    pub client_id: Option<&'a str>,
    /// `redirect_uri`.
    pub redirect_uri: Option<&'a str>,
    /// `code_verifier`.
    pub verifier: Option<&'a str>,
}

/// Why a code was not redeemed. Every one is `invalid_grant` at the token
/// endpoint (RFC 6749 section 5.2) but [`CodeError::Missing`]
/// (`invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// No code was presented.
    #[error("no authorization code was presented")]
    Missing,
    /// Not a code this store issued (or one long forgotten).
    #[error("the authorization code is not one this server issued")]
    Unknown,
    /// Past its lifetime.
    #[error("the authorization code has expired")]
    Expired,
    /// Redeemed before: the session its first use started should end.
    #[error("the authorization code was already used")]
    Reused {
        /// The session the first use started, if it started one.
        session: Option<SessionId>,
    },
    /// Issued to another client.
    #[error("the authorization code was issued to another client")]
    WrongClient,
    /// Another `redirect_uri` than the authorization request's, or none
    /// where it named one.
    #[error("redirect_uri is not the one of the authorization request")]
    RedirectMismatch,
    /// The authorization request had a challenge, the token request no
    /// verifier.
    #[error("code_verifier is required: the authorization request had a code_challenge")]
    VerifierMissing,
    /// The verifier does not derive the challenge.
    #[error("code_verifier does not match the code_challenge")]
    VerifierMismatch,
    /// A verifier where the authorization request had no challenge (a
    /// downgrade: OAuth 2.1 section 4.1.3 has the server refuse it).
    #[error("code_verifier was sent, but the authorization request had no code_challenge")]
    UnexpectedVerifier,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Record {
    grant: Grant,
    expires_at: Instant,
    used: bool,
    session: Option<SessionId>,
}

/// The codes issued and not yet forgotten (serde: the mock's replicas
/// share them in their state).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Codes {
    records: HashMap<String, Record>,
}

impl Codes {
    /// An empty store.
    pub fn new() -> Codes {
        Codes::default()
    }

    /// Keep `grant` under `code` (minted by the caller, unguessable) for
    /// [`CODE_TTL`] seconds from `now`. Codes past their lifetime by
    /// another [`CODE_TTL`] are forgotten here (until then a replay is
    /// still told from an unknown code, and still ends its session).
    pub fn issue(&mut self, code: String, grant: Grant, now: Instant) {
        self.records
            .retain(|_, r| now < r.expires_at.saturating_add(CODE_TTL));
        let expires_at = now.saturating_add(CODE_TTL);
        self.records.insert(
            code,
            Record {
                grant,
                expires_at,
                used: false,
                session: None,
            },
        );
    }

    /// Redeem a code at `now`: its grant, once. A wrong `redirect_uri` or
    /// verifier spends the code too (a code that met a wrong verifier
    /// may be under attack); an unknown or another client's code is left
    /// as it is.
    pub fn redeem(&mut self, r: Redemption<'_>, now: Instant) -> Result<Grant, CodeError> {
        let code = r.code.filter(|c| !c.is_empty()).ok_or(CodeError::Missing)?;
        let record = self.records.get_mut(code).ok_or(CodeError::Unknown)?;
        if record.used {
            return Err(CodeError::Reused {
                session: record.session,
            });
        }
        if now >= record.expires_at {
            return Err(CodeError::Expired);
        }
        let grant = &record.grant;
        if r.client_id != Some(grant.client_id.as_str()) {
            return Err(CodeError::WrongClient);
        }
        record.used = true;
        let redirect_ok = match r.redirect_uri.filter(|u| !u.is_empty()) {
            Some(uri) => uri == grant.redirect_uri,
            None => !grant.redirect_uri_sent,
        };
        if !redirect_ok {
            return Err(CodeError::RedirectMismatch);
        }
        let verifier = r.verifier.filter(|v| !v.is_empty());
        match (&grant.challenge, verifier) {
            (Some(_), None) => Err(CodeError::VerifierMissing),
            (Some(c), Some(v)) if !c.verifies(v) => Err(CodeError::VerifierMismatch),
            (None, Some(_)) => Err(CodeError::UnexpectedVerifier),
            _ => Ok(grant.clone()),
        }
    }

    /// Record the session the redemption of `code` started, for
    /// [`CodeError::Reused`].
    pub fn started(&mut self, code: &str, session: SessionId) {
        if let Some(r) = self.records.get_mut(code) {
            r.session = Some(session);
        }
    }

    /// Codes kept (live, spent, or recently expired).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no code is kept.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Forget every code.
    pub fn clear(&mut self) {
        self.records.clear();
    }
}
