//! The mock's state: the behaviour model behind one lock, the adjustable
//! clock, and the request journal.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use parking_lot::Mutex;

use openapi::authcode::Codes;
use openapi::model::{
    Action, ActionKind, ClientAuth, Instant, Invalidity, Mint, Model, Outcome, SessionView, Token,
    TokenKind, TokenState, TokenView,
};

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

/// A fresh, unguessable token, as the mock mints them: 144 bits from the
/// thread's CSPRNG, 24 base64url characters. Pass it to
/// [`Model::apply`] to mint tokens as the mock does.
pub fn random_token(_kind: TokenKind) -> Token {
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

    /// How many entries it holds.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Forget everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// When a token was ended, and by which action.
#[derive(Debug, Clone, Copy)]
struct Death {
    at: Instant,
    by: ActionKind,
}

/// One namespace: model, clock and journal together.
#[derive(Debug)]
pub(crate) struct State {
    /// The namespace's name.
    pub(crate) name: String,
    model: Mutex<Model>,
    /// Tokens the model ended, with when and how, for the words of the log
    /// and the dashboard ("spent by a refresh 4 s ago"). The model keeps
    /// states, not history.
    deaths: Mutex<HashMap<Token, Death>>,
    /// The clock.
    pub(crate) clock: Clock,
    /// The journal.
    pub(crate) journal: Mutex<Journal>,
    /// The authorization codes issued and not yet forgotten (the
    /// authorization-code flow; taken before the model's lock).
    pub(crate) codes: Mutex<Codes>,
}

impl State {
    /// State around a fresh model.
    pub(crate) fn new(name: &str, model: Model) -> State {
        State {
            name: name.to_owned(),
            model: Mutex::new(model),
            deaths: Mutex::new(HashMap::new()),
            clock: Clock::default(),
            journal: Mutex::new(Journal::default()),
            codes: Mutex::new(Codes::new()),
        }
    }

    /// Run `f` on the model at the clock's now, under the model's lock
    /// (the code exchange starts and ends sessions with it).
    pub(crate) fn with_model<R>(&self, f: impl FnOnce(&mut Model, Instant) -> R) -> R {
        let now = self.clock.now();
        f(&mut self.model.lock(), now)
    }

    /// Apply an action now. The model's lock makes every action atomic: of
    /// concurrent refreshes with one token exactly one wins.
    pub(crate) fn apply(&self, action: Action<'_>) -> Outcome {
        let now = self.clock.now();
        self.model.lock().apply(action, now, &mut random_token)
    }

    /// Apply an action now, and say why a token was invalid (under the same
    /// lock, so the explanation is of this very action).
    /// With `client`, the client the binding authenticates is checked and
    /// bound to the tokens (`Model::apply_as`).
    pub(crate) fn apply_explained(
        &self,
        client: Option<ClientAuth<'_>>,
        action: Action<'_>,
        mint: &mut dyn Mint,
    ) -> (Outcome, Option<Invalidity>) {
        let now = self.clock.now();
        let mut model = self.model.lock();
        let detail = model.diagnose(&action, now);
        let kind = action.kind();
        let token = action.token().map(Token::from);
        let outcome = match client {
            Some(client) => model.apply_as(client, action, now, mint),
            None => model.apply(action, now, mint),
        };
        let ended = match (&outcome, kind) {
            (Outcome::Issued(_), ActionKind::Refresh) => model.policy().refresh_single_use,
            (Outcome::Done, ActionKind::Logout | ActionKind::Revoke | ActionKind::RevokeToken) => {
                true
            }
            _ => false,
        };
        if let Some(token) = token.filter(|_| ended) {
            self.deaths
                .lock()
                .entry(token)
                .or_insert(Death { at: now, by: kind });
        }
        (outcome, detail)
    }

    /// Why `token` is refused, in words, for the log (`spent 4 s ago`):
    /// `None` when the mock has no more to say than the outcome's name.
    pub(crate) fn death_of(&self, token: &str) -> Option<String> {
        let now = self.clock.now();
        let death = *self.deaths.lock().get(token)?;
        Some(death.words(now))
    }

    /// The tokens with their five-word status and why, as the dashboard
    /// shows them.
    pub(crate) fn token_statuses(&self) -> Vec<(TokenView, TokenStatus, String)> {
        let now = self.clock.now();
        let live: HashMap<u32, bool> = self.sessions().iter().map(|s| (s.id, s.live)).collect();
        let deaths = self.deaths.lock();
        self.tokens()
            .into_iter()
            .map(|t| {
                let session_live = live.get(&t.session).copied().unwrap_or(false);
                let death = deaths.get(&t.token).copied();
                let (status, why) = status_of(&t, session_live, death, now);
                (t, status, why)
            })
            .collect()
    }

    /// A reloaded spec's blank model: replace this namespace's model when
    /// the policy changed, else add or change its accounts in place.
    pub(crate) fn adopt(&self, blank: &Model, policy_changed: bool) {
        let mut model = self.model.lock();
        if policy_changed {
            *model = blank.clone();
            self.deaths.lock().clear();
        } else {
            for (user, password) in blank.accounts() {
                model.set_account(user.to_owned(), password.to_owned());
            }
        }
    }

    /// Every session, oldest first.
    pub(crate) fn sessions(&self) -> Vec<SessionView> {
        self.model.lock().sessions().collect()
    }

    /// Every token issued since the last reset, by session, access tokens
    /// first.
    pub(crate) fn tokens(&self) -> Vec<TokenView> {
        let now = self.clock.now();
        let mut list: Vec<TokenView> = self.model.lock().tokens(now).collect();
        list.sort_by(|a, b| {
            let key = |t: &TokenView| (t.session, t.kind == TokenKind::Refresh);
            key(a).cmp(&key(b)).then_with(|| a.token.cmp(&b.token))
        });
        list
    }

    /// Forget sessions, tokens and the journal; put the clock back.
    pub(crate) fn reset(&self) {
        self.model.lock().reset();
        self.deaths.lock().clear();
        self.journal.lock().clear();
        self.codes.lock().clear();
        self.clock.reset();
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

fn status_of(
    t: &TokenView,
    session_live: bool,
    death: Option<Death>,
    now: Instant,
) -> (TokenStatus, String) {
    let how = |word: &str| match death {
        Some(d) => d.words(now),
        None => word.to_owned(),
    };
    if now >= t.expires_at {
        let why = format!("expired {}", ago(now - t.expires_at));
        return (TokenStatus::Expired, why);
    }
    match t.state {
        TokenState::Spent => (TokenStatus::Spent, how("spent")),
        _ if !session_live => (TokenStatus::Ended, format!("session {} ended", t.session)),
        TokenState::Revoked => (TokenStatus::Revoked, how("revoked")),
        TokenState::Live => (
            TokenStatus::Live,
            format!("expires in {} s", t.expires_at - now),
        ),
    }
}

impl Death {
    /// `spent by a refresh 4 s ago`.
    fn words(self, now: Instant) -> String {
        let what = match self.by {
            ActionKind::Refresh => "spent by a refresh",
            ActionKind::Logout => "revoked by logout",
            _ => "revoked",
        };
        format!("{what} {}", ago(now.saturating_sub(self.at)))
    }
}

fn ago(seconds: u64) -> String {
    format!("{seconds} s ago")
}
