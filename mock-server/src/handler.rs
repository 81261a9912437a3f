//! The mock endpoint: route, check, run the model or answer from examples,
//! journal, CORS. Client input never causes a 5xx here.

use std::sync::Arc;

use poem::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use poem::{Body, Request, Response};
use serde_json::Value;

use openapi::binding::{Binding, Source};
use openapi::expr::Expr;
use openapi::model::{Action, Outcome, OutcomeName, Presented};
use openapi::spec::{Location, Operation, SecurityScheme};
use openapi::Spec;

use crate::cors::Cors;
use crate::request::{self, Checked, FieldError, Incoming, Parsed};
use crate::respond::{self, Choice, Reply};
use crate::router::{Routed, Router};
use crate::state::{JournalEntry, State};

/// Everything a request needs, shared by all requests.
#[derive(Debug)]
pub struct Mock {
    /// The spec served.
    pub spec: Arc<Spec>,
    /// Its routing table.
    pub router: Router,
    /// Model, clock, journal.
    pub state: State,
    /// CORS policy.
    pub cors: Cors,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Seed for schema-generated bodies (`Prefer: dynamic=true`).
    pub seed: u64,
    /// Headers every CORS response exposes (documented response headers).
    pub exposed: String,
}

impl Mock {
    /// Answer one request.
    pub async fn handle(&self, mut req: Request) -> Response {
        let method = req.method().as_str().to_ascii_uppercase();
        let path = req.uri().path().to_owned();
        let uri = req.uri().to_string();
        let origin = req
            .headers()
            .get("origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let cors_origin = origin.filter(|o| self.cors.allows(o));

        let mut operation = None;
        let mut outcome = None;
        let reply = if method == "OPTIONS"
            && cors_origin.is_some()
            && req.headers().contains_key("access-control-request-method")
        {
            self.preflight(&path, req.headers())
        } else {
            match self.router.route(&method, &path) {
                Routed::NotFound => Reply::problem(
                    404,
                    "Not Found",
                    &format!("no operation of the spec matches the path {path}"),
                    &[],
                ),
                Routed::MethodNotAllowed { allow } if method == "OPTIONS" => Reply {
                    status: 204,
                    headers: Vec::new(),
                    body: None,
                }
                .header("allow", allow.join(", ")),
                Routed::MethodNotAllowed { allow } => Reply::problem(
                    405,
                    "Method Not Allowed",
                    &format!(
                        "{path} does not accept {method}; it accepts {}",
                        allow.join(", ")
                    ),
                    &[],
                )
                .header("allow", allow.join(", ")),
                Routed::Found { op, params } => {
                    let op = &self.spec.operations()[op];
                    operation = Some(op.name());
                    let body = req.take_body().into_bytes_limit(self.body_limit).await;
                    match body {
                        Err(_) => Reply::problem(
                            413,
                            "Payload Too Large",
                            &format!("the request body exceeds {} bytes", self.body_limit),
                            &[],
                        ),
                        Ok(body) => {
                            let incoming = Incoming {
                                query: req.uri().query().unwrap_or(""),
                                headers: req.headers(),
                                body: &body,
                                path_params: &params,
                            };
                            let (reply, out) = self.operation(op, &incoming);
                            outcome = out;
                            reply
                        }
                    }
                }
            }
        };
        let head = method == "HEAD";
        self.state.journal.lock().push(JournalEntry {
            seq: 0,
            at: self.state.clock.now(),
            method,
            uri,
            operation,
            status: reply.status,
            outcome,
        });
        tracing::debug!(status = reply.status, "answered");
        self.to_response(reply, cors_origin.as_deref(), head)
    }

    fn preflight(&self, path: &str, headers: &HeaderMap) -> Reply {
        let Some(mut methods) = self.router.methods(path) else {
            return Reply::problem(
                404,
                "Not Found",
                &format!("no operation of the spec matches the path {path}"),
                &[],
            );
        };
        methods.push("OPTIONS".into());
        let mut reply = Reply {
            status: 204,
            headers: Vec::new(),
            body: None,
        }
        .header("access-control-allow-methods", methods.join(", "))
        .header("access-control-max-age", "600");
        if let Some(h) = headers
            .get("access-control-request-headers")
            .and_then(|v| v.to_str().ok())
        {
            reply = reply.header("access-control-allow-headers", h);
        }
        reply
    }

    fn operation(&self, op: &Operation, req: &Incoming<'_>) -> (Reply, Option<String>) {
        let parsed = match request::check(&self.spec, op, req) {
            Checked::Valid(parsed) => parsed,
            // Where the only problems are at the binding's token or
            // credential and the spec says what a missing one gets, the
            // model answers (as the spec documents), not a generic 400.
            Checked::Invalid(errors, parsed)
                if op.binding.as_ref().is_some_and(|b| {
                    b.answers_missing(errors.iter().map(|e| e.location.as_str()))
                }) =>
            {
                parsed
            }
            Checked::Invalid(errors, _) => return (self.bad_request(op, &errors), None),
            Checked::UnsupportedMediaType { sent, accepted } => {
                let reply = Reply::problem(
                    415,
                    "Unsupported Media Type",
                    &format!(
                        "{sent} is not accepted here; send one of: {}",
                        accepted.join(", ")
                    ),
                    &[],
                );
                return (reply, None);
            }
        };
        let accept = header(req.headers, "accept");
        match &op.binding {
            Some(b) => {
                let (reply, outcome) = self.bound(op, b, req, &parsed, accept);
                (reply, Some(outcome))
            }
            None => (self.unbound(op, req, &parsed, accept), None),
        }
    }

    fn bad_request(&self, op: &Operation, errors: &[FieldError]) -> Reply {
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
            // The spec has its own 400 shape: answer with it, and say which
            // fields were wrong in a header.
            Some(_) => respond::documented(&self.spec, op, 400, Choice::default(), &[])
                .header("x-mock-problem", header_safe(&detail)),
            None => Reply::problem(400, "Bad Request", &detail, errors),
        }
    }

    fn bound(
        &self,
        op: &Operation,
        b: &Binding,
        req: &Incoming<'_>,
        parsed: &Parsed,
        accept: Option<&str>,
    ) -> (Reply, String) {
        let read = |s: &Option<Source>| -> Option<String> {
            let s = s.as_ref()?;
            let raw = read_expr(&s.expr, req, parsed)?;
            Some(s.strip(&raw).to_owned())
        };
        let (u, p) = (read(&b.username), read(&b.password));
        let (access, refresh) = (read(&b.access_token), read(&b.refresh_token));
        let action = b.action.action(Presented {
            username: u.as_deref(),
            password: p.as_deref(),
            access_token: access.as_deref(),
            refresh_token: refresh.as_deref(),
        });
        let (outcome, detail) = self.state.apply_explained(action);
        let name = outcome.name();
        let mut fills: Vec<(&Expr, Value)> = Vec::new();
        match &outcome {
            Outcome::Issued(t) => {
                let i = &b.issue;
                let pairs = [
                    (&i.access_token, Value::from(t.access_token.as_str())),
                    (&i.refresh_token, Value::from(t.refresh_token.as_str())),
                    (&i.expires_in, Value::from(t.expires_in)),
                    (&i.refresh_expires_in, Value::from(t.refresh_expires_in)),
                ];
                fills.extend(
                    pairs
                        .into_iter()
                        .filter_map(|(e, v)| Some((e.as_ref()?, v))),
                );
            }
            Outcome::Authorized { username } => {
                if let Some(e) = &b.subject {
                    fills.push((e, Value::from(username.as_str())));
                }
            }
            Outcome::Done | Outcome::Rejected(_) => {}
        }
        let (target, hints) = b.respond_to(name, detail);
        let reply = if op.response(target.status).is_some() {
            let choice = Choice {
                example: target.example.as_deref(),
                outcome: &hints,
                accept,
                ..Choice::default()
            };
            respond::documented(&self.spec, op, target.status, choice, &fills)
        } else {
            Reply::problem(
                target.status,
                "Unauthorized",
                &format!("token lifecycle outcome: {name}"),
                &[],
            )
            .header("www-authenticate", "Bearer error=\"invalid_token\"")
        };
        let journaled = match detail.filter(|_| name == OutcomeName::Invalid) {
            Some(d) => format!("invalid ({})", d.name()),
            None => name.to_string(),
        };
        (reply, journaled)
    }

    fn unbound(
        &self,
        op: &Operation,
        req: &Incoming<'_>,
        parsed: &Parsed,
        accept: Option<&str>,
    ) -> Reply {
        if let Some(reply) = self.security(op, req.headers, req) {
            return reply;
        }
        if let Some(reply) = self.guard(op, req, parsed) {
            return reply;
        }
        let prefer = Prefer::parse(header(req.headers, "prefer").unwrap_or(""));
        let documented: Vec<u16> = op.statuses().collect();
        let listed = || {
            op.responses
                .iter()
                .map(|r| r.status.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        // A `Prefer` the spec cannot honour is the caller's mistake: say so,
        // rather than answer something else that looks like success.
        let code = match prefer.code.as_deref().map(str::parse::<u16>) {
            None => None,
            Some(Ok(c)) if op.response(c).is_some() => Some(c),
            Some(_) => {
                let detail = format!(
                    "Prefer: code={} is not a status this operation documents ({})",
                    prefer.code.as_deref().unwrap_or(""),
                    listed()
                );
                return Reply::problem(400, "Bad Request", &detail, &[]);
            }
        };
        let status = code
            .or_else(|| op.success_status())
            .or_else(|| {
                documented
                    .iter()
                    .copied()
                    .filter(|s| (300..400).contains(s))
                    .min()
            })
            .or_else(|| op.response(200).map(|_| 200))
            .or_else(|| documented.first().copied())
            .unwrap_or(200);
        if let Some(resp) = op.response(status) {
            if !respond::acceptable(resp, accept) {
                let offered: Vec<&str> = resp.content.iter().map(|m| m.name.as_str()).collect();
                return Reply::problem(
                    406,
                    "Not Acceptable",
                    &format!("this operation answers {}", offered.join(", ")),
                    &[],
                );
            }
        }
        if let Some(name) = &prefer.example {
            let names: Vec<&str> = op
                .response(status)
                .into_iter()
                .flat_map(|r| &r.content)
                .flat_map(|m| &m.examples)
                .map(|(n, _)| n.as_str())
                .collect();
            if !names.contains(&name.as_str()) {
                let detail = format!(
                    "Prefer: example={name} names no example of the {status} response (examples: {})",
                    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                );
                return Reply::problem(400, "Bad Request", &detail, &[]);
            }
        }
        let choice = Choice {
            example: prefer.example.as_deref(),
            outcome: &[],
            dynamic: prefer.dynamic,
            variant: if prefer.dynamic {
                self.seed.wrapping_add(1)
            } else {
                0
            },
            accept,
        };
        respond::documented(&self.spec, op, status, choice, &[])
    }

    /// A 401 (or the documented 403) when no security alternative of an
    /// unbound operation is met.
    fn security(&self, op: &Operation, headers: &HeaderMap, req: &Incoming<'_>) -> Option<Reply> {
        if !op.requires_credentials() {
            return None;
        }
        let query = request::parse_pairs(req.query);
        let cookie = header(headers, "cookie").unwrap_or("");
        let met = |s: &SecurityScheme| match s {
            SecurityScheme::Http { scheme } => header(headers, "authorization")
                .and_then(|v| v.split_once(' '))
                .is_some_and(|(w, rest)| w.eq_ignore_ascii_case(scheme) && !rest.trim().is_empty()),
            SecurityScheme::OAuth => header(headers, "authorization")
                .and_then(|v| v.split_once(' '))
                .is_some_and(|(w, rest)| {
                    w.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty()
                }),
            SecurityScheme::ApiKey { location, name } => match location {
                Location::Header => header(headers, name).is_some_and(|v| !v.is_empty()),
                Location::Query => query.iter().any(|(k, v)| k == name && !v.is_empty()),
                Location::Cookie => cookie.split(';').any(|c| {
                    c.trim()
                        .split_once('=')
                        .is_some_and(|(k, v)| k == name && !v.is_empty())
                }),
                Location::Path => true,
            },
            SecurityScheme::Unchecked => true,
        };
        if op.security.iter().any(|alt| alt.0.iter().all(met)) {
            return None;
        }
        Some(self.unauthorized(op, "this operation requires credentials"))
    }

    /// Check a credential an unbound operation carries where a `protected`
    /// binding reads its access token: the model must accept it.
    fn guard(&self, op: &Operation, req: &Incoming<'_>, parsed: &Parsed) -> Option<Reply> {
        for source in self.spec.guards_of(op) {
            let Some(raw) = read_expr(&source.expr, req, parsed) else {
                continue;
            };
            let token = source.strip(&raw);
            return match self.state.apply(Action::Protected {
                access_token: Some(token),
            }) {
                Outcome::Rejected(r) => {
                    Some(self.unauthorized(op, &format!("the access token is {}", r.name())))
                }
                _ => None,
            };
        }
        None
    }

    /// The 401 (or the documented 403) of an operation, with a challenge.
    fn unauthorized(&self, op: &Operation, detail: &str) -> Reply {
        let documented: Vec<u16> = op.statuses().collect();
        let status = if documented.contains(&401) || !documented.contains(&403) {
            401
        } else {
            403
        };
        let reply = if op.response(status).is_some() {
            respond::documented(&self.spec, op, status, Choice::default(), &[])
        } else {
            Reply::problem(status, "Unauthorized", detail, &[])
        };
        let challenge = op.security.iter().flat_map(|a| &a.0).find_map(|s| match s {
            SecurityScheme::Http { scheme } => Some(capitalize(scheme)),
            SecurityScheme::OAuth => Some("Bearer".to_owned()),
            SecurityScheme::ApiKey { location, name } => Some(format!(
                "ApiKey in=\"{}\", name=\"{name}\"",
                location.as_str()
            )),
            SecurityScheme::Unchecked => None,
        });
        let has = reply.headers.iter().any(|(n, _)| n == "www-authenticate");
        match challenge {
            Some(c) if status == 401 && !has => reply.header("www-authenticate", c),
            _ => reply,
        }
    }

    /// The poem response. A HEAD answer carries the headers of the GET
    /// answer (content type and length included) without its bytes.
    fn to_response(&self, reply: Reply, cors_origin: Option<&str>, head: bool) -> Response {
        let mut resp = Response::builder()
            .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK));
        for (name, value) in &reply.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::from_str(value),
            ) {
                resp = resp.header(n, v);
            }
        }
        if self.cors != Cors::Off {
            // The CORS headers depend on the origin: caches must know.
            resp = resp.header("vary", "Origin");
        }
        if let Some(origin) = cors_origin {
            resp = resp
                .header("access-control-allow-origin", origin)
                .header("access-control-allow-credentials", "true")
                .header("access-control-expose-headers", self.exposed.as_str());
        }
        match reply.body {
            Some((media, bytes)) if head => resp
                .content_type(media)
                .header("content-length", bytes.len().to_string())
                .body(Body::empty()),
            Some((media, bytes)) => resp.content_type(media).body(Body::from(bytes)),
            None => resp.body(Body::empty()),
        }
    }
}

/// `Prefer` header values the mock honours.
#[derive(Debug, Default)]
struct Prefer {
    code: Option<String>,
    example: Option<String>,
    dynamic: bool,
}

impl Prefer {
    fn parse(header: &str) -> Prefer {
        let mut p = Prefer::default();
        for part in header.split([',', ';']) {
            let Some((k, v)) = part.trim().split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            match k.trim() {
                "code" => p.code = Some(v.to_owned()),
                "example" => p.example = Some(v.to_owned()),
                "dynamic" => p.dynamic = v == "true",
                _ => {}
            }
        }
        p
    }
}

fn capitalize(word: &str) -> String {
    let mut c = word.chars();
    c.next().map_or_else(String::new, |f| {
        f.to_ascii_uppercase().to_string() + c.as_str()
    })
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn header_safe(s: &str) -> String {
    s.chars()
        .filter(|c| *c == ' ' || c.is_ascii_graphic())
        .take(1000)
        .collect()
}

fn read_expr(expr: &Expr, req: &Incoming<'_>, parsed: &Parsed) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match expr {
        Expr::RequestBody(ptr) => ptr.get(parsed.body.as_ref()?).and_then(text),
        // Lossy: a token with non-ASCII bytes is a (wrong) token, not none.
        Expr::RequestHeader(name) => req
            .headers
            .get(name.as_str())
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        Expr::RequestQuery(name) => parsed
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone()),
        Expr::RequestPath(name) => req
            .path_params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone()),
        Expr::RequestCookie(name) => parsed
            .cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone()),
        Expr::ResponseBody(_) | Expr::ResponseHeader(_) => None,
    }
}
