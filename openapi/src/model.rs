//! The behaviour model: a pure token-lifecycle state machine.
//!
//! The model knows accounts, sessions and tokens, and nothing of HTTP. It takes
//! an [`Action`] at an explicit instant ([`Instant`], seconds on any epoch) and
//! returns the [`Outcome`] a correct implementation must produce. It never
//! fails: a garbage token is an outcome ([`Rejection::Invalid`]), not an error.
//!
//! New tokens come from a [`Mint`] the caller passes in, so the mock can use a
//! CSPRNG while the conformance oracle uses readable symbolic handles
//! (`access-1`, `refresh-2`) that it maps to the real tokens of the target.
//!
//! Both the mock server and the conformance suite run this one model, so the
//! two can never disagree about what the spec means.

use std::collections::HashMap;

use compact_str::CompactString;

/// What logout ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
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

/// A token as the model stores it: compact, inline up to 24 bytes.
pub type Token = CompactString;

/// Which kind of token a [`Mint`] is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenKind {
    /// Presented on protected operations, logout and revoke-all.
    Access,
    /// Presented on refresh and revoke.
    Refresh,
}

/// Where new tokens come from. Must never return a token it returned before;
/// the model re-asks (a bounded number of times) if it does.
pub trait Mint {
    /// A fresh token of `kind`.
    fn mint(&mut self, kind: TokenKind) -> Token;

    /// A fresh token that says what it is (a JWT): the model asks this
    /// one, with the token's claims; by default the claims are ignored.
    fn mint_for(&mut self, claims: &Claims<'_>) -> Token {
        self.mint(claims.kind)
    }
}

/// What a token being issued is, for a [`Mint`] that writes it into the
/// token (a JWT's `sub`, `client_id`, `iat`, `exp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims<'a> {
    /// Its kind.
    pub kind: TokenKind,
    /// Its session.
    pub session: SessionId,
    /// Its user.
    pub username: &'a str,
    /// The client it is issued to, where the API has clients.
    pub client_id: Option<&'a str>,
    /// When it is issued.
    pub issued_at: Instant,
    /// When it expires.
    pub expires_at: Instant,
}

impl<F: FnMut(TokenKind) -> Token> Mint for F {
    fn mint(&mut self, kind: TokenKind) -> Token {
        self(kind)
    }
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

/// Index of a session.
pub type SessionId = u32;

/// The state of a stored token.
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

#[derive(Debug, Clone, Copy)]
struct TokenRecord {
    expires_at: Instant,
    session: SessionId,
    /// The session's refresh epoch when issued: a revoke-all bumps the
    /// epoch, and every refresh token of an older epoch is revoked.
    epoch: u16,
    kind: TokenKind,
    state: TokenState,
    /// When a spent refresh token was first used (for the reuse grace).
    spent_at: Instant,
}

#[derive(Debug, Clone)]
struct Session {
    user: u32,
    /// The client the session was granted to (index into the clients),
    /// when the API has clients.
    client: Option<u32>,
    live: bool,
    started_at: Instant,
    refresh_epoch: u16,
    /// Bumped when the session's access tokens are revoked at once (a
    /// refresh under `refreshRevokesAccess`, a cascading revoke): every
    /// access token of an older epoch is revoked.
    access_epoch: u16,
}

/// A token as [`Model::tokens`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    /// The token.
    pub token: Token,
    /// Its kind.
    pub kind: TokenKind,
    /// Its stored state (expiry and session end are separate).
    pub state: TokenState,
    /// Its session.
    pub session: SessionId,
    /// When it expires.
    pub expires_at: Instant,
    /// Whether it would be accepted now.
    pub usable: bool,
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

/// The token-lifecycle state machine.
#[derive(Debug, Clone)]
pub struct Model {
    policy: Policy,
    users: Vec<(String, String)>,
    user_index: HashMap<String, u32>,
    user_sessions: Vec<Vec<SessionId>>,
    sessions: Vec<Session>,
    tokens: HashMap<Token, TokenRecord>,
    clients: Vec<Client>,
    /// The client the login being applied grants its session to.
    granting: Option<u32>,
}

/// An OAuth client the API knows (RFC 6749 section 2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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

/// How many times the model asks a [`Mint`] again when it repeats a token.
const MINT_RETRIES: usize = 64;

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
            users: Vec::new(),
            user_index: HashMap::new(),
            user_sessions: Vec::new(),
            sessions: Vec::new(),
            tokens: HashMap::new(),
            clients: Vec::new(),
            granting: None,
        };
        for (user, password) in accounts {
            model.set_account(user.into(), password.into());
        }
        model
    }

    /// Add an account, or change the password of an existing one.
    pub fn set_account(&mut self, username: String, password: String) {
        match self.user_index.get(&username) {
            Some(&i) => self.users[i as usize].1 = password,
            None => {
                let i = u32::try_from(self.users.len()).unwrap_or(u32::MAX);
                self.user_index.insert(username.clone(), i);
                self.users.push((username, password));
                self.user_sessions.push(Vec::new());
            }
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The accounts, in the order they were added.
    pub fn accounts(&self) -> impl Iterator<Item = (&str, &str)> {
        self.users.iter().map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// Forget every session and token; keep accounts and policy.
    pub fn reset(&mut self) {
        self.sessions.clear();
        self.tokens.clear();
        for s in &mut self.user_sessions {
            s.clear();
        }
    }

    /// Number of sessions ever started (since the last reset).
    pub fn session_count(&self) -> usize {
        self.sessions.len()
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
        mint: &mut dyn Mint,
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
            return self.apply(action, now, mint);
        }
        let client = match self.authenticate(client) {
            Ok(c) => c,
            Err(r) => return Outcome::Rejected(r),
        };
        if kind == ActionKind::Login {
            self.granting = Some(client);
            let outcome = self.apply(action, now, mint);
            self.granting = None;
            return outcome;
        }
        // A token of another client is no token of this one (introspection
        // is asked by a resource server about any token: RFC 7662).
        let foreign = present(action.token())
            .and_then(|t| self.tokens.get(t))
            .is_some_and(|rec| self.sessions[rec.session as usize].client != Some(client));
        if foreign && kind != ActionKind::Introspect {
            return match kind {
                ActionKind::Revoke | ActionKind::RevokeToken => {
                    self.refused_revocation(Rejection::Invalid)
                }
                _ => Outcome::Rejected(Rejection::Invalid),
            };
        }
        self.apply(action, now, mint)
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
    /// `revokeCascades`.
    pub fn revoke_token(
        &mut self,
        token: Option<&str>,
        hint: Option<TokenHint>,
        now: Instant,
    ) -> Outcome {
        let Some(token) = present(token) else {
            return Outcome::Rejected(Rejection::Missing);
        };
        let order = match hint {
            Some(TokenHint::AccessToken) => [TokenKind::Access, TokenKind::Refresh],
            _ => [TokenKind::Refresh, TokenKind::Access],
        };
        for kind in order {
            let Ok((token, rec)) = self.check(Some(token), kind, now) else {
                continue;
            };
            match kind {
                TokenKind::Refresh => self.revoke_refresh(&token, rec.session),
                TokenKind::Access => self.set_state(&token, TokenState::Revoked),
            }
            return Outcome::Done;
        }
        // Expiry first, as everywhere: a dead token past its lifetime is
        // expired.
        let why = match self.tokens.get(token) {
            Some(rec) if now >= rec.expires_at => Rejection::Expired,
            _ => Rejection::Invalid,
        };
        self.refused_revocation(why)
    }

    /// RFC 7662 introspection: what the server says of `token` now. A
    /// query: the model does not change.
    pub fn introspect(&self, token: &str, now: Instant) -> Introspection {
        let inactive = Introspection {
            active: false,
            exp: None,
            sub: None,
            client_id: None,
            token_type: None,
        };
        let Some(rec) = self.tokens.get(token) else {
            return inactive;
        };
        let rec = self.effective(*rec);
        if self.usable(rec, now).is_err() {
            return inactive;
        }
        let session = &self.sessions[rec.session as usize];
        Introspection {
            active: true,
            exp: Some(rec.expires_at),
            sub: Some(self.username_of(rec.session).to_owned()),
            client_id: session
                .client
                .and_then(|c| self.clients.get(c as usize))
                .map(|c| c.id.clone()),
            token_type: Some(TokenHint::of(rec.kind)),
        }
    }

    /// Apply `action` at `now`, minting new tokens from `mint`.
    pub fn apply(&mut self, action: Action<'_>, now: Instant, mint: &mut dyn Mint) -> Outcome {
        match action {
            Action::Login { username, password } => self.login(username, password, now, mint),
            Action::Refresh { refresh_token } => self.refresh(refresh_token, now, mint),
            Action::Logout { access_token } => self.logout(access_token, now),
            Action::Revoke { refresh_token } => self.revoke(refresh_token, now),
            Action::RevokeAll { access_token } => self.revoke_all(access_token, now),
            Action::Protected { access_token } => {
                match self.check(access_token, TokenKind::Access, now) {
                    Ok((_, rec)) => Outcome::Authorized {
                        username: self.username_of(rec.session).to_owned(),
                    },
                    Err(r) => Outcome::Rejected(r),
                }
            }
            Action::RevokeToken { token, hint } => self.revoke_token(token, hint, now),
            Action::Introspect { token } => match present(token) {
                Some(token) => Outcome::Introspected(self.introspect(token, now)),
                None => Outcome::Rejected(Rejection::Missing),
            },
        }
    }

    fn login(
        &mut self,
        username: Option<&str>,
        password: Option<&str>,
        now: Instant,
        mint: &mut dyn Mint,
    ) -> Outcome {
        let (Some(username), Some(password)) = (present(username), present(password)) else {
            return Outcome::Rejected(Rejection::Missing);
        };
        let Some(&user) = self.user_index.get(username) else {
            return Outcome::Rejected(Rejection::InvalidCredentials);
        };
        if self.users[user as usize].1 != password {
            return Outcome::Rejected(Rejection::InvalidCredentials);
        }
        let client = self.granting.take();
        self.start_session(user, client, now, mint)
    }

    fn refresh(&mut self, token: Option<&str>, now: Instant, mint: &mut dyn Mint) -> Outcome {
        let (token, mut rec) = match self.lookup(token, TokenKind::Refresh) {
            Ok(found) => found,
            Err(r) => return Outcome::Rejected(r),
        };
        if now >= rec.expires_at {
            // An expired token is rejected as expired whatever else is true
            // of it (JWT servers check `exp` first), and triggers no reuse
            // detection.
            return Outcome::Rejected(Rejection::Expired);
        }
        let session_live = self.sessions[rec.session as usize].live;
        let in_grace = rec.state == TokenState::Spent
            && now < rec.spent_at.saturating_add(self.policy.reuse_grace_seconds);
        if in_grace {
            // Within the grace period a spent token refreshes again, as if
            // the client had retried a lost answer.
            rec.state = TokenState::Live;
        }
        if rec.state == TokenState::Spent && session_live && self.policy.reuse_ends_session {
            // Reuse detection: a spent refresh token presented again means
            // it leaked; end the whole session.
            self.sessions[rec.session as usize].live = false;
        }
        if let Err(r) = self.usable(rec, now) {
            return Outcome::Rejected(r);
        }
        if self.policy.refresh_revokes_access {
            self.revoke_access_tokens(rec.session);
        }
        let refresh = if self.policy.rotate_on_refresh() {
            if self.policy.refresh_single_use && !in_grace {
                self.spend(&token, now);
            }
            self.issue(rec.session, TokenKind::Refresh, now, mint)
        } else {
            if self.policy.refresh_single_use && !in_grace {
                // Single use without rotation leaves the session with no
                // refresh token: the client must log in again.
                self.spend(&token, now);
            }
            token
        };
        self.issue_pair(rec.session, refresh, now, mint)
    }

    fn logout(&mut self, token: Option<&str>, now: Instant) -> Outcome {
        match self.check(token, TokenKind::Access, now) {
            Ok((token, rec)) => {
                match self.policy.logout_ends {
                    LogoutScope::Session => self.sessions[rec.session as usize].live = false,
                    LogoutScope::AccessToken => self.set_state(&token, TokenState::Revoked),
                }
                Outcome::Done
            }
            Err(r) => Outcome::Rejected(r),
        }
    }

    /// Revoke a refresh token, and the access tokens of its session where
    /// revocation cascades to the grant.
    fn revoke_refresh(&mut self, token: &str, session: SessionId) {
        self.set_state(token, TokenState::Revoked);
        if self.policy.revoke_cascades {
            self.revoke_access_tokens(session);
        }
    }

    /// Revoke every access token `session` has issued so far (by epoch).
    fn revoke_access_tokens(&mut self, session: SessionId) {
        let session = &mut self.sessions[session as usize];
        session.access_epoch = session.access_epoch.saturating_add(1);
    }

    fn revoke(&mut self, token: Option<&str>, now: Instant) -> Outcome {
        match self.check(token, TokenKind::Refresh, now) {
            Ok((token, rec)) => {
                self.revoke_refresh(&token, rec.session);
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

    fn revoke_all(&mut self, token: Option<&str>, now: Instant) -> Outcome {
        let rec = match self.check(token, TokenKind::Access, now) {
            Ok((_, rec)) => rec,
            Err(r) => return self.refused_revocation(r),
        };
        let user = self.sessions[rec.session as usize].user;
        for &s in &self.user_sessions[user as usize] {
            let session = &mut self.sessions[s as usize];
            session.refresh_epoch = session.refresh_epoch.saturating_add(1);
        }
        Outcome::Done
    }

    /// Look a token up by kind, without judging whether it is usable.
    fn lookup(
        &self,
        token: Option<&str>,
        kind: TokenKind,
    ) -> Result<(Token, TokenRecord), Rejection> {
        let token = present(token).ok_or(Rejection::Missing)?;
        match self.tokens.get_key_value(token) {
            Some((t, rec)) if rec.kind == kind => Ok((t.clone(), self.effective(*rec))),
            _ => Err(Rejection::Invalid),
        }
    }

    /// Look a token up and require it to be usable now.
    fn check(
        &self,
        token: Option<&str>,
        kind: TokenKind,
        now: Instant,
    ) -> Result<(Token, TokenRecord), Rejection> {
        let (token, rec) = self.lookup(token, kind)?;
        self.usable(rec, now)?;
        Ok((token, rec))
    }

    /// Expiry first, then liveness: a token past its lifetime is `expired`
    /// even if it was also spent, revoked or its session ended.
    fn usable(&self, rec: TokenRecord, now: Instant) -> Result<(), Rejection> {
        if now >= rec.expires_at {
            Err(Rejection::Expired)
        } else if !self.sessions[rec.session as usize].live || rec.state != TokenState::Live {
            Err(Rejection::Invalid)
        } else {
            Ok(())
        }
    }

    /// A record with revocation by epoch folded into its state.
    fn effective(&self, mut rec: TokenRecord) -> TokenRecord {
        let session = &self.sessions[rec.session as usize];
        let epoch = match rec.kind {
            TokenKind::Refresh => session.refresh_epoch,
            TokenKind::Access => session.access_epoch,
        };
        if rec.epoch < epoch && rec.state == TokenState::Live {
            rec.state = TokenState::Revoked;
        }
        rec
    }

    fn set_state(&mut self, token: &str, state: TokenState) {
        if let Some(rec) = self.tokens.get_mut(token) {
            rec.state = state;
        }
    }

    /// Mark a refresh token spent by its use at `now` (its first use: a
    /// use within the grace period does not move it).
    fn spend(&mut self, token: &str, now: Instant) {
        if let Some(rec) = self.tokens.get_mut(token) {
            if rec.state != TokenState::Spent {
                rec.state = TokenState::Spent;
                rec.spent_at = now;
            }
        }
    }

    fn issue(
        &mut self,
        session: SessionId,
        kind: TokenKind,
        now: Instant,
        mint: &mut dyn Mint,
    ) -> Token {
        let expires_at = self.expiry(session, kind, now);
        let s = &self.sessions[session as usize];
        let claims = Claims {
            kind,
            session,
            username: &self.users[s.user as usize].0,
            client_id: s
                .client
                .and_then(|c| self.clients.get(c as usize))
                .map(|c| c.id.as_str()),
            issued_at: now,
            expires_at,
        };
        let mut token = mint.mint_for(&claims);
        for _ in 0..MINT_RETRIES {
            if !self.tokens.contains_key(&token) {
                break;
            }
            token = mint.mint_for(&claims);
        }
        // A mint that keeps repeating itself is a broken mint; the model
        // still never fails, it overwrites (and the uniqueness property of
        // the conformance suite will point at the repeat).
        self.tokens.insert(
            token.clone(),
            TokenRecord {
                expires_at,
                session,
                epoch: match kind {
                    TokenKind::Refresh => self.sessions[session as usize].refresh_epoch,
                    TokenKind::Access => self.sessions[session as usize].access_epoch,
                },
                kind,
                state: TokenState::Live,
                spent_at: 0,
            },
        );
        token
    }

    /// When a token of `kind` issued now in `session` expires: its TTL from
    /// now, or from the login for an absolute refresh lifetime, and never
    /// after the session's own lifetime.
    fn expiry(&self, session: SessionId, kind: TokenKind, now: Instant) -> Instant {
        let started = self.sessions[session as usize].started_at;
        let at = match kind {
            TokenKind::Access => now.saturating_add(self.policy.access_token_ttl),
            TokenKind::Refresh => match self.policy.refresh_lifetime {
                RefreshLifetime::Sliding => now,
                RefreshLifetime::Absolute => started,
            }
            .saturating_add(self.policy.refresh_token_ttl),
        };
        match self.policy.session_ttl {
            Some(ttl) => at.min(started.saturating_add(ttl)),
            None => at,
        }
    }

    fn issue_pair(
        &mut self,
        session: SessionId,
        refresh: Token,
        now: Instant,
        mint: &mut dyn Mint,
    ) -> Outcome {
        let access = self.issue(session, TokenKind::Access, now, mint);
        // What is left of each lifetime: the TTLs, unless an absolute
        // lifetime or the session's own cuts them short.
        let left = |t: &Token| {
            self.tokens
                .get(t)
                .map_or(0, |rec| rec.expires_at.saturating_sub(now))
        };
        Outcome::Issued(Issued {
            expires_in: left(&access),
            refresh_expires_in: left(&refresh),
            access_token: access,
            refresh_token: refresh,
            session,
            username: self.username_of(session).to_owned(),
        })
    }

    fn username_of(&self, session: SessionId) -> &str {
        let user = self.sessions[session as usize].user;
        &self.users[user as usize].0
    }

    /// Why `action` would be refused as `invalid` at `now`, in finer
    /// words; `None` when it would not be refused as invalid. A query: the
    /// model does not change. Call it before [`Model::apply`].
    pub fn diagnose(&self, action: &Action<'_>, now: Instant) -> Option<Invalidity> {
        let kind = action.kind().token_kind()?;
        let token = present(action.token())?;
        let Some(rec) = self.tokens.get(token) else {
            return Some(Invalidity::Unknown);
        };
        if rec.kind != kind {
            return Some(Invalidity::WrongKind);
        }
        let rec = self.effective(*rec);
        if now >= rec.expires_at {
            None
        } else if rec.state == TokenState::Spent {
            Some(Invalidity::Spent)
        } else if !self.sessions[rec.session as usize].live {
            Some(Invalidity::Ended)
        } else if rec.state == TokenState::Revoked {
            Some(Invalidity::Revoked)
        } else {
            None
        }
    }

    /// Whether `token` of `kind` would be accepted at `now`.
    pub fn is_usable(&self, token: &str, kind: TokenKind, now: Instant) -> bool {
        self.check(Some(token), kind, now).is_ok()
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> impl Iterator<Item = SessionView> + '_ {
        self.sessions.iter().enumerate().map(|(i, s)| SessionView {
            id: i as SessionId,
            username: self.users[s.user as usize].0.clone(),
            live: s.live,
            started_at: s.started_at,
        })
    }

    /// Every token ever issued (since the last reset), in no set order.
    pub fn tokens(&self, now: Instant) -> impl Iterator<Item = TokenView> + '_ {
        self.tokens
            .iter()
            .map(move |(t, rec)| (t, self.effective(*rec)))
            .map(move |(t, rec)| TokenView {
                token: t.clone(),
                kind: rec.kind,
                state: rec.state,
                session: rec.session,
                expires_at: rec.expires_at,
                usable: self.usable(rec, now).is_ok(),
            })
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
        mint: &mut dyn Mint,
    ) -> Outcome {
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
        self.start_session(user, client, now, mint)
    }

    /// Whether `auth` authenticates a known client (its secret, for a
    /// confidential one): RFC 6749 `invalid_client` otherwise.
    pub fn authenticate_client(&self, auth: ClientAuth<'_>) -> Result<(), Rejection> {
        self.authenticate(auth).map(|_| ())
    }

    /// End `session`: every token of it dies (an authorization code used
    /// twice, RFC 6749 section 4.1.2). Unknown sessions are ignored.
    pub fn end_session(&mut self, session: SessionId) {
        if let Some(s) = self.sessions.get_mut(session as usize) {
            s.live = false;
        }
    }

    /// The session `id`, if there is one.
    pub fn session(&self, id: SessionId) -> Option<SessionView> {
        let s = self.sessions.get(id as usize)?;
        Some(SessionView {
            id,
            username: self.users[s.user as usize].0.clone(),
            live: s.live,
            started_at: s.started_at,
        })
    }

    /// A new session of `user` for `client`, with its first tokens.
    fn start_session(
        &mut self,
        user: u32,
        client: Option<u32>,
        now: Instant,
        mint: &mut dyn Mint,
    ) -> Outcome {
        let session = u32::try_from(self.sessions.len()).unwrap_or(u32::MAX);
        self.sessions.push(Session {
            user,
            client,
            live: true,
            started_at: now,
            refresh_epoch: 0,
            access_epoch: 0,
        });
        self.user_sessions[user as usize].push(session);
        let refresh = self.issue(session, TokenKind::Refresh, now, mint);
        self.issue_pair(session, refresh, now, mint)
    }
}
