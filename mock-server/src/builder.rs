//! [`MockServerBuilder`]: the options of a mock, and building it as an
//! in-process endpoint ([`App`]) or a served [`MockServer`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use std::time::Duration;

use tokio::sync::oneshot;

use openapi::model::Model;
use openapi::Spec;

use crate::app::App;
use crate::body::{BodyLimits, DEFAULT_BODY_TIMEOUT};
use crate::cors::Cors;
use crate::guard::AdminAccess;
use crate::handler::Mock;
use crate::namespace::{Namespaces, DEFAULT_MAX_NAMESPACES};
use crate::prefer::Latency;
use crate::serve::Limits;
use crate::served::Served;
use crate::server::MockServer;
use crate::store::{StateError, Store};

/// File descriptors kept free for everything but connections (the spec,
/// its watcher, logs).
const FD_RESERVE: usize = 64;

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
    /// The shared state (`--state redis://…`) did not answer.
    #[error("cannot reach the shared state at {url}")]
    State {
        /// The URL, password hidden.
        url: String,
        /// Why.
        #[source]
        source: StateError,
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
    limits: Limits,
    max_connections: Option<usize>,
    body_timeout: Duration,
    admin_token: Option<String>,
    allowed_hosts: Vec<String>,
    state: Option<String>,
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
            limits: Limits::default(),
            max_connections: None,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            admin_token: None,
            allowed_hosts: Vec::new(),
            state: None,
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

    /// How long a client has to send a request head (default 10 s): from
    /// the connection's accept, or from the first byte of a request on a
    /// kept-alive connection. Past it the connection is closed.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_timeout = timeout;
        self
    }

    /// How long a client has to send a request body once its head is
    /// read (default 30 s); past it the answer is a 408 and the
    /// connection is closed.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How long a kept-alive connection may wait for its next request
    /// (default 60 s) before it is closed.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// How long a write may wait for a client that does not read its
    /// answer (default 30 s) before the connection is closed.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.limits.write_timeout = timeout;
        self
    }

    /// The most connections kept at once (default: as many as the
    /// open-file limit allows, less 64 for the mock itself; never more).
    /// At the maximum a new connection takes the place of the one waiting
    /// longest for a request head; when every connection is busy it is
    /// answered 503 and closed.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = Some(max);
        self
    }

    /// Require this token (`Authorization: Bearer TOKEN`) on every call of
    /// the admin API, the dashboard and the API docs. Without one, a mock
    /// listening beyond this machine (not on a loopback address) has them
    /// off.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// A host name the admin API answers to besides `localhost` and IP
    /// addresses (the `Host` header is checked against DNS rebinding).
    pub fn allowed_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Keep the state (sessions, clock, token key, namespaces) in the
    /// Redis at `url` (`redis://HOST:PORT/DB`) instead of in the process:
    /// every mock started with the same URL serves one lifecycle, so
    /// replicas behind a load balancer agree (see docs/replicas.md).
    pub fn state_redis(mut self, url: impl Into<String>) -> Self {
        self.state = Some(url.into());
        self
    }

    /// The mock as an in-process poem endpoint (no socket). A
    /// [`watch`](Self::watch)ed file is watched only by
    /// [`start`](Self::start).
    ///
    /// # Panics
    ///
    /// With [`state_redis`](Self::state_redis), if Redis does not answer
    /// (use [`try_build`](Self::try_build) to get the error).
    pub fn build(self) -> App {
        match self.try_build() {
            Ok(app) => app,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`build`](Self::build), or why the shared state cannot be reached.
    pub fn try_build(self) -> Result<App, StartError> {
        let access = match self.admin_token.clone() {
            Some(token) => AdminAccess::new(self.host, Some(token), &self.allowed_hosts),
            None => AdminAccess::local(),
        };
        Ok(self.into_mock(access)?.0)
    }

    /// The shared state the options name, opened (`None`: in memory).
    fn store(&self) -> Result<Option<Arc<Store>>, StartError> {
        let Some(url) = &self.state else {
            return Ok(None);
        };
        let store = Store::open(url).map_err(|source| StartError::State {
            url: crate::store::shown(url),
            source,
        })?;
        tracing::info!(state = %store.url(), "state shared through redis");
        Ok(Some(Arc::new(store)))
    }

    fn into_mock(self, access: AdminAccess) -> Result<(App, Option<PathBuf>), StartError> {
        let store = self.store()?;
        let spec = self.spec.unwrap_or_else(openapi::reference_spec);
        let blank = blank_model(&spec, &self.users);
        let served = Served::new(spec, store.as_deref()).map_err(|source| StartError::State {
            url: store
                .as_deref()
                .map_or_else(String::new, |s| s.url().to_owned()),
            source,
        })?;
        let signer = served.signer.clone();
        let mock = Mock::new(
            served,
            Namespaces::new(blank, signer, self.max_namespaces, store),
            self.cors,
            BodyLimits {
                limit: self.body_limit,
                timeout: self.body_timeout,
            },
            self.seed,
            self.latency,
            self.users,
        );
        Ok((App::new(Arc::new(mock), access), self.watch))
    }

    /// Bind and serve in the background.
    pub async fn start(self) -> Result<MockServer, StartError> {
        let addr = SocketAddr::new(self.host, self.port);
        let access = AdminAccess::new(self.host, self.admin_token.clone(), &self.allowed_hosts);
        let admin = access.describe();
        let mut limits = self.limits;
        let most = open_file_limit().map(|files| files.saturating_sub(FD_RESERVE).max(1));
        limits.max_connections = match (self.max_connections, most) {
            (Some(asked), Some(most)) if asked > most => {
                tracing::warn!(
                    target: "mock_server::limits",
                    "--max-connections {asked} lowered to {most}: the open-file limit \
                     (ulimit -n) leaves room for no more"
                );
                most
            }
            (Some(asked), _) => asked,
            (None, Some(most)) => most,
            (None, None) => crate::serve::DEFAULT_MAX_CONNECTIONS,
        };
        let (app, watch) = self.into_mock(access)?;
        if let Some(path) = watch {
            crate::reload::watch(app.mock(), &path)
                .map_err(|source| StartError::Watch { path, source })?;
        }
        let listener =
            crate::serve::bind(addr).map_err(|source| StartError::Bind { addr, source })?;
        let bound = listener.local_addr().unwrap_or(addr);
        let mock = app.mock().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(crate::serve::serve(listener, app, limits, rx));
        Ok(MockServer::new(bound, mock, tx, task).with_limits(admin, limits.max_connections))
    }
}

/// The process's open-file limit, where the system says it
/// (`/proc/self/limits` on Linux).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A model with `spec`'s policy and accounts (and `users`), no sessions:
/// what every namespace starts as.
pub(crate) fn blank_model(spec: &Spec, users: &[(String, String)]) -> Model {
    let lifecycle = spec.lifecycle();
    let accounts = lifecycle.accounts.iter().chain(users).cloned();
    Model::new(lifecycle.policy.clone(), accounts).with_clients(lifecycle.clients.clone())
}
