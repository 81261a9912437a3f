//! Serving the [`App`] on a socket, within limits: the accept loop (with
//! back-off when `accept` fails, so a full file table never makes it spin),
//! the most connections kept at once, and each connection's deadlines: its
//! request head within the header timeout, its next request within the idle
//! timeout, and no write stalled (a client that stops reading its answer)
//! past the write timeout. Request bodies have their own deadline
//! (`body.rs`).
//!
//! Each connection is in one of two phases. *Waiting* (for a request head):
//! from its accept until its first head is read, the header timeout runs;
//! after each answer, the idle timeout runs until the next request's first
//! byte, then the header timeout again. *Busy* (a request read and not yet
//! answered in full): no deadline here. A waiting connection past its
//! deadline is closed. At the maximum, a new connection takes the place of
//! the waiting connection that never completed a request head for longest
//! (then of the longest-idle keep-alive one): slow clients cannot lock
//! others out; only when every connection is busy is the new one answered
//! 503 and closed.

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::AtomicWaker;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use parking_lot::Mutex;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, Notify};
use tokio::time::Instant;

use crate::app::App;

/// How long a client has to send a request head, by default.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a keep-alive connection may wait for its next request, by
/// default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a write may wait for a client that does not read its answer,
/// by default.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The most connections kept at once, by default, where the open-file
/// limit is unknown (elsewhere the default is that limit, less what the
/// mock keeps for itself).
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// How long a stopping server lets answers under way finish.
const GRACE: Duration = Duration::from_secs(5);
/// How often, at most, the log says connections were closed to make room.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// The answer to a connection past the maximum when every connection is
/// busy (the client is told, then the connection is closed).
fn full() -> Vec<u8> {
    let body = r#"{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"every connection is busy (--max-connections)"}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         connection: close\r\nretry-after: 1\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The connection limits of a served mock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) header_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// How many connections the kernel queues before the mock accepts them.
const BACKLOG: u32 = 4096;

/// A listening socket on `addr`.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Serve `app` on `listener` until `stop` fires; then let answers under
/// way finish (for at most [`GRACE`]).
pub(crate) async fn serve(
    listener: TcpListener,
    app: App,
    limits: Limits,
    mut stop: oneshot::Receiver<()>,
) {
    let app = Arc::new(app);
    let local = listener.local_addr().ok();
    let registry = Arc::new(Registry::new(limits));
    let (shutdown, stopping) = watch::channel(false);
    let mut backoff = Backoff::default();
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            accepted = accept(|| listener.accept(), &mut backoff) => accepted,
        };
        let (stream, remote) = accepted;
        let Some(conn) = registry.admit() else {
            // Best effort, without waiting.
            let _ = stream.try_write(&full());
            continue;
        };
        let local = local.unwrap_or(remote);
        tokio::spawn(connection(
            stream,
            (local, remote),
            app.clone(),
            conn,
            stopping.clone(),
        ));
    }
    drop(listener);
    let _ = shutdown.send(true);
    registry.drained().await;
}

/// The next accepted connection. Errors of one connection (reset or
/// aborted before it was accepted) are skipped; others (no file
/// descriptors left, no memory) are retried after a growing pause, so the
/// loop never spins.
async fn accept<T, F, Fut>(mut accept: F, backoff: &mut Backoff) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    loop {
        match accept().await {
            Ok(accepted) => {
                backoff.reset();
                return accepted;
            }
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                let pause = backoff.fail();
                if backoff.first() {
                    tracing::warn!(
                        target: "mock_server::limits",
                        "cannot accept connections: {e}; retrying every {} ms at most \
                         (raise `ulimit -n`, or lower --max-connections)",
                        Backoff::MAX.as_millis()
                    );
                }
                tokio::time::sleep(pause).await;
            }
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// The pause after a failed accept: 5 ms, doubling up to a second, back
/// to nothing after a success.
#[derive(Debug, Default)]
struct Backoff {
    next: Duration,
    failures: u32,
}

impl Backoff {
    const MIN: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);

    fn fail(&mut self) -> Duration {
        let pause = self.next.max(Self::MIN);
        self.next = (pause * 2).min(Self::MAX);
        self.failures += 1;
        pause
    }

    /// Whether the last failure was the first of its run.
    fn first(&self) -> bool {
        self.failures == 1
    }

    fn reset(&mut self) {
        *self = Backoff::default();
    }
}

/// Serve one connection until it ends, its deadline passes, or the server
/// stops.
async fn connection(
    stream: TcpStream,
    (local, remote): (SocketAddr, SocketAddr),
    app: Arc<App>,
    conn: Arc<Conn>,
    mut stopping: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Watched {
        inner: stream,
        write_timeout: conn.registry.limits.write_timeout,
        conn: conn.clone(),
        timer: Timer {
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            seen: u64::MAX,
            armed: false,
        },
        stalled: None,
    });
    let service_conn = conn.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        let busy = Busy::start(service_conn.clone());
        async move {
            let addrs = (
                LocalAddr(Addr::SocketAddr(local)),
                RemoteAddr(Addr::SocketAddr(remote)),
            );
            let req = poem::Request::from((req, addrs.0, addrs.1, Scheme::HTTP));
            let resp: hyper::Response<_> = app.get_response(req).await.into();
            // The connection is busy until the answer's body is written
            // (or dropped).
            Ok::<_, Infallible>(resp.map(|inner| Answer { inner, _busy: busy }))
        }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let served = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(served);
    tokio::select! {
        // Past its deadline, the socket fails the connection.
        _ = served.as_mut() => {}
        _ = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
            served.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(GRACE, served).await;
        }
    }
    conn.registry.close(conn.id);
}

/// A response body that keeps its connection busy until it is dropped.
struct Answer<B> {
    inner: B,
    _busy: Busy,
}

impl<B: Body + Unpin> Body for Answer<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// One request of a connection under way; dropped when its answer is
/// written.
struct Busy(Arc<Conn>);

impl Busy {
    fn start(conn: Arc<Conn>) -> Busy {
        conn.registry.request_started(conn.id);
        Busy(conn)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let conn = &self.0;
        conn.awaiting_first_byte.store(true, Ordering::Release);
        conn.registry.request_ended(conn.id);
        // The socket may be waiting already: it arms the idle deadline.
        conn.reader.wake();
    }
}

/// The socket of a connection: it tells the registry when the first byte
/// of a request arrives (the idle wait ends, the header timeout starts),
/// and fails the connection once its deadline has passed. The deadline is
/// checked where hyper waits for bytes, so a deadline costs no task and no
/// wake-up of its own.
struct Watched {
    inner: TcpStream,
    conn: Arc<Conn>,
    timer: Timer,
    write_timeout: Duration,
    /// Since a write first waited for the client to read, and no byte
    /// went out since: the end of its patience.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Watched {
    /// A write's result, with the write timeout applied: progress ends a
    /// stall; a stall longer than the timeout fails the connection.
    fn stall<T>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if result.is_ready() {
            self.stalled = None;
            return result;
        }
        let timeout = self.write_timeout;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if sleep.as_mut().poll(cx).is_ready() {
            tracing::debug!(target: "mock_server::limits", "connection closed: the client stopped reading (--write-timeout)");
            let e = io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading");
            return Poll::Ready(Err(e));
        }
        Poll::Pending
    }
}

/// The sleep of a socket's deadline, reset when the deadline changes.
struct Timer {
    sleep: Pin<Box<tokio::time::Sleep>>,
    /// The connection's `changes` when the sleep was last set.
    seen: u64,
    /// Whether there is a deadline.
    armed: bool,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        if read.is_ready() {
            let first = buf.filled().len() > before
                && this.conn.awaiting_first_byte.swap(false, Ordering::AcqRel);
            if first {
                this.conn.registry.first_byte(this.conn.id);
            }
            return read;
        }
        this.conn.reader.register(cx.waker());
        if this.conn.past_deadline(&mut this.timer, cx) {
            tracing::debug!(target: "mock_server::limits", "connection closed: past its deadline");
            let e = io::Error::new(io::ErrorKind::TimedOut, "past the connection's deadline");
            return Poll::Ready(Err(e));
        }
        Poll::Pending
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.stall(cx, result)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_flush(cx);
        this.stall(cx, result)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.stall(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// What the parts of one connection share.
struct Conn {
    id: u64,
    registry: Arc<Registry>,
    /// Set after an answer: the next byte read starts a request head.
    awaiting_first_byte: AtomicBool,
    /// Its deadline, in nanoseconds after the registry's epoch, plus one
    /// (0: none); set by the registry, read by the socket.
    deadline: AtomicU64,
    /// Bumped after each change of `deadline`.
    changes: AtomicU64,
    /// The task reading the socket, woken when the connection must close
    /// now (room is made).
    reader: AtomicWaker,
}

impl Conn {
    fn set_deadline(&self, at: Option<Instant>) {
        let epoch = self.registry.epoch;
        let value = at.map_or(0, |at| {
            let nanos = at.saturating_duration_since(epoch).as_nanos();
            u64::try_from(nanos).unwrap_or(u64::MAX - 1) + 1
        });
        self.deadline.store(value, Ordering::Release);
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    fn deadline(&self) -> Option<Instant> {
        match self.deadline.load(Ordering::Acquire) {
            0 => None,
            n => Some(self.registry.epoch + Duration::from_nanos(n - 1)),
        }
    }

    /// Whether the deadline has passed (else the timer wakes the reader
    /// when it does).
    fn past_deadline(&self, timer: &mut Timer, cx: &mut Context<'_>) -> bool {
        let changes = self.changes.load(Ordering::Acquire);
        if changes != timer.seen {
            timer.seen = changes;
            match self.deadline() {
                Some(at) => {
                    timer.sleep.as_mut().reset(at);
                    timer.armed = true;
                }
                None => timer.armed = false,
            }
        }
        timer.armed && timer.sleep.as_mut().poll(cx).is_ready()
    }
}

/// Every open connection, its phase and deadline, and the waiting ones in
/// the order they make room: never served first, then by how long they
/// waited.
struct Registry {
    limits: Limits,
    /// What connections' deadlines count from.
    epoch: Instant,
    inner: Mutex<Inner>,
    empty: Notify,
}

/// A waiting connection's place in the eviction order: (served a request
/// before, waiting since, id).
type Key = (bool, Instant, u64);

#[derive(Default)]
struct Inner {
    next_id: u64,
    conns: HashMap<u64, Slot>,
    waiting: BTreeSet<Key>,
    /// Connections told to close that have not closed yet.
    closing: usize,
    warned_at: Option<Instant>,
    made_room: u64,
    refused: u64,
}

struct Slot {
    in_flight: usize,
    waiting: Option<Key>,
    closing: bool,
    conn: Weak<Conn>,
}

impl Slot {
    fn set_deadline(&self, at: Option<Instant>) {
        if let Some(conn) = self.conn.upgrade() {
            conn.set_deadline(at);
        }
    }
}

impl Registry {
    fn new(limits: Limits) -> Registry {
        Registry {
            limits,
            epoch: Instant::now(),
            inner: Mutex::new(Inner::default()),
            empty: Notify::new(),
        }
    }

    /// A slot for a new connection, made by closing the first waiting one
    /// at the maximum; `None` when every connection is busy.
    fn admit(self: &Arc<Self>) -> Option<Arc<Conn>> {
        let now = Instant::now();
        let mut inner = self.inner.lock();
        if inner.conns.len() - inner.closing >= self.limits.max_connections.max(1) {
            let Some(key) = inner.waiting.pop_first() else {
                inner.refused += 1;
                inner.warn(now, "answered 503: every connection is busy");
                return None;
            };
            if let Some(slot) = inner.conns.get_mut(&key.2) {
                slot.waiting = None;
                slot.closing = true;
                if let Some(conn) = slot.conn.upgrade() {
                    conn.set_deadline(Some(now));
                    conn.reader.wake();
                }
            }
            inner.closing += 1;
            inner.made_room += 1;
            inner.warn(now, "closed the connection waiting longest to make room");
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let key = (false, now, id);
        let conn = Arc::new(Conn {
            id,
            registry: self.clone(),
            awaiting_first_byte: AtomicBool::new(false),
            deadline: AtomicU64::new(0),
            changes: AtomicU64::new(0),
            reader: AtomicWaker::new(),
        });
        conn.set_deadline(Some(now + self.limits.header_timeout));
        inner.waiting.insert(key);
        inner.conns.insert(
            id,
            Slot {
                in_flight: 0,
                waiting: Some(key),
                closing: false,
                conn: Arc::downgrade(&conn),
            },
        );
        Some(conn)
    }

    /// A request head was read: the connection is busy, without deadline.
    fn request_started(&self, id: u64) {
        let mut inner = self.inner.lock();
        let Inner { conns, waiting, .. } = &mut *inner;
        if let Some(slot) = conns.get_mut(&id) {
            slot.in_flight += 1;
            if let Some(key) = slot.waiting.take() {
                waiting.remove(&key);
            }
            if !slot.closing {
                slot.set_deadline(None);
            }
        }
    }

    /// An answer was written: with none left under way, the connection
    /// waits for its next request, for the idle timeout.
    fn request_ended(&self, id: u64) {
        let now = Instant::now();
        let mut inner = self.inner.lock();
        let Inner { conns, waiting, .. } = &mut *inner;
        if let Some(slot) = conns.get_mut(&id) {
            slot.in_flight = slot.in_flight.saturating_sub(1);
            if slot.in_flight == 0 && !slot.closing {
                let key = (true, now, id);
                waiting.insert(key);
                slot.waiting = Some(key);
                slot.set_deadline(Some(now + self.limits.idle_timeout));
            }
        }
    }

    /// A waiting connection received the first byte of a request: the
    /// header timeout starts.
    fn first_byte(&self, id: u64) {
        let now = Instant::now();
        let mut inner = self.inner.lock();
        if let Some(slot) = inner.conns.get_mut(&id) {
            if slot.in_flight == 0 && !slot.closing {
                slot.set_deadline(Some(now + self.limits.header_timeout));
            }
        }
    }

    /// The connection is closed.
    fn close(&self, id: u64) {
        let mut inner = self.inner.lock();
        if let Some(slot) = inner.conns.remove(&id) {
            if let Some(key) = slot.waiting {
                inner.waiting.remove(&key);
            }
            if slot.closing {
                inner.closing -= 1;
            }
        }
        if inner.conns.is_empty() {
            self.empty.notify_waiters();
        }
    }

    /// Resolves once every connection is closed.
    async fn drained(&self) {
        loop {
            let empty = self.empty.notified();
            if self.inner.lock().conns.is_empty() {
                return;
            }
            empty.await;
        }
    }
}

impl Inner {
    /// Log what the limit did, at most every [`WARN_EVERY`].
    fn warn(&mut self, now: Instant, what: &str) {
        if self
            .warned_at
            .is_some_and(|at| now.duration_since(at) < WARN_EVERY)
        {
            return;
        }
        self.warned_at = Some(now);
        tracing::warn!(
            target: "mock_server::limits",
            made_room = self.made_room,
            refused = self.refused,
            "at the connection limit: {what} (so far {} closed to make room, {} refused); \
             raise --max-connections if these are real clients",
            self.made_room,
            self.refused
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `accept` over a listener that fails `failures` times with `error`:
    /// what it returned, the (paused) time it took, its back-off after.
    async fn accept_after(failures: u32, error: fn() -> io::Error) -> (u32, Duration, Backoff) {
        let mut calls = 0u32;
        let mut backoff = Backoff::default();
        let started = Instant::now();
        let listener = || {
            calls += 1;
            std::future::ready(if calls <= failures {
                Err(error())
            } else {
                Ok(calls)
            })
        };
        let got = accept(listener, &mut backoff).await;
        (got, started.elapsed(), backoff)
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_accept_backs_off_instead_of_spinning() {
        let (got, waited, backoff) = accept_after(20, || io::Error::from_raw_os_error(24)).await;
        assert_eq!(got, 21);
        // 5, 10, ... 640 ms (1.275 s), then a second each for the other
        // twelve failures: 13.275 s of (paused) time, not a spin.
        assert!(waited >= Duration::from_millis(13_275), "{waited:?}");
        assert_eq!(backoff.next, Duration::ZERO, "a success resets the pause");
    }

    #[tokio::test(start_paused = true)]
    async fn an_aborted_connection_is_skipped_at_once() {
        let aborted = || io::Error::from(io::ErrorKind::ConnectionAborted);
        let (got, waited, _) = accept_after(3, aborted).await;
        assert_eq!(got, 4);
        assert_eq!(waited, Duration::ZERO);
    }

    #[test]
    fn the_pause_doubles_up_to_a_second() {
        let mut b = Backoff::default();
        let pauses: Vec<u128> = (0..10).map(|_| b.fail().as_millis()).collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    }

    #[tokio::test]
    async fn at_the_maximum_the_longest_waiting_unserved_connection_makes_room() {
        let limits = Limits {
            max_connections: 2,
            ..Limits::default()
        };
        let registry = Arc::new(Registry::new(limits));
        let served = registry.admit().unwrap();
        let slow = registry.admit().unwrap();
        registry.request_started(served.id);
        registry.request_ended(served.id);
        // `slow` never sent a head; `served` is idle after an answer, and
        // waiting less long: `slow` goes first.
        let third = registry.admit().unwrap();
        let closed_at = slow.deadline().unwrap();
        assert!(closed_at <= Instant::now(), "told to close now");
        assert!(served.deadline().unwrap() > Instant::now(), "left alone");
        registry.close(slow.id);
        // Both left busy: the next one is refused.
        registry.request_started(served.id);
        registry.request_started(third.id);
        assert!(registry.admit().is_none());
        registry.request_ended(third.id);
        assert!(registry.admit().is_some(), "an idle one makes room");
    }
}
