//! Building responses from what the spec documents: a named example, the
//! media type's example, or a value generated from the schema; then the
//! bound fields filled in (tokens, TTLs, the user's name).

use poem::http::{HeaderName, HeaderValue, StatusCode};
use poem::{Body, Response as HttpResponse};
use serde_json::Value;

use openapi::expr::Expr;
use openapi::media::{essence, is_json, media_matches, simple_text as scalar};
use openapi::model::OutcomeName;
use openapi::problem::{self, Problem};
use openapi::spec::{MediaType, Operation, Response};
use openapi::Spec;

/// A response ready to send.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    /// The status.
    pub(crate) status: u16,
    /// Headers (lowercase names), besides Content-Type.
    pub(crate) headers: Vec<(String, String)>,
    /// The media type and body, if the response has one.
    pub(crate) body: Option<(String, Vec<u8>)>,
}

/// The problem document the mock answers `status` with, titled by the
/// status's reason phrase.
pub(crate) fn problem(status: u16, detail: impl Into<String>) -> Problem {
    let title = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    Problem::new(status, title, detail)
}

impl From<Problem> for Reply {
    fn from(p: Problem) -> Reply {
        let bytes = serde_json::to_vec(&p).unwrap_or_default();
        Reply {
            status: p.status,
            headers: Vec::new(),
            body: Some((problem::MEDIA_TYPE.to_owned(), bytes)),
        }
    }
}

impl Reply {
    /// A JSON reply.
    pub(crate) fn json(status: u16, body: &serde_json::Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(("application/json".into(), body.to_string().into_bytes())),
        }
    }

    /// A reply with no body and no headers.
    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Add a header.
    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Why the mock refused the request, if it did: the `detail` of a
    /// problem document, or the `x-mock-problem` header beside a spec's own
    /// 400 body.
    pub(crate) fn problem_detail(&self) -> Option<String> {
        if let Some((_, v)) = self.headers.iter().find(|(n, _)| n == "x-mock-problem") {
            return Some(v.clone());
        }
        let (_, bytes) = self
            .body
            .as_ref()
            .filter(|(m, _)| m == problem::MEDIA_TYPE)?;
        let value: Value = serde_json::from_slice(bytes).ok()?;
        value.get("detail")?.as_str().map(str::to_owned)
    }

    /// The poem response. A HEAD answer carries the headers of the GET
    /// answer (content type and length included) without its bytes.
    pub(crate) fn into_response(self, head: bool) -> HttpResponse {
        let mut resp = HttpResponse::builder()
            .status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK));
        for (name, value) in &self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::from_str(value),
            ) {
                resp = resp.header(n, v);
            }
        }
        match self.body {
            Some((media, bytes)) if head => resp
                .content_type(media)
                .header("content-length", bytes.len().to_string())
                .body(Body::empty()),
            Some((media, bytes)) => resp.content_type(media).body(Body::from(bytes)),
            None => resp.body(Body::empty()),
        }
    }
}

/// How to pick the body of a documented response.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Choice<'a> {
    /// A named example to use (`Prefer: example=` or a binding's outcome).
    pub(crate) example: Option<&'a str>,
    /// Outcome names (most specific first), tried as example names when
    /// `example` is absent.
    pub(crate) outcome: &'a [OutcomeName],
    /// Generate from the schema even where examples exist.
    pub(crate) dynamic: bool,
    /// Which generated variant (the seed).
    pub(crate) variant: u64,
    /// The request's `Accept` header.
    pub(crate) accept: Option<&'a str>,
    /// Body places to leave out (what an inactive token's introspection
    /// does not say).
    pub(crate) clear: &'a [&'a Expr],
}

/// The media type of `resp` that `accept` prefers (the first documented one
/// when nothing matches).
pub(crate) fn negotiate<'r>(resp: &'r Response, accept: Option<&str>) -> Option<&'r MediaType> {
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
pub(crate) fn acceptable(resp: &Response, accept: Option<&str>) -> bool {
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
pub(crate) fn documented(
    spec: &Spec,
    op: &Operation,
    status: u16,
    choice: Choice<'_>,
    fills: &[(&Expr, Value)],
) -> Reply {
    let Some(resp) = op.response(status) else {
        return Reply::empty(status);
    };
    let mut reply = Reply::empty(status);
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
    if openapi::wire::bodiless_status(status) {
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
    for expr in choice.clear {
        if let Expr::ResponseBody(ptr) = expr {
            ptr.remove(&mut body);
        }
    }
    let media_name = openapi::wire::sendable_media(&essence(&media.name));
    let bytes = match &body {
        Value::String(s) if !is_json(&media_name) => s.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    };
    reply.body = Some((media_name, bytes));
    reply
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
