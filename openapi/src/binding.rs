//! Behaviour bindings: the `x-token-lifecycle` extension (see
//! `docs/bindings.md`).
//!
//! Parsing checks every binding against the operation it sits on, so that a
//! binding pointing at nothing is a load error naming the spec path rather
//! than a mock that silently never finds its token.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::LoadError;
use crate::expr::Expr;
use crate::model::Invalidity;
use crate::spec::{self, Location, Operation, SecurityScheme};

/// The extension's name, at the root and on operations.
pub const EXTENSION: &str = "x-token-lifecycle";

/// What logout ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogoutScope {
    /// The whole session: its access and refresh tokens.
    Session,
    /// Only the presented access token.
    AccessToken,
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
    /// Revoke and revoke-all succeed whatever the token.
    pub revoke_always_succeeds: bool,
    /// Whether a refresh issues a new refresh token (default:
    /// `refresh_single_use`).
    pub rotate_on_refresh: Option<bool>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            access_token_ttl: 3600,
            refresh_token_ttl: 86400,
            refresh_single_use: true,
            reuse_ends_session: true,
            logout_ends: LogoutScope::Session,
            revoke_always_succeeds: true,
            rotate_on_refresh: None,
        }
    }
}

impl Policy {
    /// Whether a refresh issues a new refresh token.
    pub fn rotate_on_refresh(&self) -> bool {
        self.rotate_on_refresh.unwrap_or(self.refresh_single_use)
    }
}

/// The root declaration: accounts and policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// Whether the document has a root `x-token-lifecycle` at all.
    pub declared: bool,
    /// `(username, password)` pairs.
    pub accounts: Vec<(String, String)>,
    /// The policies.
    pub policy: Policy,
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
}

impl ActionKind {
    /// Every action, in documentation order.
    pub const ALL: [ActionKind; 6] = [
        ActionKind::Login,
        ActionKind::Refresh,
        ActionKind::Logout,
        ActionKind::Revoke,
        ActionKind::RevokeAll,
        ActionKind::Protected,
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
        }
    }

    fn parse(s: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether success issues tokens.
    pub fn issues_tokens(self) -> bool {
        matches!(self, ActionKind::Login | ActionKind::Refresh)
    }
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
}

/// Which documented response an outcome gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeResponse {
    /// The status.
    pub status: u16,
    /// A named example of that response, if chosen.
    pub example: Option<String>,
}

/// The outcome names a binding may map; each has a default.
pub const OUTCOMES: [&str; 5] = [
    "success",
    "invalidCredentials",
    "missing",
    "expired",
    "invalid",
];

/// Finer names for `invalid` (see [`Invalidity`]); a binding may map any
/// of them, and those it does not map get `invalid`'s response.
pub const INVALID_DETAILS: [&str; 5] = ["unknown", "wrongKind", "spent", "revoked", "ended"];

/// An operation's binding, checked against the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The action.
    pub action: ActionKind,
    /// Login user name.
    pub username: Option<Source>,
    /// Login password.
    pub password: Option<Source>,
    /// The presented access token.
    pub access_token: Option<Source>,
    /// The presented refresh token.
    pub refresh_token: Option<Source>,
    /// Where issued tokens go.
    pub issue: Issue,
    /// Where the user's name goes (protected).
    pub subject: Option<Expr>,
    /// Every outcome name of [`OUTCOMES`] mapped to a response.
    pub outcomes: BTreeMap<&'static str, OutcomeResponse>,
    /// The outcome names the spec maps itself (the others are defaults).
    pub explicit: Vec<&'static str>,
}

impl Binding {
    /// The response for an outcome name (always present after parsing for
    /// the names of [`OUTCOMES`]; a detail of [`INVALID_DETAILS`] the
    /// binding does not map gets `invalid`'s).
    pub fn outcome(&self, name: &str) -> OutcomeResponse {
        let fallback = || {
            INVALID_DETAILS
                .contains(&name)
                .then(|| self.outcomes.get("invalid"))
                .flatten()
        };
        self.outcomes
            .get(name)
            .or_else(fallback)
            .cloned()
            .unwrap_or(OutcomeResponse {
                status: 401,
                example: None,
            })
    }

    /// The request places the binding reads: user name, password, access
    /// token, refresh token (those it has).
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        [
            &self.username,
            &self.password,
            &self.access_token,
            &self.refresh_token,
        ]
        .into_iter()
        .flatten()
    }

    /// The missing-token rule, one for the mock and the oracle: a request
    /// whose only problems (named as runtime expressions, e.g.
    /// `$request.header.x-auth-token`) are at the places this binding reads
    /// gets the model's answer, where the spec maps `missing`, rather than
    /// a generic 400. `false` when there is no problem at all.
    pub fn answers_missing<'l>(&self, mut problems: impl Iterator<Item = &'l str>) -> bool {
        let at_source = |location: &str| {
            self.sources()
                .any(|s| s.expr.to_string().eq_ignore_ascii_case(location))
        };
        self.maps("missing") && problems.all(at_source)
    }

    /// Whether the spec maps this outcome itself (not a default).
    pub fn maps(&self, name: &str) -> bool {
        self.explicit.contains(&name)
    }

    /// The response for a model outcome, refined by why a token is invalid:
    /// the detail's own mapping where the binding has one. Also the names to
    /// try as example names, most specific first.
    pub fn respond_to(
        &self,
        outcome: &'static str,
        detail: Option<Invalidity>,
    ) -> (OutcomeResponse, Vec<&'static str>) {
        match detail.filter(|_| outcome == "invalid") {
            Some(d) => (self.outcome(d.name()), vec![d.name(), outcome]),
            None => (self.outcome(outcome), vec![outcome]),
        }
    }
}

fn err(at: impl Into<String>, message: impl Into<String>) -> LoadError {
    LoadError::Binding {
        at: at.into(),
        message: message.into(),
    }
}

fn object<'v>(at: &str, v: &'v Value) -> Result<&'v Map<String, Value>, LoadError> {
    v.as_object().ok_or_else(|| err(at, "must be an object"))
}

fn check_keys(at: &str, m: &Map<String, Value>, known: &[&str]) -> Result<(), LoadError> {
    match m.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(err(
            format!("{at}/{k}"),
            format!(
                "unknown field `{k}` (expected one of: {})",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Parse the root declaration (absent: defaults, no accounts).
pub fn parse_root(doc: &Value) -> Result<Lifecycle, LoadError> {
    let Some(root) = doc.get(EXTENSION) else {
        return Ok(Lifecycle::default());
    };
    let at = format!("/{EXTENSION}");
    let m = object(&at, root)?;
    check_keys(&at, m, &["accounts", "policy"])?;
    let mut lifecycle = Lifecycle {
        declared: true,
        ..Lifecycle::default()
    };
    if let Some(accounts) = m.get("accounts") {
        let aat = format!("{at}/accounts");
        let list = accounts
            .as_array()
            .ok_or_else(|| err(&aat, "must be a list of {username, password}"))?;
        for (i, a) in list.iter().enumerate() {
            let at = format!("{aat}/{i}");
            let a = object(&at, a)?;
            check_keys(&at, a, &["username", "password"])?;
            let field = |k: &str| {
                a.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| err(format!("{at}/{k}"), "must be a string"))
            };
            let username = field("username")?;
            if lifecycle.accounts.iter().any(|(u, _)| *u == username) {
                return Err(err(
                    format!("{at}/username"),
                    format!("account `{username}` is declared twice"),
                ));
            }
            lifecycle.accounts.push((username, field("password")?));
        }
    }
    if let Some(policy) = m.get("policy") {
        lifecycle.policy = parse_policy(&format!("{at}/policy"), policy)?;
    }
    Ok(lifecycle)
}

fn parse_policy(at: &str, v: &Value) -> Result<Policy, LoadError> {
    let m = object(at, v)?;
    check_keys(
        at,
        m,
        &[
            "accessTokenTtl",
            "refreshTokenTtl",
            "refreshSingleUse",
            "reuseEndsSession",
            "logoutEnds",
            "revokeAlwaysSucceeds",
            "rotateOnRefresh",
        ],
    )?;
    let mut p = Policy::default();
    let ttl = |k: &str, d: u64| match m.get(k) {
        None => Ok(d),
        Some(v) => v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
            err(
                format!("{at}/{k}"),
                "must be a positive whole number of seconds",
            )
        }),
    };
    let flag = |k: &str, d: bool| match m.get(k) {
        None => Ok(d),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| err(format!("{at}/{k}"), "must be true or false")),
    };
    p.access_token_ttl = ttl("accessTokenTtl", p.access_token_ttl)?;
    p.refresh_token_ttl = ttl("refreshTokenTtl", p.refresh_token_ttl)?;
    p.refresh_single_use = flag("refreshSingleUse", p.refresh_single_use)?;
    p.reuse_ends_session = flag("reuseEndsSession", p.reuse_ends_session)?;
    p.revoke_always_succeeds = flag("revokeAlwaysSucceeds", p.revoke_always_succeeds)?;
    if m.contains_key("rotateOnRefresh") {
        p.rotate_on_refresh = Some(flag("rotateOnRefresh", true)?);
    }
    p.logout_ends = match m.get("logoutEnds").map(Value::as_str) {
        None | Some(Some("session")) => LogoutScope::Session,
        Some(Some("access-token")) => LogoutScope::AccessToken,
        Some(_) => {
            return Err(err(
                format!("{at}/logoutEnds"),
                "must be `session` or `access-token`",
            ))
        }
    };
    Ok(p)
}

/// Parse and check an operation's binding. `at` is the binding's pointer.
pub fn parse_operation(
    doc: &Value,
    at: &str,
    v: &Value,
    op: &Operation,
) -> Result<Binding, LoadError> {
    let m = object(at, v)?;
    check_keys(
        at,
        m,
        &[
            "action",
            "username",
            "password",
            "accessToken",
            "refreshToken",
            "issue",
            "subject",
            "outcomes",
        ],
    )?;
    let action_at = format!("{at}/action");
    let action = match m.get("action").map(Value::as_str) {
        None => return Err(err(action_at, "missing `action`")),
        Some(Some(a)) => ActionKind::parse(a).ok_or_else(|| {
            err(
                &action_at,
                format!(
                    "unknown action `{a}` (expected one of: {})",
                    ActionKind::ALL.map(ActionKind::as_str).join(", ")
                ),
            )
        })?,
        Some(None) => return Err(err(action_at, "`action` must be a string")),
    };
    let source = |k: &str| -> Result<Option<Source>, LoadError> {
        let Some(v) = m.get(k) else { return Ok(None) };
        let sat = format!("{at}/{k}");
        let s = parse_source(&sat, v)?;
        check_request_expr(doc, &sat, &s.expr, op)?;
        Ok(Some(s))
    };
    let mut binding = Binding {
        action,
        username: source("username")?,
        password: source("password")?,
        access_token: source("accessToken")?,
        refresh_token: source("refreshToken")?,
        issue: Issue::default(),
        subject: None,
        outcomes: BTreeMap::new(),
        explicit: Vec::new(),
    };
    let success = op
        .success_status()
        .ok_or_else(|| err(at, "a bound operation must document a 2xx response"))?;
    if let Some(issue) = m.get("issue") {
        let iat = format!("{at}/issue");
        let im = object(&iat, issue)?;
        check_keys(
            &iat,
            im,
            &[
                "accessToken",
                "refreshToken",
                "expiresIn",
                "refreshExpiresIn",
            ],
        )?;
        let field = |k: &str| -> Result<Option<Expr>, LoadError> {
            let Some(v) = im.get(k) else { return Ok(None) };
            let fat = format!("{iat}/{k}");
            let e = parse_response_expr(&fat, v)?;
            check_response_expr(doc, &fat, &e, op, success)?;
            Ok(Some(e))
        };
        binding.issue = Issue {
            access_token: field("accessToken")?,
            refresh_token: field("refreshToken")?,
            expires_in: field("expiresIn")?,
            refresh_expires_in: field("refreshExpiresIn")?,
        };
    }
    if let Some(v) = m.get("subject") {
        let sat = format!("{at}/subject");
        let e = parse_response_expr(&sat, v)?;
        check_response_expr(doc, &sat, &e, op, success)?;
        binding.subject = Some(e);
    }
    let needs: &[(&str, bool)] = match action {
        ActionKind::Login => &[
            ("username", binding.username.is_some()),
            ("password", binding.password.is_some()),
            ("issue/accessToken", binding.issue.access_token.is_some()),
        ],
        ActionKind::Refresh => &[
            ("refreshToken", binding.refresh_token.is_some()),
            ("issue/accessToken", binding.issue.access_token.is_some()),
        ],
        ActionKind::Revoke => &[("refreshToken", binding.refresh_token.is_some())],
        ActionKind::Logout | ActionKind::RevokeAll | ActionKind::Protected => {
            &[("accessToken", binding.access_token.is_some())]
        }
    };
    if let Some((k, _)) = needs.iter().find(|(_, ok)| !ok) {
        return Err(err(
            format!("{at}/{k}"),
            format!("action `{}` needs `{k}`", action.as_str()),
        ));
    }
    let (outcomes, explicit) = parse_outcomes(at, m.get("outcomes"), op, success)?;
    binding.outcomes = outcomes;
    binding.explicit = explicit;
    Ok(binding)
}

fn parse_source(at: &str, v: &Value) -> Result<Source, LoadError> {
    let (text, scheme) = match v {
        Value::String(s) => (s.as_str(), None),
        Value::Object(o) => {
            check_keys(at, o, &["from", "scheme"])?;
            let from = o
                .get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| err(format!("{at}/from"), "must be a runtime expression"))?;
            let scheme = match o.get("scheme") {
                None => None,
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(_) => return Err(err(format!("{at}/scheme"), "must be a non-empty string")),
            };
            (from, scheme)
        }
        _ => return Err(err(at, "must be a runtime expression or {from, scheme}")),
    };
    let expr = Expr::parse(text).ok_or_else(|| {
        err(
            at,
            format!("`{text}` is not a supported runtime expression"),
        )
    })?;
    if !expr.is_request() {
        return Err(err(
            at,
            format!("`{text}` must read the request ($request...)"),
        ));
    }
    Ok(Source { expr, scheme })
}

fn parse_response_expr(at: &str, v: &Value) -> Result<Expr, LoadError> {
    let text = v
        .as_str()
        .ok_or_else(|| err(at, "must be a runtime expression"))?;
    let e = Expr::parse(text).ok_or_else(|| {
        err(
            at,
            format!("`{text}` is not a supported runtime expression"),
        )
    })?;
    if e.is_request() {
        return Err(err(
            at,
            format!("`{text}` must name the response ($response...)"),
        ));
    }
    Ok(e)
}

fn check_request_expr(doc: &Value, at: &str, e: &Expr, op: &Operation) -> Result<(), LoadError> {
    let declared = |loc: Location, name: &str| {
        op.parameters.iter().any(|p| {
            p.location == loc
                && if loc == Location::Header {
                    p.name.eq_ignore_ascii_case(name)
                } else {
                    p.name == name
                }
        }) || op.security.iter().flat_map(|a| &a.0).any(|s| match s {
            SecurityScheme::Http { .. } | SecurityScheme::OAuth => {
                loc == Location::Header && name.eq_ignore_ascii_case("authorization")
            }
            SecurityScheme::ApiKey { location, name: n } => {
                *location == loc
                    && (n == name || loc == Location::Header && n.eq_ignore_ascii_case(name))
            }
            SecurityScheme::Unchecked => false,
        })
    };
    let (loc, name) = match e {
        Expr::RequestBody(ptr) => {
            let Some(body) = &op.request_body else {
                return Err(err(at, format!("`{e}`: the operation has no request body")));
            };
            let found = body.content.iter().any(|m| {
                m.schema
                    .as_ref()
                    .is_some_and(|s| schema_has(doc, &s.value, ptr.tokens(), 0))
            });
            return if found {
                Ok(())
            } else {
                Err(err(
                    at,
                    format!("`{e}`: the request body schema has no `{ptr}`"),
                ))
            };
        }
        Expr::RequestHeader(n) => (Location::Header, n),
        Expr::RequestQuery(n) => (Location::Query, n),
        Expr::RequestPath(n) => (Location::Path, n),
        Expr::RequestCookie(n) => (Location::Cookie, n),
        Expr::ResponseBody(_) | Expr::ResponseHeader(_) => return Ok(()),
    };
    if declared(loc, name) {
        Ok(())
    } else {
        Err(err(
            at,
            format!(
                "`{e}`: the operation declares no {} parameter `{name}`",
                loc.as_str()
            ),
        ))
    }
}

fn check_response_expr(
    doc: &Value,
    at: &str,
    e: &Expr,
    op: &Operation,
    success: u16,
) -> Result<(), LoadError> {
    let Some(resp) = op.response(success) else {
        return Ok(());
    };
    let ok = match e {
        Expr::ResponseBody(ptr) => resp.content.iter().any(|m| {
            m.schema
                .as_ref()
                .is_some_and(|s| schema_has(doc, &s.value, ptr.tokens(), 0))
        }),
        Expr::ResponseHeader(name) => resp.headers.iter().any(|h| &h.name == name),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(err(
            at,
            format!("`{e}`: the {success} response documents no such place"),
        ))
    }
}

/// Whether a schema can hold a value at the path `tokens`.
fn schema_has(doc: &Value, schema: &Value, tokens: &[String], depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    let schema = match spec::resolve(doc, String::new(), schema) {
        Ok((_, s)) => s,
        Err(_) => return false,
    };
    let Some((first, rest)) = tokens.split_first() else {
        return true;
    };
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            if list.iter().any(|s| schema_has(doc, s, tokens, depth + 1)) {
                return true;
            }
        }
    }
    if let Some(p) = schema.get("properties").and_then(|p| p.get(first)) {
        if schema_has(doc, p, rest, depth + 1) {
            return true;
        }
    }
    if first.parse::<usize>().is_ok() {
        if let Some(items) = schema.get("items") {
            if schema_has(doc, items, rest, depth + 1) {
                return true;
            }
        }
    }
    match schema.get("additionalProperties") {
        Some(Value::Object(_)) => schema_has(doc, &schema["additionalProperties"], rest, depth + 1),
        _ => false,
    }
}

fn parse_outcomes(
    at: &str,
    v: Option<&Value>,
    op: &Operation,
    success: u16,
) -> Result<(BTreeMap<&'static str, OutcomeResponse>, Vec<&'static str>), LoadError> {
    let mut explicit = Vec::new();
    let documented: Vec<u16> = op.statuses().collect();
    let failure = if documented.contains(&401) {
        401
    } else {
        documented
            .iter()
            .copied()
            .find(|s| (400..500).contains(s))
            .unwrap_or(401)
    };
    let mut out = BTreeMap::new();
    for name in OUTCOMES {
        let status = if name == "success" { success } else { failure };
        out.insert(
            name,
            OutcomeResponse {
                status,
                example: None,
            },
        );
    }
    let Some(v) = v else {
        return Ok((out, explicit));
    };
    let oat = format!("{at}/outcomes");
    let m = object(&oat, v)?;
    let known: Vec<&'static str> = OUTCOMES.iter().chain(&INVALID_DETAILS).copied().collect();
    check_keys(&oat, m, &known)?;
    for (name, spec) in m {
        let at = format!("{oat}/{name}");
        let (status, example) = match spec {
            Value::Number(n) => (n.as_u64(), None),
            Value::Object(o) => {
                check_keys(&at, o, &["status", "example"])?;
                let ex = match o.get("example") {
                    None => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(_) => return Err(err(format!("{at}/example"), "must be an example name")),
                };
                (o.get("status").and_then(Value::as_u64), ex)
            }
            _ => (None, None),
        };
        let status = status
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..600).contains(s))
            .ok_or_else(|| err(&at, "must be a status or {status, example}"))?;
        let Some(resp) = op.response(status) else {
            return Err(err(
                &at,
                format!("status {status} is not documented by the operation"),
            ));
        };
        if let Some(ex) = &example {
            let known = resp
                .content
                .iter()
                .any(|m| m.examples.iter().any(|(n, _)| n == ex));
            if !known {
                return Err(err(
                    format!("{at}/example"),
                    format!("the {status} response has no example named `{ex}`"),
                ));
            }
        }
        let key = known
            .iter()
            .copied()
            .find(|o| o == name)
            .unwrap_or("invalid");
        out.insert(key, OutcomeResponse { status, example });
        explicit.push(key);
    }
    Ok((out, explicit))
}
