//! [`MockServerBuilder`]: the options of a mock, and building it as an
//! in-process endpoint ([`App`]) or a served [`MockServer`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use poem::listener::{Acceptor, Listener, TcpListener};
use tokio::sync::oneshot;

use openapi::model::Model;
use openapi::Spec;

use crate::app::App;
use crate::cors::Cors;
use crate::handler::Mock;
use crate::namespace::{Namespaces, DEFAULT_MAX_NAMESPACES};
use crate::prefer::Latency;
use crate::served::Served;
use crate::server::MockServer;

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
    /// The spec file to watch could not be watched.
    #[error("cannot watch {path}")]
    Watch {
        /// The file.
        path: PathBuf,
        /// What the watcher said.
        #[source]
        source: notify::Error,
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
    latency: Option<Latency>,
    max_namespaces: usize,
    watch: Option<PathBuf>,
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
            latency: None,
            max_namespaces: DEFAULT_MAX_NAMESPACES,
            watch: None,
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

    /// A delay before every answer, drawn uniformly from `latency`
    /// (`Prefer: delay=MS` overrides it per request).
    pub fn latency(mut self, latency: Latency) -> Self {
        self.latency = Some(latency);
        self
    }

    /// The most namespaces kept at once, the default one included
    /// (default 64); a request naming one more gets a 409.
    pub fn max_namespaces(mut self, max: usize) -> Self {
        self.max_namespaces = max;
        self
    }

    /// Reload the spec from `path` whenever the file changes. A change
    /// that does not load is logged, with where it is wrong, and the last
    /// good spec goes on serving. Sessions and tokens are kept unless the
    /// reloaded spec's lifecycle policy differs. Give the spec first loaded
    /// with [`spec`](Self::spec).
    pub fn watch(mut self, path: impl Into<PathBuf>) -> Self {
        self.watch = Some(path.into());
        self
    }

    /// The mock as an in-process poem endpoint (no socket). A
    /// [`watch`](Self::watch)ed file is watched only by
    /// [`start`](Self::start).
    pub fn build(self) -> App {
        self.into_mock().0
    }

    fn into_mock(self) -> (App, Option<PathBuf>) {
        let spec = self.spec.unwrap_or_else(openapi::reference_spec);
        let blank = blank_model(&spec, &self.users);
        let served = Served::new(spec);
        let signer = served.signer.clone();
        let mock = Mock::new(
            served,
            Namespaces::new(blank, signer, self.max_namespaces),
            self.cors,
            self.body_limit,
            self.seed,
            self.latency,
            self.users,
        );
        (App::new(Arc::new(mock)), self.watch)
    }

    /// Bind and serve in the background.
    pub async fn start(self) -> Result<MockServer, StartError> {
        let addr = SocketAddr::new(self.host, self.port);
        let (app, watch) = self.into_mock();
        if let Some(path) = watch {
            crate::reload::watch(app.mock(), &path)
                .map_err(|source| StartError::Watch { path, source })?;
        }
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

/// A model with `spec`'s policy and accounts (and `users`), no sessions:
/// what every namespace starts as.
pub(crate) fn blank_model(spec: &Spec, users: &[(String, String)]) -> Model {
    let lifecycle = spec.lifecycle();
    let accounts = lifecycle.accounts.iter().chain(users).cloned();
    Model::new(lifecycle.policy.clone(), accounts).with_clients(lifecycle.clients.clone())
}
