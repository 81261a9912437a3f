//! [`MockServer`]: a mock served on a socket, and its state as Rust values
//! (what the admin API shows over HTTP).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use openapi::model::{SessionView, TokenView};
use openapi::Spec;

use crate::handler::Mock;
use crate::state::{ClockView, JournalEntry};
use crate::MockServerBuilder;

/// A running mock server; it stops when dropped.
pub struct MockServer {
    addr: SocketAddr,
    mock: Arc<Mock>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
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
        }
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

    /// The spec served.
    pub fn spec(&self) -> &Spec {
        &self.mock.spec
    }

    /// The mock clock: its now, how far it was moved, whether it is frozen.
    pub fn clock(&self) -> ClockView {
        self.mock.state.clock.view()
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

    /// Let a frozen clock run again (from wall time plus the offset).
    pub fn resume_clock(&self) {
        self.mock.state.clock.resume();
    }

    /// Forget sessions, tokens and the journal, and put the clock back to
    /// wall time, running. Accounts stay.
    pub fn reset(&self) {
        self.mock.state.reset();
    }

    /// Every session of the behaviour model, oldest first.
    pub fn sessions(&self) -> Vec<SessionView> {
        self.mock.state.sessions()
    }

    /// Every token issued since the last reset, by session, access tokens
    /// first; `usable` says whether the mock would accept it now.
    pub fn tokens(&self) -> Vec<TokenView> {
        self.mock.state.tokens()
    }

    /// The newest `limit` journal entries, oldest first.
    pub fn journal(&self, limit: usize) -> Vec<JournalEntry> {
        self.mock.state.journal.lock().last(limit)
    }

    /// Forget the journal.
    pub fn clear_journal(&self) {
        self.mock.state.journal.lock().clear();
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
