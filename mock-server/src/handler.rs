//! The request flow of the mock's operations: CORS preflight or route,
//! check, answer (bound by the model, unbound from examples), journal,
//! respond. Client input never causes a 5xx here.

use std::sync::Arc;

use poem::http::HeaderValue;
use poem::{Request, Response};

use openapi::spec::Operation;
use openapi::Spec;

use crate::cors::{self, Cors};
use crate::read::{self, Sent};
use crate::request::{self, Checked, FieldError, Incoming, Parsed};
use crate::respond::{self, Choice, Reply};
use crate::router::{Routed, Router};
use crate::state::{JournalEntry, State};
use crate::{bound, unbound};

/// Everything a request needs, shared by all requests.
#[derive(Debug)]
pub(crate) struct Mock {
    /// The spec served.
    pub(crate) spec: Arc<Spec>,
    /// Its routing table.
    pub(crate) router: Router,
    /// Model, clock, journal.
    pub(crate) state: State,
    /// CORS policy.
    pub(crate) cors: Cors,
    /// Largest accepted request body, in bytes.
    pub(crate) body_limit: usize,
    /// Seed for schema-generated bodies (`Prefer: dynamic=true`).
    pub(crate) seed: u64,
    /// Headers every CORS response exposes (documented response headers).
    pub(crate) exposed: String,
}

/// What the mock answered, and what the journal says about it.
struct Answer {
    reply: Reply,
    /// The operation routed to.
    operation: Option<String>,
    /// The model's outcome, for bound operations.
    outcome: Option<String>,
}

impl From<Reply> for Answer {
    fn from(reply: Reply) -> Answer {
        Answer {
            reply,
            operation: None,
            outcome: None,
        }
    }
}

impl Mock {
    /// Answer one request.
    pub(crate) async fn handle(&self, req: Request) -> Response {
        let method = req.method().as_str().to_ascii_uppercase();
        let uri = req.uri().to_string();
        let origin = self.cors.origin(req.headers());
        let head = method == "HEAD";
        let answer = if origin.is_some() && cors::is_preflight(&req) {
            self.preflight(&req).into()
        } else {
            self.route(&method, req).await
        };
        self.state.journal.lock().push(JournalEntry {
            seq: 0,
            at: self.state.clock.now(),
            method,
            uri,
            operation: answer.operation,
            status: answer.reply.status,
            outcome: answer.outcome,
        });
        tracing::debug!(status = answer.reply.status, "answered");
        let mut resp = answer.reply.into_response(head);
        if self.cors != Cors::Off {
            // The CORS headers depend on the origin: caches must know.
            resp.headers_mut()
                .append("vary", HeaderValue::from_static("Origin"));
        }
        if let Some(origin) = origin {
            cors::allow(&mut resp, &origin, Some(&self.exposed));
        }
        resp
    }

    /// The preflight of a path: the methods its operations accept.
    fn preflight(&self, req: &Request) -> Reply {
        let path = req.uri().path();
        let Some(mut methods) = self.router.methods(path) else {
            return not_found(path);
        };
        methods.push("OPTIONS".into());
        let asked = read::header(req.headers(), "access-control-request-headers");
        cors::preflight(&methods.join(", "), asked)
    }

    async fn route(&self, method: &str, mut req: Request) -> Answer {
        let path = req.uri().path().to_owned();
        let (op, params) = match self.router.route(method, &path) {
            Routed::Found { op, params } => (&self.spec.operations()[op], params),
            Routed::NotFound => return not_found(&path).into(),
            Routed::MethodNotAllowed { allow } => {
                let allow = allow.join(", ");
                let reply = if method == "OPTIONS" {
                    Reply::empty(204)
                } else {
                    let detail = format!("{path} does not accept {method}; it accepts {allow}");
                    respond::problem(405, detail).into()
                };
                return reply.header("allow", allow).into();
            }
        };
        let mut answer = match req.take_body().into_bytes_limit(self.body_limit).await {
            Err(_) => {
                let detail = format!("the request body exceeds {} bytes", self.body_limit);
                Reply::from(respond::problem(413, detail)).into()
            }
            Ok(body) => {
                let incoming = Incoming {
                    query: req.uri().query().unwrap_or(""),
                    headers: req.headers(),
                    body: &body,
                    path_params: &params,
                };
                self.operation(op, &incoming)
            }
        };
        answer.operation = Some(op.name());
        answer
    }

    /// Check the request, then answer it: by the model where `op` is
    /// bound, from examples where it is not.
    fn operation(&self, op: &Operation, incoming: &Incoming<'_>) -> Answer {
        let parsed = match self.check(op, incoming) {
            Ok(parsed) => parsed,
            Err(refusal) => return refusal.into(),
        };
        let sent = Sent {
            incoming,
            parsed: &parsed,
        };
        match &op.binding {
            Some(b) => {
                let (reply, outcome) = bound::answer(&self.spec, &self.state, op, b, sent);
                Answer {
                    outcome: Some(outcome),
                    ..reply.into()
                }
            }
            None => unbound::answer(&self.spec, &self.state, self.seed, op, sent).into(),
        }
    }

    /// The request's parsed parts, or why it is refused (400, 415).
    fn check(&self, op: &Operation, incoming: &Incoming<'_>) -> Result<Parsed, Reply> {
        match request::check(&self.spec, op, incoming) {
            Checked::Valid(parsed) => Ok(parsed),
            // Where the only problems are at the binding's token or
            // credential and the spec says what a missing one gets, the
            // model answers (as the spec documents), not a generic 400.
            Checked::Invalid(errors, parsed)
                if op.binding.as_ref().is_some_and(|b| {
                    b.answers_missing(errors.iter().map(|e| e.location.as_str()))
                }) =>
            {
                Ok(parsed)
            }
            Checked::Invalid(errors, _) => Err(self.bad_request(op, errors)),
            Checked::UnsupportedMediaType { sent, accepted } => {
                let detail = format!(
                    "{sent} is not accepted here; send one of: {}",
                    accepted.join(", ")
                );
                Err(respond::problem(415, detail).into())
            }
        }
    }

    /// The 400 of a request that breaks the spec: the spec's own 400 shape
    /// where it documents one (the fields named in a header), else a
    /// problem document naming each field.
    fn bad_request(&self, op: &Operation, errors: Vec<FieldError>) -> Reply {
        let summary: Vec<String> = errors
            .iter()
            .take(5)
            .map(|e| format!("{}: {}", e.location, e.message))
            .collect();
        let detail = format!(
            "the request does not match the spec: {}",
            summary.join("; ")
        );
        let documented = op.response(400).filter(|r| {
            !r.content.is_empty() && !r.content.iter().any(|m| m.name.contains("problem+json"))
        });
        match documented {
            Some(_) => respond::documented(&self.spec, op, 400, Choice::default(), &[])
                .header("x-mock-problem", header_safe(&detail)),
            None => respond::problem(400, detail).with_errors(errors).into(),
        }
    }
}

fn not_found(path: &str) -> Reply {
    respond::problem(
        404,
        format!("no operation of the spec matches the path {path}"),
    )
    .into()
}

fn header_safe(s: &str) -> String {
    s.chars()
        .filter(|c| *c == ' ' || c.is_ascii_graphic())
        .take(1000)
        .collect()
}
