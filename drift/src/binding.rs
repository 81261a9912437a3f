//! What the diff reads of `x-token-lifecycle` in a raw document: binding
//! locations and outcome statuses. Every name, default and expression rule
//! comes from [`openapi::vocabulary`], the one reader of the vocabulary.

use std::collections::BTreeMap;

use openapi::expr::Expr;
use openapi::model::OutcomeName;
use openapi::vocabulary::{default_status, ISSUE_FIELDS, SOURCE_FIELDS};
use serde_json::Value;

use crate::doc::Node;

pub(crate) use openapi::vocabulary::EXTENSION as KEY;

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
        let expr = Expr::parse(&self.from).map_or_else(|| self.from.clone(), |e| e.to_string());
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

/// The status an outcome maps to: the binding's `outcomes` entry, else the
/// default of [`default_status`] (a detail of `invalid` unmapped gets
/// `invalid`'s). `statuses` are the documented response keys (uppercase,
/// as `diff::response::statuses` gives them).
pub(crate) fn outcome_status(
    binding: &Node<'_>,
    statuses: &[String],
    outcome: OutcomeName,
) -> Option<String> {
    let explicit = binding
        .v
        .get("outcomes")
        .and_then(|o| o.get(outcome.as_str()))
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
    if let Some(fallback) = outcome.fallback() {
        return outcome_status(binding, statuses, fallback);
    }
    let documented: Vec<u16> = statuses.iter().filter_map(|s| s.parse().ok()).collect();
    default_status(outcome, &documented).map(|s| s.to_string())
}

/// The binding's locations by field name (`refreshToken`,
/// `issue.accessToken`, `subject`), with their pointers.
pub(crate) fn locations<'a>(binding: &Node<'a>) -> BTreeMap<String, (Location, String)> {
    let mut out = BTreeMap::new();
    for field in SOURCE_FIELDS {
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
