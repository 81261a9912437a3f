//! Checking a request against its operation: parameters (with their styles),
//! content type and body, validated with the spec's schemas.
//!
//! Every problem is collected, not just the first, and each names its
//! location as a runtime expression (`$request.body#/refreshToken`,
//! `$request.header.x-auth-token`). How values are written on the wire
//! (styles, percent-encoding, form and multipart bodies) is
//! [`crate::wire`]'s, the codec the conformance suite builds requests with.
//! The mock checks every request with it, the conformance proxy every
//! request it forwards.

use serde_json::Value;

use crate::binding::{ClientAuthMethod, ClientBinding, Source};
use crate::expr::Expr;
use crate::spec::{MediaType, Operation, Parameter};
use crate::wire::{self, Headers, Received};
use crate::Spec;

/// One problem with a request: where, as a runtime expression, and what is
/// wrong.
pub use crate::problem::FieldError;

/// A request as the checker sees it.
pub struct Incoming<'a> {
    /// The raw query string (without `?`).
    pub query: &'a str,
    /// The headers.
    pub headers: &'a dyn Headers,
    /// The body bytes.
    pub body: &'a [u8],
    /// Decoded path parameters.
    pub path_params: &'a [(String, String)],
}

/// What checking found.
#[derive(Debug)]
pub enum Checked {
    /// The request fits the spec; the body parsed (if any).
    Valid(Parsed),
    /// Parameters or body break the spec.
    Invalid(Vec<FieldError>, Parsed),
    /// The body's media type is not one the operation accepts.
    UnsupportedMediaType {
        /// What was sent.
        sent: String,
        /// What the operation documents.
        accepted: Vec<String>,
    },
}

/// The parts of a valid request the bindings read.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The body as JSON (JSON bodies, and form bodies as an object).
    pub body: Option<Value>,
    /// Query pairs, decoded.
    pub query: Vec<(String, String)>,
    /// Cookies.
    pub cookies: Vec<(String, String)>,
}

use crate::media::media_matches;

/// Check `req` against `op`.
pub fn check(spec: &Spec, op: &Operation, req: &Incoming<'_>) -> Checked {
    let received = Received::new(req.path_params, req.query, req.headers);
    let mut errors = Vec::new();
    for p in &op.parameters {
        check_parameter(spec, p, &received, &mut errors);
    }
    let (query, cookies) = received.into_pairs();
    let mut parsed = Parsed {
        body: None,
        query,
        cookies,
    };
    if let Some(rb) = &op.request_body {
        let sent = req
            .headers
            .get_all("content-type")
            .first()
            .copied()
            .unwrap_or("");
        if req.body.is_empty() {
            if rb.required {
                errors.push(wire::field_error(
                    "$request.body",
                    "a request body is required",
                ));
            }
        } else {
            let media = rb.content.iter().find(|m| media_matches(&m.name, sent));
            match media {
                None if !rb.content.is_empty() => {
                    return Checked::UnsupportedMediaType {
                        sent: if sent.is_empty() {
                            "no Content-Type".into()
                        } else {
                            sent.to_owned()
                        },
                        accepted: rb.content.iter().map(|m| m.name.clone()).collect(),
                    }
                }
                None => {}
                Some(m) => parsed.body = check_body(spec, m, sent, req.body, &mut errors),
            }
        }
    }
    if errors.is_empty() {
        Checked::Valid(parsed)
    } else {
        Checked::Invalid(errors, parsed)
    }
}

/// The body as JSON (`None` for media types taken as they are), its
/// problems added to `errors`.
fn check_body(
    spec: &Spec,
    media: &MediaType,
    sent: &str,
    bytes: &[u8],
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let value = match wire::parse_body(spec.document(), media, sent, bytes) {
        Ok(value) => value?,
        Err(problem) => {
            errors.push(problem);
            return None;
        }
    };
    if let Some(schema) = &media.schema {
        validate(spec, &schema.pointer, &value, "$request.body#", errors);
    }
    Some(value)
}

fn validate(spec: &Spec, pointer: &str, value: &Value, at: &str, errors: &mut Vec<FieldError>) {
    match wire::violations(spec, pointer, value, at) {
        Ok(problems) => errors.extend(problems),
        Err(e) => tracing::warn!("schema not checked: {e}"),
    }
}

fn check_parameter(
    spec: &Spec,
    p: &Parameter,
    received: &Received<'_>,
    errors: &mut Vec<FieldError>,
) {
    let value = match received.param(spec.document(), p) {
        None if p.required => return errors.push(wire::missing(p)),
        None => return,
        // Without a schema nothing about the value is checked.
        Some(Err(_)) if p.schema.is_none() => return,
        Some(Err(problem)) => return errors.push(problem),
        Some(Ok(value)) => value,
    };
    if let Some(schema) = &p.schema {
        let location = wire::location_of(p);
        validate(spec, &schema.pointer, &value, &location, errors);
    }
}

impl Incoming<'_> {
    /// The text the request carries at `expr` (a body value as parsed, a
    /// number as its digits), as a binding reads a token or credential.
    pub fn text(&self, parsed: &Parsed, expr: &Expr) -> Option<String> {
        let named = |pairs: &[(String, String)], name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        match expr {
            Expr::RequestBody(ptr) => match ptr.get(parsed.body.as_ref()?)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            },
            Expr::RequestHeader(name) => self.headers.first_lossy(name).map(|v| v.into_owned()),
            Expr::RequestQuery(name) => named(&parsed.query, name),
            Expr::RequestPath(name) => named(self.path_params, name),
            Expr::RequestCookie(name) => named(&parsed.cookies, name),
            Expr::ResponseBody(_) | Expr::ResponseHeader(_) => None,
        }
    }

    /// The value the request carries at `expr`, as a binding's `when`
    /// compares it: a body value as parsed, anything else as its text.
    pub fn value(&self, parsed: &Parsed, expr: &Expr) -> Option<Value> {
        match expr {
            Expr::RequestBody(ptr) => ptr.get(parsed.body.as_ref()?).cloned(),
            other => self.text(parsed, other).map(Value::String),
        }
    }
}

/// The client id and secret a request presents to a binding that
/// authenticates `client`: HTTP Basic in `Authorization` for
/// `client_secret_basic`, else the binding's places. `read` gives the text
/// the request carries at a location ([`Incoming::text`]); the mock and
/// the conformance proxy read clients alike through this.
pub fn client_credentials(
    client: &ClientBinding,
    read: impl Fn(&Expr) -> Option<String>,
) -> (Option<String>, Option<String>) {
    let at = |s: &Option<Source>| {
        s.as_ref()
            .and_then(|s| read(&s.expr).map(|raw| s.strip(&raw).to_owned()))
    };
    match client.method {
        ClientAuthMethod::ClientSecretBasic => {
            let header = read(&Expr::RequestHeader("authorization".into()));
            match header.as_deref().and_then(wire::basic_credentials) {
                Some((id, secret)) => (Some(id), Some(secret)),
                None => (None, None),
            }
        }
        ClientAuthMethod::ClientSecretPost | ClientAuthMethod::None => {
            (at(&client.id), at(&client.secret))
        }
    }
}
