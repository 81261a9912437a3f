//! Building responses from what the spec documents: a named example, the
//! media type's example, or a value generated from the schema; then the
//! bound fields filled in (tokens, TTLs, the user's name).

use openapi::model::OutcomeName;
use serde_json::{json, Value};

use openapi::expr::Expr;
use openapi::spec::{MediaType, Operation, Response};
use openapi::Spec;

use crate::request::{essence, media_matches, FieldError};

/// A response ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// Headers (lowercase names), besides Content-Type.
    pub headers: Vec<(String, String)>,
    /// The media type and body, if the response has one.
    pub body: Option<(String, Vec<u8>)>,
}

impl Reply {
    /// A reply with a JSON body.
    pub fn json(status: u16, media: &str, body: &Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some((media.to_owned(), body.to_string().into_bytes())),
        }
    }

    /// An RFC 9457 problem document.
    pub fn problem(status: u16, title: &str, detail: &str, errors: &[FieldError]) -> Reply {
        let mut body = json!({
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
        });
        if !errors.is_empty() || status == 400 {
            body["errors"] = json!(errors);
        }
        Reply::json(status, "application/problem+json", &body)
    }

    /// Add a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }
}

/// How to pick the body of a documented response.
#[derive(Debug, Default, Clone, Copy)]
pub struct Choice<'a> {
    /// A named example to use (`Prefer: example=` or a binding's outcome).
    pub example: Option<&'a str>,
    /// Outcome names (most specific first), tried as example names when
    /// `example` is absent.
    pub outcome: &'a [OutcomeName],
    /// Generate from the schema even where examples exist.
    pub dynamic: bool,
    /// Which generated variant (the seed).
    pub variant: u64,
    /// The request's `Accept` header.
    pub accept: Option<&'a str>,
}

/// The media type of `resp` that `accept` prefers (the first documented one
/// when nothing matches).
pub fn negotiate<'r>(resp: &'r Response, accept: Option<&str>) -> Option<&'r MediaType> {
    let first = resp.content.first();
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return first;
    };
    let mut best: Option<(f32, &MediaType)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let found = resp
            .content
            .iter()
            .find(|m| media_matches(media, &m.name) || media_matches(&m.name, media));
        if let Some(m) = found {
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, m));
            }
        }
    }
    best.map(|(_, m)| m)
}

/// Whether the request's `Accept` header can take one of the response's
/// media types (true when the response has no body or there is no Accept).
pub fn acceptable(resp: &Response, accept: Option<&str>) -> bool {
    resp.content.is_empty()
        || accept.is_none_or(|a| a.trim().is_empty())
        || negotiate(resp, accept).is_some_and(|m| {
            accept.is_some_and(|a| {
                a.split(',').any(|r| {
                    let r = r.split(';').next().unwrap_or("").trim();
                    media_matches(r, &m.name) || media_matches(&m.name, r)
                })
            })
        })
}

/// Build the documented response `status` of `op`, filling `fills`.
pub fn documented(
    spec: &Spec,
    op: &Operation,
    status: u16,
    choice: Choice<'_>,
    fills: &[(&Expr, Value)],
) -> Reply {
    let Some(resp) = op.response(status) else {
        return Reply {
            status,
            headers: Vec::new(),
            body: None,
        };
    };
    let mut reply = Reply {
        status,
        headers: Vec::new(),
        body: None,
    };
    for h in &resp.headers {
        if h.name == "content-type" || h.name == "content-length" {
            continue;
        }
        let value = h.example.clone().or_else(|| {
            h.schema
                .as_ref()
                .map(|s| openapi::schema::generate(spec.document(), &s.value, 0))
        });
        if let Some(v) = value {
            reply.headers.push((h.name.clone(), scalar(&v)));
        }
    }
    for (expr, value) in fills {
        if let Expr::ResponseHeader(name) = expr {
            reply.headers.retain(|(n, _)| n != name);
            reply.headers.push((name.clone(), scalar(value)));
        }
    }
    if no_body(status) {
        return reply;
    }
    let Some(media) = negotiate(resp, choice.accept) else {
        return reply;
    };
    let mut body = body_of(spec, media, choice);
    for (expr, value) in fills {
        if let Expr::ResponseBody(ptr) = expr {
            ptr.set(&mut body, value.clone());
        }
    }
    let media_name = if media.name.contains('*') {
        "application/json".to_owned()
    } else {
        essence(&media.name)
    };
    let bytes = match &body {
        Value::String(s) if !crate::request::is_json(&media_name) => s.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    };
    reply.body = Some((media_name, bytes));
    reply
}

/// Statuses that never carry a body.
pub fn no_body(status: u16) -> bool {
    status == 204 || status == 304 || status < 200
}

fn body_of(spec: &Spec, media: &MediaType, choice: Choice<'_>) -> Value {
    let named = |name: &str| {
        media
            .examples
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if !choice.dynamic {
        if let Some(v) = choice.example.and_then(named) {
            return v;
        }
        if let Some(v) = choice.outcome.iter().map(|o| o.as_str()).find_map(named) {
            return v;
        }
        if let Some(v) = &media.example {
            return v.clone();
        }
        if let Some((_, v)) = media.examples.first() {
            return v.clone();
        }
    }
    match &media.schema {
        Some(s) => generated(spec, s, choice.variant),
        None => Value::Object(Default::default()),
    }
}

/// How many variants to try for a body valid against its schema.
const VARIANTS: u64 = 8;

/// A value generated from a schema that also validates against it: the
/// generator is quick but not complete (`oneOf` exclusivity, patterns it
/// cannot follow), so a few variants are tried and checked.
fn generated(spec: &Spec, schema: &openapi::spec::SchemaRef, variant: u64) -> Value {
    let doc = spec.document();
    let first = openapi::schema::generate(doc, &schema.value, variant);
    let valid = |v: &Value| {
        spec.schemas()
            .validate(&schema.pointer, v)
            .map_or(true, |violations| violations.is_empty())
    };
    if valid(&first) {
        return first;
    }
    (1..VARIANTS)
        .map(|i| openapi::schema::generate(doc, &schema.value, variant.wrapping_add(i)))
        .find(valid)
        .unwrap_or_else(|| {
            tracing::warn!(schema = %schema.pointer, "no generated value validates against the schema");
            first
        })
}

/// A JSON value as a header value.
pub use openapi::media::simple_text as scalar;
