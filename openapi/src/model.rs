//! The behaviour model: a pure token-lifecycle state machine.
//!
//! The model knows accounts, sessions and tokens, and nothing of HTTP. It takes
//! an [`Action`] at an explicit instant ([`Instant`], seconds on any epoch) and
//! returns the [`Outcome`] a correct implementation must produce. It never
//! fails: a garbage token is an outcome ([`Rejection::Invalid`]), not an error.
//!
//! Tokens are written and read by a [`TokenCodec`] the caller passes in:
//! each carries its [`Stamp`] (kind, session, serial, lifetime), vouched
//! for by the codec, so the model stores no token, only one small record
//! per session whose tokens have not all expired. The mock's codec signs
//! stamps with a MAC; the conformance oracle's ([`Symbolic`]) names them
//! `R.1`, `A.2` and maps them to the real tokens of the target.
//!
//! Both the mock server and the conformance suite run this one model, so the
//! two can never disagree about what the spec means.

use std::collections::HashMap;

use compact_str::CompactString;

mod codec;
mod store;

pub use codec::{Claims, Stamp, Symbolic, TokenCodec};
use store::{EndedBy, Issue, Revoked, Session, Sessions};

/// What logout ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogoutScope {
    /// The whole session: its access and refresh tokens.
    Session,
    /// Only the presented access token.
    AccessToken,
}

impl LogoutScope {
    /// Every scope, in documentation order.
    pub const ALL: [LogoutScope; 2] = [LogoutScope::Session, LogoutScope::AccessToken];

    /// The name used in specs (`access-token`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogoutScope::Session => "session",
            LogoutScope::AccessToken => "access-token",
        }
    }
}

/// What concurrent refreshes with one refresh token may answer. The model
/// applies one action at a time, so it never reads this: it is the race
/// check's (the conformance suite's) policy, declared with the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConcurrentRefresh {
    /// Exactly one succeeds; the others present a spent token.
    OneWins,
    /// Several may succeed if they all get the same new tokens (the
    /// server answers concurrent duplicates once).
    SameAnswer,
}

impl ConcurrentRefresh {
    /// Every value, in documentation order.
    pub const ALL: [ConcurrentRefresh; 2] =
        [ConcurrentRefresh::OneWins, ConcurrentRefresh::SameAnswer];

    /// The name used in specs (`same-answer`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConcurrentRefresh::OneWins => "one-wins",
            ConcurrentRefresh::SameAnswer => "same-answer",
        }
    }
}

/// The lifecycle policies of an API.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Seconds an access token lives.
    pub access_token_ttl: u64,
    /// Seconds a refresh token lives.
    pub refresh_token_ttl: u64,
    /// A refresh token is spent by its first use.
    pub refresh_single_use: bool,
    /// Presenting a spent refresh token ends its session.
    pub reuse_ends_session: bool,
    /// What logout ends.
    pub logout_ends: LogoutScope,
    /// Revocations (revoke, revoke-all, RFC 7009 revoke-token) answer
    /// success for a token they cannot revoke: unknown, spent, revoked,
    /// expired, of an ended session or of another client (RFC 7009 section
    /// 2.2). A missing token is still refused as `missing`.
    pub revoke_ignores_invalid_tokens: bool,
    /// Whether a refresh issues a new refresh token (default:
    /// `refresh_single_use`).
    pub rotate_on_refresh: Option<bool>,
    /// A successful refresh revokes the access tokens the session had
    /// (django-oauth-toolkit does).
    pub refresh_revokes_access: bool,
    /// Revoking a refresh token also revokes the access tokens of its
    /// session, the same grant (RFC 7009 section 2.1: SHOULD).
    pub revoke_cascades: bool,
    /// Revoking an access token also revokes the refresh tokens of its
    /// session, the same grant (RFC 7009 section 2.1: MAY;
    /// django-oauth-toolkit 3 does).
    pub revoke_access_revokes_refresh: bool,
    /// Seconds after its first use in which a spent refresh token still
    /// refreshes (and is not taken for reuse); 0: none. Auth0, Okta and
    /// django-oauth-toolkit have such a grace period.
    pub reuse_grace_seconds: u64,
    /// Whether a refresh token's lifetime counts from its own issue
    /// (sliding) or from the session's login (absolute).
    pub refresh_lifetime: RefreshLifetime,
    /// Seconds a session lives from its login, whatever is refreshed; no
    /// token of the session outlives it. `None`: no such bound.
    pub session_ttl: Option<u64>,
    /// What concurrent refreshes with one refresh token may answer.
    pub concurrent_refresh: ConcurrentRefresh,
}

/// How a refresh token's lifetime is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefreshLifetime {
    /// From the token's own issue: each refresh starts a new lifetime.
    Sliding,
    /// From the session's login: refreshing never extends it.
    Absolute,
}

impl RefreshLifetime {
    /// Every way, in documentation order.
    pub const ALL: [RefreshLifetime; 2] = [RefreshLifetime::Sliding, RefreshLifetime::Absolute];

    /// The name used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshLifetime::Sliding => "sliding",
            RefreshLifetime::Absolute => "absolute",
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            access_token_ttl: 3600,
            refresh_token_ttl: 86400,
            refresh_single_use: true,
            reuse_ends_session: true,
            logout_ends: LogoutScope::Session,
            revoke_ignores_invalid_tokens: true,
            rotate_on_refresh: None,
            refresh_revokes_access: false,
            revoke_cascades: false,
            revoke_access_revokes_refresh: false,
            reuse_grace_seconds: 0,
            refresh_lifetime: RefreshLifetime::Sliding,
            session_ttl: None,
            concurrent_refresh: ConcurrentRefresh::OneWins,
        }
    }
}

impl Policy {
    /// Whether a refresh issues a new refresh token.
    pub fn rotate_on_refresh(&self) -> bool {
        self.rotate_on_refresh.unwrap_or(self.refresh_single_use)
    }
}

/// The lifecycle action an operation performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// Start a session.
    Login,
    /// Exchange a refresh token.
    Refresh,
    /// End a session.
    Logout,
    /// Revoke a refresh token.
    Revoke,
    /// Revoke all refresh tokens of a user.
    RevokeAll,
    /// A resource that needs an access token.
    Protected,
    /// RFC 7009 revocation of an access or a refresh token.
    RevokeToken,
    /// RFC 7662 introspection: what the server says of a token.
    Introspect,
    /// The authorization endpoint (RFC 6749 section 4.1.1): an account is
    /// chosen and an authorization code sent to the client's redirect URI.
    /// The mock runs it with the `authcode` module, not the model alone.
    Authorize,
    /// A token request with `grant_type=authorization_code`: a code is
    /// exchanged for a session ([`Model::grant`]).
    ExchangeCode,
}

impl ActionKind {
    /// Every action, in documentation order.
    pub const ALL: [ActionKind; 10] = [
        ActionKind::Login,
        ActionKind::Refresh,
        ActionKind::Logout,
        ActionKind::Revoke,
        ActionKind::RevokeAll,
        ActionKind::Protected,
        ActionKind::RevokeToken,
        ActionKind::Introspect,
        ActionKind::Authorize,
        ActionKind::ExchangeCode,
    ];

    /// The name used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Login => "login",
            ActionKind::Refresh => "refresh",
            ActionKind::Logout => "logout",
            ActionKind::Revoke => "revoke",
            ActionKind::RevokeAll => "revoke-all",
            ActionKind::Protected => "protected",
            ActionKind::RevokeToken => "revoke-token",
            ActionKind::Introspect => "introspect",
            ActionKind::Authorize => "authorize",
            ActionKind::ExchangeCode => "exchange-code",
        }
    }

    /// The action of a spec name (`revoke-all`).
    pub fn parse(s: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The kind of token the action is presented with (`None` for login,
    /// which takes credentials, and for revoke-token and introspect, which
    /// take a token of either kind).
    pub fn token_kind(self) -> Option<TokenKind> {
        match self {
            ActionKind::Login
            | ActionKind::RevokeToken
            | ActionKind::Introspect
            | ActionKind::Authorize
            | ActionKind::ExchangeCode => None,
            ActionKind::Refresh | ActionKind::Revoke => Some(TokenKind::Refresh),
            ActionKind::Logout | ActionKind::RevokeAll | ActionKind::Protected => {
                Some(TokenKind::Access)
            }
        }
    }

    /// The model action of this kind with what was presented: the
    /// credentials for login, the token of the action's kind otherwise;
    /// `None` for the steps of the authorization-code flow
    /// ([`ActionKind::is_code_flow`]), which the model does not take as
    /// one action.
    pub fn action(self, presented: Presented<'_>) -> Option<Action<'_>> {
        let Presented {
            username,
            password,
            access_token,
            refresh_token,
            token,
            token_type_hint,
        } = presented;
        Some(match self {
            ActionKind::Login => Action::Login { username, password },
            ActionKind::Refresh => Action::Refresh { refresh_token },
            ActionKind::Logout => Action::Logout { access_token },
            ActionKind::Revoke => Action::Revoke { refresh_token },
            ActionKind::RevokeAll => Action::RevokeAll { access_token },
            ActionKind::Protected => Action::Protected { access_token },
            ActionKind::RevokeToken => Action::RevokeToken {
                token,
                hint: token_type_hint.and_then(TokenHint::parse),
            },
            ActionKind::Introspect => Action::Introspect { token },
            ActionKind::Authorize | ActionKind::ExchangeCode => return None,
        })
    }

    /// Whether success issues tokens.
    pub fn issues_tokens(self) -> bool {
        matches!(
            self,
            ActionKind::Login | ActionKind::Refresh | ActionKind::ExchangeCode
        )
    }

    /// Whether this is a step of the authorization-code flow (the
    /// authorize endpoint, the code exchange).
    pub fn is_code_flow(self) -> bool {
        matches!(self, ActionKind::Authorize | ActionKind::ExchangeCode)
    }
}

/// Seconds on the caller's clock. Only differences matter.
pub type Instant = u64;

/// A token as written: compact, inline up to 24 bytes.
pub type Token = CompactString;

/// Which kind a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenKind {
    /// Presented on protected operations, logout and revoke-all.
    Access,
    /// Presented on refresh and revoke.
    Refresh,
}

/// What a request presented, by role; `None` where it presented nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Presented<'a> {
    /// The user name.
    pub username: Option<&'a str>,
    /// The password.
    pub password: Option<&'a str>,
    /// The access token.
    pub access_token: Option<&'a str>,
    /// The refresh token.
    pub refresh_token: Option<&'a str>,
    /// A token of either kind (RFC 7009 and 7662 `token`).
    pub token: Option<&'a str>,
    /// RFC 7009's `token_type_hint`, as sent.
    pub token_type_hint: Option<&'a str>,
}

/// A lifecycle action with what the caller presented. `None` or an empty
/// string means the credential or token was not presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    /// Check the account, start a session.
    Login {
        /// The presented user name.
        username: Option<&'a str>,
        /// The presented password.
        password: Option<&'a str>,
    },
    /// Exchange a refresh token for new tokens.
    Refresh {
        /// The presented refresh token.
        refresh_token: Option<&'a str>,
    },
    /// End the session of an access token.
    Logout {
        /// The presented access token.
        access_token: Option<&'a str>,
    },
    /// Revoke one refresh token.
    Revoke {
        /// The presented refresh token.
        refresh_token: Option<&'a str>,
    },
    /// Revoke every live refresh token of the access token's user.
    RevokeAll {
        /// The presented access token.
        access_token: Option<&'a str>,
    },
    /// Use a protected resource.
    Protected {
        /// The presented access token.
        access_token: Option<&'a str>,
    },
    /// RFC 7009: revoke an access or a refresh token.
    RevokeToken {
        /// The presented token.
        token: Option<&'a str>,
        /// What the client says it is.
        hint: Option<TokenHint>,
    },
    /// RFC 7662: say whether a token is active, and whose it is.
    Introspect {
        /// The presented token.
        token: Option<&'a str>,
    },
}

/// The name of an outcome, as a binding maps it to a response
/// (`outcomes:` keys): success, the refusals, the five finer reasons for
/// `invalid` ([`Invalidity`]), which fall back to `invalid`, and
/// `unsupported`: no binding of the operation matches the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OutcomeName {
    /// The action succeeded.
    Success,
    /// See [`Rejection::InvalidCredentials`].
    InvalidCredentials,
    /// See [`Rejection::InvalidClient`].
    InvalidClient,
    /// See [`Rejection::Missing`].
    Missing,
    /// See [`Rejection::Expired`].
    Expired,
    /// See [`Rejection::Invalid`].
    Invalid,
    /// See [`Invalidity::Unknown`].
    Unknown,
    /// See [`Invalidity::WrongKind`].
    WrongKind,
    /// See [`Invalidity::Spent`].
    Spent,
    /// See [`Invalidity::Revoked`].
    Revoked,
    /// See [`Invalidity::Ended`].
    Ended,
    /// No binding of an operation with several (`when`) matches the
    /// request: RFC 6749's `unsupported_grant_type`. The model never
    /// answers it; the operation's bindings map it.
    Unsupported,
}

impl OutcomeName {
    /// The names every binding maps (explicitly or by default).
    pub const MAPPED: [OutcomeName; 6] = [
        OutcomeName::Success,
        OutcomeName::InvalidCredentials,
        OutcomeName::InvalidClient,
        OutcomeName::Missing,
        OutcomeName::Expired,
        OutcomeName::Invalid,
    ];

    /// Every name, in documentation order: [`OutcomeName::MAPPED`], the
    /// details of `invalid`, then `unsupported`.
    pub const ALL: [OutcomeName; 12] = [
        OutcomeName::Success,
        OutcomeName::InvalidCredentials,
        OutcomeName::InvalidClient,
        OutcomeName::Missing,
        OutcomeName::Expired,
        OutcomeName::Invalid,
        OutcomeName::Unknown,
        OutcomeName::WrongKind,
        OutcomeName::Spent,
        OutcomeName::Revoked,
        OutcomeName::Ended,
        OutcomeName::Unsupported,
    ];

    /// The name used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeName::Success => "success",
            OutcomeName::InvalidCredentials => "invalidCredentials",
            OutcomeName::InvalidClient => "invalidClient",
            OutcomeName::Missing => "missing",
            OutcomeName::Expired => "expired",
            OutcomeName::Invalid => "invalid",
            OutcomeName::Unknown => "unknown",
            OutcomeName::WrongKind => "wrongKind",
            OutcomeName::Spent => "spent",
            OutcomeName::Revoked => "revoked",
            OutcomeName::Ended => "ended",
            OutcomeName::Unsupported => "unsupported",
        }
    }

    /// The outcome of a spec name.
    pub fn parse(s: &str) -> Option<OutcomeName> {
        OutcomeName::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// What an unmapped name falls back to: `invalid` for its details.
    pub fn fallback(self) -> Option<OutcomeName> {
        self.is_detail().then_some(OutcomeName::Invalid)
    }

    /// Whether this is a finer reason for `invalid`.
    pub fn is_detail(self) -> bool {
        matches!(
            self,
            OutcomeName::Unknown
                | OutcomeName::WrongKind
                | OutcomeName::Spent
                | OutcomeName::Revoked
                | OutcomeName::Ended
        )
    }
}

impl std::fmt::Display for OutcomeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Action<'_> {
    /// Which action this is.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Login { .. } => ActionKind::Login,
            Action::Refresh { .. } => ActionKind::Refresh,
            Action::Logout { .. } => ActionKind::Logout,
            Action::Revoke { .. } => ActionKind::Revoke,
            Action::RevokeAll { .. } => ActionKind::RevokeAll,
            Action::Protected { .. } => ActionKind::Protected,
            Action::RevokeToken { .. } => ActionKind::RevokeToken,
            Action::Introspect { .. } => ActionKind::Introspect,
        }
    }

    /// The token presented (`None` for login, or when none was).
    pub fn token(&self) -> Option<&str> {
        match *self {
            Action::Login { .. } => None,
            Action::Refresh { refresh_token } | Action::Revoke { refresh_token } => refresh_token,
            Action::Logout { access_token }
            | Action::RevokeAll { access_token }
            | Action::Protected { access_token } => access_token,
            Action::RevokeToken { token, .. } | Action::Introspect { token } => token,
        }
    }
}

/// Why the model refused an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Rejection {
    /// Login with an unknown user or a wrong password.
    InvalidCredentials,
    /// The client did not authenticate: unknown, a wrong secret, or none
    /// where the API requires one (RFC 6749 `invalid_client`).
    InvalidClient,
    /// No token or credential was presented (or it was empty).
    Missing,
    /// The token was real but its lifetime is over.
    Expired,
    /// Unknown, spent, revoked, of the wrong kind, or its session has ended.
    Invalid,
}

impl Rejection {
    /// The outcome name used in bindings (`outcomes:` keys).
    pub fn name(self) -> OutcomeName {
        match self {
            Rejection::InvalidCredentials => OutcomeName::InvalidCredentials,
            Rejection::InvalidClient => OutcomeName::InvalidClient,
            Rejection::Missing => OutcomeName::Missing,
            Rejection::Expired => OutcomeName::Expired,
            Rejection::Invalid => OutcomeName::Invalid,
        }
    }
}

/// Why a token is `invalid`, in finer words: bindings may map each to its
/// own response (`outcomes: {spent: ...}`), falling back to `invalid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Invalidity {
    /// No such token was ever issued.
    Unknown,
    /// A token of the other kind (an access token where a refresh token
    /// belongs, or the reverse).
    WrongKind,
    /// A refresh token already exchanged.
    Spent,
    /// A revoked refresh token, or an access token ended by logout.
    Revoked,
    /// Its session has ended (logout, reuse detection).
    Ended,
}

impl Invalidity {
    /// Every reason, in documentation order.
    pub const ALL: [Invalidity; 5] = [
        Invalidity::Unknown,
        Invalidity::WrongKind,
        Invalidity::Spent,
        Invalidity::Revoked,
        Invalidity::Ended,
    ];

    /// The outcome name used in bindings.
    pub fn name(self) -> OutcomeName {
        match self {
            Invalidity::Unknown => OutcomeName::Unknown,
            Invalidity::WrongKind => OutcomeName::WrongKind,
            Invalidity::Spent => OutcomeName::Spent,
            Invalidity::Revoked => OutcomeName::Revoked,
            Invalidity::Ended => OutcomeName::Ended,
        }
    }
}

/// Tokens issued by a login or a refresh.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    /// The new access token.
    pub access_token: Token,
    /// The refresh token to use next (new on rotation).
    pub refresh_token: Token,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// Seconds the refresh token lives.
    pub refresh_expires_in: u64,
    /// The session the tokens belong to.
    pub session: SessionId,
    /// The user.
    pub username: String,
}

/// What a correct implementation answers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Outcome {
    /// Login or refresh succeeded and issued tokens.
    Issued(Issued),
    /// A protected resource may be served to this user.
    Authorized {
        /// The access token's user.
        username: String,
    },
    /// Logout, revoke, revoke-all or revoke-token succeeded (or, for
    /// revocations under `revokeIgnoresInvalidTokens`, answered as if it
    /// had).
    Done,
    /// What introspection says of the token.
    Introspected(Introspection),
    /// The action was refused.
    Rejected(Rejection),
}

impl Outcome {
    /// The outcome name used in bindings: `success` or a [`Rejection`] name.
    pub fn name(&self) -> OutcomeName {
        match self {
            Outcome::Rejected(r) => r.name(),
            _ => OutcomeName::Success,
        }
    }
}

/// Identifies a session: logins count from 0 (from 0 again after a reset).
pub type SessionId = u32;

/// The state of a token, as the model judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenState {
    /// Usable (unless expired or its session ended).
    Live,
    /// A refresh token already exchanged (rotation).
    Spent,
    /// Revoked, or an access token ended by logout.
    Revoked,
}

/// What ended a token, or its session, as far as the model knows: for the
/// words of a log or a dashboard (`spent by a refresh 4 s ago`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Death {
    /// Why the token is refused as `invalid`.
    pub why: Invalidity,
    /// The action that did it: `refresh` (a spent token; a session ended
    /// by the reuse of a spent one; access tokens revoked by a later
    /// refresh under `refreshRevokesAccess`), `logout`, `revoke` (the
    /// token, or its grant's access tokens under `revokeCascades`),
    /// `revoke-all`; `None` for an unknown token or one of the wrong kind.
    pub by: Option<ActionKind>,
    /// When, where the model still knows (a token spent before the last
    /// spend of its session, or revoked with its session's access tokens
    /// at once, has no time).
    pub at: Option<Instant>,
}

/// A token as [`Model::tokens`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    /// The token.
    pub token: Token,
    /// Its kind.
    pub kind: TokenKind,
    /// Its state (expiry and session end are separate).
    pub state: TokenState,
    /// Its session.
    pub session: SessionId,
    /// When it expires.
    pub expires_at: Instant,
    /// Whether it would be accepted now.
    pub usable: bool,
}

/// A token of a stored session as [`Model::listed`] gives it: what its
/// codec needs to write it again ([`TokenCodec::rewrite`]), and how it
/// stands. The model keeps no tokens: it lists each session's newest
/// access token, its newest refresh token, and under single use the older
/// refresh tokens a retry within the grace period left live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// What the token carries.
    pub stamp: Stamp,
    /// Its user.
    pub username: String,
    /// Its client's `client_id`, where the API has clients.
    pub client_id: Option<String>,
    /// Its state (expiry and session end are separate).
    pub state: TokenState,
    /// Whether its session has not ended.
    pub session_live: bool,
    /// Whether it would be accepted now.
    pub usable: bool,
    /// Why it is refused, if it is and is not merely expired.
    pub death: Option<Death>,
}

impl Listed {
    /// The claims it was minted with.
    pub fn claims(&self) -> Claims<'_> {
        Claims {
            stamp: self.stamp,
            username: &self.username,
            client_id: self.client_id.as_deref(),
        }
    }

    /// Its view, written as `token`.
    pub fn view(&self, token: Token) -> TokenView {
        TokenView {
            token,
            kind: self.stamp.kind,
            state: self.state,
            session: self.stamp.session,
            expires_at: self.stamp.expires_at,
            usable: self.usable,
        }
    }
}

/// A session as [`Model::sessions`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// Its id.
    pub id: SessionId,
    /// Its user.
    pub username: String,
    /// Whether it has not ended.
    pub live: bool,
    /// When it started.
    pub started_at: Instant,
}

/// An account, and when its refresh tokens were last revoked at once.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Account {
    name: String,
    password: String,
    /// Every refresh token of the user with a smaller serial is revoked
    /// (revoke-all).
    refresh_revoked_below: u64,
    /// When that last happened.
    refresh_revoked_at: Option<Instant>,
}

/// The token-lifecycle state machine.
///
/// It stores one record per session whose tokens have not all expired
/// (`store`), and no token: each token carries its [`Stamp`], vouched for
/// by the [`TokenCodec`] passed in. Memory is proportional to the stored
/// sessions, whatever the number of refreshes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Model {
    policy: Policy,
    accounts: Vec<Account>,
    user_index: HashMap<String, u32>,
    clients: Vec<Client>,
    /// The client the login being applied grants its session to.
    granting: Option<u32>,
    sessions: Sessions,
    /// Resets so far: a token of an earlier era is unknown.
    era: u32,
    /// The serial of the next token issued, from 1; never goes back (a
    /// reset included), so serials are unique over the model's life.
    next_serial: u64,
}

/// An OAuth client the API knows (RFC 6749 section 2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    /// Its `client_id`.
    pub id: String,
    /// Its secret: `Some` for a confidential client, `None` for a public
    /// one (which authenticates by its id alone).
    pub secret: Option<String>,
}

/// The client a request authenticated as, as presented: its id and, for
/// a confidential client, its secret.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientAuth<'a> {
    /// The presented `client_id`.
    pub id: Option<&'a str>,
    /// The presented secret.
    pub secret: Option<&'a str>,
}

/// What RFC 7009's `token_type_hint` says a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenHint {
    /// `access_token`.
    AccessToken,
    /// `refresh_token`.
    RefreshToken,
}

impl TokenHint {
    /// Both hints, in documentation order.
    pub const ALL: [TokenHint; 2] = [TokenHint::AccessToken, TokenHint::RefreshToken];

    /// The RFC's name (`access_token`).
    pub fn as_str(self) -> &'static str {
        match self {
            TokenHint::AccessToken => "access_token",
            TokenHint::RefreshToken => "refresh_token",
        }
    }

    /// The hint of an RFC name; `None` for any other value (RFC 7009
    /// section 2.1: a server may ignore a hint it does not understand).
    pub fn parse(s: &str) -> Option<TokenHint> {
        TokenHint::ALL.into_iter().find(|h| h.as_str() == s)
    }

    /// The hint that names tokens of `kind`.
    pub fn of(kind: TokenKind) -> TokenHint {
        match kind {
            TokenKind::Access => TokenHint::AccessToken,
            TokenKind::Refresh => TokenHint::RefreshToken,
        }
    }
}

/// What RFC 7662 introspection answers about a token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Introspection {
    /// Whether the token would be accepted now.
    pub active: bool,
    /// When it expires (only for active tokens, as RFC 7662 section 2.2
    /// lets a server say nothing more of inactive ones).
    pub exp: Option<Instant>,
    /// Its user.
    pub sub: Option<String>,
    /// The client it was issued to.
    pub client_id: Option<String>,
    /// `access_token` or `refresh_token`.
    pub token_type: Option<TokenHint>,
}

/// How many times the model asks a [`TokenCodec`] again when the token it
/// wrote does not carry the stamp it was asked for.
const MINT_RETRIES: usize = 64;

/// How many session records each changing call looks at for reclamation:
/// more than the one session a call can start, so reclamation keeps ahead.
const RECLAIM_PER_CALL: usize = 4;

/// A token the model issued, judged now.
#[derive(Debug, Clone, Copy)]
struct Rec {
    stamp: Stamp,
    /// Its state, revocations by epoch folded in.
    state: TokenState,
    /// Whether its session is stored and has not ended.
    session_live: bool,
    /// When it was spent, for a spent refresh token whose session knows.
    spent_at: Option<Instant>,
}

/// When a token of `kind` issued at `at` in a session started at `started`
/// expires: its TTL from its issue, or from the login for an absolute
/// refresh lifetime, and never after the session's own lifetime.
fn expiry(policy: &Policy, started: Instant, kind: TokenKind, at: Instant) -> Instant {
    let end = match kind {
        TokenKind::Access => at.saturating_add(policy.access_token_ttl),
        TokenKind::Refresh => match policy.refresh_lifetime {
            RefreshLifetime::Sliding => at,
            RefreshLifetime::Absolute => started,
        }
        .saturating_add(policy.refresh_token_ttl),
    };
    match policy.session_ttl {
        Some(ttl) => end.min(started.saturating_add(ttl)),
        None => end,
    }
}

/// When the last token of `s` expires: its newest ones expire last (a
/// later token never expires earlier under one policy).
fn horizon(policy: &Policy, s: &Session) -> Instant {
    let access = expiry(policy, s.started_at, TokenKind::Access, s.access.at);
    let refresh = expiry(policy, s.started_at, TokenKind::Refresh, s.refresh.at);
    access.max(refresh)
}

impl Model {
    /// An empty model with `policy` and the given `(username, password)`
    /// accounts. A later account with the same name replaces the earlier.
    pub fn new<I, U, P>(policy: Policy, accounts: I) -> Model
    where
        I: IntoIterator<Item = (U, P)>,
        U: Into<String>,
        P: Into<String>,
    {
        let mut model = Model {
            policy,
            accounts: Vec::new(),
            user_index: HashMap::new(),
            clients: Vec::new(),
            granting: None,
            sessions: Sessions::default(),
            era: 0,
            next_serial: 1,
        };
        for (user, password) in accounts {
            model.set_account(user.into(), password.into());
        }
        model
    }

    /// Add an account, or change the password of an existing one.
    pub fn set_account(&mut self, username: String, password: String) {
        match self.user_index.get(&username) {
            Some(&i) => self.accounts[i as usize].password = password,
            None => {
                let i = u32::try_from(self.accounts.len()).unwrap_or(u32::MAX);
                self.user_index.insert(username.clone(), i);
                self.accounts.push(Account {
                    name: username,
                    password,
                    refresh_revoked_below: 0,
                    refresh_revoked_at: None,
                });
            }
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The accounts, in the order they were added.
    pub fn accounts(&self) -> impl Iterator<Item = (&str, &str)> {
        self.accounts
            .iter()
            .map(|a| (a.name.as_str(), a.password.as_str()))
    }

    /// Forget every session and token; keep accounts and policy. The
    /// memory of the sessions goes back (new, empty storage), and every
    /// token issued before is unknown from now on.
    pub fn reset(&mut self) {
        self.sessions = Sessions::default();
        self.era = self.era.wrapping_add(1);
        for a in &mut self.accounts {
            a.refresh_revoked_below = 0;
            a.refresh_revoked_at = None;
        }
    }

    /// Become `blank` (its policy, accounts and clients), forgetting every
    /// session as [`Model::reset`] does: tokens issued before are unknown
    /// to the new model, though it may give the same session ids again.
    pub fn renew(&mut self, blank: &Model) {
        let era = self.era.wrapping_add(1).max(blank.era);
        let next_serial = self.next_serial.max(blank.next_serial);
        *self = blank.clone();
        self.era = era;
        self.next_serial = next_serial;
    }

    /// Number of sessions started since the last reset.
    pub fn session_count(&self) -> usize {
        self.sessions.started()
    }

    /// Number of sessions stored now: those with a token not yet expired,
    /// and those expired but not reclaimed yet.
    pub fn stored_sessions(&self) -> usize {
        self.sessions.len()
    }

    /// Number of sessions stored now that have not ended.
    pub fn live_sessions(&self) -> usize {
        self.sessions.live()
    }

    /// The model with these clients added.
    pub fn with_clients(mut self, clients: impl IntoIterator<Item = Client>) -> Model {
        for c in clients {
            self.set_client(c.id, c.secret);
        }
        self
    }

    /// Add a client, or change the secret of an existing one.
    pub fn set_client(&mut self, id: String, secret: Option<String>) {
        match self.clients.iter_mut().find(|c| c.id == id) {
            Some(c) => c.secret = secret,
            None => self.clients.push(Client { id, secret }),
        }
    }

    /// The clients, in the order they were added.
    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    /// Apply `action` at `now` for the client that `client` authenticates,
    /// where the API authenticates clients (RFC 6749): an unknown client, a
    /// wrong or missing secret of a confidential one is `invalidClient`; a
    /// login binds its session (and every token of it) to the client, and
    /// refreshing or revoking another client's token is refused as
    /// `invalid` (RFC 6749 section 6, RFC 7009 section 2.1). Protected
    /// resources and logout take the access token alone.
    pub fn apply_as(
        &mut self,
        client: ClientAuth<'_>,
        action: Action<'_>,
        now: Instant,
        codec: &mut dyn TokenCodec,
    ) -> Outcome {
        let kind = action.kind();
        if !matches!(
            kind,
            ActionKind::Login
                | ActionKind::Refresh
                | ActionKind::Revoke
                | ActionKind::RevokeToken
                | ActionKind::Introspect
        ) {
            return self.apply(action, now, codec);
        }
        let client = match self.authenticate(client) {
            Ok(c) => c,
            Err(r) => return Outcome::Rejected(r),
        };
        if kind == ActionKind::Login {
            self.granting = Some(client);
            let outcome = self.apply(action, now, codec);
            self.granting = None;
            return outcome;
        }
        // A token of another client is no token of this one (the token
        // says whose it is, whatever became of its session; introspection is
        // asked by a resource server about any token: RFC 7662).
        let foreign = present(action.token())
            .and_then(|t| self.recognise(t, &*codec))
            .is_some_and(|stamp| stamp.client != Some(client));
        if foreign && kind != ActionKind::Introspect {
            return match kind {
                ActionKind::Revoke | ActionKind::RevokeToken => {
                    self.refused_revocation(Rejection::Invalid)
                }
                _ => Outcome::Rejected(Rejection::Invalid),
            };
        }
        self.apply(action, now, codec)
    }

    /// The client `auth` authenticates as.
    fn authenticate(&self, auth: ClientAuth<'_>) -> Result<u32, Rejection> {
        let id = present(auth.id).ok_or(Rejection::InvalidClient)?;
        let (i, client) = self
            .clients
            .iter()
            .enumerate()
            .find(|(_, c)| c.id == id)
            .ok_or(Rejection::InvalidClient)?;
        match &client.secret {
            Some(secret) if present(auth.secret) != Some(secret.as_str()) => {
                Err(Rejection::InvalidClient)
            }
            _ => Ok(u32::try_from(i).unwrap_or(u32::MAX)),
        }
    }

    /// RFC 7009 revocation of an access or a refresh token. `hint` says
    /// where to look first; a token of the other kind is revoked all the
    /// same (section 2.1 lets a server search further). An unknown,
    /// expired or already dead token is answered as done under
    /// `revokeIgnoresInvalidTokens` (section 2.2: the client cannot do
    /// anything about it), refused otherwise; a missing one is refused.
    /// Revoking a refresh token cascades to its grant's access tokens under
    /// `revokeCascades`; revoking an access token to its grant's refresh
    /// tokens under `revokeAccessRevokesRefresh`.
    pub fn revoke_token(
        &mut self,
        token: Option<&str>,
        hint: Option<TokenHint>,
        now: Instant,
        codec: &dyn TokenCodec,
    ) -> Outcome {
        self.reclaim(now);
        let Some(token) = present(token) else {
            return Outcome::Rejected(Rejection::Missing);
        };
        let order = match hint {
            Some(TokenHint::AccessToken) => [TokenKind::Access, TokenKind::Refresh],
            _ => [TokenKind::Refresh, TokenKind::Access],
        };
        for kind in order {
            let Ok(rec) = self.check(Some(token), kind, now, codec) else {
                continue;
            };
            match kind {
                TokenKind::Refresh => self.revoke_refresh(&rec.stamp, now),
                TokenKind::Access => {
                    self.revoke_one(&rec.stamp, now, ActionKind::Revoke);
                    if self.policy.revoke_access_revokes_refresh {
                        self.revoke_refresh_tokens(rec.stamp.session);
                    }
                }
            }
            return Outcome::Done;
        }
        // Expiry first, as everywhere: a dead token past its lifetime is
        // expired.
        let why = match self.recognise(token, codec) {
            Some(stamp) if now >= stamp.expires_at => Rejection::Expired,
            _ => Rejection::Invalid,
        };
        self.refused_revocation(why)
    }

    /// RFC 7662 introspection: what the server says of `token` now. A
    /// query: the model does not change.
    pub fn introspect(&self, token: &str, now: Instant, codec: &dyn TokenCodec) -> Introspection {
        let inactive = Introspection {
            active: false,
            exp: None,
            sub: None,
            client_id: None,
            token_type: None,
        };
        let Some(stamp) = self.recognise(token, codec) else {
            return inactive;
        };
        let rec = self.rec(stamp);
        if self.usable(&rec, now).is_err() {
            return inactive;
        }
        Introspection {
            active: true,
            exp: Some(stamp.expires_at),
            sub: Some(self.username_of(stamp.session).to_owned()),
            client_id: self.client_id(stamp.client).map(str::to_owned),
            token_type: Some(TokenHint::of(stamp.kind)),
        }
    }

    /// Apply `action` at `now`, writing new tokens with `codec` (and
    /// reading presented ones with it).
    pub fn apply(
        &mut self,
        action: Action<'_>,
        now: Instant,
        codec: &mut dyn TokenCodec,
    ) -> Outcome {
        self.reclaim(now);
        match action {
            Action::Login { username, password } => self.login(username, password, now, codec),
            Action::Refresh { refresh_token } => self.refresh(refresh_token, now, codec),
            Action::Logout { access_token } => self.logout(access_token, now, &*codec),
            Action::Revoke { refresh_token } => self.revoke(refresh_token, now, &*codec),
            Action::RevokeAll { access_token } => self.revoke_all(access_token, now, &*codec),
            Action::Protected { access_token } => {
                match self.check(access_token, TokenKind::Access, now, &*codec) {
                    Ok(rec) => Outcome::Authorized {
                        username: self.username_of(rec.stamp.session).to_owned(),
                    },
                    Err(r) => Outcome::Rejected(r),
                }
            }
            Action::RevokeToken { token, hint } => self.revoke_token(token, hint, now, &*codec),
            Action::Introspect { token } => match present(token) {
                Some(token) => Outcome::Introspected(self.introspect(token, now, &*codec)),
                None => Outcome::Rejected(Rejection::Missing),
            },
        }
    }

    /// Reclaim a few sessions every token of which has expired.
    fn reclaim(&mut self, now: Instant) {
        let policy = &self.policy;
        self.sessions
            .reclaim(RECLAIM_PER_CALL, |s| now >= horizon(policy, s));
    }

    fn login(
        &mut self,
        username: Option<&str>,
        password: Option<&str>,
        now: Instant,
        codec: &mut dyn TokenCodec,
    ) -> Outcome {
        let (Some(username), Some(password)) = (present(username), present(password)) else {
            return Outcome::Rejected(Rejection::Missing);
        };
        let Some(&user) = self.user_index.get(username) else {
            return Outcome::Rejected(Rejection::InvalidCredentials);
        };
        if self.accounts[user as usize].password != password {
            return Outcome::Rejected(Rejection::InvalidCredentials);
        }
        let client = self.granting.take();
        self.start_session(user, client, now, codec)
    }

    fn refresh(
        &mut self,
        token: Option<&str>,
        now: Instant,
        codec: &mut dyn TokenCodec,
    ) -> Outcome {
        let rec = match self.lookup(token, TokenKind::Refresh, &*codec) {
            Ok(rec) => rec,
            Err(r) => return Outcome::Rejected(r),
        };
        if now >= rec.stamp.expires_at {
            // An expired token is rejected as expired whatever else is true
            // of it (JWT servers check `exp` first), and triggers no reuse
            // detection.
            return Outcome::Rejected(Rejection::Expired);
        }
        let session = rec.stamp.session;
        let grace = self.policy.reuse_grace_seconds;
        let in_grace = rec.state == TokenState::Spent
            && rec
                .spent_at
                .is_some_and(|at| now < at.saturating_add(grace));
        // Within the grace period a spent token refreshes again, as if the
        // client had retried a lost answer.
        let state = if in_grace {
            TokenState::Live
        } else {
            rec.state
        };
        if state == TokenState::Spent && rec.session_live && self.policy.reuse_ends_session {
            // Reuse detection: a spent refresh token presented again means
            // it leaked; end the whole session.
            self.end(session, now, EndedBy::Reuse);
        }
        if let Err(r) = self.usable(&Rec { state, ..rec }, now) {
            return Outcome::Rejected(r);
        }
        if self.policy.refresh_revokes_access {
            self.revoke_access_tokens(session, ActionKind::Refresh);
        }
        if self.policy.refresh_single_use && !in_grace {
            // Single use without rotation leaves the session with no
            // refresh token: the client must log in again.
            self.spend(session, rec.stamp.serial, now);
        }
        let refresh = if self.policy.rotate_on_refresh() {
            self.issue(session, TokenKind::Refresh, now, codec)
        } else {
            (Token::from(token.unwrap_or_default()), rec.stamp)
        };
        self.issue_pair(session, refresh, now, codec)
    }

    fn logout(&mut self, token: Option<&str>, now: Instant, codec: &dyn TokenCodec) -> Outcome {
        match self.check(token, TokenKind::Access, now, codec) {
            Ok(rec) => {
                match self.policy.logout_ends {
                    LogoutScope::Session => self.end(rec.stamp.session, now, EndedBy::Logout),
                    LogoutScope::AccessToken => {
                        self.revoke_one(&rec.stamp, now, ActionKind::Logout)
                    }
                }
                Outcome::Done
            }
            Err(r) => Outcome::Rejected(r),
        }
    }

    /// End a session.
    fn end(&mut self, session: SessionId, now: Instant, by: EndedBy) {
        self.sessions.finish(session, now, by);
    }

    /// Revoke one token on its own.
    fn revoke_one(&mut self, stamp: &Stamp, now: Instant, by: ActionKind) {
        if let Some(s) = self.sessions.get_mut(stamp.session) {
            let r = Revoked {
                kind: stamp.kind,
                serial: stamp.serial,
                expires_at: stamp.expires_at,
                at: now,
                by,
            };
            s.revoke(r, now);
        }
    }

    /// Revoke a refresh token, and the access tokens of its session where
    /// revocation cascades to the grant.
    fn revoke_refresh(&mut self, stamp: &Stamp, now: Instant) {
        self.revoke_one(stamp, now, ActionKind::Revoke);
        if self.policy.revoke_cascades {
            self.revoke_access_tokens(stamp.session, ActionKind::Revoke);
        }
    }

    /// Revoke every live refresh token of `session` (by epoch: every serial
    /// issued so far is below the next one; spent ones stay spent, so
    /// presenting one is still reuse).
    fn revoke_refresh_tokens(&mut self, session: SessionId) {
        let below = self.next_serial;
        if let Some(s) = self.sessions.get_mut(session) {
            s.revoke_refresh_below(below);
        }
    }

    /// Revoke every access token `session` has issued so far (by epoch:
    /// every serial issued so far is below the next one).
    fn revoke_access_tokens(&mut self, session: SessionId, by: ActionKind) {
        let below = self.next_serial;
        if let Some(s) = self.sessions.get_mut(session) {
            s.access_revoked_below = below;
            s.access_revoked_by = by;
        }
    }

    /// Mark a refresh token spent by its use at `now` (its first use: a
    /// use within the grace period does not move it).
    fn spend(&mut self, session: SessionId, serial: u64, now: Instant) {
        let grace = self.policy.reuse_grace_seconds;
        if let Some(s) = self.sessions.get_mut(session) {
            s.spend(serial, now, grace);
        }
    }

    fn revoke(&mut self, token: Option<&str>, now: Instant, codec: &dyn TokenCodec) -> Outcome {
        match self.check(token, TokenKind::Refresh, now, codec) {
            Ok(rec) => {
                self.revoke_refresh(&rec.stamp, now);
                Outcome::Done
            }
            Err(r) => self.refused_revocation(r),
        }
    }

    /// The answer of a revocation that revoked nothing: done where the
    /// policy ignores invalid tokens (a missing token is refused all the
    /// same: there is nothing to ignore), else the refusal.
    fn refused_revocation(&self, r: Rejection) -> Outcome {
        if r != Rejection::Missing && self.policy.revoke_ignores_invalid_tokens {
            Outcome::Done
        } else {
            Outcome::Rejected(r)
        }
    }

    /// Revoke every refresh token of the user issued so far: O(1), a
    /// per-user epoch (every serial issued so far is below the next one).
    fn revoke_all(&mut self, token: Option<&str>, now: Instant, codec: &dyn TokenCodec) -> Outcome {
        let rec = match self.check(token, TokenKind::Access, now, codec) {
            Ok(rec) => rec,
            Err(r) => return self.refused_revocation(r),
        };
        let below = self.next_serial;
        let user = self.sessions.get(rec.stamp.session).map(|s| s.user);
        if let Some(a) = user.and_then(|u| self.accounts.get_mut(u as usize)) {
            a.refresh_revoked_below = below;
            a.refresh_revoked_at = Some(now);
        }
        Outcome::Done
    }

    /// The stamp `token` carries, if the codec vouches for it and it is
    /// of this model's era.
    fn recognise(&self, token: &str, codec: &dyn TokenCodec) -> Option<Stamp> {
        codec.recognise(token).filter(|s| s.era == self.era)
    }

    /// How the token with `stamp` stands.
    fn rec(&self, stamp: Stamp) -> Rec {
        let Some(s) = self.sessions.get(stamp.session) else {
            // Reclaimed: every token of it has expired.
            return Rec {
                stamp,
                state: TokenState::Live,
                session_live: false,
                spent_at: None,
            };
        };
        let own = if s.revoked(stamp.kind, stamp.serial).is_some() {
            TokenState::Revoked
        } else if stamp.kind == TokenKind::Access
            || !self.policy.refresh_single_use
            || s.refresh_unspent(stamp.serial)
        {
            TokenState::Live
        } else {
            TokenState::Spent
        };
        let by_epoch = match stamp.kind {
            TokenKind::Access => stamp.serial < s.access_revoked_below,
            TokenKind::Refresh => {
                stamp.serial < s.refresh_revoked_below()
                    || self
                        .accounts
                        .get(s.user as usize)
                        .is_some_and(|a| stamp.serial < a.refresh_revoked_below)
            }
        };
        Rec {
            stamp,
            // Revocation by epoch only changes a live token: a spent one
            // stays spent (and refreshes within its grace period).
            state: match own {
                TokenState::Live if by_epoch => TokenState::Revoked,
                other => other,
            },
            session_live: s.live(),
            spent_at: (own == TokenState::Spent)
                .then(|| s.spent_at(stamp.serial))
                .flatten(),
        }
    }

    /// Look a token up by kind, without judging whether it is usable.
    fn lookup(
        &self,
        token: Option<&str>,
        kind: TokenKind,
        codec: &dyn TokenCodec,
    ) -> Result<Rec, Rejection> {
        let token = present(token).ok_or(Rejection::Missing)?;
        match self.recognise(token, codec) {
            Some(stamp) if stamp.kind == kind => Ok(self.rec(stamp)),
            _ => Err(Rejection::Invalid),
        }
    }

    /// Look a token up and require it to be usable now.
    fn check(
        &self,
        token: Option<&str>,
        kind: TokenKind,
        now: Instant,
        codec: &dyn TokenCodec,
    ) -> Result<Rec, Rejection> {
        let rec = self.lookup(token, kind, codec)?;
        self.usable(&rec, now)?;
        Ok(rec)
    }

    /// Expiry first, then liveness: a token past its lifetime is `expired`
    /// even if it was also spent, revoked or its session ended.
    fn usable(&self, rec: &Rec, now: Instant) -> Result<(), Rejection> {
        if now >= rec.stamp.expires_at {
            Err(Rejection::Expired)
        } else if !rec.session_live || rec.state != TokenState::Live {
            Err(Rejection::Invalid)
        } else {
            Ok(())
        }
    }

    /// Issue a token of `kind` in `session`: its stamp, written by `codec`.
    fn issue(
        &mut self,
        session: SessionId,
        kind: TokenKind,
        now: Instant,
        codec: &mut dyn TokenCodec,
    ) -> (Token, Stamp) {
        let serial = self.next_serial;
        self.next_serial = self.next_serial.saturating_add(1);
        let (started, user, client) = self
            .sessions
            .get(session)
            .map_or((now, 0, None), |s| (s.started_at, s.user, s.client()));
        let stamp = Stamp {
            kind,
            era: self.era,
            session,
            client,
            serial,
            issued_at: now,
            expires_at: expiry(&self.policy, started, kind, now),
        };
        let claims = Claims {
            stamp,
            username: self.accounts.get(user as usize).map_or("", |a| &a.name),
            client_id: self.client_id(client),
        };
        let mut token = codec.mint(&claims);
        for _ in 0..MINT_RETRIES {
            if codec.recognise(&token) == Some(stamp) {
                break;
            }
            token = codec.mint(&claims);
        }
        // A codec that keeps writing tokens it does not recognise is a
        // broken codec; the model still never fails (and the uniqueness
        // property of the conformance suite will point at it).
        let issue = Issue { serial, at: now };
        let policy = &self.policy;
        if let Some(s) = self.sessions.get_mut(session) {
            match kind {
                TokenKind::Access => s.access = issue,
                TokenKind::Refresh if policy.refresh_single_use => {
                    let started = s.started_at;
                    s.push_refresh(issue, now, |at| {
                        expiry(policy, started, TokenKind::Refresh, at)
                    });
                }
                TokenKind::Refresh => {
                    s.refresh = issue;
                    s.refresh_live = true;
                }
            }
        }
        (token, stamp)
    }

    fn issue_pair(
        &mut self,
        session: SessionId,
        (refresh, r): (Token, Stamp),
        now: Instant,
        codec: &mut dyn TokenCodec,
    ) -> Outcome {
        let (access, a) = self.issue(session, TokenKind::Access, now, codec);
        // What is left of each lifetime: the TTLs, unless an absolute
        // lifetime or the session's own cuts them short.
        Outcome::Issued(Issued {
            expires_in: a.expires_at.saturating_sub(now),
            refresh_expires_in: r.expires_at.saturating_sub(now),
            access_token: access,
            refresh_token: refresh,
            session,
            username: self.username_of(session).to_owned(),
        })
    }

    fn username_of(&self, session: SessionId) -> &str {
        self.sessions
            .get(session)
            .and_then(|s| self.accounts.get(s.user as usize))
            .map_or("", |a| &a.name)
    }

    fn client_id(&self, client: Option<u32>) -> Option<&str> {
        client
            .and_then(|c| self.clients.get(c as usize))
            .map(|c| c.id.as_str())
    }

    /// Why `action` would be refused as `invalid` at `now`, in finer
    /// words; `None` when it would not be refused as invalid. A query: the
    /// model does not change. Call it before [`Model::apply`].
    pub fn diagnose(
        &self,
        action: &Action<'_>,
        now: Instant,
        codec: &dyn TokenCodec,
    ) -> Option<Invalidity> {
        self.explain(action, now, codec).map(|d| d.why)
    }

    /// [`Model::diagnose`] with what did it and when, as far as the model
    /// knows.
    pub fn explain(
        &self,
        action: &Action<'_>,
        now: Instant,
        codec: &dyn TokenCodec,
    ) -> Option<Death> {
        let kind = action.kind().token_kind()?;
        let token = present(action.token())?;
        let unknown = |why| {
            Some(Death {
                why,
                by: None,
                at: None,
            })
        };
        let Some(stamp) = self.recognise(token, codec) else {
            return unknown(Invalidity::Unknown);
        };
        if stamp.kind != kind {
            return unknown(Invalidity::WrongKind);
        }
        if now >= stamp.expires_at {
            return None;
        }
        match self.sessions.get(stamp.session) {
            Some(s) => self.death(s, &self.rec(stamp)),
            None => unknown(Invalidity::Unknown),
        }
    }

    /// Why the token of `rec` (of the session `s`) is invalid, spent first,
    /// then the end of its session, then revocation; `None` if it is not.
    fn death(&self, s: &Session, rec: &Rec) -> Option<Death> {
        let stamp = &rec.stamp;
        let (why, by, at) = if rec.state == TokenState::Spent {
            (Invalidity::Spent, ActionKind::Refresh, rec.spent_at)
        } else if let Some((at, by)) = s.ended() {
            let by = match by {
                EndedBy::Logout => ActionKind::Logout,
                EndedBy::Reuse => ActionKind::Refresh,
            };
            (Invalidity::Ended, by, Some(at))
        } else if rec.state == TokenState::Revoked {
            match s.revoked(stamp.kind, stamp.serial) {
                Some(r) => (Invalidity::Revoked, r.by, Some(r.at)),
                None if stamp.kind == TokenKind::Access => {
                    (Invalidity::Revoked, s.access_revoked_by, None)
                }
                None => {
                    let at = self
                        .accounts
                        .get(s.user as usize)
                        .and_then(|a| a.refresh_revoked_at);
                    (Invalidity::Revoked, ActionKind::RevokeAll, at)
                }
            }
        } else {
            return None;
        };
        Some(Death {
            why,
            by: Some(by),
            at,
        })
    }

    /// Whether `token` of `kind` would be accepted at `now`.
    pub fn is_usable(
        &self,
        token: &str,
        kind: TokenKind,
        now: Instant,
        codec: &dyn TokenCodec,
    ) -> bool {
        self.check(Some(token), kind, now, codec).is_ok()
    }

    /// Every stored session, by id (oldest first).
    pub fn sessions(&self) -> impl Iterator<Item = SessionView> + '_ {
        self.sessions_from(0)
    }

    /// The stored sessions with an id of at least `from`, by id.
    pub fn sessions_from(&self, from: SessionId) -> impl Iterator<Item = SessionView> + '_ {
        self.sessions.from(from).map(|s| SessionView {
            id: s.id,
            username: self.username_of(s.id).to_owned(),
            live: s.live(),
            started_at: s.started_at,
        })
    }

    /// The tokens of the stored sessions with an id of at least `from`, by
    /// session, access token first: each session's newest access token,
    /// its newest refresh token and, under single use, any older one a
    /// retry within the grace period left live. Tokens superseded before
    /// are recognised when presented, but not listed.
    pub fn listed(&self, from: SessionId, now: Instant) -> impl Iterator<Item = Listed> + '_ {
        self.sessions.from(from).flat_map(move |s| {
            let mut refresh: Vec<Issue> = s.older_live().to_vec();
            refresh.push(s.refresh);
            refresh.sort_by_key(|i| i.serial);
            let tokens = std::iter::once((TokenKind::Access, s.access))
                .chain(refresh.into_iter().map(|i| (TokenKind::Refresh, i)));
            tokens
                .filter(|(_, i)| i.serial != 0)
                .map(move |(kind, i)| self.listing(s, kind, i, now))
        })
    }

    fn listing(&self, s: &Session, kind: TokenKind, i: Issue, now: Instant) -> Listed {
        let stamp = Stamp {
            kind,
            era: self.era,
            session: s.id,
            client: s.client(),
            serial: i.serial,
            issued_at: i.at,
            expires_at: expiry(&self.policy, s.started_at, kind, i.at),
        };
        let rec = self.rec(stamp);
        Listed {
            stamp,
            username: self.username_of(s.id).to_owned(),
            client_id: self.client_id(s.client()).map(str::to_owned),
            state: rec.state,
            session_live: s.live(),
            usable: self.usable(&rec, now).is_ok(),
            death: self.death(s, &rec),
        }
    }

    /// The tokens [`Model::listed`] lists, written again by `codec` (those
    /// it cannot write again are left out).
    pub fn tokens<'m>(
        &'m self,
        now: Instant,
        codec: &'m dyn TokenCodec,
    ) -> impl Iterator<Item = TokenView> + 'm {
        self.listed(0, now)
            .filter_map(move |l| codec.rewrite(&l.claims()).map(|t| l.view(t)))
    }
}

fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// Sessions started without a password: the authorization-code flow
/// authenticates the user elsewhere (a login page, here the mock's account
/// picker) and the code exchange starts the session.
impl Model {
    /// Start a session for `username`, granted to the client `client_id`
    /// (already authenticated, see [`Model::authenticate_client`]), and
    /// issue its tokens. An unknown account is `invalidCredentials`, an
    /// unknown client `invalidClient`; nothing is checked beyond that: the
    /// caller has authenticated the user.
    pub fn grant(
        &mut self,
        username: &str,
        client_id: Option<&str>,
        now: Instant,
        codec: &mut dyn TokenCodec,
    ) -> Outcome {
        self.reclaim(now);
        let Some(&user) = self.user_index.get(username) else {
            return Outcome::Rejected(Rejection::InvalidCredentials);
        };
        let client = match client_id {
            None => None,
            Some(id) => match self.clients.iter().position(|c| c.id == id) {
                Some(i) => Some(u32::try_from(i).unwrap_or(u32::MAX)),
                None => return Outcome::Rejected(Rejection::InvalidClient),
            },
        };
        self.start_session(user, client, now, codec)
    }

    /// Whether `auth` authenticates a known client (its secret, for a
    /// confidential one): RFC 6749 `invalid_client` otherwise.
    pub fn authenticate_client(&self, auth: ClientAuth<'_>) -> Result<(), Rejection> {
        self.authenticate(auth).map(|_| ())
    }

    /// End `session` at `now`: every token of it dies (an authorization
    /// code used twice, RFC 6749 section 4.1.2, a reuse of the grant).
    /// Unknown sessions are ignored.
    pub fn end_session(&mut self, session: SessionId, now: Instant) {
        self.end(session, now, EndedBy::Reuse);
    }

    /// The session `id`, if it is stored.
    pub fn session(&self, id: SessionId) -> Option<SessionView> {
        let s = self.sessions.get(id)?;
        Some(SessionView {
            id,
            username: self.username_of(id).to_owned(),
            live: s.live(),
            started_at: s.started_at,
        })
    }

    /// A new session of `user` for `client`, with its first tokens.
    fn start_session(
        &mut self,
        user: u32,
        client: Option<u32>,
        now: Instant,
        codec: &mut dyn TokenCodec,
    ) -> Outcome {
        let session = self
            .sessions
            .start(|id| Session::new(id, user, client, now));
        let refresh = self.issue(session, TokenKind::Refresh, now, codec);
        self.issue_pair(session, refresh, now, codec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_gives_the_sessions_memory_back() {
        let mut model = Model::new(Policy::default(), [("demo", "demo")]);
        let mut codec = Symbolic::new();
        for _ in 0..1000 {
            let login = Action::Login {
                username: Some("demo"),
                password: Some("demo"),
            };
            model.apply(login, 0, &mut codec);
        }
        assert!(model.sessions.capacity() >= 1000);
        model.reset();
        assert_eq!(model.sessions.capacity(), 0, "new storage, not cleared");
    }
}
