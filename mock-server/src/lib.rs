//! A stateful mock server driven by an OpenAPI document.
//!
//! The mock reads any OpenAPI 3.0/3.1 document and routes every operation in
//! it. Requests are validated against the spec (a clear 400 naming each bad
//! field). Operations bound with the `x-token-lifecycle` extension run the
//! behaviour model of the `openapi` crate, so that login issues tokens, a
//! refresh token works exactly once, logout kills the session and expired or
//! dead tokens get a 401, as the spec declares. Other operations answer from
//! the spec's examples or schemas.
//!
//! # Use in Rust tests
//!
//! [`MockServer::start`] serves the embedded reference spec on a random
//! loopback port, like wiremock's `MockServer::start()`; it stops when
//! dropped.
//!
//! ```no_run
//! # async fn demo() {
//! use mock_server::MockServer;
//!
//! let server = MockServer::start().await;
//! let client = reqwest::Client::new();
//! let tokens: serde_json::Value = client
//!     .post(format!("{}/auth/login", server.uri()))
//!     .json(&serde_json::json!({"username": "demo", "password": "demo"}))
//!     .send().await.unwrap()
//!     .json().await.unwrap();
//! assert_eq!(tokens["tokenType"], "Bearer");
//! // Make the access token expire without waiting:
//! server.advance_clock(3600);
//! # }
//! ```
//!
//! With your own spec and accounts:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let spec = openapi::Spec::from_path("fixtures/spryker-glue.yaml".as_ref())?;
//! let server = mock_server::MockServer::builder()
//!     .spec(spec)
//!     .user("carol", "secret")
//!     .start()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Internals
//!
//! A request goes [`router`] → [`request`] (validation) → the model (bound
//! operations) or examples (unbound) → [`respond`] (the documented response
//! with the bound fields filled in). The admin API ([`admin`]) is a separate
//! poem-openapi service under `/__mock`.
#![deny(missing_docs)]

pub mod admin;
pub mod cors;
pub mod handler;
pub mod request;
pub mod respond;
pub mod router;
pub mod state;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Endpoint, EndpointExt, IntoEndpoint, Request, Response, Route};
use serde_json::Value;
use tokio::sync::oneshot;

use openapi::model::Model;
use openapi::Spec;

pub use cors::Cors;
use handler::Mock;
use router::Router;
use state::{JournalEntry, State};

/// The default body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// Why the mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
}

/// Options of a mock server; see [`MockServer::builder`].
#[derive(Debug)]
pub struct MockServerBuilder {
    spec: Option<Spec>,
    users: Vec<(String, String)>,
    host: IpAddr,
    port: u16,
    cors: Cors,
    body_limit: usize,
    seed: u64,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        MockServerBuilder {
            spec: None,
            users: Vec::new(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            cors: Cors::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            seed: 0,
        }
    }
}

impl MockServerBuilder {
    /// Serve this spec instead of the reference spec.
    pub fn spec(mut self, spec: Spec) -> Self {
        self.spec = Some(spec);
        self
    }

    /// Add an account, or replace the password of a declared one.
    pub fn user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.push((name.into(), password.into()));
        self
    }

    /// The address to listen on (default 127.0.0.1).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// The port (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The CORS policy (default: localhost origins).
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = cors;
        self
    }

    /// The largest request body accepted, in bytes (default 1 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The seed of schema-generated bodies (`Prefer: dynamic=true`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The mock as an in-process poem endpoint (no socket).
    pub fn build(self) -> App {
        let spec = Arc::new(self.spec.unwrap_or_else(openapi::reference_spec));
        let lifecycle = spec.lifecycle();
        let accounts = lifecycle.accounts.iter().cloned().chain(self.users);
        let model = Model::new(lifecycle.policy.clone(), accounts);
        let router = Router::new(spec.operations(), &base_path(spec.document()));
        let mut exposed: Vec<String> = spec
            .operations()
            .iter()
            .flat_map(|o| &o.responses)
            .flat_map(|r| &r.headers)
            .map(|h| h.name.clone())
            .chain(["www-authenticate", "location", "allow", "x-mock-problem"].map(String::from))
            .collect();
        exposed.sort();
        exposed.dedup();
        let mock = Arc::new(Mock {
            spec,
            router,
            state: State::new(model),
            cors: self.cors,
            body_limit: self.body_limit,
            seed: self.seed,
            exposed: exposed.join(", "),
        });
        let api = admin::service(mock.clone());
        let admin = Route::new()
            .nest(format!("{}/docs", admin::PREFIX), api.swagger_ui())
            .at(
                format!("{}/openapi.json", admin::PREFIX),
                api.spec_endpoint(),
            )
            .nest(admin::PREFIX, api)
            .into_endpoint()
            // Admin errors are problem documents too, like the mock's.
            .catch_all_error(|e: poem::Error| async move {
                let status = e.status().as_u16();
                let title = e.status().canonical_reason().unwrap_or("Error");
                let body = respond::Reply::problem(status, title, &e.to_string(), &[]);
                let (media, bytes) = body.body.unwrap_or_default();
                Response::builder()
                    .status(e.status())
                    .content_type(media)
                    .body(bytes)
            })
            .map_to_response()
            .boxed();
        App { mock, admin }
    }

    /// Bind and serve in the background.
    pub async fn start(self) -> Result<MockServer, StartError> {
        let addr = SocketAddr::new(self.host, self.port);
        let app = self.build();
        let acceptor = TcpListener::bind(addr)
            .into_acceptor()
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let bound = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .unwrap_or(addr);
        let mock = app.mock.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = poem::Server::new_with_acceptor(acceptor);
            let stop = async {
                let _ = rx.await;
            };
            if let Err(e) = server.run_with_graceful_shutdown(app, stop, None).await {
                tracing::error!("mock server stopped: {e}");
            }
        });
        Ok(MockServer {
            addr: bound,
            mock,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// The path of the first server URL (`/v1` of `https://x.example/v1`).
fn base_path(doc: &Value) -> String {
    let url = doc
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or("");
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    };
    if path.contains('{') {
        String::new()
    } else {
        path.trim_end_matches('/').to_owned()
    }
}

/// The mock as a poem endpoint: the admin API under `/__mock`, the spec's
/// operations everywhere else.
pub struct App {
    mock: Arc<Mock>,
    admin: BoxEndpoint<'static, Response>,
}

impl Endpoint for App {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        if path == admin::PREFIX || path.starts_with(&format!("{}/", admin::PREFIX)) {
            // The admin API is CORS-enabled like the mock, so a page's test
            // harness can reset the mock or move its clock.
            let origin = req
                .headers()
                .get("origin")
                .and_then(|v| v.to_str().ok())
                .filter(|o| self.mock.cors.allows(o))
                .map(str::to_owned);
            let preflight = req.method() == poem::http::Method::OPTIONS
                && req.headers().contains_key("access-control-request-method");
            let mut resp = match (&origin, preflight) {
                (Some(_), true) => Response::builder()
                    .status(poem::http::StatusCode::NO_CONTENT)
                    .header("access-control-allow-methods", "GET, POST, DELETE, OPTIONS")
                    .header("access-control-allow-headers", "content-type")
                    .header("access-control-max-age", "600")
                    .finish(),
                _ => self.admin.call(req).await?,
            };
            if let Some(o) = origin {
                if let Ok(v) = poem::http::HeaderValue::from_str(&o) {
                    resp.headers_mut().insert("access-control-allow-origin", v);
                }
                resp.headers_mut().insert(
                    "access-control-allow-credentials",
                    poem::http::HeaderValue::from_static("true"),
                );
            }
            return Ok(resp);
        }
        Ok(self.mock.handle(req).await)
    }
}

/// A running mock server; it stops when dropped.
pub struct MockServer {
    addr: SocketAddr,
    mock: Arc<Mock>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Serve the embedded reference spec on a random loopback port.
    pub async fn start() -> MockServer {
        MockServer::builder()
            .start()
            .await
            .expect("binding 127.0.0.1:0 cannot fail on a working machine")
    }

    /// Options: spec, accounts, address, CORS, limits.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// The spec served.
    pub fn spec(&self) -> &Spec {
        &self.mock.spec
    }

    /// Move the mock clock forward.
    pub fn advance_clock(&self, seconds: u64) {
        self.mock.state.clock.advance(seconds);
    }

    /// Stop the mock clock: it then moves only with
    /// [`advance_clock`](Self::advance_clock), so TTL boundaries are exact.
    pub fn freeze_clock(&self) {
        self.mock.state.clock.freeze();
    }

    /// Forget sessions, tokens and the journal.
    pub fn reset(&self) {
        self.mock.state.reset();
    }

    /// The newest `limit` journal entries, oldest first.
    pub fn journal(&self, limit: usize) -> Vec<JournalEntry> {
        self.mock.state.journal.lock().last(limit)
    }

    /// Stop serving and wait until the listener is closed.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
