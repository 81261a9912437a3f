//! The implementation under test, over HTTP (blocking reqwest), and the
//! curl rendering of every request so that failures can be replayed by hand.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::error::RunError;

/// A request to send: `openapi::wire`'s, the codec the mock parses with.
pub use openapi::wire::Request as HttpRequest;

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

/// Where the implementation under test lives.
#[derive(Debug, Clone)]
pub struct Target {
    base: String,
    client: reqwest::blocking::Client,
    headers: Vec<(String, String)>,
    /// Requests sent to the implementation so far (the mock's admin API
    /// not counted).
    sent: Arc<AtomicU64>,
}

impl Target {
    /// A target at `base` (`http://127.0.0.1:8080`), adding `headers` to
    /// every request.
    pub fn new(base: &str, headers: Vec<(String, String)>) -> Result<Target, RunError> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(RunError::BadTarget(base));
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| RunError::Client(e.to_string()))?;
        Ok(Target {
            base,
            client,
            headers,
            sent: Arc::default(),
        })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Requests sent so far, the mock's admin API not counted: the
    /// ordinal of the last request sent.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Send a request (counted in [`Target::sent`]).
    pub fn send(&self, req: &HttpRequest) -> Result<HttpResponse, RunError> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        self.send_uncounted(req)
    }

    fn send_uncounted(&self, req: &HttpRequest) -> Result<HttpResponse, RunError> {
        let url = format!("{}{}", self.base, req.path_and_query());
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| RunError::Client(e.to_string()))?;
        let mut builder = self.client.request(method, &url);
        for (k, v) in self.headers.iter().chain(&req.headers) {
            builder = builder.header(k.as_str(), v.as_str());
        }
        // An empty media type sends the body without a content type.
        if let Some((media, bytes)) = &req.body {
            if !media.is_empty() {
                builder = builder.header("content-type", media.as_str());
            }
            builder = builder.body(bytes.clone());
        }
        let resp = builder.send().map_err(|e| RunError::Unreachable {
            target: self.base.clone(),
            message: error_chain(&e),
        })?;
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
        let body = resp
            .bytes()
            .map_err(|e| RunError::Unreachable {
                target: self.base.clone(),
                message: error_chain(&e),
            })?
            .to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    /// The request as a copy-pasteable curl command.
    pub fn curl(&self, req: &HttpRequest) -> String {
        let mut cmd = format!(
            "curl -i -X {} {}",
            req.method,
            shell(&format!("{}{}", self.base, req.path_and_query()))
        );
        for (k, v) in self.headers.iter().chain(&req.headers) {
            cmd.push_str(&format!(" -H {}", shell(&format!("{k}: {v}"))));
        }
        if let Some((media, bytes)) = &req.body {
            // curl sends a form content type unless told otherwise.
            let header = format!("content-type: {media}");
            cmd.push_str(&format!(" -H {}", shell(header.trim_end())));
            cmd.push_str(&format!(
                " --data-raw {}",
                shell(&String::from_utf8_lossy(bytes))
            ));
        }
        cmd
    }

    /// Whether the target is this project's mock (it has the admin API).
    pub fn is_mock(&self) -> bool {
        self.send_uncounted(&HttpRequest::new("GET", "/__mock/clock"))
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| r.json())
            .is_some_and(|v| v.get("now").is_some())
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
        let resp = self.send_uncounted(&req)?;
        if resp.status >= 300 {
            return Err(RunError::Admin {
                path: path.to_owned(),
                status: resp.status,
            });
        }
        Ok(())
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
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
