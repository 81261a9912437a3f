//! The mock's state: the behaviour model behind one lock with the key of
//! its tokens, the adjustable clock, and the request journal.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use parking_lot::{Mutex, RwLock};

use openapi::authcode::Codes;
use openapi::model::{
    Action, ActionKind, ClientAuth, Death, Instant, Invalidity, Listed, Model, Outcome, SessionId,
    SessionView, Token, TokenCodec, TokenKind, TokenState, TokenView,
};

use crate::codec::{Codec, Key};
use crate::jwt::Signer;

/// Requests the journal keeps (the oldest go first).
pub const JOURNAL_CAPACITY: usize = 1000;

/// Random bytes per token: 144 bits from the thread's CSPRNG, 24 characters
/// of base64url (inline in a `CompactString`, so no heap allocation).
const TOKEN_BYTES: usize = 18;

/// The clock: wall time plus an offset the admin API can advance, or a
/// frozen instant that only moves when advanced (what the conformance suite
/// uses, so that TTL boundaries are exact).
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: AtomicU64,
    /// The frozen instant plus one (0: not frozen).
    frozen: AtomicU64,
}

fn wall() -> Instant {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Clock {
    /// The mock's now, Unix seconds.
    pub(crate) fn now(&self) -> Instant {
        match self.frozen.load(Ordering::SeqCst) {
            0 => wall().saturating_add(self.offset()),
            f => f - 1,
        }
    }

    /// Seconds the clock has been moved past wall time (or frozen ahead of
    /// it).
    pub(crate) fn offset(&self) -> u64 {
        self.offset.load(Ordering::SeqCst)
    }

    /// Whether the clock is frozen.
    pub(crate) fn is_frozen(&self) -> bool {
        self.frozen.load(Ordering::SeqCst) != 0
    }

    /// Move the clock forward.
    pub(crate) fn advance(&self, seconds: u64) {
        let add = |o: u64| Some(o.saturating_add(seconds));
        let _ = self
            .offset
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, add);
        let _ = self
            .frozen
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |f| {
                (f != 0).then(|| f.saturating_add(seconds))
            });
    }

    /// Stop the clock at its current instant.
    pub(crate) fn freeze(&self) {
        let now = self.now();
        self.frozen.store(now.saturating_add(1), Ordering::SeqCst);
    }

    /// Let the clock run again from wall time plus the offset.
    pub(crate) fn resume(&self) {
        self.frozen.store(0, Ordering::SeqCst);
    }

    /// Back to wall time, running.
    pub(crate) fn reset(&self) {
        self.offset.store(0, Ordering::SeqCst);
        self.frozen.store(0, Ordering::SeqCst);
    }

    /// The clock as the admin API and [`MockServer::clock`] show it.
    ///
    /// [`MockServer::clock`]: crate::MockServer::clock
    pub(crate) fn view(&self) -> ClockView {
        ClockView {
            now: self.now(),
            offset: self.offset(),
            frozen: self.is_frozen(),
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
#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
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

    /// The newest `limit` entries, oldest first.
    pub(crate) fn last(&self, limit: usize) -> Vec<JournalEntry> {
        let skip = self.entries.len().saturating_sub(limit);
        self.entries.iter().skip(skip).cloned().collect()
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

/// One namespace: model, clock and journal together, and the key its
/// tokens are authenticated with.
#[derive(Debug)]
pub(crate) struct State {
    /// The namespace's name.
    pub(crate) name: String,
    model: Mutex<Model>,
    /// The key of its tokens (see [`crate::codec`]): made with the
    /// namespace, kept across reloads.
    key: Key,
    /// The served spec's JWT signer, where its tokens are JWTs (the same
    /// one as [`crate::served::Served`]'s, replaced on a reload).
    signer: RwLock<Option<Arc<Signer>>>,
    /// The clock.
    pub(crate) clock: Clock,
    /// The journal.
    pub(crate) journal: Mutex<Journal>,
    /// The authorization codes issued and not yet forgotten (the
    /// authorization-code flow; taken before the model's lock).
    pub(crate) codes: Mutex<Codes>,
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

impl State {
    /// State around a fresh model, with a fresh key.
    pub(crate) fn new(name: &str, model: Model, signer: Option<Arc<Signer>>) -> State {
        State {
            name: name.to_owned(),
            model: Mutex::new(model),
            key: Key::random(),
            signer: RwLock::new(signer),
            clock: Clock::default(),
            journal: Mutex::new(Journal::default()),
            codes: Mutex::new(Codes::new()),
        }
    }

    /// Run `f` with this namespace's token codec.
    fn with_codec<R>(&self, f: impl FnOnce(&mut Codec<'_>) -> R) -> R {
        let signer = self.signer.read().clone();
        f(&mut Codec {
            key: &self.key,
            signer: signer.as_deref(),
        })
    }

    /// Run `f` on the model at the clock's now, under the model's lock,
    /// with this namespace's codec (the code exchange starts and ends
    /// sessions with it).
    pub(crate) fn with_model<R>(
        &self,
        f: impl FnOnce(&mut Model, Instant, &mut Codec<'_>) -> R,
    ) -> R {
        let now = self.clock.now();
        self.with_codec(|codec| f(&mut self.model.lock(), now, codec))
    }

    /// Apply an action now. The model's lock makes every action atomic: of
    /// concurrent refreshes with one token exactly one wins.
    pub(crate) fn apply(&self, action: Action<'_>) -> Outcome {
        let now = self.clock.now();
        self.with_codec(|codec| self.model.lock().apply(action, now, codec))
    }

    /// Apply an action now, and say why a token was invalid (under the same
    /// lock, so the explanation is of this very action).
    /// With `client`, the client the binding authenticates is checked and
    /// bound to the tokens (`Model::apply_as`).
    pub(crate) fn apply_explained(
        &self,
        client: Option<ClientAuth<'_>>,
        action: Action<'_>,
    ) -> (Outcome, Option<Invalidity>) {
        let now = self.clock.now();
        self.with_codec(|codec| {
            let mut model = self.model.lock();
            let detail = model.diagnose(&action, now, codec);
            let outcome = match client {
                Some(client) => model.apply_as(client, action, now, codec),
                None => model.apply(action, now, codec),
            };
            (outcome, detail)
        })
    }

    /// Why `token` is refused, in words, for the log (`spent by a refresh
    /// 4 s ago`), from the model's diagnosis and its session's times:
    /// `None` when there is no more to say than the outcome's name.
    pub(crate) fn death_of(&self, token: &str) -> Option<String> {
        let now = self.clock.now();
        let death = self.with_codec(|codec| {
            // Either kind: the words are of the token, whatever it was
            // presented as.
            let model = self.model.lock();
            [
                Action::Refresh {
                    refresh_token: Some(token),
                },
                Action::Protected {
                    access_token: Some(token),
                },
            ]
            .iter()
            .find_map(|a| model.explain(a, now, codec).filter(|d| d.by.is_some()))
        })?;
        Some(words(&death, now))
    }

    /// A reloaded spec's blank model and signer: replace this namespace's
    /// model when the policy changed (tokens of before are then unknown),
    /// else add or change its accounts in place.
    pub(crate) fn adopt(&self, blank: &Model, policy_changed: bool, signer: Option<Arc<Signer>>) {
        let mut model = self.model.lock();
        if policy_changed {
            model.renew(blank);
        } else {
            for (user, password) in blank.accounts() {
                model.set_account(user.to_owned(), password.to_owned());
            }
        }
        *self.signer.write() = signer;
    }

    /// Sessions started since the last reset, and those stored and not
    /// ended.
    pub(crate) fn session_counts(&self) -> (usize, usize) {
        let model = self.model.lock();
        (model.session_count(), model.live_sessions())
    }

    /// Every stored session, oldest first.
    pub(crate) fn sessions(&self) -> Vec<SessionView> {
        self.model.lock().sessions().collect()
    }

    /// Up to `limit` stored sessions after the session `after`, oldest
    /// first (the lock is held only to copy them).
    pub(crate) fn sessions_page(
        &self,
        after: Option<SessionId>,
        limit: usize,
    ) -> Page<SessionView, SessionId> {
        let from = after.map_or(Some(0), |a| a.checked_add(1));
        let items = match from {
            Some(from) => self
                .model
                .lock()
                .sessions_from(from)
                .take(limit.saturating_add(1))
                .collect(),
            None => Vec::new(),
        };
        page(items, limit, |s| s.id)
    }

    /// The tokens of every stored session (see [`Model::listed`]): each
    /// session's newest access and refresh tokens, access tokens first.
    pub(crate) fn tokens(&self) -> Vec<TokenView> {
        let now = self.clock.now();
        let listed: Vec<Listed> = self.model.lock().listed(0, now).collect();
        self.with_codec(|codec| {
            listed
                .iter()
                .filter_map(|l| codec.rewrite(&l.claims()).map(|t| l.view(t)))
                .collect()
        })
    }

    /// Up to `limit` tokens after `after` as [`State::tokens`] orders them,
    /// with their status and why: taken under the lock, written (JWTs
    /// signed) outside it.
    pub(crate) fn tokens_page(
        &self,
        after: Option<TokenCursor>,
        limit: usize,
    ) -> Page<TokenLine, TokenCursor> {
        let now = self.clock.now();
        let key = |l: &Listed| {
            let s = &l.stamp;
            (s.session, s.kind == TokenKind::Refresh, s.serial)
        };
        let listed: Vec<Listed> = {
            let model = self.model.lock();
            model
                .listed(after.map_or(0, |a| a.0), now)
                .filter(|l| after.is_none_or(|a| key(l) > a))
                .take(limit.saturating_add(1))
                .collect()
        };
        let listed = page(listed, limit, key);
        let items = self.with_codec(|codec| {
            listed
                .items
                .iter()
                .filter_map(|l| {
                    let token = codec.rewrite(&l.claims())?;
                    let (status, why) = status_of(l, now);
                    Some((l.view(token), status, why))
                })
                .collect()
        });
        Page {
            items,
            next: listed.next,
        }
    }

    /// Forget sessions, tokens and the journal; put the clock back. The
    /// model's memory goes back (new storage).
    pub(crate) fn reset(&self) {
        self.model.lock().reset();
        self.journal.lock().clear();
        self.codes.lock().clear();
        self.clock.reset();
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
