//! The `x-token-lifecycle` vocabulary (see `docs/bindings.md`): actions,
//! locations, outcomes and the root policy with its defaults.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::doc::{Doc, Node};

/// The extension's key.
pub(crate) const KEY: &str = "x-token-lifecycle";

/// Every known action.
pub(crate) const ACTIONS: [&str; 6] = [
    "login",
    "refresh",
    "logout",
    "revoke",
    "revoke-all",
    "protected",
];

/// Request-side fields of a binding.
pub(crate) const REQUEST_FIELDS: [&str; 4] =
    ["username", "password", "accessToken", "refreshToken"];

/// Fields under `issue`.
pub(crate) const ISSUE_FIELDS: [&str; 4] = [
    "accessToken",
    "refreshToken",
    "expiresIn",
    "refreshExpiresIn",
];

/// Outcome names.
pub(crate) const OUTCOMES: [&str; 10] = [
    "success",
    "invalidCredentials",
    "missing",
    "expired",
    "invalid",
    // Finer names for `invalid`; unmapped, they get `invalid`'s status.
    "unknown",
    "wrongKind",
    "spent",
    "revoked",
    "ended",
];

/// Every field an operation binding may have.
pub(crate) const BINDING_FIELDS: [&str; 8] = [
    "action",
    "username",
    "password",
    "accessToken",
    "refreshToken",
    "issue",
    "subject",
    "outcomes",
];

/// Fields of the root extension.
pub(crate) const ROOT_FIELDS: [&str; 2] = ["accounts", "policy"];

/// Fields of the root policy.
pub(crate) const POLICY_FIELDS: [&str; 7] = [
    "accessTokenTtl",
    "refreshTokenTtl",
    "refreshSingleUse",
    "reuseEndsSession",
    "logoutEnds",
    "revokeAlwaysSucceeds",
    "rotateOnRefresh",
];

/// The request fields an action cannot do without.
pub(crate) fn needed(action: &str) -> &'static [&'static str] {
    match action {
        "login" => &["username", "password"],
        "refresh" | "revoke" => &["refreshToken"],
        "logout" | "protected" => &["accessToken"],
        _ => &[],
    }
}

/// A parsed runtime expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// `$request.body#/pointer`
    RequestBody(String),
    /// `$request.header.NAME`, `$request.query.NAME`, `$request.path.NAME`,
    /// `$request.cookie.NAME`: the location (`header`...) and the name.
    RequestParam(String, String),
    /// `$response.body#/pointer`
    ResponseBody(String),
    /// `$response.header.NAME`
    ResponseHeader(String),
}

impl Expr {
    /// Parses an expression; `None` when it does not parse.
    pub fn parse(s: &str) -> Option<Expr> {
        if let Some(p) = s.strip_prefix("$request.body") {
            return body_pointer(p).map(Expr::RequestBody);
        }
        if let Some(p) = s.strip_prefix("$response.body") {
            return body_pointer(p).map(Expr::ResponseBody);
        }
        if let Some(name) = s.strip_prefix("$response.header.") {
            return (!name.is_empty()).then(|| Expr::ResponseHeader(name.to_owned()));
        }
        let rest = s.strip_prefix("$request.")?;
        let (loc, name) = rest.split_once('.')?;
        if name.is_empty() || !matches!(loc, "header" | "query" | "path" | "cookie") {
            return None;
        }
        Some(Expr::RequestParam(loc.to_owned(), name.to_owned()))
    }

    /// A comparable form: header names lowercased.
    fn canonical(&self) -> String {
        match self {
            Expr::RequestBody(p) => format!("$request.body#{p}"),
            Expr::ResponseBody(p) => format!("$response.body#{p}"),
            Expr::ResponseHeader(n) => format!("$response.header.{}", n.to_ascii_lowercase()),
            Expr::RequestParam(loc, n) if loc == "header" => {
                format!("$request.header.{}", n.to_ascii_lowercase())
            }
            Expr::RequestParam(loc, n) => format!("$request.{loc}.{n}"),
        }
    }
}

fn body_pointer(p: &str) -> Option<String> {
    if p.is_empty() {
        return Some(String::new());
    }
    let ptr = p.strip_prefix('#')?;
    (ptr.is_empty() || ptr.starts_with('/')).then(|| ptr.to_owned())
}

/// A binding location: an expression, optionally with a scheme word.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    /// The expression text as written.
    pub from: String,
    /// The scheme (`Bearer`), if any.
    pub scheme: Option<String>,
}

impl Location {
    /// Reads a location: a string, or `{from, scheme}`.
    pub fn read(v: &Value) -> Option<Location> {
        match v {
            Value::String(s) => Some(Location {
                from: s.clone(),
                scheme: None,
            }),
            Value::Object(m) => Some(Location {
                from: m.get("from")?.as_str()?.to_owned(),
                scheme: m.get("scheme").and_then(Value::as_str).map(str::to_owned),
            }),
            _ => None,
        }
    }

    /// A comparable form: case-insensitive parts lowercased.
    pub fn canonical(&self) -> String {
        let expr = Expr::parse(&self.from).map_or_else(|| self.from.clone(), |e| e.canonical());
        match &self.scheme {
            Some(s) => format!("{expr} ({})", s.to_ascii_lowercase()),
            None => expr,
        }
    }

    /// For messages.
    pub fn show(&self) -> String {
        match &self.scheme {
            Some(s) => format!("{} ({s})", self.from),
            None => self.from.clone(),
        }
    }
}

/// The root policy with the defaults of `docs/bindings.md` filled in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Policy {
    pub access_ttl: f64,
    pub refresh_ttl: f64,
    pub single_use: bool,
    pub reuse_ends: bool,
    pub logout_ends: String,
    pub revoke_always: bool,
    pub rotate: bool,
}

impl Policy {
    /// The policy of a document.
    pub fn of(doc: Doc<'_>) -> Policy {
        let node = doc.node().get(KEY).and_then(|r| r.get("policy"));
        let empty = Value::Null;
        let v = node.as_ref().map_or(&empty, |n| n.v);
        let num = |k: &str, d: f64| v.get(k).and_then(Value::as_f64).unwrap_or(d);
        let flag = |k: &str, d: bool| v.get(k).and_then(Value::as_bool).unwrap_or(d);
        let single_use = flag("refreshSingleUse", true);
        let policy = Policy {
            access_ttl: num("accessTokenTtl", 3600.0),
            refresh_ttl: num("refreshTokenTtl", 86400.0),
            single_use,
            reuse_ends: flag("reuseEndsSession", true),
            logout_ends: v
                .get("logoutEnds")
                .and_then(Value::as_str)
                .unwrap_or("session")
                .to_owned(),
            revoke_always: flag("revokeAlwaysSucceeds", true),
            rotate: flag("rotateOnRefresh", single_use),
        };
        policy
    }
}

/// The status an outcome maps to: the binding's `outcomes` entry, else the
/// default of `docs/bindings.md`. `statuses` are the documented response
/// keys (uppercase, as `diff::response::statuses` gives them).
pub(crate) fn outcome_status(
    binding: &Node<'_>,
    statuses: &[String],
    outcome: &str,
) -> Option<String> {
    let explicit = binding
        .v
        .get("outcomes")
        .and_then(|o| o.get(outcome))
        .and_then(|o| {
            let s = o.get("status").unwrap_or(o);
            match s {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) => Some(s.to_ascii_uppercase()),
                _ => None,
            }
        });
    if explicit.is_some() {
        return explicit;
    }
    if OUTCOMES[5..].contains(&outcome) {
        return outcome_status(binding, statuses, "invalid");
    }
    let mut sorted: Vec<&String> = statuses.iter().collect();
    sorted.sort();
    if outcome == "success" {
        return sorted.into_iter().find(|s| s.starts_with('2')).cloned();
    }
    if statuses.iter().any(|s| s == "401") {
        return Some("401".to_owned());
    }
    sorted.into_iter().find(|s| s.starts_with('4')).cloned()
}

/// The binding's locations by field name (`refreshToken`,
/// `issue.accessToken`, `subject`), with their pointers.
pub(crate) fn locations<'a>(binding: &Node<'a>) -> BTreeMap<String, (Location, String)> {
    let mut out = BTreeMap::new();
    for field in REQUEST_FIELDS {
        if let Some(n) = binding.get(field) {
            if let Some(loc) = Location::read(n.v) {
                out.insert(field.to_owned(), (loc, n.ptr));
            }
        }
    }
    if let Some(issue) = binding.get("issue") {
        for field in ISSUE_FIELDS {
            if let Some(n) = issue.get(field) {
                if let Some(loc) = Location::read(n.v) {
                    out.insert(format!("issue.{field}"), (loc, n.ptr));
                }
            }
        }
    }
    if let Some(n) = binding.get("subject") {
        if let Some(loc) = Location::read(n.v) {
            out.insert("subject".to_owned(), (loc, n.ptr));
        }
    }
    out
}
