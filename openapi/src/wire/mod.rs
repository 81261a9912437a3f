//! How values travel in HTTP requests: the one codec of the workspace.
//!
//! The conformance suite *builds* requests with it ([`Builder`]: parameter
//! styles and `explode` for every location, percent-encoding, JSON, form and
//! multipart bodies, the wildcard media rule), the mock *parses* them back
//! with it ([`Received`], [`parse_body`]: raw text to JSON values typed by
//! the schema; problems are [`FieldError`]s, located as the mock reports
//! them), and the robustness tool builds its requests with it too. So
//! the two ends cannot disagree about how a value is written.
//!
//! The codec knows no HTTP library: a [`Request`] is plain data, and the
//! server side hands over its headers through the small [`Headers`] trait.
//!
//! Parsing is lenient where clients differ: text is percent-decoded before
//! it is split at a style's delimiters (`ids=1%2C2` is the array `[1, 2]`,
//! as `URLSearchParams` writes it). A delimiter inside one item of an array
//! or object can therefore not be told from a delimiter; OpenAPI's styles do
//! not escape them either.

mod build;
mod encoding;
mod multipart;
mod parse;

use serde_json::Value;

use crate::expr::Expr;
use crate::operation::same_place;
use crate::problem::FieldError;
use crate::spec::{resolve, Parameter};
use crate::{LoadError, Spec};

pub use build::{preferred_media, sendable_media, Builder, Encoding};
pub use encoding::{cookie_pairs, query_pairs, Component};
pub use parse::{parse_body, read_back, read_back_body, Headers, Pairs, Received};

/// A request to send, or as sent: no HTTP library types.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Request {
    /// Uppercase method.
    pub method: String,
    /// The path, already encoded (`/refresh-tokens/abc`).
    pub path: String,
    /// Query pairs (not yet encoded).
    pub query: Vec<(String, String)>,
    /// Headers (the `Cookie` header included), as sent.
    pub headers: Vec<(String, String)>,
    /// Media type (with its parameters, such as a multipart boundary) and
    /// bytes.
    pub body: Option<(String, Vec<u8>)>,
}

impl Request {
    /// A request without query, headers or body.
    pub fn new(method: &str, path: &str) -> Request {
        Request {
            method: method.to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// The query string as sent, without `?` (empty without a query).
    pub fn query_string(&self) -> String {
        self.query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    Component::Query.encode(k),
                    Component::Query.encode(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Path and query as sent.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query_string())
        }
    }
}

/// A problem with a request at `location` (a runtime expression such as
/// `$request.header.x-auth-token` or `$request.body#/refreshToken`), as the
/// mock reports it.
pub fn field_error(location: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        location: location.into(),
        message: message.into(),
    }
}

/// The runtime expression of a parameter (`$request.query.page`).
pub fn location_of(p: &Parameter) -> String {
    format!("$request.{}.{}", p.location.as_str(), p.name)
}

/// A required parameter that is not there.
pub fn missing(p: &Parameter) -> FieldError {
    field_error(
        location_of(p),
        format!("required {} parameter is missing", p.location.as_str()),
    )
}

/// Whether `expr` names the parameter `p`'s place (header names compare
/// case-insensitively).
pub fn names_parameter(expr: &Expr, p: &Parameter) -> bool {
    expr.request_place().is_some_and(|(location, name)| {
        location == p.location && same_place(location, name, &p.name)
    })
}

/// Every violation of the schema at `pointer` by `value`, located under
/// `at` (`$request.body#` gives `$request.body#/refreshToken`).
pub fn violations(
    spec: &Spec,
    pointer: &str,
    value: &Value,
    at: &str,
) -> Result<Vec<FieldError>, LoadError> {
    Ok(spec
        .schemas()
        .validate(pointer, value)?
        .into_iter()
        .map(|v| field_error(format!("{at}{}", v.path), v.message))
        .collect())
}

/// Whether a response with this status never carries a body (RFC 9110):
/// 1xx, 204 and 304.
pub fn bodiless_status(status: u16) -> bool {
    status < 200 || status == 204 || status == 304
}

/// The `Authorization` value of HTTP Basic client authentication
/// (RFC 6749 section 2.3.1): the id and the secret each form-encoded, then
/// `id:secret` in base64.
pub fn basic_authorization(id: &str, secret: &str) -> String {
    use base64::Engine;
    let pair = format!(
        "{}:{}",
        Component::Form.encode(id),
        Component::Form.encode(secret)
    );
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The client id and secret of an HTTP Basic `Authorization` value, read
/// as [`basic_authorization`] writes them; `None` when it is not Basic or
/// not well formed.
pub fn basic_credentials(value: &str) -> Option<(String, String)> {
    use base64::Engine;
    let (word, rest) = value.trim().split_once(' ')?;
    if !word.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((Component::Form.decode(id), Component::Form.decode(secret)))
}

/// Whether a response to `method` with `status` carries no body: a
/// [bodiless status](bodiless_status), or any answer to `HEAD`.
pub fn bodiless(method: &str, status: u16) -> bool {
    method.eq_ignore_ascii_case("HEAD") || bodiless_status(status)
}

/// A schema with its own top-level `$ref` followed (itself when the `$ref`
/// leads nowhere; loading has already reported that).
pub(crate) fn resolved<'d>(doc: &'d Value, schema: &'d Value) -> &'d Value {
    resolve(doc, String::new(), schema)
        .map(|(_, s)| s)
        .unwrap_or(schema)
}

/// The JSON type a schema describes, for coercing text: its `type` (the
/// first that is not `null`), else `object` or `array` by their keywords.
pub(crate) fn schema_type(s: &Value) -> &str {
    match s.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ if s.get("properties").is_some() => "object",
        _ if s.get("items").is_some() => "array",
        _ => "",
    }
}

/// A property's schema, resolved.
pub(crate) fn property<'d>(doc: &'d Value, object: &'d Value, name: &str) -> Option<&'d Value> {
    object
        .get("properties")
        .and_then(|ps| ps.get(name))
        .map(|s| resolved(doc, s))
}

/// An array schema's items, resolved.
pub(crate) fn items<'d>(doc: &'d Value, array: &'d Value) -> Option<&'d Value> {
    array.get("items").map(|s| resolved(doc, s))
}

#[cfg(test)]
mod tests {
    #[test]
    fn basic_client_credentials_round_trip() {
        for (id, secret) in [("web", "s3cret"), ("a:b", "p%w d+é"), ("", "")] {
            let header = super::basic_authorization(id, secret);
            assert!(header.starts_with("Basic "));
            assert_eq!(
                super::basic_credentials(&header),
                Some((id.to_owned(), secret.to_owned()))
            );
        }
        assert_eq!(super::basic_credentials("Bearer abc"), None);
        assert_eq!(super::basic_credentials("Basic !!!"), None);
        // RFC 7617's own example (no form-encoding needed).
        assert_eq!(
            super::basic_credentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            Some(("Aladdin".to_owned(), "open sesame".to_owned()))
        );
    }

    use super::*;

    #[test]
    fn bodiless_statuses_and_head() {
        for s in [100, 101, 199, 204, 304] {
            assert!(bodiless_status(s), "{s}");
        }
        for s in [200, 201, 205, 301, 400, 500] {
            assert!(!bodiless_status(s), "{s}");
        }
        assert!(bodiless("HEAD", 200));
        assert!(bodiless("head", 200));
        assert!(!bodiless("GET", 200));
    }

    #[test]
    fn the_query_is_encoded_once() {
        let mut r = Request::new("GET", "/a");
        assert_eq!(r.path_and_query(), "/a");
        r.query.push(("q k".into(), "a&b=c+d/é".into()));
        r.query.push(("x".into(), String::new()));
        assert_eq!(r.path_and_query(), "/a?q%20k=a%26b%3Dc%2Bd%2F%C3%A9&x=");
    }
}
