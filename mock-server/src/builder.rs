//! [`MockServerBuilder`]: the options of a mock, and building it as an
//! in-process endpoint ([`App`]) or a served [`MockServer`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use poem::listener::{Acceptor, Listener, TcpListener};
use serde_json::Value;
use tokio::sync::oneshot;

use openapi::model::Model;
use openapi::Spec;

use crate::app::App;
use crate::cors::Cors;
use crate::handler::Mock;
use crate::router::Router;
use crate::server::MockServer;
use crate::state::State;

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
        let model =
            Model::new(lifecycle.policy.clone(), accounts).with_clients(lifecycle.clients.clone());
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
        App::new(Arc::new(Mock {
            spec,
            router,
            state: State::new(model),
            cors: self.cors,
            body_limit: self.body_limit,
            seed: self.seed,
            exposed: exposed.join(", "),
        }))
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
        let mock = app.mock().clone();
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
        Ok(MockServer::new(bound, mock, tx, task))
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
