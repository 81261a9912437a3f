//! [`MockServer`]: a mock served on a socket, and its state as Rust values
//! (what the admin API shows over HTTP).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use openapi::model::{SessionView, TokenView};
use openapi::Spec;

use crate::handler::Mock;
use crate::state::{ClockView, JournalEntry, State};
use crate::MockServerBuilder;

/// A running mock server; it stops when dropped.
pub struct MockServer {
    addr: SocketAddr,
    mock: Arc<Mock>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    admin: String,
    max_connections: usize,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    pub(crate) fn new(
        addr: SocketAddr,
        mock: Arc<Mock>,
        shutdown: oneshot::Sender<()>,
        task: JoinHandle<()>,
    ) -> MockServer {
        MockServer {
            addr,
            mock,
            shutdown: Some(shutdown),
            task: Some(task),
            admin: String::new(),
            max_connections: 0,
        }
    }

    /// With what the start banner says of its limits.
    pub(crate) fn with_limits(mut self, admin: String, max_connections: usize) -> MockServer {
        self.admin = admin;
        self.max_connections = max_connections;
        self
    }

    /// Who may use the admin API, in words (as the start banner says it).
    pub fn admin_access(&self) -> &str {
        &self.admin
    }

    /// The most connections it keeps at once (`--max-connections`, lowered
    /// to what the open-file limit allows).
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

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

    /// The spec served (the newest good one, with `--watch`).
    pub fn spec(&self) -> Arc<Spec> {
        self.mock.served().spec.clone()
    }

    /// The default namespace: the state of requests without an
    /// `x-mock-namespace` header. [`clock`](Self::clock),
    /// [`sessions`](Self::sessions) and the other accessors are its.
    pub fn default_namespace(&self) -> Namespace {
        Namespace {
            state: self.mock.spaces.default_space(),
        }
    }

    /// The namespace `name`, if a request has made it.
    pub fn namespace(&self, name: &str) -> Option<Namespace> {
        self.mock.spaces.get(name).map(|state| Namespace { state })
    }

    /// The names of every namespace, `default` included.
    pub fn namespaces(&self) -> Vec<String> {
        let list = shared(self.mock.spaces.list_shared());
        list.iter().map(|s| s.name.clone()).collect()
    }

    /// The default namespace's clock: its now, how far it was moved,
    /// whether it is frozen.
    pub fn clock(&self) -> ClockView {
        self.default_namespace().clock()
    }

    /// Move the default namespace's clock forward.
    pub fn advance_clock(&self, seconds: u64) {
        self.default_namespace().advance_clock(seconds);
    }

    /// Stop the default namespace's clock; see [`Namespace::freeze_clock`].
    pub fn freeze_clock(&self) {
        self.default_namespace().freeze_clock();
    }

    /// Let the default namespace's frozen clock run again.
    pub fn resume_clock(&self) {
        self.default_namespace().resume_clock();
    }

    /// Reset the default namespace; see [`Namespace::reset`].
    pub fn reset(&self) {
        self.default_namespace().reset();
    }

    /// The default namespace's sessions, oldest first.
    pub fn sessions(&self) -> Vec<SessionView> {
        self.default_namespace().sessions()
    }

    /// The default namespace's tokens; see [`Namespace::tokens`].
    pub fn tokens(&self) -> Vec<TokenView> {
        self.default_namespace().tokens()
    }

    /// The default namespace's newest `limit` journal entries, oldest
    /// first.
    pub fn journal(&self, limit: usize) -> Vec<JournalEntry> {
        self.default_namespace().journal(limit)
    }

    /// Forget the default namespace's journal.
    pub fn clear_journal(&self) {
        self.default_namespace().clear_journal();
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

/// The value of a read or write of the shared state.
///
/// # Panics
///
/// With [`MockServerBuilder::state_redis`], if Redis does not answer: these
/// accessors are for tests, where that is a broken setup (requests answer
/// 503 then).
fn shared<T>(r: Result<T, crate::StateError>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

impl MockServer {
    /// Bytes Redis uses for the default namespace's state, with
    /// [`MockServerBuilder::state_redis`] (`MEMORY USAGE` of its keys);
    /// `None` in memory.
    pub fn stored_bytes(&self) -> Option<Result<u64, crate::StateError>> {
        self.default_namespace().state.stored_bytes()
    }
}

/// One namespace of a mock (see [`MockServer::namespace`]): its state as
/// Rust values, read from the same place the admin API reads it.
///
/// With [`MockServerBuilder::state_redis`] its accessors read and write
/// Redis, and panic if it does not answer.
#[derive(Clone)]
pub struct Namespace {
    state: Arc<State>,
}

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field("name", &self.state.name)
            .finish_non_exhaustive()
    }
}

impl Namespace {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// Its clock: its now, how far it was moved, whether it is frozen.
    pub fn clock(&self) -> ClockView {
        shared(self.state.clock())
    }

    /// Move its clock forward.
    pub fn advance_clock(&self, seconds: u64) {
        shared(self.state.move_clock(|c| c.advance(seconds)));
    }

    /// Stop its clock: it then moves only with
    /// [`advance_clock`](Self::advance_clock), so TTL boundaries are exact.
    pub fn freeze_clock(&self) {
        shared(self.state.move_clock(crate::state::Clock::freeze));
    }

    /// Let a frozen clock run again (from wall time plus the offset).
    pub fn resume_clock(&self) {
        shared(self.state.move_clock(crate::state::Clock::resume));
    }

    /// Forget sessions, tokens and the journal, and put the clock back to
    /// wall time, running. Accounts stay.
    pub fn reset(&self) {
        shared(self.state.reset());
    }

    /// Every session of its behaviour model, oldest first.
    pub fn sessions(&self) -> Vec<SessionView> {
        shared(self.state.sessions())
    }

    /// Every token issued since the last reset, by session, access tokens
    /// first; `usable` says whether the mock would accept it now.
    pub fn tokens(&self) -> Vec<TokenView> {
        shared(self.state.tokens())
    }

    /// The newest `limit` journal entries, oldest first.
    pub fn journal(&self, limit: usize) -> Vec<JournalEntry> {
        shared(self.state.journal(limit))
    }

    /// Forget the journal.
    pub fn clear_journal(&self) {
        shared(self.state.clear_journal());
    }
}
