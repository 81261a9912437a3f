//! `conformance proxy`: a validating proxy. It forwards every request to
//! the upstream (hop-by-hop headers dropped, everything else kept), returns
//! the upstream's answer unchanged (or, with `errors`, a 502 problem where
//! it saw a violation), and judges each exchange with [`oracle`]: the
//! suite's checks and the suite's reference, passively.
//!
//! Invariant: the proxy sends no request of its own; every verdict comes
//! from traffic it forwarded, under the suite's property names.

mod body;
mod oracle;
mod page;
mod tls;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

use openapi::Spec;

use crate::plan::Plan;
use crate::property::Property;
use crate::report::{CheckResult, Group, Report};
use crate::select::Selection;
use crate::target::{HttpResponse, Target};
use crate::{Limits, Tls, Transport};
use body::{Read, Relay};

pub use oracle::Tally;

/// Bodies are buffered (to be judged) up to this size; a larger one is
/// streamed through unchanged, and its exchange is not judged.
pub const BODY_LIMIT: usize = 1 << 20;

/// Exchanges with violations the journal keeps.
pub const JOURNAL_CAPACITY: usize = 1000;

/// The default tolerance around expiry, seconds.
pub const DEFAULT_TOLERANCE: u64 = 2;

/// What a proxy needs.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The upstream base URL (`http://...` or `https://...`).
    pub upstream: String,
    /// TLS to an https upstream: the options `conformance run` takes.
    pub tls: Tls,
    /// The spec.
    pub spec: Arc<Spec>,
    /// Where to listen (port 0: any).
    pub listen: SocketAddr,
    /// Answer a violation with a 502 problem.
    pub errors: bool,
    /// The accounts whose logins the model follows (default: the spec's
    /// declared accounts).
    pub users: Vec<(String, String)>,
    /// Seconds around a token's expiry without a verdict.
    pub tolerance: u64,
    /// How far the upstream's clock, and a JWT's lifetime from its
    /// `expires_in`, may be off, in seconds (`--clock-skew`, as `run`).
    pub clock_skew: u64,
}

impl ProxyConfig {
    /// Defaults for `upstream` and `spec`, on 127.0.0.1, any port.
    pub fn new(upstream: &str, spec: Arc<Spec>) -> ProxyConfig {
        ProxyConfig {
            upstream: upstream.trim_end_matches('/').to_owned(),
            tls: Tls::default(),
            spec,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            errors: false,
            users: Vec::new(),
            tolerance: DEFAULT_TOLERANCE,
            clock_skew: crate::DEFAULT_CLOCK_SKEW,
        }
    }
}

/// Why a proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The upstream URL is not an http:// or https:// one.
    #[error("the upstream must be an http:// or https:// URL, got `{0}`")]
    BadUpstream(String),
    /// The TLS options could not be used (a PEM file that does not read).
    #[error("cannot set up TLS to the upstream")]
    Tls(#[source] crate::RunError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The runtime could not start.
    #[error("cannot start the proxy's runtime")]
    Runtime(#[source] std::io::Error),
    /// The plan could not be made.
    #[error("cannot plan the checks")]
    Plan(#[source] crate::RunError),
}

/// One exchange with violations, as the journal lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JournalEntry {
    /// Its number among the exchanges forwarded.
    pub exchange: u64,
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The upstream's status.
    pub status: u16,
    /// The violations: property name and message.
    pub violations: Vec<(String, String)>,
}

struct Shared {
    config: ProxyConfig,
    oracle: Mutex<oracle::Oracle>,
    journal: Mutex<VecDeque<JournalEntry>>,
    client: Client<tls::Connector, Relay>,
    /// Report paths `POST /__mock/report` writes.
    reports: ReportPaths,
    /// When it started serving.
    started: std::time::Instant,
}

/// Where reports go.
#[derive(Debug, Clone, Default)]
pub struct ReportPaths {
    /// JSON.
    pub json: Option<std::path::PathBuf>,
    /// JUnit XML.
    pub junit: Option<std::path::PathBuf>,
    /// HTML.
    pub html: Option<std::path::PathBuf>,
}

impl ReportPaths {
    /// Write `report` wherever asked.
    pub fn write(&self, report: &Report) -> std::io::Result<()> {
        if let Some(p) = &self.json {
            std::fs::write(p, report.to_json())?;
        }
        if let Some(p) = &self.junit {
            std::fs::write(p, report.to_junit())?;
        }
        if let Some(p) = &self.html {
            std::fs::write(p, report.to_html())?;
        }
        Ok(())
    }
}

/// A running proxy.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("addr", &self.addr).finish()
    }
}

impl Proxy {
    /// Start a proxy (from outside any async runtime: it runs its own).
    pub fn start(config: ProxyConfig, reports: ReportPaths) -> Result<Proxy, ProxyError> {
        let scheme = config.upstream.split_once("://").map(|(s, _)| s);
        if !matches!(scheme, Some("http" | "https")) {
            return Err(ProxyError::BadUpstream(config.upstream.clone()));
        }
        let connector = tls::connector(&config.tls).map_err(ProxyError::Tls)?;
        // Never asked: it writes the curl commands of the report.
        let transport = Transport {
            tls: config.tls.clone(),
            ..Transport::default()
        };
        let target = Target::new(
            &config.upstream,
            Vec::new(),
            &transport,
            Limits::default(),
            Vec::new(),
        )
        .map_err(ProxyError::Plan)?;
        let users = if config.users.is_empty() {
            config.spec.lifecycle().accounts.clone()
        } else {
            config.users.clone()
        };
        let clients = config.spec.lifecycle().clients.clone();
        let mut plan = Plan::new(
            config.spec.clone(),
            target,
            (users, clients),
            false,
            Selection::default(),
        );
        plan.jwt = crate::jwt::Checks::new(
            config.spec.lifecycle().tokens.jwt.clone(),
            config.clock_skew,
        );
        let oracle =
            oracle::Oracle::new(Arc::new(plan), config.tolerance).map_err(ProxyError::Plan)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(ProxyError::Runtime)?;
        let listen = config.listen;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(listen))
            .map_err(|source| ProxyError::Listen {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ProxyError::Listen {
            addr: listen,
            source,
        })?;
        let client =
            runtime.block_on(async { Client::builder(TokioExecutor::new()).build(connector) });
        let shared = Arc::new(Shared {
            config,
            oracle: Mutex::new(oracle),
            journal: Mutex::new(VecDeque::new()),
            client,
            reports,
            started: std::time::Instant::now(),
        });
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = shared.clone();
        runtime.spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    _ = &mut stopped => break,
                };
                let Ok((socket, _)) = accepted else { continue };
                let _ = socket.set_nodelay(true);
                let shared = serving.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(&shared, req).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Ok(Proxy {
            addr,
            shared,
            runtime: Some(runtime),
            stop: Some(stop),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The report of what it saw so far.
    pub fn report(&self) -> Report {
        report_of(&self.shared)
    }

    /// What the oracle found so far.
    pub fn tally(&self) -> Tally {
        self.shared.oracle.lock().expect("oracle").tally.clone()
    }

    /// The journal: the exchanges with violations, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.shared
            .journal
            .lock()
            .expect("journal")
            .iter()
            .cloned()
            .collect()
    }

    /// Stop serving, write the reports, and return the report.
    pub fn finish(mut self) -> std::io::Result<Report> {
        self.shutdown();
        let report = report_of(&self.shared);
        self.shared.reports.write(&report)?;
        Ok(report)
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Whether a report (of the proxy) saw a violation: exit 1, else 0.
pub fn exit_code(report: &Report) -> u8 {
    u8::from(report.with_status(crate::Status::Failed).next().is_some())
}

/// The report: every property judged, passed or failed, with its first
/// violating exchange.
fn report_of(shared: &Shared) -> Report {
    let tally = shared.oracle.lock().expect("oracle").tally.clone();
    let mut report = Report::new(shared.config.spec.title(), &shared.config.upstream, 0);
    report.source = crate::Source::Proxy;
    report.allow_unexercised = true;
    report.requests = tally.exchanges;
    report.seconds = shared.started.elapsed().as_secs_f64();
    if shared.config.tls.insecure {
        report
            .warnings
            .push("--insecure: the upstream's TLS certificate was NOT verified".to_owned());
    }
    if let Some(first) = &tally.first_unjudged {
        report.warnings.push(format!(
            "{} exchange(s) not judged: a body streamed through (over the {} KiB judge limit, \
             or an event stream); first: {first}",
            tally.unjudged,
            BODY_LIMIT >> 10
        ));
    }
    for p in Property::ALL {
        let group = match p {
            Property::ResponsesDocumented | Property::InvalidRequestsRejected => Group::Stateless,
            _ => Group::Stateful,
        };
        let checks = tally.exercised.get(&p).copied().unwrap_or(0);
        match tally.failed.get(&p) {
            Some((n, message, exchange)) => report.checks.push(CheckResult::failed(
                group,
                p.name(),
                checks.max(*n),
                format!("{n} violation(s); first: {message}"),
                vec![exchange.clone()],
            )),
            None if checks > 0 => report
                .checks
                .push(CheckResult::passed(group, p.name(), checks)),
            None => {}
        }
    }
    report
}

const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn hop_by_hop(name: &str, connection: &[String]) -> bool {
    HOP_BY_HOP.contains(&name) || connection.iter().any(|c| c == name)
}

fn connection_tokens(headers: &http::HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect()
}

fn problem(status: u16, detail: &str, extra: serde_json::Value) -> Response<Full<Bytes>> {
    let mut body = serde_json::json!({
        "type": "about:blank",
        "title": "the proxy refused the exchange",
        "status": status,
        "detail": detail,
    });
    if let (Some(o), serde_json::Value::Object(e)) = (body.as_object_mut(), extra) {
        o.extend(e);
    }
    Response::builder()
        .status(status)
        .header("content-type", "application/problem+json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a problem response")
}

/// The value of a header as text (lossy).
fn header_text(headers: &http::HeaderMap, name: http::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Whether an answer with these headers streams from its first byte: an
/// event stream, or a body whose `Content-Length` is over the limit.
/// Every other answer is read (bounded by the limit) and judged.
fn streams_at_once(headers: &http::HeaderMap) -> bool {
    let media = header_text(headers, http::header::CONTENT_TYPE)
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if media == "text/event-stream" {
        return true;
    }
    header_text(headers, http::header::CONTENT_LENGTH)
        .and_then(|l| l.trim().parse::<u64>().ok())
        .is_some_and(|n| n > BODY_LIMIT as u64)
}

/// `path` is the request's path and query as it may be shown.
fn unjudged(shared: &Shared, parts: &http::request::Parts, path: &str, status: u16, why: &str) {
    {
        let mut oracle = shared.oracle.lock().expect("oracle");
        oracle.unjudged(parts.method.as_str(), parts.uri.path(), why);
    }
    tracing::info!(method = %parts.method, path = %path, status, "forwarded, not judged: {why}");
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Relay> {
    let path = req.uri().path().to_owned();
    if let Some(admin) = path.strip_prefix("/__mock/") {
        return page::admin(shared, req.method().as_str(), admin).map(Relay::Whole);
    }
    let (parts, body) = req.into_parts();
    let (body, sent) = match body::read(body, BODY_LIMIT).await {
        Ok(Read::Whole(b)) => (Some(b.clone()), Relay::whole(b)),
        Ok(Read::Over(streamed)) => (None, streamed),
        Err(e) => {
            return problem(
                400,
                &format!("the request body could not be read: {e}"),
                Default::default(),
            )
            .map(Relay::Whole)
        }
    };
    let connection = connection_tokens(&parts.headers);
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter(|(n, _)| !hop_by_hop(n.as_str(), &connection) && n.as_str() != "host")
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    // The request's path and query as they may be shown when it is not
    // judged: its secrets shortened.
    let shown = |body: &[u8]| {
        let seen = oracle::Seen {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body,
        };
        shared.oracle.lock().expect("oracle").shown(&seen)
    };
    let mut upstream = Request::builder()
        .method(parts.method.clone())
        .uri(format!("{}{}", shared.config.upstream, path_and_query));
    for (n, v) in parts.headers.iter() {
        if !hop_by_hop(n.as_str(), &connection) && n != http::header::HOST {
            upstream = upstream.header(n, v);
        }
    }
    let Ok(upstream) = upstream.body(sent) else {
        return problem(502, "the request cannot be forwarded", Default::default())
            .map(Relay::Whole);
    };
    let answer = match shared.client.request(upstream).await {
        Ok(a) => a,
        Err(e) => {
            let cause = crate::target::error_chain(&e);
            let path = shown(body.as_deref().unwrap_or_default());
            tracing::warn!(method = %parts.method, path = %path, "upstream: {cause}");
            return problem(
                502,
                &format!("the upstream did not answer: {cause}"),
                Default::default(),
            )
            .map(Relay::Whole);
        }
    };
    let (rparts, rbody) = answer.into_parts();
    let rconnection = connection_tokens(&rparts.headers);
    let status = rparts.status.as_u16();
    let relayed = |body: Relay, keep_length: bool| {
        let mut out = Response::builder().status(rparts.status);
        for (n, v) in rparts.headers.iter() {
            let length = n == http::header::CONTENT_LENGTH;
            if !hop_by_hop(n.as_str(), &rconnection) && (keep_length || !length) {
                out = out.header(n, v);
            }
        }
        out.body(body).unwrap_or_else(|_| {
            problem(502, "the answer cannot be relayed", Default::default()).map(Relay::Whole)
        })
    };
    let read = if !http_body::Body::is_end_stream(&rbody) && streams_at_once(&rparts.headers) {
        Read::Over(Relay::stream(rbody))
    } else {
        match body::read(rbody, BODY_LIMIT).await {
            Ok(r) => r,
            Err(e) => {
                let path = shown(body.as_deref().unwrap_or_default());
                tracing::warn!(method = %parts.method, path = %path, "upstream: {e}");
                return problem(
                    502,
                    &format!("the upstream's answer broke off: {e}"),
                    Default::default(),
                )
                .map(Relay::Whole);
            }
        }
    };
    let (body, rbody) = match (body.clone(), read) {
        (Some(body), Read::Whole(rbody)) => (body, rbody),
        // A body streamed through, one way or the other: relayed as it
        // is, and no verdict on the exchange.
        (_, Read::Over(streamed)) => {
            let path = shown(body.as_deref().unwrap_or_default());
            unjudged(shared, &parts, &path, status, "the answer's body streamed");
            return relayed(streamed, true);
        }
        (None, Read::Whole(b)) => {
            unjudged(
                shared,
                &parts,
                &shown(&[]),
                status,
                "the request's body streamed",
            );
            return relayed(Relay::whole(b), true);
        }
    };

    let resp = HttpResponse {
        status: rparts.status.as_u16(),
        headers: rparts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: rbody.to_vec(),
    };
    let seen = oracle::Seen {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    let (violations, number, path_and_query) = {
        let mut oracle = shared.oracle.lock().expect("oracle");
        let (v, shown) = oracle.judge(&seen, &resp);
        (v, oracle.tally.exchanges, shown)
    };
    let listed: Vec<(String, String)> = violations
        .iter()
        .map(|v| (v.property.name().to_owned(), v.message.clone()))
        .collect();
    if listed.is_empty() {
        tracing::info!(method = %parts.method, path = %path_and_query, status = resp.status, "forwarded");
    } else {
        let names: Vec<&str> = listed.iter().map(|(p, _)| p.as_str()).collect();
        tracing::warn!(
            method = %parts.method, path = %path_and_query, status = resp.status,
            violations = %names.join(", "), "violation"
        );
        let mut journal = shared.journal.lock().expect("journal");
        if journal.len() == JOURNAL_CAPACITY {
            journal.pop_front();
        }
        journal.push_back(JournalEntry {
            exchange: number,
            method: parts.method.to_string(),
            path: path_and_query.clone(),
            status: resp.status,
            violations: listed.clone(),
        });
    }
    if shared.config.errors && !listed.is_empty() {
        let detail = format!(
            "the upstream's answer ({}) violates: {}",
            resp.status,
            listed
                .iter()
                .map(|(p, m)| format!("{p} ({m})"))
                .collect::<Vec<_>>()
                .join("; ")
        );
        let extra = serde_json::json!({
            "upstreamStatus": resp.status,
            "violations": listed.iter().map(|(p, m)| serde_json::json!({"property": p, "message": m})).collect::<Vec<_>>(),
        });
        return problem(502, &detail, extra).map(Relay::Whole);
    }
    // A HEAD answer's length is the one a GET would have: kept.
    relayed(Relay::whole(rbody), parts.method == http::Method::HEAD)
}
