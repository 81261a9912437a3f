//! The request flow of the mock's operations: CORS preflight or route,
//! check, answer (bound by the model, unbound from examples), journal,
//! respond. Client input never causes a 5xx here.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use poem::http::HeaderValue;
use poem::{Request, Response};
use tokio::sync::broadcast;

use openapi::spec::Operation;
use openapi::Spec;

use crate::body::{self, BodyLimits};
use crate::cors::{self, Cors};
use crate::events::Change;
use crate::namespace::{self, NamespaceError, Namespaces, DEFAULT_NAMESPACE};
use crate::prefer::{self, Latency};
use crate::read::{self, Sent};
use crate::redact;
use crate::request::{self, Checked, FieldError, Incoming, Parsed};
use crate::respond::{self, Choice, Reply};
use crate::served::Served;
use crate::state::{JournalEntry, State};
use crate::{bound, docs, unbound};
use openapi::router::Routed;

/// How many refused origins the mock remembers having warned about.
const REFUSED_ORIGINS: usize = 100;

/// Everything a request needs, shared by all requests.
#[derive(Debug)]
pub(crate) struct Mock {
    /// The spec served, swapped whole by a reload.
    served: RwLock<Arc<Served>>,
    /// Model, clock and journal of every namespace.
    pub(crate) spaces: Namespaces,
    /// CORS policy.
    pub(crate) cors: Cors,
    /// Largest accepted request body, and how long it may take.
    pub(crate) body: BodyLimits,
    /// Seed for schema-generated bodies (`Prefer: dynamic=true`).
    pub(crate) seed: u64,
    /// Delay added to every answer (`Prefer: delay` overrides it).
    pub(crate) latency: Option<Latency>,
    /// Accounts given to the builder, kept across reloads.
    pub(crate) users: Vec<(String, String)>,
    /// What changed, for the dashboard's live updates.
    pub(crate) events: broadcast::Sender<Change>,
    /// Origins already warned about (CORS refusals are logged once each).
    refused: Mutex<HashSet<String>>,
    /// The `--watch` watcher, alive as long as the mock.
    pub(crate) watcher: Mutex<Option<notify::RecommendedWatcher>>,
}

/// What the mock answered, and what the journal says about it.
struct Answer {
    reply: Reply,
    /// The operation routed to.
    operation: Option<String>,
    /// The model's outcome, for bound operations.
    outcome: Option<String>,
    /// What the summary is about: the action of a bound operation, else
    /// the operation.
    subject: Option<String>,
    /// What happened, in words, without the status.
    words: Option<String>,
    /// The request body, redacted, as the journal keeps it.
    request_body: Option<String>,
}

impl From<Reply> for Answer {
    fn from(reply: Reply) -> Answer {
        Answer {
            reply,
            operation: None,
            outcome: None,
            subject: None,
            words: None,
            request_body: None,
        }
    }
}

impl Mock {
    /// A mock serving `served`.
    pub(crate) fn new(
        served: Served,
        spaces: Namespaces,
        cors: Cors,
        body: BodyLimits,
        seed: u64,
        latency: Option<Latency>,
        users: Vec<(String, String)>,
    ) -> Mock {
        Mock {
            served: RwLock::new(Arc::new(served)),
            spaces,
            cors,
            body,
            seed,
            latency,
            users,
            events: broadcast::channel(256).0,
            refused: Mutex::new(HashSet::new()),
            watcher: Mutex::new(None),
        }
    }

    /// The spec served now.
    pub(crate) fn served(&self) -> Arc<Served> {
        self.served.read().clone()
    }

    /// Serve `served` from now on (requests under way finish on the old).
    pub(crate) fn replace(&self, served: Served) {
        *self.served.write() = Arc::new(served);
    }

    /// The namespace `name` (the default one for `None`), made on first
    /// use.
    pub(crate) fn space(&self, name: Option<&str>) -> Result<Arc<State>, NamespaceError> {
        let (state, created) = self.spaces.get_or_create(name)?;
        if created {
            tracing::info!(namespace = %state.name, "namespace {} made", state.name);
            self.changed(Change::Namespaces);
        }
        Ok(state)
    }

    /// Tell the dashboards.
    pub(crate) fn changed(&self, change: Change) {
        let _ = self.events.send(change);
    }

    /// Answer one request.
    pub(crate) async fn handle(&self, req: Request) -> Response {
        let started = std::time::Instant::now();
        // Methods are case-sensitive (RFC 9110 section 9.1): `get` is not `GET`.
        let method = req.method().as_str().to_owned();
        let uri = redact::text(&req.uri().to_string());
        let origin = self.cors.origin(req.headers());
        if origin.is_none() {
            if let Some(refused) = read::header(req.headers(), "origin") {
                self.warn_refused(refused);
            }
        }
        let head = method == "HEAD";
        let served = self.served();
        let preflight = origin.is_some() && cors::is_preflight(&req);
        let (state, mut answer) = match self.space(namespace::requested(req.headers())) {
            Err(e) => (
                None,
                Reply::from(respond::problem(e.status(), e.to_string())).into(),
            ),
            Ok(state) if preflight => (Some(state), self.preflight(&served, &req).into()),
            Ok(state) => {
                let delay = prefer::delay(read::header(req.headers(), "prefer"), self.latency);
                let answer = match delay {
                    Err(refusal) => refusal.into(),
                    Ok(delay) => {
                        let answer = self.route(&served, &state, &method, req).await;
                        if let Some(ms) = delay.filter(|ms| *ms > 0) {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                        }
                        answer
                    }
                };
                (Some(state), answer)
            }
        };
        let status = answer.reply.status;
        let words = answer
            .words
            .take()
            .or_else(|| answer.reply.problem_detail())
            .map_or(String::new(), |w| format!(" {w}"));
        let summary = match answer.subject.as_ref().or(answer.operation.as_ref()) {
            Some(subject) => format!("{subject} -> {status}{words}"),
            None if preflight => format!("CORS preflight -> {status}"),
            None => format!("-> {status}{words}"),
        };
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let namespace = state.as_ref().map_or("-", |s| s.name.as_str());
        let place = if namespace == DEFAULT_NAMESPACE {
            String::new()
        } else {
            format!(" [{namespace}]")
        };
        tracing::info!(
            target: "mock_server::request",
            namespace,
            method = %method,
            path = %uri,
            status,
            outcome = answer.outcome.as_deref().unwrap_or(""),
            latency_ms,
            "{method} {uri} {summary} ({latency_ms:.1} ms){place}"
        );
        if let Some(state) = &state {
            let response_body = answer
                .reply
                .body
                .as_ref()
                .and_then(|(_, b)| redact::body(b));
            state.record(JournalEntry {
                seq: 0,
                at: state.seen_now(),
                method,
                uri,
                operation: answer.operation,
                status,
                outcome: answer.outcome,
                summary,
                latency_ms,
                request_body: answer.request_body,
                response_body,
            });
            self.changed(Change::State(state.name.clone()));
        }
        let mut resp = answer.reply.into_response(head);
        if self.cors != Cors::Off {
            // The CORS headers depend on the origin: caches must know.
            resp.headers_mut()
                .append("vary", HeaderValue::from_static("Origin"));
        }
        if let Some(origin) = origin {
            cors::allow(&mut resp, &origin, Some(&served.exposed));
        }
        resp
    }

    /// Log, once per origin, that CORS refused a page's origin, and how to
    /// allow it: the browser only says "Failed to fetch".
    pub(crate) fn warn_refused(&self, origin: &str) {
        let mut seen = self.refused.lock();
        if seen.len() >= REFUSED_ORIGINS || !seen.insert(origin.to_owned()) {
            return;
        }
        let origin = redact::text(origin);
        let why = match self.cors {
            Cors::Off => "CORS is off (--cors-origin none)",
            _ => "the origin is not allowed",
        };
        tracing::warn!(
            target: "mock_server::cors",
            origin = %origin,
            "CORS: refused a page on {origin} ({why}); the browser shows \"Failed to fetch\". \
             Allow it with --cors-origin {origin} (or --cors-origin '*' for any origin)"
        );
    }

    /// The preflight of a path: the methods its operations accept.
    fn preflight(&self, served: &Served, req: &Request) -> Reply {
        let path = req.uri().path();
        let Some(mut methods) = served.router.methods(path) else {
            return not_found(path);
        };
        methods.push("OPTIONS".into());
        let asked = read::header(req.headers(), "access-control-request-headers");
        cors::preflight(&methods.join(", "), asked)
    }

    async fn route(
        &self,
        served: &Served,
        state: &State,
        method: &str,
        mut req: Request,
    ) -> Answer {
        let path = req.uri().path().to_owned();
        let spec = &served.spec;
        // Where tokens are JWTs the mock's own key set and discovery
        // document answer their paths, documented by the spec or not.
        if served.signer.is_some() && matches!(method, "GET" | "HEAD") {
            if let Some(reply) = docs::well_known(served, &path, req.headers()) {
                return reply.into();
            }
        }
        let (op, params) = match served.router.route(method, &path) {
            Routed::Found { op, params } => (&spec.operations()[op], params),
            Routed::NotFound if path == "/" && matches!(method, "GET" | "HEAD") => {
                return docs::index(served, req.headers()).into();
            }
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
        let mut answer = match body::read(&mut req, self.body).await {
            Err(refusal) => refusal.into(),
            Ok(body) => {
                let incoming = Incoming {
                    query: req.uri().query().unwrap_or(""),
                    headers: req.headers(),
                    body: &body,
                    path_params: &params,
                };
                let mut answer = self.operation(served, state, op, &incoming);
                answer.request_body = redact::body(&body);
                answer
            }
        };
        answer.operation = Some(op.name());
        answer
    }

    /// Check the request, then answer it: by the model where `op` is
    /// bound, from examples where it is not.
    fn operation(
        &self,
        served: &Served,
        state: &State,
        op: &Operation,
        incoming: &Incoming<'_>,
    ) -> Answer {
        let spec = &served.spec;
        let (parsed, errors) = match check(op, incoming, spec) {
            Ok(checked) => checked,
            Err(refusal) => return refusal.into(),
        };
        let sent = Sent {
            incoming,
            parsed: &parsed,
        };
        // The binding whose `when` the request meets (the only one, on an
        // operation with a single unconditional binding).
        let binding = op.binding_for(|e| sent.value(e));
        // Where the only problems are at the binding's token or
        // credential and the spec says what a missing one gets, the model
        // answers (as the spec documents), not a generic 400.
        let missing_answered = |b: &openapi::binding::Binding| {
            b.answers_missing(errors.iter().map(|e| e.location.as_str()))
        };
        if !errors.is_empty() && !binding.is_some_and(missing_answered) {
            return bad_request(spec, op, errors).into();
        }
        match binding {
            Some(b) => {
                let told = bound::answer(spec, served.signer.as_deref(), state, op, b, sent);
                Answer {
                    outcome: Some(told.outcome),
                    subject: Some(b.action.as_str().to_owned()),
                    words: Some(told.words),
                    ..told.reply.into()
                }
            }
            None if op.is_bound() => {
                let told = bound::unsupported(spec, op, sent);
                Answer {
                    outcome: Some(told.outcome),
                    subject: Some(op.name()),
                    words: Some(told.words),
                    ..told.reply.into()
                }
            }
            None => unbound::answer(spec, state, self.seed, op, sent).into(),
        }
    }
}

/// The request's parsed parts with the problems found in it (a request
/// with problems may still be the model's to answer: a missing token), or
/// a refusal (415).
fn check(
    op: &Operation,
    incoming: &Incoming<'_>,
    spec: &Spec,
) -> Result<(Parsed, Vec<FieldError>), Reply> {
    match request::check(spec, op, incoming) {
        Checked::Valid(parsed) => Ok((parsed, Vec::new())),
        Checked::Invalid(errors, parsed) => Ok((parsed, errors)),
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
fn bad_request(spec: &Spec, op: &Operation, errors: Vec<FieldError>) -> Reply {
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
        Some(_) => respond::documented(spec, op, 400, Choice::default(), &[])
            .header("x-mock-problem", header_safe(&detail)),
        None => respond::problem(400, detail).with_errors(errors).into(),
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
