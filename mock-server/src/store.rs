//! Where replicas keep their shared state: one Redis (`--state
//! redis://HOST:PORT/DB`). It stores bytes and knows nothing of the token
//! lifecycle: per namespace, the serialised state (model, clock, token key)
//! in one key and its version in another. A replica reads the version (and
//! the state only when it changed since its cached copy), runs the model on
//! its copy, and writes back with a compare-and-set script: the write
//! happens only if the version is still the one it read. A lost race is
//! retried by [`crate::state::State`], up to a bound.
//!
//! Invariant: Redis holds either the whole new state and its version or
//! neither (one Lua script writes both); nothing here decides an outcome.

use std::time::Duration;

use parking_lot::Mutex;
use redis::{Connection, RedisError, Script};

/// How long a connect, a read or a write to Redis may take before the
/// request is answered 503.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Idle connections kept for reuse.
const POOL: usize = 16;

/// The version and, if it is not `ARGV[1]`, the state.
const READ: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
if v == ARGV[1] then return {tonumber(v)} end
return {tonumber(v), redis.call('GET', KEYS[2])}
";

/// Write the state and bump the version if the version is still `ARGV[1]`
/// (0: absent); the new version, or 0 if it was not.
const CAS: &str = r"
local v = redis.call('GET', KEYS[1]) or '0'
if v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return redis.call('INCR', KEYS[1])
";

/// Add a namespace to the set unless `ARGV[2]` are there already: 1 if it
/// is (now or before) a member, 0 if the bound refused it.
const REGISTER: &str = r"
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
";

/// Set `KEYS[1]` to `ARGV[1]` unless it holds a value; the value it holds
/// after (the first writer's).
const FIRST: &str = r"
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
";

/// Append `ARGV[1]` to the journal `KEYS[2]` under the next number of
/// the sequence `KEYS[1]` (member `SEQ:BYTES`, score `SEQ`), keeping the
/// newest `ARGV[2]`; the number.
const RECORD: &str = r"
local s = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], s, s .. ':' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -1 - tonumber(ARGV[2]))
return s
";

/// Run `f`, which blocks on Redis, without stalling the other requests
/// of the runtime: on a multi-thread tokio runtime through
/// [`tokio::task::block_in_place`] (the worker's other tasks move to
/// another thread while this one waits); elsewhere (a current-thread
/// runtime, no runtime) as it is.
pub(crate) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Why the shared state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Redis did not answer, or answered an error.
    #[error("the shared state is unavailable: redis did not answer")]
    Unreachable(#[source] RedisError),
    /// Other replicas kept changing the state for the whole retry bound.
    #[error("the shared state is busy: {attempts} attempts lost the race to other replicas")]
    Contention {
        /// Attempts made.
        attempts: u32,
    },
    /// Redis holds bytes that are not a state this mock can read.
    #[error("the shared state in redis cannot be read (written by another version of the mock?)")]
    Corrupt(#[source] postcard::Error),
}

/// What a read found.
pub(crate) enum Read {
    /// Nothing stored for the namespace.
    Missing,
    /// The version the replica has.
    Same,
    /// A newer state, and its version.
    Newer(u64, Vec<u8>),
}

/// One Redis, and the keys of one mock (a key prefix per database).
pub(crate) struct Store {
    client: redis::Client,
    /// The URL with any password hidden, for messages.
    shown: String,
    prefix: String,
    pool: Mutex<Vec<Connection>>,
    read: Script,
    cas: Script,
    register: Script,
    first: Script,
    record: Script,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

/// The URL as logs may show it: no password.
pub(crate) fn shown(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}

impl Store {
    /// A store on the Redis at `url` (`redis://HOST:PORT/DB`); it answers
    /// a PING before this returns, so a wrong URL fails at start.
    pub(crate) fn open(url: &str) -> Result<Store, StateError> {
        let client = redis::Client::open(url).map_err(StateError::Unreachable)?;
        let store = Store {
            client,
            shown: shown(url),
            prefix: "tokenmock".to_owned(),
            pool: Mutex::new(Vec::new()),
            read: Script::new(READ),
            cas: Script::new(CAS),
            register: Script::new(REGISTER),
            first: Script::new(FIRST),
            record: Script::new(RECORD),
        };
        store.with(|c| redis::cmd("PING").query::<String>(c))?;
        Ok(store)
    }

    /// The URL, password hidden.
    pub(crate) fn url(&self) -> &str {
        &self.shown
    }

    fn connect(&self) -> Result<Connection, RedisError> {
        let c = self.client.get_connection_with_timeout(TIMEOUT)?;
        c.set_read_timeout(Some(TIMEOUT))?;
        c.set_write_timeout(Some(TIMEOUT))?;
        Ok(c)
    }

    /// Run `f` on a connection: a pooled one, or a new one when none is
    /// idle or the pooled one turns out dead (Redis restarted); a
    /// connection that failed is dropped, so the next call reconnects.
    fn with<R>(
        &self,
        f: impl Fn(&mut Connection) -> Result<R, RedisError>,
    ) -> Result<R, StateError> {
        blocking(|| self.with_blocking(f))
    }

    fn with_blocking<R>(
        &self,
        f: impl Fn(&mut Connection) -> Result<R, RedisError>,
    ) -> Result<R, StateError> {
        let pooled = self.pool.lock().pop();
        let fresh = pooled.is_none();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect().map_err(StateError::Unreachable)?,
        };
        let result = match f(&mut conn) {
            Err(e) if !fresh && (e.is_io_error() || e.is_connection_dropped()) => {
                conn = self.connect().map_err(StateError::Unreachable)?;
                f(&mut conn)
            }
            r => r,
        };
        match result {
            Ok(r) => {
                let mut pool = self.pool.lock();
                if pool.len() < POOL {
                    pool.push(conn);
                }
                Ok(r)
            }
            Err(e) => Err(StateError::Unreachable(e)),
        }
    }

    fn keys(&self, namespace: &str) -> [String; 2] {
        let p = &self.prefix;
        [
            format!("{p}:ns:{namespace}:version"),
            format!("{p}:ns:{namespace}:state"),
        ]
    }

    /// The namespace's journal sequence and journal.
    fn journal_keys(&self, namespace: &str) -> [String; 2] {
        let p = &self.prefix;
        [
            format!("{p}:ns:{namespace}:journal-seq"),
            format!("{p}:ns:{namespace}:journal"),
        ]
    }

    fn set(&self) -> String {
        format!("{}:namespaces", self.prefix)
    }

    /// The namespace's state if its version is not `have`.
    pub(crate) fn read(&self, namespace: &str, have: u64) -> Result<Read, StateError> {
        let [version, state] = self.keys(namespace);
        let (v, bytes): (u64, Option<Vec<u8>>) = self.with(|c| {
            let reply: Vec<redis::Value> =
                self.read.key(&version).key(&state).arg(have).invoke(c)?;
            let v = match reply.first() {
                Some(v) => redis::from_redis_value(v)?,
                None => 0,
            };
            let bytes = match reply.get(1) {
                Some(b) => redis::from_redis_value(b)?,
                None => None,
            };
            Ok((v, bytes))
        })?;
        Ok(match (v, bytes) {
            (0, _) => Read::Missing,
            (v, Some(b)) => Read::Newer(v, b),
            (_, None) => Read::Same,
        })
    }

    /// Write `bytes` as the namespace's state if its version is still
    /// `expected`: the new version, or `None` if another replica wrote
    /// first.
    pub(crate) fn write(
        &self,
        namespace: &str,
        expected: u64,
        bytes: &[u8],
    ) -> Result<Option<u64>, StateError> {
        let [version, state] = self.keys(namespace);
        let v: u64 = self.with(|c| {
            self.cas
                .key(&version)
                .key(&state)
                .arg(expected)
                .arg(bytes)
                .invoke(c)
        })?;
        Ok((v != 0).then_some(v))
    }

    /// Record a namespace other than the default one, unless `max` are
    /// recorded: whether it is recorded.
    pub(crate) fn register(&self, namespace: &str, max: usize) -> Result<bool, StateError> {
        let set = self.set();
        let ok: u8 = self.with(|c| self.register.key(&set).arg(namespace).arg(max).invoke(c))?;
        Ok(ok == 1)
    }

    /// The recorded namespaces (the default one is never recorded).
    pub(crate) fn namespaces(&self) -> Result<Vec<String>, StateError> {
        let set = self.set();
        let mut names: Vec<String> = self.with(|c| redis::cmd("SMEMBERS").arg(&set).query(c))?;
        names.sort();
        Ok(names)
    }

    /// Forget a namespace, its state and its journal.
    pub(crate) fn remove(&self, namespace: &str) -> Result<(), StateError> {
        let set = self.set();
        let [version, state] = self.keys(namespace);
        let [seq, journal] = self.journal_keys(namespace);
        self.with(|c| {
            redis::pipe()
                .atomic()
                .srem(&set, namespace)
                .del(&version)
                .del(&state)
                .del(&seq)
                .del(&journal)
                .query::<()>(c)
        })
    }

    /// Append `bytes` to the namespace's journal, shared by every
    /// replica, keeping the newest `capacity`: its sequence number (one
    /// sequence for all replicas).
    pub(crate) fn record(
        &self,
        namespace: &str,
        bytes: &[u8],
        capacity: usize,
    ) -> Result<u64, StateError> {
        let [seq, journal] = self.journal_keys(namespace);
        self.with(|c| {
            self.record
                .key(&seq)
                .key(&journal)
                .arg(bytes)
                .arg(capacity)
                .invoke(c)
        })
    }

    /// Up to `limit` journal entries numbered below `before` (all: no
    /// bound), newest first, each with its number.
    pub(crate) fn recorded(
        &self,
        namespace: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, StateError> {
        let [_, journal] = self.journal_keys(namespace);
        let max = before.map_or_else(|| "+inf".to_owned(), |b| format!("({b}"));
        let members: Vec<Vec<u8>> = self.with(|c| {
            redis::cmd("ZREVRANGEBYSCORE")
                .arg(&journal)
                .arg(&max)
                .arg("-inf")
                .arg("LIMIT")
                .arg(0)
                .arg(limit)
                .query(c)
        })?;
        Ok(members
            .into_iter()
            .filter_map(|m| {
                let colon = m.iter().position(|&b| b == b':')?;
                let seq = std::str::from_utf8(&m[..colon]).ok()?.parse().ok()?;
                Some((seq, m[colon + 1..].to_vec()))
            })
            .collect())
    }

    /// Entries in the namespace's journal.
    pub(crate) fn recorded_len(&self, namespace: &str) -> Result<usize, StateError> {
        let [_, journal] = self.journal_keys(namespace);
        self.with(|c| redis::cmd("ZCARD").arg(&journal).query(c))
    }

    /// Empty the namespace's journal (its sequence goes on).
    pub(crate) fn clear_recorded(&self, namespace: &str) -> Result<(), StateError> {
        let [_, journal] = self.journal_keys(namespace);
        self.with(|c| redis::cmd("DEL").arg(&journal).query::<()>(c))
    }

    /// The value every replica shares under `name` (a mock-wide one, not
    /// a namespace's): the stored one, or, if none is stored, `make`'s,
    /// stored unless another replica stored one first (then that one is
    /// the answer). `make` runs only when nothing is stored yet.
    pub(crate) fn shared_value<E: From<StateError>>(
        &self,
        name: &str,
        make: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Vec<u8>, E> {
        let key = format!("{}:shared:{name}", self.prefix);
        let stored: Option<Vec<u8>> = self.with(|c| redis::cmd("GET").arg(&key).query(c))?;
        if let Some(bytes) = stored {
            return Ok(bytes);
        }
        let made = make()?;
        Ok(self.with(|c| self.first.key(&key).arg(&made).invoke(c))?)
    }

    /// Bytes Redis uses for the namespace's state (`MEMORY USAGE`).
    pub(crate) fn memory_usage(&self, namespace: &str) -> Result<u64, StateError> {
        let [version, state] = self.keys(namespace);
        let (a, b): (Option<u64>, Option<u64>) = self.with(|c| {
            redis::pipe()
                .cmd("MEMORY")
                .arg("USAGE")
                .arg(&version)
                .cmd("MEMORY")
                .arg("USAGE")
                .arg(&state)
                .query(c)
        })?;
        Ok(a.unwrap_or(0) + b.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn a_password_is_never_shown() {
        assert_eq!(
            shown("redis://:hunter2@127.0.0.1:6379/0"),
            "redis://***@127.0.0.1:6379/0"
        );
        assert_eq!(
            shown("redis://127.0.0.1:6379/1"),
            "redis://127.0.0.1:6379/1"
        );
    }
}
