//! A checked request as the answers read it: its headers, and the value at
//! a binding's source (token, credential).

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
        let raw = self.expr(&source.expr)?;
        Some(source.strip(&raw).to_owned())
    }

    /// The value the request carries at `expr`, as a binding's `when`
    /// compares it: a body value as parsed (typed by the schema), a
    /// parameter or header as its text.
    pub(crate) fn value(&self, expr: &Expr) -> Option<Value> {
        match expr {
            Expr::RequestBody(ptr) => ptr.get(self.parsed.body.as_ref()?).cloned(),
            other => self.expr(other).map(Value::String),
        }
    }

    fn expr(&self, expr: &Expr) -> Option<String> {
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let named = |pairs: &[(String, String)], name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let parsed = self.parsed;
        match expr {
            Expr::RequestBody(ptr) => ptr.get(parsed.body.as_ref()?).and_then(text),
            // Lossy: a token with non-ASCII bytes is a (wrong) token, not none.
            Expr::RequestHeader(name) => self
                .incoming
                .headers
                .get(name.as_str())
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            Expr::RequestQuery(name) => named(&parsed.query, name),
            Expr::RequestPath(name) => named(self.incoming.path_params, name),
            Expr::RequestCookie(name) => named(&parsed.cookies, name),
            Expr::ResponseBody(_) | Expr::ResponseHeader(_) => None,
        }
    }
}

/// A header's value, if it is visible ASCII.
pub(crate) fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
