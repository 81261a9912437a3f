//! The one reader of the `x-token-lifecycle` vocabulary (see
//! `docs/bindings.md`).
//!
//! Every name of the vocabulary (fields, actions, outcomes, policies) is
//! spelled here once. The reader collects *every* problem of a document,
//! each with its JSON pointer and a rule id, and keeps reading past them:
//! the loader refuses a document with any problem (and reports all of
//! them), and `drift`'s lint shows the same problems as findings, so a
//! document loads if and only if lint reports no binding error.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::binding::{
    Binding, ClientAuthMethod, ClientBinding, CodePlaces, Condition, IntrospectionPlaces, Issue,
    Jwt, JwtAlgorithm, Lifecycle, OutcomeResponse, Source, Tokens,
};
use crate::doc::resolve;
use crate::error::{BindingProblem, Rule};
use crate::expr::Location;
use crate::expr::{Expr, Pointer};
use crate::media::simple_text;
use crate::model::{
    ActionKind, Client, ConcurrentRefresh, LogoutScope, OutcomeName, Policy, RefreshLifetime,
};
use crate::operation::{MediaType, Operation};

/// The extension's name, at the root and on operations.
pub const EXTENSION: &str = "x-token-lifecycle";

/// Fields of the root extension.
pub const ROOT_FIELDS: [&str; 4] = ["accounts", "clients", "tokens", "policy"];

/// Fields of the root `tokens`.
pub const TOKENS_FIELDS: [&str; 6] = [
    "format",
    "algorithm",
    "issuer",
    "audience",
    "secret",
    "jwks",
];

/// The token formats.
pub const TOKEN_FORMATS: [&str; 2] = ["opaque", "jwt"];

/// Fields of one client.
pub const CLIENT_FIELDS: [&str; 3] = ["id", "secret", "redirectUris"];

/// Fields of a binding's `client`.
pub const CLIENT_BINDING_FIELDS: [&str; 3] = ["auth", "id", "secret"];

/// Fields of one account.
pub const ACCOUNT_FIELDS: [&str; 2] = ["username", "password"];

/// Fields of the root policy.
pub const POLICY_FIELDS: [&str; 14] = [
    "accessTokenTtl",
    "refreshTokenTtl",
    "refreshSingleUse",
    "reuseEndsSession",
    "logoutEnds",
    "revokeIgnoresInvalidTokens",
    "rotateOnRefresh",
    "refreshRevokesAccess",
    "revokeCascades",
    "revokeAccessRevokesRefresh",
    "reuseGraceSeconds",
    "refreshLifetime",
    "sessionTtl",
    "concurrentRefresh",
];

/// Old names of policy fields, still read (with a warning): `(old,
/// new)`.
pub const POLICY_ALIASES: [(&str, &str); 1] =
    [("revokeAlwaysSucceeds", "revokeIgnoresInvalidTokens")];

/// Request-side fields of a binding: where it reads what is presented.
pub const SOURCE_FIELDS: [&str; 6] = [
    "username",
    "password",
    "accessToken",
    "refreshToken",
    "token",
    "tokenTypeHint",
];

/// Every field an operation binding may have.
pub const BINDING_FIELDS: [&str; 16] = [
    "action",
    "when",
    "username",
    "password",
    "accessToken",
    "refreshToken",
    "token",
    "tokenTypeHint",
    "code",
    "redirectUri",
    "codeVerifier",
    "issue",
    "subject",
    "introspection",
    "client",
    "outcomes",
];

/// Fields under `introspection`: where an RFC 7662 answer says what it
/// says of a token.
pub const INTROSPECTION_FIELDS: [&str; 5] = ["active", "exp", "sub", "clientId", "tokenType"];

/// The request places of a code exchange (`exchange-code`), each with its
/// default: RFC 6749's form fields.
pub const CODE_PLACES: [(&str, &str); 3] = [
    ("code", "$request.body#/code"),
    ("redirectUri", "$request.body#/redirect_uri"),
    ("codeVerifier", "$request.body#/code_verifier"),
];

/// The request parameters an `authorize` operation must declare (RFC 6749
/// section 4.1.1), in its query (or its form body, for POST); it also
/// reads `redirect_uri`, `scope`, `state`, `nonce`, `code_challenge`,
/// `code_challenge_method`, `login_hint` and `prompt` where sent.
pub const AUTHORIZE_PARAMETERS: [&str; 2] = ["response_type", "client_id"];

/// The statuses an `authorize` operation may redirect with.
pub const AUTHORIZE_REDIRECTS: [u16; 2] = [302, 303];

/// Fields under `issue`: where the response carries issued tokens.
pub const ISSUE_FIELDS: [&str; 5] = [
    "accessToken",
    "refreshToken",
    "expiresIn",
    "refreshExpiresIn",
    "idToken",
];

/// Fields of a source written as an object.
pub const SOURCE_OBJECT_FIELDS: [&str; 2] = ["from", "scheme"];

/// Fields of an outcome written as an object.
pub const OUTCOME_FIELDS: [&str; 2] = ["status", "example"];

/// The fields an action cannot do without (`issue/accessToken` is the
/// `accessToken` field of `issue`).
pub fn needs(action: ActionKind) -> &'static [&'static str] {
    match action {
        ActionKind::Login => &["username", "password", "issue/accessToken"],
        ActionKind::Refresh => &["refreshToken", "issue/accessToken"],
        ActionKind::Revoke => &["refreshToken"],
        ActionKind::Logout | ActionKind::RevokeAll | ActionKind::Protected => &["accessToken"],
        ActionKind::RevokeToken => &["token"],
        ActionKind::Introspect => &["token", "introspection/active"],
        ActionKind::Authorize => &[],
        ActionKind::ExchangeCode => &["client", "issue/accessToken"],
    }
}

/// The status an outcome gets when the binding does not map it: success
/// is the lowest documented 2xx; `unsupported` the lowest documented 4xx;
/// every other refusal is 401 where documented, else the lowest documented
/// 4xx. `None` when there is no such status.
/// (A detail of `invalid` unmapped gets `invalid`'s response; see
/// [`Binding::outcome`].)
pub fn default_status(outcome: OutcomeName, documented: &[u16]) -> Option<u16> {
    let lowest = |range: std::ops::Range<u16>| {
        documented
            .iter()
            .copied()
            .filter(|s| range.contains(s))
            .min()
    };
    if outcome == OutcomeName::Success {
        lowest(200..300)
    } else if outcome != OutcomeName::Unsupported && documented.contains(&401) {
        Some(401)
    } else {
        lowest(400..500)
    }
}

/// The root policy of `doc`, every unreadable value left at its default
/// (the tolerant reading `drift` compares; the loader refuses such values).
pub fn policy_of(doc: &Value) -> Policy {
    let mut ignored = Vec::new();
    read_root(doc, &mut ignored).policy
}

/// Collects problems at their places.
struct Reader<'p> {
    problems: &'p mut Vec<BindingProblem>,
    operation: Option<String>,
}

impl Reader<'_> {
    fn push(&mut self, rule: Rule, at: impl Into<String>, message: impl Into<String>) {
        self.problems.push(BindingProblem {
            at: at.into(),
            rule,
            message: message.into(),
            operation: self.operation.clone(),
        });
    }

    fn object<'v>(&mut self, at: &str, v: &'v Value) -> Option<&'v Map<String, Value>> {
        let m = v.as_object();
        if m.is_none() {
            self.push(Rule::Malformed, at, "must be an object");
        }
        m
    }

    fn known(&mut self, at: &str, m: &Map<String, Value>, known: &[&str]) {
        for k in m.keys().filter(|k| !known.contains(&k.as_str())) {
            self.push(
                Rule::UnknownField,
                format!("{at}/{}", esc(k)),
                format!(
                    "unknown field `{k}` (expected one of: {})",
                    known.join(", ")
                ),
            );
        }
    }
}

fn esc(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Read the root declaration (absent: defaults, no accounts).
pub(crate) fn read_root(doc: &Value, problems: &mut Vec<BindingProblem>) -> Lifecycle {
    let Some(root) = doc.get(EXTENSION) else {
        return Lifecycle::default();
    };
    let mut r = Reader {
        problems,
        operation: None,
    };
    let at = format!("/{EXTENSION}");
    let mut lifecycle = Lifecycle {
        declared: true,
        ..Lifecycle::default()
    };
    let Some(m) = r.object(&at, root) else {
        return lifecycle;
    };
    r.known(&at, m, &ROOT_FIELDS);
    if let Some(accounts) = m.get("accounts") {
        read_accounts(&mut r, &format!("{at}/accounts"), accounts, &mut lifecycle);
    }
    if let Some(clients) = m.get("clients") {
        read_clients(&mut r, &format!("{at}/clients"), clients, &mut lifecycle);
    }
    if let Some(tokens) = m.get("tokens") {
        lifecycle.tokens = read_tokens(&mut r, &format!("{at}/tokens"), tokens);
    }
    if let Some(policy) = m.get("policy") {
        lifecycle.policy = read_policy(&mut r, &format!("{at}/policy"), policy);
    }
    lifecycle
}

fn read_tokens(r: &mut Reader<'_>, at: &str, v: &Value) -> Tokens {
    let Some(m) = r.object(at, v) else {
        return Tokens::default();
    };
    r.known(at, m, &TOKENS_FIELDS);
    let mut text = |k: &str| -> Option<String> {
        let v = m.get(k)?;
        let s = v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        if s.is_none() {
            r.push(
                Rule::PolicyInvalid,
                format!("{at}/{k}"),
                format!("`{k}` must be a non-empty string, not {v}"),
            );
        }
        s
    };
    let declared_issuer = text("issuer");
    let audience = text("audience");
    let secret = text("secret");
    let jwks = text("jwks");
    if let Some(place) = jwks.as_deref() {
        check_jwks_location(r, &format!("{at}/jwks"), place);
    }
    let name = |f: &'static str| f;
    if choice(r, at, m, "format", &TOKEN_FORMATS, name) != Some("jwt") {
        return Tokens::default();
    }
    let algorithm = choice(
        r,
        at,
        m,
        "algorithm",
        &JwtAlgorithm::ALL,
        JwtAlgorithm::as_str,
    )
    .unwrap_or(JwtAlgorithm::RS256);
    if algorithm == JwtAlgorithm::HS256 && secret.is_none() {
        r.push(
            Rule::MissingField,
            format!("{at}/secret"),
            "`HS256` needs a `secret` to sign with",
        );
    }
    Tokens {
        jwt: Some(Jwt {
            algorithm,
            declared_issuer,
            audience,
            secret,
            jwks,
        }),
    }
}

fn read_clients(r: &mut Reader<'_>, at: &str, v: &Value, lifecycle: &mut Lifecycle) {
    let Some(list) = v.as_array() else {
        r.push(Rule::AccountInvalid, at, "must be a list of {id, secret}");
        return;
    };
    for (i, c) in list.iter().enumerate() {
        let at = format!("{at}/{i}");
        let Some(c) = r.object(&at, c) else { continue };
        r.known(&at, c, &CLIENT_FIELDS);
        let Some(id) = c
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            r.push(
                Rule::AccountInvalid,
                format!("{at}/id"),
                "must be a non-empty string",
            );
            continue;
        };
        let secret = match c.get("secret") {
            None => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(_) => {
                r.push(
                    Rule::AccountInvalid,
                    format!("{at}/secret"),
                    "must be a non-empty string (leave it out for a public client)",
                );
                continue;
            }
        };
        if lifecycle.clients.iter().any(|k| k.id == id) {
            r.push(
                Rule::AccountInvalid,
                format!("{at}/id"),
                format!("client `{id}` is declared twice"),
            );
            continue;
        }
        if let Some(uris) = c.get("redirectUris") {
            let uris = read_redirect_uris(r, &format!("{at}/redirectUris"), uris);
            lifecycle.redirect_uris.insert(id.to_owned(), uris);
        }
        lifecycle.clients.push(Client {
            id: id.to_owned(),
            secret,
        });
    }
}

fn read_accounts(r: &mut Reader<'_>, at: &str, v: &Value, lifecycle: &mut Lifecycle) {
    let Some(list) = v.as_array() else {
        r.push(
            Rule::AccountInvalid,
            at,
            "must be a list of {username, password}",
        );
        return;
    };
    for (i, a) in list.iter().enumerate() {
        let at = format!("{at}/{i}");
        let Some(a) = r.object(&at, a) else { continue };
        r.known(&at, a, &ACCOUNT_FIELDS);
        let mut field = |k: &str| {
            let v = a.get(k).and_then(Value::as_str).map(str::to_owned);
            if v.is_none() {
                r.push(
                    Rule::AccountInvalid,
                    format!("{at}/{k}"),
                    "must be a string",
                );
            }
            v
        };
        let (Some(username), Some(password)) = (field("username"), field("password")) else {
            continue;
        };
        if lifecycle.accounts.iter().any(|(u, _)| *u == username) {
            r.push(
                Rule::AccountInvalid,
                format!("{at}/username"),
                format!("account `{username}` is declared twice"),
            );
            continue;
        }
        lifecycle.accounts.push((username, password));
    }
}

/// A field that names one of `all` (by `name`); a problem, and `None`,
/// for any other value.
fn choice<T: Copy>(
    r: &mut Reader<'_>,
    at: &str,
    m: &Map<String, Value>,
    key: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Option<T> {
    let v = m.get(key)?;
    let found = all.iter().copied().find(|t| v.as_str() == Some(name(*t)));
    if found.is_none() {
        let names: Vec<String> = all.iter().map(|t| format!("`{}`", name(*t))).collect();
        r.push(
            Rule::PolicyInvalid,
            format!("{at}/{key}"),
            format!("`{key}` must be {}, not {v}", names.join(" or ")),
        );
    }
    found
}

fn read_policy(r: &mut Reader<'_>, at: &str, v: &Value) -> Policy {
    let mut p = Policy::default();
    let Some(m) = r.object(at, v) else { return p };
    // An old name is known, and not offered in the list of names.
    let current: Map<String, Value> = m
        .iter()
        .filter(|(k, _)| !POLICY_ALIASES.iter().any(|(old, _)| old == k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    r.known(at, &current, &POLICY_FIELDS);
    let mut ttl = |k: &str, value: &mut u64| {
        if let Some(v) = m.get(k) {
            match v.as_u64().filter(|n| *n > 0) {
                Some(n) => *value = n,
                None => r.push(
                    Rule::PolicyInvalid,
                    format!("{at}/{k}"),
                    format!("`{k}` must be a positive whole number of seconds, not {v}"),
                ),
            }
        }
    };
    ttl("accessTokenTtl", &mut p.access_token_ttl);
    ttl("refreshTokenTtl", &mut p.refresh_token_ttl);
    let mut session_ttl = 0;
    ttl("sessionTtl", &mut session_ttl);
    p.session_ttl = (session_ttl > 0).then_some(session_ttl);
    if let Some(v) = m.get("reuseGraceSeconds") {
        match v.as_u64() {
            Some(n) => p.reuse_grace_seconds = n,
            None => r.push(
                Rule::PolicyInvalid,
                format!("{at}/reuseGraceSeconds"),
                format!("`reuseGraceSeconds` must be a whole number of seconds, not {v}"),
            ),
        }
    }
    let mut flag = |k: &str| -> Option<bool> {
        let v = m.get(k)?;
        let b = v.as_bool();
        if b.is_none() {
            r.push(
                Rule::PolicyInvalid,
                format!("{at}/{k}"),
                format!("`{k}` must be true or false, not {v}"),
            );
        }
        b
    };
    for (k, field) in [
        ("refreshSingleUse", &mut p.refresh_single_use),
        ("reuseEndsSession", &mut p.reuse_ends_session),
        (
            "revokeIgnoresInvalidTokens",
            &mut p.revoke_ignores_invalid_tokens,
        ),
        ("refreshRevokesAccess", &mut p.refresh_revokes_access),
        ("revokeCascades", &mut p.revoke_cascades),
        (
            "revokeAccessRevokesRefresh",
            &mut p.revoke_access_revokes_refresh,
        ),
    ] {
        if let Some(b) = flag(k) {
            *field = b;
        }
    }
    // The old name of `revokeIgnoresInvalidTokens`, read with a warning.
    let [(old, new)] = POLICY_ALIASES;
    if m.contains_key(old) && !m.contains_key(new) {
        if let Some(b) = flag(old) {
            p.revoke_ignores_invalid_tokens = b;
        }
    }
    if let Some(b) = flag("rotateOnRefresh") {
        p.rotate_on_refresh = Some(b);
    }
    if let Some(l) = choice(
        r,
        at,
        m,
        "refreshLifetime",
        &RefreshLifetime::ALL,
        RefreshLifetime::as_str,
    ) {
        p.refresh_lifetime = l;
    }
    if let Some(l) = choice(
        r,
        at,
        m,
        "logoutEnds",
        &LogoutScope::ALL,
        LogoutScope::as_str,
    ) {
        p.logout_ends = l;
    }
    if let Some(c) = choice(
        r,
        at,
        m,
        "concurrentRefresh",
        &ConcurrentRefresh::ALL,
        ConcurrentRefresh::as_str,
    ) {
        p.concurrent_refresh = c;
    }
    if m.contains_key(old) {
        let (rule, message) = if m.contains_key(new) {
            (
                Rule::PolicyInvalid,
                format!("`{old}` is the old name of `{new}`: give only `{new}`"),
            )
        } else {
            (
                Rule::DeprecatedName,
                format!(
                    "`{old}` is the old name of `{new}` (a name that says what it does): rename it"
                ),
            )
        };
        r.push(rule, format!("{at}/{old}"), message);
    }
    p
}

/// Read and check an operation's binding at `at` against `op`. `None`
/// when its action cannot be read (the problems say why); otherwise the
/// binding as far as it could be read, the problems beside it.
fn read_operation(
    doc: &Value,
    at: &str,
    v: &Value,
    op: &Operation,
    policy: &Policy,
    problems: &mut Vec<BindingProblem>,
) -> Option<Binding> {
    let mut r = Reader {
        problems,
        operation: Some(format!("{} {}", op.method, op.path)),
    };
    let m = r.object(at, v)?;
    r.known(at, m, &BINDING_FIELDS);
    let action_at = format!("{at}/action");
    let action = match m.get("action").map(Value::as_str) {
        None => {
            r.push(Rule::MissingField, &action_at, "missing `action`");
            None
        }
        Some(Some(a)) => {
            let action = ActionKind::parse(a);
            if action.is_none() {
                r.push(
                    Rule::UnknownAction,
                    &action_at,
                    format!(
                        "unknown action `{a}` (expected one of: {})",
                        ActionKind::ALL.map(ActionKind::as_str).join(", ")
                    ),
                );
            }
            action
        }
        Some(None) => {
            r.push(Rule::Malformed, action_at, "`action` must be a string");
            None
        }
    };
    let source = |r: &mut Reader<'_>, k: &str| -> Option<Source> {
        let sat = format!("{at}/{k}");
        let v = m.get(k)?;
        let s = read_source(r, &sat, v)?;
        let text = v.get("from").unwrap_or(v).as_str().unwrap_or_default();
        check_request_expr(r, doc, &sat, text, &s.expr, op);
        Some(s)
    };
    let username = source(&mut r, "username");
    let password = source(&mut r, "password");
    let access_token = source(&mut r, "accessToken");
    let refresh_token = source(&mut r, "refreshToken");
    let token = source(&mut r, "token");
    let token_type_hint = source(&mut r, "tokenTypeHint");
    let when = match m.get("when") {
        Some(w) => read_when(&mut r, doc, &format!("{at}/when"), w, op),
        None => Vec::new(),
    };
    let success = op.success_status();
    if success.is_none() {
        let documented: Vec<&str> = op.responses.iter().map(|r| r.status.as_str()).collect();
        r.push(
            Rule::NoSuccessResponse,
            at,
            format!(
                "a bound operation must document a 2xx status (documented: {})",
                if documented.is_empty() {
                    "none".to_owned()
                } else {
                    documented.join(", ")
                }
            ),
        );
    }
    let response = |r: &mut Reader<'_>, rat: String, v: &Value| -> Option<Expr> {
        let e = read_response_expr(r, &rat, v)?;
        if let Some(success) = success {
            check_response_expr(
                r,
                doc,
                &rat,
                v.as_str().unwrap_or_default(),
                &e,
                op,
                success,
            );
        }
        Some(e)
    };
    let [access_token_at, refresh_token_at, expires_in, refresh_expires_in, id_token] =
        response_places(
            &mut r,
            &format!("{at}/issue"),
            m.get("issue"),
            &ISSUE_FIELDS,
            &response,
        );
    let issue = Issue {
        access_token: access_token_at,
        refresh_token: refresh_token_at,
        expires_in,
        refresh_expires_in,
        id_token,
    };
    let subject = m
        .get("subject")
        .and_then(|v| response(&mut r, format!("{at}/subject"), v));
    let [active, exp, sub, client_id, token_type] = response_places(
        &mut r,
        &format!("{at}/introspection"),
        m.get("introspection"),
        &INTROSPECTION_FIELDS,
        &response,
    );
    let introspection = IntrospectionPlaces {
        active,
        exp,
        sub,
        client_id,
        token_type,
    };
    let client = m
        .get("client")
        .and_then(|v| read_client(&mut r, doc, &format!("{at}/client"), v, op));
    let missing = action.and_then(|a| missing_default(a, policy, success));
    let (outcomes, explicit) = read_outcomes(&mut r, at, m.get("outcomes"), op, (success, missing));
    let action = action?;
    let exchange = read_code_flow(&mut r, doc, at, m, op, action);
    let has = |k: &str| match k {
        "username" => username.is_some() || m.contains_key(k),
        "password" => password.is_some() || m.contains_key(k),
        "accessToken" => access_token.is_some() || m.contains_key(k),
        "refreshToken" => refresh_token.is_some() || m.contains_key(k),
        "token" => token.is_some() || m.contains_key(k),
        "issue/accessToken" => {
            issue.access_token.is_some()
                || m.get("issue")
                    .is_some_and(|i| i.get("accessToken").is_some())
        }
        "introspection/active" => {
            introspection.active.is_some()
                || m.get("introspection")
                    .is_some_and(|i| i.get("active").is_some())
        }
        _ => true,
    };
    for k in needs(action).iter().filter(|k| !has(k)) {
        r.push(
            Rule::MissingField,
            format!("{at}/{k}"),
            format!("action `{}` needs `{k}`", action.as_str()),
        );
    }
    Some(Binding {
        action,
        when,
        username,
        password,
        access_token,
        refresh_token,
        token,
        token_type_hint,
        introspection,
        issue,
        subject,
        client,
        exchange,
        outcomes,
        explicit,
    })
}

/// What an operation's `x-token-lifecycle` says: one binding (an object)
/// or several (a list, each with its `when`), read and checked against
/// `op` and against each other, and the response of a request no binding
/// matches (where any binding has conditions).
pub(crate) fn read_bindings(
    doc: &Value,
    at: &str,
    v: &Value,
    op: &Operation,
    policy: &Policy,
    problems: &mut Vec<BindingProblem>,
) -> (Vec<Binding>, Option<OutcomeResponse>) {
    let list = match v {
        Value::Array(list) => list,
        single => {
            let bindings: Vec<Binding> = read_operation(doc, at, single, op, policy, problems)
                .into_iter()
                .collect();
            let unsupported = unsupported(&bindings, &[at.to_owned()], op, problems);
            return (bindings, unsupported);
        }
    };
    if list.is_empty() {
        problems.push(BindingProblem {
            at: at.to_owned(),
            rule: Rule::Malformed,
            message: "a list of bindings must name at least one".into(),
            operation: Some(format!("{} {}", op.method, op.path)),
        });
        return (Vec::new(), None);
    }
    let mut bindings = Vec::new();
    let mut variants = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let bat = format!("{at}/{i}");
        let before = problems.len();
        if let Some(b) = read_operation(doc, &bat, v, op, policy, problems) {
            let when_at = format!("{bat}/when");
            let unsure = problems[before..]
                .iter()
                .any(|p| p.at.starts_with(&when_at));
            variants.push(Variant {
                at: bat,
                conditional: v.get("when").is_some(),
                unsure,
            });
            bindings.push(b);
        }
    }
    let places: Vec<String> = variants.iter().map(|v| v.at.clone()).collect();
    let mut r = Reader {
        problems,
        operation: Some(format!("{} {}", op.method, op.path)),
    };
    check_variants(&mut r, &bindings, &variants);
    let unsupported = unsupported(&bindings, &places, op, r.problems);
    (bindings, unsupported)
}

/// One binding of a list, as written.
struct Variant {
    /// Its pointer.
    at: String,
    /// Whether it has a `when`.
    conditional: bool,
    /// Whether its `when` has problems of its own (its conditions are then
    /// not compared, so that one mistake is reported once).
    unsure: bool,
}

/// The bindings of one operation against each other: a binding after an
/// unconditional one is unreachable; an unconditional one after others,
/// and two whose conditions can hold together, overlap (a request could
/// be meant for either).
fn check_variants(r: &mut Reader<'_>, bindings: &[Binding], variants: &[Variant]) {
    for (i, b) in bindings.iter().enumerate() {
        let v = &variants[i];
        if let Some(u) = variants[..i].iter().find(|e| !e.conditional) {
            r.push(
                Rule::Unreachable,
                &v.at,
                format!(
                    "no request reaches this binding: the one at {} has no `when`, so it answers every request",
                    u.at
                ),
            );
            continue;
        }
        if !v.conditional {
            if i > 0 {
                r.push(
                    Rule::Overlap,
                    &v.at,
                    format!(
                        "without `when` this binding matches the requests of the one at {} too: give it a condition",
                        variants[0].at
                    ),
                );
            }
            continue;
        }
        if v.unsure {
            continue;
        }
        let overlapping = bindings[..i]
            .iter()
            .zip(&variants[..i])
            .find(|(e, ev)| !ev.unsure && can_both_hold(&e.when, &b.when));
        if let Some((e, ev)) = overlapping {
            r.push(
                Rule::Overlap,
                format!("{}/when", v.at),
                format!(
                    "a request with {} matches both this binding and the one at {} ({}): give them different values at a place both name",
                    joined(&b.when, &e.when),
                    ev.at,
                    e.label()
                ),
            );
        }
    }
}

/// Whether some request satisfies both sets of conditions: every place
/// both name wants the same value.
fn can_both_hold(a: &[Condition], b: &[Condition]) -> bool {
    a.iter().all(|x| {
        b.iter()
            .filter(|y| y.place.expr == x.place.expr)
            .all(|y| simple_text(&y.value) == simple_text(&x.value))
    })
}

/// The conditions of both, each place once, in words.
fn joined(a: &[Condition], b: &[Condition]) -> String {
    let mut labels: Vec<String> = Vec::new();
    for c in a.iter().chain(b) {
        let l = c.label();
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    labels.join(", ")
}

/// The response of a request no binding matches, where some binding has
/// conditions: `unsupported` as the bindings map it (they must agree),
/// else the lowest documented 4xx (else 400).
fn unsupported(
    bindings: &[Binding],
    at: &[String],
    op: &Operation,
    problems: &mut Vec<BindingProblem>,
) -> Option<OutcomeResponse> {
    if bindings.iter().all(|b| b.when.is_empty()) {
        return None;
    }
    let mut chosen: Option<(usize, OutcomeResponse)> = None;
    for (i, b) in bindings.iter().enumerate() {
        if !b.maps(OutcomeName::Unsupported) {
            continue;
        }
        let mapped = b.outcome(OutcomeName::Unsupported);
        match &chosen {
            None => chosen = Some((i, mapped)),
            Some((j, first)) if *first != mapped => problems.push(BindingProblem {
                at: format!("{}/outcomes/unsupported", at[i]),
                rule: Rule::OutcomeConflict,
                message: format!(
                    "`unsupported` maps to {} here but to {} at {}: a request no binding matches gets one answer",
                    mapped.status, first.status, at[*j]
                ),
                operation: Some(format!("{} {}", op.method, op.path)),
            }),
            Some(_) => {}
        }
    }
    let documented: Vec<u16> = op.statuses().collect();
    Some(chosen.map_or_else(
        || OutcomeResponse {
            status: default_status(OutcomeName::Unsupported, &documented).unwrap_or(400),
            example: None,
        },
        |(_, r)| r,
    ))
}

/// A binding's `when`: request places and the values they must hold,
/// each place declared by the operation and each value one its schema
/// allows.
fn read_when(
    r: &mut Reader<'_>,
    doc: &Value,
    at: &str,
    v: &Value,
    op: &Operation,
) -> Vec<Condition> {
    let Some(m) = r.object(at, v) else {
        return Vec::new();
    };
    if m.is_empty() {
        r.push(
            Rule::Malformed,
            at,
            "`when` names no condition (leave it out for a binding that answers every request)",
        );
    }
    let mut out = Vec::new();
    for (key, value) in m {
        let kat = format!("{at}/{}", esc(key));
        let Some(expr) = read_expr(r, &kat, key, true) else {
            continue;
        };
        if !matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
            r.push(
                Rule::Malformed,
                &kat,
                format!("the value of `{key}` must be a string, a number or a boolean"),
            );
            continue;
        }
        let before = r.problems.len();
        check_request_expr(r, doc, &kat, key, &expr, op);
        if r.problems.len() == before && !place_allows(doc, op, &expr, value) {
            r.push(
                Rule::Unreachable,
                &kat,
                format!(
                    "the schema of `{key}` does not allow {value}: no valid request matches this binding"
                ),
            );
        }
        out.push(Condition {
            place: Source { expr, scheme: None },
            value: value.clone(),
        });
    }
    out
}

/// Whether a request may carry `value` at `expr` by the operation's
/// schemas (a place without a schema takes anything).
fn place_allows(doc: &Value, op: &Operation, expr: &Expr, value: &Value) -> bool {
    match expr {
        Expr::RequestBody(ptr) => {
            let Some(body) = &op.request_body else {
                return true;
            };
            let schemas: Vec<&Value> = body
                .content
                .iter()
                .filter_map(|m| m.schema.as_ref().map(|s| &s.value))
                .collect();
            schemas.is_empty()
                || schemas
                    .iter()
                    .any(|s| schema_at_allows(doc, s, ptr.tokens(), value, 0))
        }
        e => {
            let Some((loc, name)) = e.request_place() else {
                return true;
            };
            op.parameters
                .iter()
                .find(|p| p.location == loc && crate::operation::same_place(loc, &p.name, name))
                .and_then(|p| p.schema.as_ref())
                .is_none_or(|s| allows(doc, &s.value, value, 0))
        }
    }
}

/// Whether the schema admits `value` at the path `tokens` (through
/// properties, items, alternatives and `additionalProperties`; a path the
/// schema leaves open admits anything).
fn schema_at_allows(
    doc: &Value,
    schema: &Value,
    tokens: &[String],
    value: &Value,
    depth: usize,
) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    let Ok((_, schema)) = resolve(doc, String::new(), schema) else {
        return true;
    };
    let Some((first, rest)) = tokens.split_first() else {
        return allows(doc, schema, value, depth);
    };
    let mut reached = false;
    for key in ["allOf", "anyOf", "oneOf"] {
        for s in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if schema_has(doc, s, tokens, depth + 1) {
                reached = true;
                if schema_at_allows(doc, s, tokens, value, depth + 1) {
                    return true;
                }
            }
        }
    }
    let property = schema
        .get("properties")
        .and_then(Value::as_object)
        .and_then(|p| p.get(first));
    let items = schema
        .get("items")
        .filter(|_| first.parse::<usize>().is_ok());
    let additional = schema.get("additionalProperties").filter(|a| a.is_object());
    for s in [property, items, additional].into_iter().flatten() {
        reached = true;
        if schema_at_allows(doc, s, rest, value, depth + 1) {
            return true;
        }
    }
    !reached
}

/// Whether a schema admits a scalar `value`, compared as the request
/// carries it (text, for forms and parameters): `const`, `enum`, `type`,
/// `pattern`, through `allOf` (all) and `anyOf`/`oneOf` (any).
fn allows(doc: &Value, schema: &Value, value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    let Ok((_, schema)) = resolve(doc, String::new(), schema) else {
        return true;
    };
    let text = simple_text(value);
    let same = |v: &Value| v == value || simple_text(v) == text;
    if schema.get("const").is_some_and(|c| !same(c)) {
        return false;
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.iter().any(same) {
            return false;
        }
    }
    let typed = |t: &str| match t {
        "integer" => text.parse::<i64>().is_ok(),
        "number" => text.parse::<f64>().is_ok(),
        "boolean" => text == "true" || text == "false",
        "string" | "null" => true,
        _ => false,
    };
    let type_ok = match schema.get("type") {
        Some(Value::String(t)) => typed(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(typed),
        _ => true,
    };
    if !type_ok {
        return false;
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        if regex::Regex::new(p).is_ok_and(|re| !re.is_match(&text)) {
            return false;
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        if !all.iter().all(|s| allows(doc, s, value, depth + 1)) {
            return false;
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(any) = schema.get(key).and_then(Value::as_array) {
            if !any.iter().any(|s| allows(doc, s, value, depth + 1)) {
                return false;
            }
        }
    }
    true
}

/// A response expression read at a place (checked against the success
/// response).
type ResponseReader<'a> = dyn Fn(&mut Reader<'_>, String, &Value) -> Option<Expr> + 'a;

/// An object of response places (`issue`, `introspection`) at `at`: each
/// of `fields` read by `response`, `None` where it is absent.
fn response_places<const N: usize>(
    r: &mut Reader<'_>,
    at: &str,
    v: Option<&Value>,
    fields: &[&str; N],
    response: &ResponseReader<'_>,
) -> [Option<Expr>; N] {
    let mut out = std::array::from_fn(|_| None);
    let Some(m) = v.and_then(|v| r.object(at, v)) else {
        return out;
    };
    r.known(at, m, fields);
    for (slot, k) in out.iter_mut().zip(fields) {
        *slot = m.get(*k).and_then(|v| response(r, format!("{at}/{k}"), v));
    }
    out
}

/// A binding's `client`: `auth` (how it authenticates) and, for the body
/// methods, where its id and secret are (RFC 6749's `client_id` and
/// `client_secret` body fields by default).
fn read_client(
    r: &mut Reader<'_>,
    doc: &Value,
    at: &str,
    v: &Value,
    op: &Operation,
) -> Option<ClientBinding> {
    let m = r.object(at, v)?;
    r.known(at, m, &CLIENT_BINDING_FIELDS);
    let method = match m.get("auth").map(Value::as_str) {
        Some(Some(a)) => {
            let method = ClientAuthMethod::parse(a);
            if method.is_none() {
                r.push(
                    Rule::ExpressionInvalid,
                    format!("{at}/auth"),
                    format!(
                        "unknown client authentication `{a}` (expected one of: {})",
                        ClientAuthMethod::ALL
                            .map(ClientAuthMethod::as_str)
                            .join(", ")
                    ),
                );
            }
            method?
        }
        Some(None) => {
            r.push(Rule::Malformed, format!("{at}/auth"), "must be a string");
            return None;
        }
        None => {
            r.push(
                Rule::MissingField,
                format!("{at}/auth"),
                "a client needs `auth`",
            );
            return None;
        }
    };
    let place = |r: &mut Reader<'_>, k: &str, default: &str| -> Option<Source> {
        let pat = format!("{at}/{k}");
        let written = m.get(k).cloned();
        let v = written.clone().unwrap_or_else(|| Value::from(default));
        let s = read_source(r, &pat, &v)?;
        let text = v
            .get("from")
            .unwrap_or(&v)
            .as_str()
            .unwrap_or_default()
            .to_owned();
        check_request_expr(r, doc, &pat, &text, &s.expr, op);
        Some(s)
    };
    let (id, secret) = match method {
        ClientAuthMethod::ClientSecretBasic => {
            if !op.declares(Location::Header, "authorization") {
                r.push(
                    Rule::Unresolved,
                    format!("{at}/auth"),
                    "`client_secret_basic` reads `Authorization`, which no security scheme of the operation declares (add an http basic scheme)",
                );
            }
            (None, None)
        }
        ClientAuthMethod::ClientSecretPost => (
            place(r, "id", "$request.body#/client_id"),
            place(r, "secret", "$request.body#/client_secret"),
        ),
        ClientAuthMethod::None => (place(r, "id", "$request.body#/client_id"), None),
    };
    Some(ClientBinding { method, id, secret })
}

/// The code-flow parts of a binding: the request places of a code
/// exchange (defaults where not written), and what an `authorize`
/// operation must declare. Other actions may not name the exchange's
/// places.
fn read_code_flow(
    r: &mut Reader<'_>,
    doc: &Value,
    at: &str,
    m: &Map<String, Value>,
    op: &Operation,
    action: ActionKind,
) -> Option<CodePlaces> {
    if action == ActionKind::Authorize {
        check_authorize(r, doc, at, op);
    }
    if action != ActionKind::ExchangeCode {
        for (k, _) in CODE_PLACES.iter().filter(|(k, _)| m.contains_key(*k)) {
            r.push(
                Rule::UnknownField,
                format!("{at}/{k}"),
                format!(
                    "only `exchange-code` reads `{k}`, not `{}`",
                    action.as_str()
                ),
            );
        }
        return None;
    }
    if !m.contains_key("client") {
        // RFC 6749 section 4.1.3: the client the code was issued to
        // authenticates, or names itself (`none`).
        r.push(
            Rule::MissingField,
            format!("{at}/client"),
            "action `exchange-code` needs `client`",
        );
    }
    let mut place = |k: &str, default: &str| -> Option<Source> {
        let pat = format!("{at}/{k}");
        match m.get(k) {
            Some(v) => {
                let s = read_source(r, &pat, v)?;
                let text = v.get("from").unwrap_or(v).as_str().unwrap_or_default();
                check_request_expr(r, doc, &pat, text, &s.expr, op);
                Some(s)
            }
            // The RFC's own field: read where sent, never a load error.
            None => read_source(r, &pat, &Value::from(default)),
        }
    };
    let [code, redirect_uri, verifier] = CODE_PLACES.map(|(k, default)| place(k, default));
    Some(CodePlaces {
        code: code?,
        redirect_uri: redirect_uri?,
        verifier: verifier?,
    })
}

/// An `authorize` operation documents its redirect and declares the
/// parameters of RFC 6749 section 4.1.1 it cannot do without.
fn check_authorize(r: &mut Reader<'_>, doc: &Value, at: &str, op: &Operation) {
    if !AUTHORIZE_REDIRECTS
        .iter()
        .any(|s| op.response(*s).is_some())
    {
        r.push(
            Rule::NoSuccessResponse,
            at,
            "an `authorize` operation must document its redirect (302 or 303)",
        );
    }
    let in_body = op.request_body.is_some();
    for name in AUTHORIZE_PARAMETERS {
        let text = if in_body {
            format!("$request.body#/{name}")
        } else {
            format!("$request.query.{name}")
        };
        if let Some(e) = Expr::parse(&text) {
            check_request_expr(r, doc, at, &text, &e, op);
        }
    }
}

/// A client's `redirectUris`: absolute URIs without a fragment (RFC 6749
/// section 3.1.2).
fn read_redirect_uris(r: &mut Reader<'_>, at: &str, v: &Value) -> Vec<String> {
    let Some(list) = v.as_array() else {
        r.push(Rule::AccountInvalid, at, "must be a list of absolute URIs");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, u) in list.iter().enumerate() {
        let uri = u.as_str().filter(|u| {
            let scheme = u.split_once("://").map(|(s, _)| s);
            scheme.is_some_and(|s| !s.is_empty()) && !u.contains('#')
        });
        match uri {
            Some(uri) => out.push(uri.to_owned()),
            None => r.push(
                Rule::AccountInvalid,
                format!("{at}/{i}"),
                format!("must be an absolute URI without a fragment, not {u}"),
            ),
        }
    }
    out
}

/// `tokens.jwks`: an `http(s)` URL or an absolute path.
fn check_jwks_location(r: &mut Reader<'_>, at: &str, place: &str) {
    let url = place.starts_with("http://") || place.starts_with("https://");
    if !url && !place.starts_with('/') {
        r.push(
            Rule::PolicyInvalid,
            at,
            format!("`jwks` must be an http(s) URL or a path starting with `/`, not `{place}`"),
        );
    }
}

fn read_source(r: &mut Reader<'_>, at: &str, v: &Value) -> Option<Source> {
    let (text, scheme) = match v {
        Value::String(s) => (s.as_str(), None),
        Value::Object(o) => {
            r.known(at, o, &SOURCE_OBJECT_FIELDS);
            let scheme = match o.get("scheme") {
                None => None,
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(_) => {
                    r.push(
                        Rule::Malformed,
                        format!("{at}/scheme"),
                        "must be a non-empty string",
                    );
                    None
                }
            };
            let Some(from) = o.get("from").and_then(Value::as_str) else {
                r.push(
                    Rule::ExpressionInvalid,
                    format!("{at}/from"),
                    "must be a runtime expression",
                );
                return None;
            };
            (from, scheme)
        }
        _ => {
            r.push(
                Rule::ExpressionInvalid,
                at,
                "must be a runtime expression or {from, scheme}",
            );
            return None;
        }
    };
    let expr = read_expr(r, at, text, true)?;
    Some(Source { expr, scheme })
}

/// Parse `text` as a request (or response) expression.
fn read_expr(r: &mut Reader<'_>, at: &str, text: &str, request: bool) -> Option<Expr> {
    let Some(e) = Expr::parse(text) else {
        r.push(
            Rule::ExpressionInvalid,
            at,
            format!("`{text}` is not a supported runtime expression"),
        );
        return None;
    };
    if e.is_request() != request {
        let wanted = if request {
            "must read the request ($request...)"
        } else {
            "must name the response ($response...)"
        };
        r.push(Rule::ExpressionInvalid, at, format!("`{text}` {wanted}"));
        return None;
    }
    Some(e)
}

fn read_response_expr(r: &mut Reader<'_>, at: &str, v: &Value) -> Option<Expr> {
    let Some(text) = v.as_str() else {
        r.push(Rule::ExpressionInvalid, at, "must be a runtime expression");
        return None;
    };
    read_expr(r, at, text, false)
}

/// `text` is the expression as written (for messages).
fn check_request_expr(
    r: &mut Reader<'_>,
    doc: &Value,
    at: &str,
    text: &str,
    e: &Expr,
    op: &Operation,
) {
    if let Expr::RequestBody(ptr) = e {
        let Some(body) = &op.request_body else {
            r.push(
                Rule::Unresolved,
                at,
                format!("`{text}`: the operation has no request body"),
            );
            return;
        };
        if !content_has(doc, &body.content, ptr) {
            r.push(
                Rule::Unresolved,
                at,
                format!("`{text}` points outside the request body schema (no `{ptr}`)"),
            );
        }
        return;
    }
    let Some((loc, name)) = e.request_place() else {
        return;
    };
    if !op.declares(loc, name) {
        let written = text.rsplit_once(&format!("{}.", loc.as_str()));
        let name = written.map_or(name, |(_, n)| n);
        r.push(
            Rule::Unresolved,
            at,
            format!(
                "`{text}`: the operation declares no {} parameter `{name}`",
                loc.as_str()
            ),
        );
    }
}

/// `text` is the expression as written (for messages).
fn check_response_expr(
    r: &mut Reader<'_>,
    doc: &Value,
    at: &str,
    text: &str,
    e: &Expr,
    op: &Operation,
    success: u16,
) {
    let Some(resp) = op.response(success) else {
        return;
    };
    let problem = match e {
        Expr::ResponseBody(ptr) => (!content_has(doc, &resp.content, ptr))
            .then(|| format!("`{text}` points outside the {success} response schema (no `{ptr}`)")),
        Expr::ResponseHeader(name) => (!resp.headers.iter().any(|h| &h.name == name))
            .then(|| format!("`{text}`: the {success} response documents no such header")),
        _ => None,
    };
    if let Some(message) = problem {
        r.push(Rule::Unresolved, at, message);
    }
}

/// Whether some media type's schema can hold a value at `ptr`.
fn content_has(doc: &Value, content: &[MediaType], ptr: &Pointer) -> bool {
    content.iter().any(|m| {
        m.schema
            .as_ref()
            .is_some_and(|s| schema_has(doc, &s.value, ptr.tokens(), 0))
    })
}

/// How deep a body pointer is followed through schemas; deeper paths are
/// taken on trust.
const MAX_DEPTH: usize = 64;

/// Whether a schema can hold a value at the path `tokens`: through
/// properties, items, alternatives, `additionalProperties`, or an object
/// schema that leaves its properties open.
fn schema_has(doc: &Value, schema: &Value, tokens: &[String], depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    let schema = match resolve(doc, String::new(), schema) {
        Ok((_, s)) => s,
        Err(_) => return false,
    };
    let Some((first, rest)) = tokens.split_first() else {
        return true;
    };
    let mut alternatives = false;
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            alternatives = true;
            if list.iter().any(|s| schema_has(doc, s, tokens, depth + 1)) {
                return true;
            }
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    if let Some(p) = properties.and_then(|p| p.get(first)) {
        if schema_has(doc, p, rest, depth + 1) {
            return true;
        }
    }
    let items = schema.get("items");
    if first.parse::<usize>().is_ok() {
        if let Some(items) = items {
            if schema_has(doc, items, rest, depth + 1) {
                return true;
            }
        }
    }
    match schema.get("additionalProperties") {
        Some(ap @ Value::Object(_)) => schema_has(doc, ap, rest, depth + 1),
        Some(Value::Bool(false)) => false,
        // A free-form object (no properties, items or alternatives) holds
        // any path.
        _ => {
            let object_like = match schema.get("type") {
                None => true,
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                Some(_) => false,
            };
            object_like && properties.is_none_or(Map::is_empty) && items.is_none() && !alternatives
        }
    }
}

type Outcomes = (BTreeMap<OutcomeName, OutcomeResponse>, Vec<OutcomeName>);

/// The default status of `missing` where it is not `default_status`'s: a
/// revocation that ignores invalid tokens answers a request without one
/// with its success too, unless the binding maps `missing` (RFC 7009
/// servers answer it `invalid_request`).
fn missing_default(action: ActionKind, policy: &Policy, success: Option<u16>) -> Option<u16> {
    let revocation = matches!(
        action,
        ActionKind::Revoke | ActionKind::RevokeAll | ActionKind::RevokeToken
    );
    success.filter(|_| revocation && policy.revoke_ignores_invalid_tokens)
}

/// `defaults`: the success status, and the default of `missing` where it
/// is not [`default_status`]'s.
fn read_outcomes(
    r: &mut Reader<'_>,
    at: &str,
    v: Option<&Value>,
    op: &Operation,
    defaults: (Option<u16>, Option<u16>),
) -> Outcomes {
    let (success, missing) = defaults;
    let documented: Vec<u16> = op.statuses().collect();
    let mut out = BTreeMap::new();
    for name in OutcomeName::MAPPED {
        let status = match name {
            OutcomeName::Success => success.unwrap_or(200),
            OutcomeName::Missing if missing.is_some() => missing.unwrap_or(200),
            _ => default_status(name, &documented).unwrap_or(401),
        };
        out.insert(
            name,
            OutcomeResponse {
                status,
                example: None,
            },
        );
    }
    let mut explicit = Vec::new();
    let Some(v) = v else {
        return (out, explicit);
    };
    let oat = format!("{at}/outcomes");
    let Some(m) = r.object(&oat, v) else {
        return (out, explicit);
    };
    let known = OutcomeName::ALL.map(OutcomeName::as_str);
    r.known(&oat, m, &known);
    for (name, spec) in m {
        let Some(key) = OutcomeName::parse(name) else {
            continue;
        };
        let at = format!("{oat}/{}", esc(name));
        let (status, example) = match spec {
            Value::Number(n) => (n.as_u64(), None),
            Value::Object(o) => {
                r.known(&at, o, &OUTCOME_FIELDS);
                let ex = match o.get("example") {
                    None => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(_) => {
                        r.push(
                            Rule::Malformed,
                            format!("{at}/example"),
                            "must be an example name",
                        );
                        None
                    }
                };
                (o.get("status").and_then(Value::as_u64), ex)
            }
            _ => (None, None),
        };
        let Some(status) = status
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..600).contains(s))
        else {
            r.push(
                Rule::ExpressionInvalid,
                &at,
                "must be a status or {status, example}",
            );
            continue;
        };
        let Some(resp) = op.response(status) else {
            r.push(
                Rule::OutcomeUndocumented,
                &at,
                format!(
                    "outcome `{name}` maps to status {status}, which the operation does not document"
                ),
            );
            continue;
        };
        if let Some(ex) = &example {
            let known = resp
                .content
                .iter()
                .any(|m| m.examples.iter().any(|(n, _)| n == ex));
            if !known {
                r.push(
                    Rule::OutcomeUndocumented,
                    format!("{at}/example"),
                    format!("the {status} response has no example named `{ex}`"),
                );
                continue;
            }
        }
        out.insert(key, OutcomeResponse { status, example });
        explicit.push(key);
    }
    (out, explicit)
}
