//! A checked request as the answers read it: its headers, and the value at
//! a binding's source (token, credential), read by `openapi::request`,
//! the one reader the conformance proxy uses too.

use poem::http::HeaderMap;
use serde_json::Value;

use openapi::binding::Source;
use openapi::expr::Expr;

use crate::request::{Incoming, Parsed};

/// A request that passed its checks: what was sent, and what was parsed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sent<'a> {
    /// The raw parts.
    pub(crate) incoming: &'a Incoming<'a>,
    /// The body, query and cookies, decoded.
    pub(crate) parsed: &'a Parsed,
}

impl<'a> Sent<'a> {
    /// A header's value, if it is visible ASCII.
    pub(crate) fn header(&self, name: &str) -> Option<&'a str> {
        header(self.incoming.headers, name)
    }

    /// What the request carries at `source`, its scheme (`Bearer `)
    /// stripped; `None` where it carries nothing there.
    pub(crate) fn source(&self, source: &Source) -> Option<String> {
        let raw = self.text(&source.expr)?;
        Some(source.strip(&raw).to_owned())
    }

    /// The text the request carries at `expr` (see
    /// `openapi::request::Incoming::text`).
    pub(crate) fn text(&self, expr: &Expr) -> Option<String> {
        self.incoming.shared(|i| i.text(self.parsed, expr))
    }

    /// The value the request carries at `expr`, as a binding's `when`
    /// compares it: a body value as parsed (typed by the schema), a
    /// parameter or header as its text.
    pub(crate) fn value(&self, expr: &Expr) -> Option<Value> {
        self.incoming.shared(|i| i.value(self.parsed, expr))
    }
}

/// A header's value, if it is visible ASCII.
pub(crate) fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
