//! The mock's state: the behaviour model behind one lock with the key of
//! its tokens, the adjustable clock, the authorization codes, and the
//! request journal; with `--state redis://…`, all of them shared by every
//! replica through [`crate::store`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use parking_lot::{Mutex, RwLock};

use openapi::authcode::Codes;
use openapi::model::{
    Action, ActionKind, ClientAuth, Death, Instant, Invalidity, Listed, Model, Outcome, SessionId,
    SessionView, Token, TokenCodec, TokenKind, TokenState, TokenView,
};

pub(crate) use crate::store::StateError;

use crate::codec::{Codec, Key};
use crate::jwt::Signer;
use crate::store::{Read, Store};

/// Requests the journal keeps (the oldest go first).
pub const JOURNAL_CAPACITY: usize = 1000;

/// Random bytes per token: 144 bits from the thread's CSPRNG, 24 characters
/// of base64url (inline in a `CompactString`, so no heap allocation).
const TOKEN_BYTES: usize = 18;

/// The clock: wall time plus an offset the admin API can advance, or a
/// frozen instant that only moves when advanced (what the conformance suite
/// uses, so that TTL boundaries are exact). Part of a namespace's shared
/// state, so every replica on one Redis has the same clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Clock {
    offset: u64,
    /// The frozen instant, if frozen.
    frozen: Option<u64>,
}

fn wall() -> Instant {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Clock {
    /// The mock's now, Unix seconds.
    pub(crate) fn now(&self) -> Instant {
        match self.frozen {
            None => wall().saturating_add(self.offset),
            Some(f) => f,
        }
    }

    /// Move the clock forward.
    pub(crate) fn advance(&mut self, seconds: u64) {
        self.offset = self.offset.saturating_add(seconds);
        self.frozen = self.frozen.map(|f| f.saturating_add(seconds));
    }

    /// Stop the clock at its current instant.
    pub(crate) fn freeze(&mut self) {
        self.frozen = Some(self.now());
    }

    /// Let the clock run again from wall time plus the offset.
    pub(crate) fn resume(&mut self) {
        self.frozen = None;
    }

    /// Back to wall time, running.
    pub(crate) fn reset(&mut self) {
        *self = Clock::default();
    }

    /// The clock as the admin API and [`MockServer::clock`] show it.
    ///
    /// [`MockServer::clock`]: crate::MockServer::clock
    pub(crate) fn view(&self) -> ClockView {
        ClockView {
            now: self.now(),
            offset: self.offset,
            frozen: self.frozen.is_some(),
        }
    }
}

/// The mock clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct ClockView {
    /// The mock's now, Unix seconds.
    pub now: u64,
    /// Seconds the clock has been advanced past wall time.
    pub offset: u64,
    /// Whether the clock only moves when advanced.
    pub frozen: bool,
}

/// 144 random bits from the thread's CSPRNG, 24 base64url characters (a
/// JWT key's id).
pub(crate) fn random_token(_kind: TokenKind) -> Token {
    let bytes: [u8; TOKEN_BYTES] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .into()
}

/// One journal entry.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, poem_openapi::Object)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// The mock clock when the request arrived (Unix seconds).
    pub at: u64,
    /// The method.
    pub method: String,
    /// The path and query.
    pub uri: String,
    /// The operation it was routed to, if any.
    pub operation: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The behaviour model's outcome, for bound operations.
    pub outcome: Option<String>,
    /// What happened, in words (`refresh -> 401 invalid: spent by a
    /// refresh 4 s ago, session ended`).
    pub summary: String,
    /// Milliseconds from arrival to answer (delays included).
    pub latency_ms: f64,
    /// The request body as text, secrets redacted, cut at 4 KiB.
    pub request_body: Option<String>,
    /// The response body as text, secrets redacted, cut at 4 KiB.
    pub response_body: Option<String>,
}

/// The journal: the last [`JOURNAL_CAPACITY`] requests.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    next: u64,
    entries: VecDeque<JournalEntry>,
}

impl Journal {
    /// Record an entry (its `seq` is assigned here).
    pub(crate) fn push(&mut self, mut entry: JournalEntry) {
        self.next += 1;
        entry.seq = self.next;
        if self.entries.len() == JOURNAL_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// Up to `limit` entries older than the entry `before` (the newest
    /// without), oldest first, and the `before` of the entries older
    /// still, if there are any.
    pub(crate) fn page(&self, before: Option<u64>, limit: usize) -> Page<JournalEntry, u64> {
        let end = match before {
            Some(b) => self.entries.partition_point(|e| e.seq < b),
            None => self.entries.len(),
        };
        let start = end.saturating_sub(limit);
        let items: Vec<JournalEntry> = self.entries.range(start..end).cloned().collect();
        let next = (start > 0).then(|| items.first().map(|e| e.seq)).flatten();
        Page { items, next }
    }

    /// How many entries it holds.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Forget everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// What a namespace's replicas share: its model, clock and the secret of
/// its token key (the whole value Redis stores for it, serialised).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Shared {
    pub(crate) model: Model,
    pub(crate) clock: Clock,
    /// The secret of the key its tokens are authenticated with (see
    /// [`crate::codec`]): made with the namespace, kept across reloads and
    /// resets.
    secret: [u8; 32],
    /// The authorization codes issued and not yet forgotten (the
    /// authorization-code flow): a code issued by one replica is
    /// exchanged, once, on any.
    pub(crate) codes: Codes,
}

impl Shared {
    fn fresh(model: Model) -> Shared {
        Shared {
            model,
            clock: Clock::default(),
            secret: rand::random(),
            codes: Codes::new(),
        }
    }
}

/// A replica's copy of the shared state, and the version it is of.
#[derive(Debug)]
struct Cached {
    shared: Shared,
    key: Key,
    /// The Redis version it is of (0: none yet).
    version: u64,
    /// Its bytes as stored (empty: nothing stored yet).
    bytes: Vec<u8>,
}

impl Cached {
    fn of(shared: Shared) -> Cached {
        Cached {
            key: Key::from_secret(&shared.secret),
            shared,
            version: 0,
            bytes: Vec::new(),
        }
    }
}

/// Tries of one action against other replicas' writes before a 503.
pub const MAX_ATTEMPTS: u32 = 64;

/// One namespace: model, clock and journal together, and the key its
/// tokens are authenticated with. With a [`Store`], model, clock and key
/// (and the authorization codes) live in Redis and this holds a copy; the
/// journal is kept in Redis directly.
#[derive(Debug)]
pub(crate) struct State {
    /// The namespace's name.
    pub(crate) name: String,
    cached: Mutex<Cached>,
    /// What the namespace starts as when Redis has nothing for it.
    blank: Mutex<Model>,
    store: Option<Arc<Store>>,
    /// The served spec's JWT signer, where its tokens are JWTs (the same
    /// one as [`crate::served::Served`]'s, replaced on a reload).
    signer: RwLock<Option<Arc<Signer>>>,
    /// The journal (with a store, the journal is in Redis and this stays
    /// empty).
    journal: Mutex<Journal>,
    /// The clock as this replica last read it from the store (for the
    /// journal, without waiting for the copy's lock).
    seen_clock: Mutex<Clock>,
}

/// Where a page of the token listing starts after: a token's session, kind
/// (access first) and serial.
pub(crate) type TokenCursor = (SessionId, bool, u64);

/// A page of a listing, and where the next starts after (if there is one).
#[derive(Debug)]
pub(crate) struct Page<T, C> {
    pub(crate) items: Vec<T>,
    pub(crate) next: Option<C>,
}

/// The first `limit` of `items`, and the cursor of the last one if more
/// follow.
fn page<T, C>(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> C) -> Page<T, C> {
    let more = items.len() > limit;
    items.truncate(limit);
    let next = more.then(|| items.last().map(&cursor)).flatten();
    Page { items, next }
}

/// A listed token with what a person reads: its five-word status and why.
pub(crate) type TokenLine = (TokenView, TokenStatus, String);

/// A short random pause before trying again, growing with the attempt.
fn backoff(attempt: u32) {
    let ceiling = 50u64 << attempt.min(5);
    let micros = rand::random::<u64>() % ceiling;
    std::thread::sleep(std::time::Duration::from_micros(micros));
}

impl State {
    /// State around a fresh model, with a fresh key; shared through
    /// `store` if there is one.
    pub(crate) fn new(
        name: &str,
        model: Model,
        signer: Option<Arc<Signer>>,
        store: Option<Arc<Store>>,
    ) -> State {
        State {
            name: name.to_owned(),
            blank: Mutex::new(model.clone()),
            cached: Mutex::new(Cached::of(Shared::fresh(model))),
            store,
            signer: RwLock::new(signer),
            journal: Mutex::new(Journal::default()),
            seen_clock: Mutex::new(Clock::default()),
        }
    }

    /// Run `f` on the namespace's state with its codec, atomically: under
    /// the lock of the replica's copy and, with a store, as one
    /// compare-and-set of the shared state (`f` may then run more than
    /// once, on the newest state, until its write wins; what it returns of
    /// the winning run is the answer). The model decides everything; this
    /// only moves its bytes.
    pub(crate) fn transact<R>(
        &self,
        mut f: impl FnMut(&mut Shared, &mut Codec<'_>) -> R,
    ) -> Result<R, StateError> {
        let signer = self.signer.read().clone();
        let Some(store) = &self.store else {
            let mut c = self.cached.lock();
            let Cached { shared, key, .. } = &mut *c;
            let mut codec = Codec {
                key,
                signer: signer.as_deref(),
            };
            return Ok(f(shared, &mut codec));
        };
        // Waiting for the replica's copy, the round trips and the backoff
        // block: the runtime's other requests go on on other threads
        // meanwhile.
        crate::store::blocking(|| {
            let mut c = self.cached.lock();
            for attempt in 0..MAX_ATTEMPTS {
                match store.read(&self.name, c.version)? {
                    Read::Same => {}
                    Read::Missing => {
                        // Nothing stored (a first start, or a Redis that lost
                        // its data): a fresh namespace with a fresh key, so
                        // the tokens of before are unknown.
                        if c.version != 0 || c.bytes.is_empty() {
                            *c = Cached::of(Shared::fresh(self.blank.lock().clone()));
                        }
                    }
                    Read::Newer(version, bytes) => {
                        let shared: Shared =
                            postcard::from_bytes(&bytes).map_err(StateError::Corrupt)?;
                        let secret_changed = shared.secret != c.shared.secret;
                        c.shared = shared;
                        if secret_changed {
                            c.key = Key::from_secret(&c.shared.secret);
                        }
                        c.version = version;
                        // Its bytes as this copy writes them: a map's order is
                        // the copy's own, so an action that changes nothing
                        // writes nothing.
                        c.bytes = postcard::to_stdvec(&c.shared).map_err(StateError::Corrupt)?;
                    }
                }
                *self.seen_clock.lock() = c.shared.clock;
                let mut work = c.shared.clone();
                let r = f(
                    &mut work,
                    &mut Codec {
                        key: &c.key,
                        signer: signer.as_deref(),
                    },
                );
                let bytes = postcard::to_stdvec(&work).map_err(StateError::Corrupt)?;
                if bytes == c.bytes {
                    return Ok(r);
                }
                if let Some(version) = store.write(&self.name, c.version, &bytes)? {
                    c.shared = work;
                    c.version = version;
                    c.bytes = bytes;
                    return Ok(r);
                }
                tracing::debug!(namespace = %self.name, attempt, "lost a write race; retrying");
                backoff(attempt);
            }
            Err(StateError::Contention {
                attempts: MAX_ATTEMPTS,
            })
        })
    }

    /// Run `f` on the model at the clock's now with this namespace's codec
    /// (the code exchange starts and ends sessions with it), atomically
    /// (see [`State::transact`]).
    pub(crate) fn with_model<R>(
        &self,
        mut f: impl FnMut(&mut Model, Instant, &mut Codec<'_>) -> R,
    ) -> Result<R, StateError> {
        self.transact(|s, codec| {
            let now = s.clock.now();
            f(&mut s.model, now, codec)
        })
    }

    /// The clock.
    pub(crate) fn clock(&self) -> Result<ClockView, StateError> {
        self.transact(|s, _| s.clock.view())
    }

    /// The clock's now as this replica last saw it (for the journal: no
    /// round trip, never fails).
    pub(crate) fn seen_now(&self) -> Instant {
        match self.store {
            Some(_) => self.seen_clock.lock().now(),
            None => self.cached.lock().shared.clock.now(),
        }
    }

    /// Record a request in the journal: with a store, the one every
    /// replica shares (numbered by one sequence); an entry Redis does not
    /// take is logged and dropped, never a failed request.
    pub(crate) fn record(&self, entry: JournalEntry) {
        let Some(store) = &self.store else {
            self.journal.lock().push(entry);
            return;
        };
        let recorded = serde_json::to_vec(&entry)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                store
                    .record(&self.name, &bytes, JOURNAL_CAPACITY)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = recorded {
            tracing::warn!(namespace = %self.name, "a journal entry was not recorded: {e}");
        }
    }

    /// Up to `limit` journal entries older than the entry `before` (the
    /// newest without), oldest first, and the `before` of older ones if
    /// there are any: every replica's, with a store.
    pub(crate) fn journal_page(
        &self,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Page<JournalEntry, u64>, StateError> {
        let Some(store) = &self.store else {
            return Ok(self.journal.lock().page(before, limit));
        };
        let mut found = store.recorded(&self.name, before, limit.saturating_add(1))?;
        let more = found.len() > limit;
        found.truncate(limit);
        let items: Vec<JournalEntry> = found
            .into_iter()
            .rev()
            .filter_map(|(seq, bytes)| {
                // An entry another version of the mock wrote is skipped.
                let mut entry: JournalEntry = serde_json::from_slice(&bytes).ok()?;
                entry.seq = seq;
                Some(entry)
            })
            .collect();
        let next = more.then(|| items.first().map(|e| e.seq)).flatten();
        Ok(Page { items, next })
    }

    /// The newest `limit` journal entries, oldest first.
    pub(crate) fn journal(&self, limit: usize) -> Result<Vec<JournalEntry>, StateError> {
        Ok(self.journal_page(None, limit)?.items)
    }

    /// Entries in the journal.
    pub(crate) fn journal_len(&self) -> Result<usize, StateError> {
        match &self.store {
            Some(store) => store.recorded_len(&self.name),
            None => Ok(self.journal.lock().len()),
        }
    }

    /// Forget the journal (every replica's, with a store).
    pub(crate) fn clear_journal(&self) -> Result<(), StateError> {
        match &self.store {
            Some(store) => store.clear_recorded(&self.name),
            None => {
                self.journal.lock().clear();
                Ok(())
            }
        }
    }

    /// Change the clock; its view after.
    pub(crate) fn move_clock(&self, f: impl Fn(&mut Clock)) -> Result<ClockView, StateError> {
        self.transact(|s, _| {
            f(&mut s.clock);
            s.clock.view()
        })
    }

    /// Apply an action now. Every action is atomic: of concurrent
    /// refreshes with one token exactly one wins, on every replica.
    pub(crate) fn apply(&self, action: Action<'_>) -> Result<Outcome, StateError> {
        self.with_model(|m, now, codec| m.apply(action.clone(), now, codec))
    }

    /// Apply an action now, and say why a token was invalid (in the same
    /// transaction, so the explanation is of this very action).
    /// With `client`, the client the binding authenticates is checked and
    /// bound to the tokens (`Model::apply_as`).
    pub(crate) fn apply_explained(
        &self,
        client: Option<ClientAuth<'_>>,
        action: Action<'_>,
    ) -> Result<(Outcome, Option<Invalidity>), StateError> {
        self.with_model(|model, now, codec| {
            let detail = model.diagnose(&action, now, codec);
            let outcome = match client {
                Some(client) => model.apply_as(client, action.clone(), now, codec),
                None => model.apply(action.clone(), now, codec),
            };
            (outcome, detail)
        })
    }

    /// Why `token` is refused, in words, for the log (`spent by a refresh
    /// 4 s ago`), from the model's diagnosis and its session's times:
    /// `None` when there is no more to say than the outcome's name (or the
    /// shared state cannot be read).
    pub(crate) fn death_of(&self, token: &str) -> Option<String> {
        let (death, now) = self
            .with_model(|model, now, codec| {
                // Either kind: the words are of the token, whatever it was
                // presented as.
                let death = [
                    Action::Refresh {
                        refresh_token: Some(token),
                    },
                    Action::Protected {
                        access_token: Some(token),
                    },
                ]
                .iter()
                .find_map(|a| model.explain(a, now, codec).filter(|d| d.by.is_some()));
                (death, now)
            })
            .ok()?;
        Some(words(&death?, now))
    }

    /// A reloaded spec's blank model and signer: replace this namespace's
    /// model when the policy changed (tokens of before are then unknown),
    /// else add or change its accounts in place.
    pub(crate) fn adopt(
        &self,
        blank: &Model,
        policy_changed: bool,
        signer: Option<Arc<Signer>>,
    ) -> Result<(), StateError> {
        *self.blank.lock() = blank.clone();
        *self.signer.write() = signer;
        self.transact(|s, _| {
            if policy_changed {
                s.model.renew(blank);
            } else {
                for (user, password) in blank.accounts() {
                    s.model.set_account(user.to_owned(), password.to_owned());
                }
            }
        })
    }

    /// Sessions started since the last reset, and those stored and not
    /// ended.
    pub(crate) fn session_counts(&self) -> Result<(usize, usize), StateError> {
        self.transact(|s, _| (s.model.session_count(), s.model.live_sessions()))
    }

    /// Every stored session, oldest first.
    pub(crate) fn sessions(&self) -> Result<Vec<SessionView>, StateError> {
        self.transact(|s, _| s.model.sessions().collect())
    }

    /// Up to `limit` stored sessions after the session `after`, oldest
    /// first (the lock is held only to copy them).
    pub(crate) fn sessions_page(
        &self,
        after: Option<SessionId>,
        limit: usize,
    ) -> Result<Page<SessionView, SessionId>, StateError> {
        let from = after.map_or(Some(0), |a| a.checked_add(1));
        let items = match from {
            Some(from) => self.transact(|s, _| {
                s.model
                    .sessions_from(from)
                    .take(limit.saturating_add(1))
                    .collect()
            })?,
            None => Vec::new(),
        };
        Ok(page(items, limit, |s| s.id))
    }

    /// The tokens of every stored session (see [`Model::listed`]): each
    /// session's newest access and refresh tokens, access tokens first.
    pub(crate) fn tokens(&self) -> Result<Vec<TokenView>, StateError> {
        self.transact(|s, codec| {
            let now = s.clock.now();
            let listed: Vec<Listed> = s.model.listed(0, now).collect();
            listed
                .iter()
                .filter_map(|l| codec.rewrite(&l.claims()).map(|t| l.view(t)))
                .collect()
        })
    }

    /// Up to `limit` tokens after `after` as [`State::tokens`] orders them,
    /// with their status and why.
    pub(crate) fn tokens_page(
        &self,
        after: Option<TokenCursor>,
        limit: usize,
    ) -> Result<Page<TokenLine, TokenCursor>, StateError> {
        let key = |l: &Listed| {
            let s = &l.stamp;
            (s.session, s.kind == TokenKind::Refresh, s.serial)
        };
        self.transact(|s, codec| {
            let now = s.clock.now();
            let listed: Vec<Listed> = s
                .model
                .listed(after.map_or(0, |a| a.0), now)
                .filter(|l| after.is_none_or(|a| key(l) > a))
                .take(limit.saturating_add(1))
                .collect();
            let listed = page(listed, limit, key);
            let items = listed
                .items
                .iter()
                .filter_map(|l| {
                    let token = codec.rewrite(&l.claims())?;
                    let (status, why) = status_of(l, now);
                    Some((l.view(token), status, why))
                })
                .collect();
            Page {
                items,
                next: listed.next,
            }
        })
    }

    /// Forget sessions, tokens and the journal; put the clock back. The
    /// model's memory goes back (new storage).
    pub(crate) fn reset(&self) -> Result<(), StateError> {
        self.transact(|s, _| {
            s.model.reset();
            s.clock.reset();
            s.codes.clear();
        })?;
        self.clear_journal()?;
        Ok(())
    }

    /// Bytes Redis uses for this namespace's state (`None` in memory).
    pub(crate) fn stored_bytes(&self) -> Option<Result<u64, StateError>> {
        self.store.as_ref().map(|s| s.memory_usage(&self.name))
    }
}

/// What ended a token, in words (`spent by a refresh 4 s ago`).
fn words(d: &Death, now: Instant) -> String {
    let what = match (d.why, d.by) {
        (Invalidity::Spent, _) => "spent by a refresh",
        (Invalidity::Ended, Some(ActionKind::Logout)) => "ended by logout",
        (Invalidity::Ended, _) => "ended by the reuse of a spent refresh token",
        (Invalidity::Revoked, Some(ActionKind::Logout)) => "revoked by logout",
        (Invalidity::Revoked, Some(ActionKind::RevokeAll)) => "revoked by revoke-all",
        (Invalidity::Revoked, Some(ActionKind::Refresh)) => "revoked by a later refresh",
        (Invalidity::Revoked, _) => "revoked",
        (Invalidity::Unknown, _) => "unknown",
        (Invalidity::WrongKind, _) => "of the wrong kind",
    };
    match d.at {
        Some(at) => format!("{what} {}", ago(now.saturating_sub(at))),
        None => what.to_owned(),
    }
}

/// A token's state as a person reads it: the model's stored state, with
/// expiry and the end of its session folded in, expiry first (as the model
/// checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum TokenStatus {
    /// Usable now.
    Live,
    /// A refresh token already exchanged.
    Spent,
    /// Revoked (or an access token ended by logout).
    Revoked,
    /// Past its lifetime.
    Expired,
    /// Its session has ended.
    Ended,
}

fn status_of(l: &Listed, now: Instant) -> (TokenStatus, String) {
    let s = &l.stamp;
    if now >= s.expires_at {
        let why = format!("expired {}", ago(now - s.expires_at));
        return (TokenStatus::Expired, why);
    }
    let why = |word: &str| l.death.map_or_else(|| word.to_owned(), |d| words(&d, now));
    match l.state {
        TokenState::Spent => (TokenStatus::Spent, why("spent")),
        _ if !l.session_live => (
            TokenStatus::Ended,
            format!("session {} {}", s.session, why("ended")),
        ),
        TokenState::Revoked => (TokenStatus::Revoked, why("revoked")),
        TokenState::Live => (
            TokenStatus::Live,
            format!("expires in {} s", s.expires_at - now),
        ),
    }
}

fn ago(seconds: u64) -> String {
    format!("{seconds} s ago")
}
