//! The implementation under test, over blocking HTTP(S), and the curl
//! rendering of every request so that failures can be replayed by hand.
//!
//! Every request goes through [`Target::send_op`]: it takes its place in the
//! run's [`Budget`] (budget, duration, rate limit), is sent over rustls
//! (webpki and system roots, `--ca-cert`, a client certificate, or no
//! verification with `--insecure`) with a per-request timeout, and its body
//! is read up to `--max-body` bytes and no further. A request that gets no
//! answer (a timeout, a dropped connection) or an oversized or slow answer
//! is a [`Finding`] under its transport property, on its operation, and the
//! caller goes on; requests failing in a row stop the run.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::budget::{Budget, Limits};
use crate::driver::Exchange;
use crate::error::RunError;
use crate::property::Property;

/// A request to send: `openapi::wire`'s, the codec the mock parses with.
pub use openapi::wire::Request as HttpRequest;

/// The default `--request-timeout`.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The default `--max-body`: 16 MiB.
pub const DEFAULT_MAX_BODY: u64 = 16 << 20;
/// Timeouts of one operation after which the suite stops sending it.
pub const GIVE_UP_AFTER_TIMEOUTS: u64 = 2;

/// How requests travel.
#[derive(Debug, Clone)]
pub struct Transport {
    /// Longest wait for a whole answer (`--request-timeout`).
    pub request_timeout: Duration,
    /// Answers slower than this are a finding (`--max-response-time`).
    pub max_response_time: Option<Duration>,
    /// Largest body read (`--max-body`); a larger one is a finding.
    pub max_body: u64,
    /// TLS.
    pub tls: Tls,
}

impl Default for Transport {
    fn default() -> Transport {
        Transport {
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_response_time: None,
            max_body: DEFAULT_MAX_BODY,
            tls: Tls::default(),
        }
    }
}

/// TLS options (rustls; the webpki and the system roots are trusted).
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// PEM certificates to trust as well (`--ca-cert`).
    pub ca_cert: Option<PathBuf>,
    /// Accept any certificate (`--insecure`): loudly warned about.
    pub insecure: bool,
    /// PEM client certificate for mTLS (`--client-cert`).
    pub client_cert: Option<PathBuf>,
    /// PEM private key of the client certificate (`--client-key`).
    pub client_key: Option<PathBuf>,
}

/// A value that came from the environment: written in reports as the
/// shell expression that reads it (`$API_TOKEN`, `${QA_USER#*:}`), never as
/// itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// The shell expression.
    pub reference: String,
    /// The value.
    pub value: String,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.reference)
    }
}

/// A response received.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    #[serde(skip)]
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text, shortened for reports.
    pub fn body_text(&self, max: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        if text.chars().count() > max {
            let cut: String = text.chars().take(max).collect();
            format!("{cut}…")
        } else {
            text.into_owned()
        }
    }
}

/// A transport failure of an operation: a request that got no answer, an
/// oversized body, a slow answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    /// The property it fails.
    pub property: Property,
    /// The operation.
    pub operation: String,
    /// How many requests failed so.
    pub count: u64,
    /// The first failure, in words.
    pub message: String,
    /// The first failing request.
    pub exchange: Exchange,
}

/// What went wrong with one request.
enum Failure {
    Timeout,
    Dropped(String),
    TooLarge(String),
}

#[derive(Debug, Default)]
struct Findings {
    by: BTreeMap<(Property, String), Finding>,
    timeouts: BTreeMap<String, u64>,
}

#[derive(Debug)]
struct Inner {
    base: String,
    client: reqwest::blocking::Client,
    headers: Vec<(String, String)>,
    transport: Transport,
    budget: Budget,
    secrets: Vec<Secret>,
    findings: Mutex<Findings>,
    answered: AtomicU64,
    /// The mock namespace every request names, and whether the run made it
    /// (then it is forgotten at the end).
    namespace: std::sync::OnceLock<(String, bool)>,
}

/// The environment variable that holds the mock's admin token (the mock
/// reads the same one).
pub const ADMIN_TOKEN_ENV: &str = "MOCK_ADMIN_TOKEN";

/// The header that names a mock namespace.
pub const NAMESPACE_HEADER: &str = "x-mock-namespace";

/// Where the implementation under test lives.
#[derive(Debug, Clone)]
pub struct Target {
    inner: Arc<Inner>,
}

fn client(transport: &Transport) -> Result<reqwest::blocking::Client, RunError> {
    reqwest::blocking::Client::builder()
        .use_preconfigured_tls(crate::tls::config(&transport.tls)?)
        .timeout(transport.request_timeout)
        .connect_timeout(transport.request_timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|e| RunError::Client(error_chain(&e)))
}

impl Target {
    /// A target at `base` (`https://staging.example.com`), adding `headers`
    /// to every request, within `limits`; `secrets` are never written out.
    pub fn new(
        base: &str,
        headers: Vec<(String, String)>,
        transport: &Transport,
        limits: Limits,
        secrets: Vec<Secret>,
    ) -> Result<Target, RunError> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(RunError::BadTarget(base));
        }
        Ok(Target {
            inner: Arc::new(Inner {
                base,
                client: client(transport)?,
                headers,
                transport: transport.clone(),
                budget: Budget::new(limits),
                secrets,
                findings: Mutex::default(),
                answered: AtomicU64::new(0),
                namespace: std::sync::OnceLock::new(),
            }),
        })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.inner.base
    }

    /// The run's budget.
    pub fn budget(&self) -> &Budget {
        &self.inner.budget
    }

    /// Warnings every report carries (certificate checks turned off).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.inner.transport.tls.insecure {
            out.push(
                "TLS certificates are NOT verified (--insecure): anyone between the suite and \
                 the target could have answered"
                    .to_owned(),
            );
        }
        out
    }

    /// Reach the target once (`GET /`): any answer will do; none is
    /// [`RunError::Unreachable`].
    pub fn reach(&self) -> Result<(), RunError> {
        let req = HttpRequest::new("GET", "/");
        self.inner.budget.acquire().map_err(RunError::Stopped)?;
        match self.exchange(&req) {
            Ok(_) => Ok(()),
            Err(f) => Err(RunError::Unreachable {
                target: self.base().to_owned(),
                message: match f {
                    Failure::Timeout => format!(
                        "no answer to GET / within {}",
                        humantime::format_duration(self.inner.transport.request_timeout)
                    ),
                    Failure::Dropped(m) | Failure::TooLarge(m) => m,
                },
            }),
        }
    }

    /// `GET` a URL that may be another server's (a key set the spec
    /// locates elsewhere), within the run's budget like every request.
    pub fn get_url(&self, url: &str) -> Result<HttpResponse, RunError> {
        self.send(&HttpRequest::new("GET", url))
    }

    /// Send a request that is no operation's (the mock's admin API).
    pub fn send(&self, req: &HttpRequest) -> Result<HttpResponse, RunError> {
        self.send_op(&format!("{} {}", req.method, req.path), req)
    }

    /// Send a request of `operation`. No answer is a finding and
    /// [`RunError::NoAnswer`]; the run's end is [`RunError::Stopped`].
    pub fn send_op(&self, operation: &str, req: &HttpRequest) -> Result<HttpResponse, RunError> {
        let timeouts = self.findings().timeouts.get(operation).copied();
        if timeouts.unwrap_or(0) >= GIVE_UP_AFTER_TIMEOUTS {
            return Err(RunError::NoAnswer {
                operation: operation.to_owned(),
                failure: format!("not sent: it timed out {GIVE_UP_AFTER_TIMEOUTS} times"),
            });
        }
        let budget = &self.inner.budget;
        budget.acquire().map_err(RunError::Stopped)?;
        let started = Instant::now();
        match self.exchange(req) {
            Ok(resp) => {
                let elapsed = started.elapsed();
                let gateway = matches!(resp.status, 502..=504);
                // The mock's admin API answering says nothing of the API:
                // it does not end a run of failures.
                let admin = req.path.starts_with("/__mock") && !gateway;
                if !admin {
                    budget.record(
                        gateway
                            .then(|| format!("{} {}", resp.status, operation))
                            .as_deref(),
                    );
                }
                self.inner.answered.fetch_add(1, Ordering::Relaxed);
                if let Some(max) = self.inner.transport.max_response_time {
                    if elapsed > max {
                        let message = format!(
                            "answered in {} ms, over --max-response-time {}",
                            elapsed.as_millis(),
                            humantime::format_duration(max)
                        );
                        self.found(
                            Property::RespondsInTime,
                            operation,
                            message,
                            req,
                            Some(&resp),
                        );
                    }
                }
                Ok(resp)
            }
            Err(Failure::TooLarge(message)) => {
                budget.record(None);
                self.found(
                    Property::BodyWithinLimit,
                    operation,
                    message.clone(),
                    req,
                    None,
                );
                Err(RunError::NoAnswer {
                    operation: operation.to_owned(),
                    failure: message,
                })
            }
            Err(f) => {
                let (property, message) = match f {
                    Failure::Timeout => {
                        let mut findings = self.findings();
                        *findings.timeouts.entry(operation.to_owned()).or_default() += 1;
                        let timeout = self.timeout();
                        (
                            Property::RespondsInTime,
                            format!(
                                "no answer within {} (--request-timeout)",
                                humantime::format_duration(timeout)
                            ),
                        )
                    }
                    Failure::Dropped(m) | Failure::TooLarge(m) => {
                        (Property::AnswersEveryRequest, m)
                    }
                };
                budget.record(Some(&format!("{operation}: {message}")));
                self.found(property, operation, message.clone(), req, None);
                Err(RunError::NoAnswer {
                    operation: operation.to_owned(),
                    failure: message,
                })
            }
        }
    }

    fn findings(&self) -> std::sync::MutexGuard<'_, Findings> {
        self.inner
            .findings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn found(
        &self,
        property: Property,
        operation: &str,
        message: String,
        req: &HttpRequest,
        resp: Option<&HttpResponse>,
    ) {
        let exchange = Exchange {
            step: operation.to_owned(),
            curl: self.curl(req),
            expected: property.name().to_owned(),
            status: resp.map_or(0, |r| r.status),
            body: resp.map_or_else(|| message.clone(), |r| self.redact(&r.body_text(400))),
        };
        let mut findings = self.findings();
        let entry = findings
            .by
            .entry((property, operation.to_owned()))
            .or_insert(Finding {
                property,
                operation: operation.to_owned(),
                count: 0,
                message,
                exchange,
            });
        entry.count += 1;
    }

    /// Every transport finding so far, by property then operation.
    pub fn transport_findings(&self) -> Vec<Finding> {
        self.findings().by.values().cloned().collect()
    }

    /// Requests that got an answer.
    pub fn answered(&self) -> u64 {
        self.inner.answered.load(Ordering::Relaxed)
    }

    /// The timeout of the next request: `--request-timeout`, or less when
    /// `--duration` ends sooner.
    fn timeout(&self) -> Duration {
        let t = self.inner.transport.request_timeout;
        self.inner
            .budget
            .time_left()
            .map_or(t, |left| t.min(left.max(Duration::from_millis(1))))
    }

    /// Send and read the answer, its body up to the bound.
    fn exchange(&self, req: &HttpRequest) -> Result<HttpResponse, Failure> {
        // A path of the target, or a URL of its own (`Target::get_url`).
        let url = if req.path.contains("://") {
            req.path_and_query()
        } else {
            format!("{}{}", self.base(), req.path_and_query())
        };
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| Failure::Dropped(e.to_string()))?;
        let mut builder = self
            .inner
            .client
            .request(method, &url)
            .timeout(self.timeout());
        for (k, v) in self.inner.headers.iter().chain(&req.headers) {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some((ns, _)) = self.inner.namespace.get() {
            builder = builder.header(NAMESPACE_HEADER, ns.as_str());
        }
        // A mock whose admin API wants a token (`--admin-token`) gets the
        // one in the environment, on its admin calls only.
        if req.path.starts_with("/__mock") {
            if let Ok(token) = std::env::var(ADMIN_TOKEN_ENV) {
                builder = builder.bearer_auth(token);
            }
        }
        // An empty media type sends the body without a content type.
        if let Some((media, bytes)) = &req.body {
            if !media.is_empty() {
                builder = builder.header("content-type", media.as_str());
            }
            builder = builder.body(bytes.clone());
        }
        let resp = builder.send().map_err(|e| self.failure(&e))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let max = self.inner.transport.max_body;
        let too_large = |what: String| {
            Failure::TooLarge(format!(
                "{status} with a body {what}, over --max-body {max} bytes"
            ))
        };
        if let Some(len) = resp.content_length().filter(|l| *l > max) {
            return Err(too_large(format!("of {len} bytes (content-length)")));
        }
        let mut body = Vec::new();
        // One byte past the bound tells an oversized body; no more is read.
        resp.take(max + 1)
            .read_to_end(&mut body)
            .map_err(|e| self.read_failure(&e))?;
        if body.len() as u64 > max {
            return Err(too_large("that goes on".to_owned()));
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    fn failure(&self, e: &reqwest::Error) -> Failure {
        if e.is_timeout() {
            Failure::Timeout
        } else {
            Failure::Dropped(format!("no answer: {}", self.redact(&error_chain(e))))
        }
    }

    fn read_failure(&self, e: &std::io::Error) -> Failure {
        let timed_out = e.kind() == std::io::ErrorKind::TimedOut
            || e.get_ref()
                .and_then(|s| s.downcast_ref::<reqwest::Error>())
                .is_some_and(reqwest::Error::is_timeout);
        if timed_out {
            Failure::Timeout
        } else {
            Failure::Dropped(format!(
                "the body broke off: {}",
                self.redact(&error_chain(e))
            ))
        }
    }

    /// `text` with every secret replaced by the shell expression that
    /// reads it.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in self.inner.secrets.iter().filter(|s| !s.value.is_empty()) {
            out = out.replace(&s.value, &s.reference);
        }
        out
    }

    /// The request as a copy-pasteable curl command; secrets are written as
    /// the shell expressions that read them from the environment.
    pub fn curl(&self, req: &HttpRequest) -> String {
        let secrets = &self.inner.secrets;
        let arg = |s: &str| shell_with(s, secrets);
        let mut cmd = format!(
            "curl -i -X {} {}",
            req.method,
            arg(&format!("{}{}", self.base(), req.path_and_query()))
        );
        if self.inner.transport.tls.insecure {
            cmd.push_str(" -k");
        }
        if let Some(ca) = &self.inner.transport.tls.ca_cert {
            cmd.push_str(&format!(" --cacert {}", shell(&ca.display().to_string())));
        }
        if let (Some(c), Some(k)) = (
            &self.inner.transport.tls.client_cert,
            &self.inner.transport.tls.client_key,
        ) {
            cmd.push_str(&format!(
                " --cert {} --key {}",
                shell(&c.display().to_string()),
                shell(&k.display().to_string())
            ));
        }
        for (k, v) in self.inner.headers.iter().chain(&req.headers) {
            cmd.push_str(&format!(" -H {}", arg(&format!("{k}: {v}"))));
        }
        if let Some((ns, _)) = self.inner.namespace.get() {
            cmd.push_str(&format!(
                " -H {}",
                shell(&format!("{NAMESPACE_HEADER}: {ns}"))
            ));
        }
        if let Some((media, bytes)) = &req.body {
            // `content-type:` alone: curl sends none (not its form default).
            let header = format!("content-type: {media}");
            cmd.push_str(&format!(" -H {}", shell(header.trim_end())));
            cmd.push_str(&format!(
                " --data-raw {}",
                arg(&String::from_utf8_lossy(bytes))
            ));
        }
        cmd
    }

    /// Whether the target is this project's mock (it has the admin API).
    pub fn is_mock(&self) -> Result<bool, RunError> {
        match self.send(&HttpRequest::new("GET", "/__mock/clock")) {
            Ok(r) => Ok(r.status == 200 && r.json().is_some_and(|v| v.get("now").is_some())),
            Err(RunError::NoAnswer { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Name the mock namespace `name` on every request from now on (once;
    /// a second call changes nothing). `fresh`: the run made it, and
    /// [`Target::forget_namespace`] drops it at the end.
    pub fn use_namespace(&self, name: String, fresh: bool) {
        // The request that drops a fresh namespace at the end is taken from
        // the budget now, so the run keeps to its budget to the last one.
        let drop_it = fresh && self.inner.budget.acquire().is_ok();
        let _ = self.inner.namespace.set((name, drop_it));
    }

    /// The mock namespace every request names, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.inner.namespace.get().map(|(ns, _)| ns.as_str())
    }

    /// Drop the run's own namespace from the mock (best effort; its
    /// request was taken from the budget by [`Target::use_namespace`]).
    pub fn forget_namespace(&self) {
        if let Some((ns, true)) = self.inner.namespace.get() {
            let req = HttpRequest::new("DELETE", &format!("/__mock/namespaces/{ns}"));
            if self.exchange(&req).is_err() {
                tracing::debug!("namespace {ns} not dropped: no answer");
            }
        }
    }

    /// Mock admin: reset and freeze the clock.
    pub fn mock_fresh_frozen(&self) -> Result<(), RunError> {
        self.admin("/__mock/reset", None)?;
        self.admin("/__mock/clock/freeze", None)
    }

    /// Mock admin: move the clock.
    pub fn mock_advance(&self, seconds: u64) -> Result<(), RunError> {
        let body = serde_json::json!({ "seconds": seconds });
        self.admin("/__mock/clock/advance", Some(body))
    }

    fn admin(&self, path: &str, body: Option<Value>) -> Result<(), RunError> {
        let mut req = HttpRequest::new("POST", path);
        if let Some(b) = body {
            req.body = Some(("application/json".into(), b.to_string().into_bytes()));
        }
        let resp = self.send(&req)?;
        if resp.status >= 300 {
            return Err(RunError::Admin {
                path: path.to_owned(),
                status: resp.status,
            });
        }
        Ok(())
    }
}

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let s_text = s.to_string();
        if !msg.contains(&s_text) {
            msg.push_str(": ");
            msg.push_str(&s_text);
        }
        src = s.source();
    }
    msg
}

/// Quote for a POSIX shell.
pub fn shell(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Quote for a POSIX shell, each secret in `s` written as its shell
/// expression (in double quotes, so that the shell reads it).
fn shell_with(s: &str, secrets: &[Secret]) -> String {
    let found: Vec<&Secret> = secrets
        .iter()
        .filter(|x| !x.value.is_empty() && s.contains(&x.value))
        .collect();
    if found.is_empty() {
        return shell(s);
    }
    let escape = |t: &str| {
        t.chars().fold(String::new(), |mut out, c| {
            if "\\\"$`".contains(c) {
                out.push('\\');
            }
            out.push(c);
            out
        })
    };
    // Split `s` at every occurrence of a secret, longest secrets first.
    let mut parts: Vec<(String, bool)> = vec![(s.to_owned(), false)];
    let mut found = found;
    found.sort_by_key(|x| std::cmp::Reverse(x.value.len()));
    for secret in found {
        parts = parts
            .into_iter()
            .flat_map(|(text, is_ref)| {
                if is_ref {
                    return vec![(text, true)];
                }
                let mut out = Vec::new();
                let mut rest = text.as_str();
                while let Some(i) = rest.find(&secret.value) {
                    out.push((rest[..i].to_owned(), false));
                    out.push((secret.reference.clone(), true));
                    rest = &rest[i + secret.value.len()..];
                }
                out.push((rest.to_owned(), false));
                out
            })
            .collect();
    }
    let body: String = parts
        .into_iter()
        .map(|(t, is_ref)| if is_ref { t } else { escape(&t) })
        .collect();
    format!("\"{body}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_written_as_the_expressions_that_read_them() {
        let secrets = [
            Secret {
                reference: "$API_TOKEN".into(),
                value: "s3cr3t-t0ken".into(),
            },
            Secret {
                reference: "${QA_USER#*:}".into(),
                value: "pa$$word".into(),
            },
        ];
        assert_eq!(
            shell_with("authorization: Bearer s3cr3t-t0ken", &secrets),
            "\"authorization: Bearer $API_TOKEN\""
        );
        assert_eq!(
            shell_with(r#"{"username":"qa","password":"pa$$word"}"#, &secrets),
            r#""{\"username\":\"qa\",\"password\":\"${QA_USER#*:}\"}""#
        );
        assert_eq!(shell_with("x-plain: 1", &secrets), "'x-plain: 1'");
    }
}
