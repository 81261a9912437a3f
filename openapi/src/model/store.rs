//! Where the model keeps its sessions: one compact record per session
//! whose tokens have not all expired, and nothing per token.
//!
//! Records sit in one dense vector, found by session id through an ordered
//! index (so listings page in id order). A session every token of which has
//! expired is reclaimed a few records per call, never in one sweep: its
//! record goes, the last record takes its place, and the vector shrinks as
//! the sessions do.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::{ActionKind, Instant, SessionId, TokenKind};

/// A token of a session known by its serial and issue time (serial 0:
/// none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Issue {
    pub(super) serial: u64,
    pub(super) at: Instant,
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum EndedBy {
    /// A logout.
    Logout,
    /// A spent refresh token was presented again.
    Reuse,
}

/// A token revoked on its own (not by an epoch), kept until it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Revoked {
    pub(super) kind: TokenKind,
    pub(super) serial: u64,
    pub(super) expires_at: Instant,
    pub(super) at: Instant,
    pub(super) by: ActionKind,
}

/// What few sessions need: kept out of line, and dropped when empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Extra {
    /// Under single use: refresh tokens still live besides the newest (a
    /// spent token refreshed again within the grace period leaves two).
    pub(super) live: Vec<Issue>,
    /// Tokens revoked on their own, until they expire: bounded by the
    /// session's live tokens, since only a live token can be revoked.
    pub(super) revoked: Vec<Revoked>,
    /// Refresh tokens spent within the grace period, with when (besides
    /// [`Session::last_spent`]); only kept while the grace lasts.
    pub(super) spent: Vec<Issue>,
    /// Every refresh token of the session with a smaller serial is revoked
    /// (an access token revoked under `revokeAccessRevokesRefresh`; rare,
    /// so out of line).
    pub(super) refresh_revoked_below: u64,
}

impl Extra {
    fn is_empty(&self) -> bool {
        self.live.is_empty()
            && self.revoked.is_empty()
            && self.spent.is_empty()
            && self.refresh_revoked_below == 0
    }
}

/// No client (a client index the model never gives).
const NO_CLIENT: u32 = u32::MAX;

/// One session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Session {
    pub(super) started_at: Instant,
    /// Its newest access token.
    pub(super) access: Issue,
    /// Its newest refresh token.
    pub(super) refresh: Issue,
    /// Every access token of it with a smaller serial is revoked (a
    /// refresh under `refreshRevokesAccess`, a cascading revoke).
    pub(super) access_revoked_below: u64,
    /// The refresh token spent last, and when (for the grace period and
    /// the words of the log).
    pub(super) last_spent: Issue,
    /// When it ended (see `end`).
    ended_at: Instant,
    pub(super) extra: Option<Box<Extra>>,
    pub(super) id: SessionId,
    pub(super) user: u32,
    /// The client it was granted to ([`NO_CLIENT`] for none: a `u32`
    /// rather than an `Option`, for four bytes a session).
    client: u32,
    /// How it ended; `None` while it lives.
    end: Option<EndedBy>,
    /// Under single use: whether its newest refresh token is unspent.
    pub(super) refresh_live: bool,
    /// What revoked its access tokens by epoch last (`refresh` or
    /// `revoke`).
    pub(super) access_revoked_by: ActionKind,
}

impl Session {
    /// A session of `user` started at `now`, with no token yet.
    pub(super) fn new(id: SessionId, user: u32, client: Option<u32>, now: Instant) -> Session {
        Session {
            started_at: now,
            access: Issue::default(),
            refresh: Issue::default(),
            access_revoked_below: 0,
            last_spent: Issue::default(),
            ended_at: 0,
            extra: None,
            id,
            user,
            client: client.unwrap_or(NO_CLIENT),
            end: None,
            refresh_live: false,
            access_revoked_by: ActionKind::Refresh,
        }
    }

    pub(super) fn live(&self) -> bool {
        self.end.is_none()
    }

    /// When and how it ended; `None` while it lives.
    pub(super) fn ended(&self) -> Option<(Instant, EndedBy)> {
        self.end.map(|by| (self.ended_at, by))
    }

    /// End it (the first end counts; see [`Sessions::finish`], which
    /// counts).
    fn finish(&mut self, now: Instant, by: EndedBy) {
        if self.end.is_none() {
            self.end = Some(by);
            self.ended_at = now;
        }
    }

    /// The client it was granted to, where the API has clients.
    pub(super) fn client(&self) -> Option<u32> {
        (self.client != NO_CLIENT).then_some(self.client)
    }

    /// The token of `kind` and `serial` if it was revoked on its own.
    pub(super) fn revoked(&self, kind: TokenKind, serial: u64) -> Option<&Revoked> {
        let extra = self.extra.as_deref()?;
        extra
            .revoked
            .iter()
            .find(|r| r.kind == kind && r.serial == serial)
    }

    /// Under single use: whether the refresh token `serial` is unspent
    /// (and not revoked on its own).
    pub(super) fn refresh_unspent(&self, serial: u64) -> bool {
        (serial == self.refresh.serial && self.refresh_live)
            || self
                .extra
                .as_deref()
                .is_some_and(|e| e.live.iter().any(|i| i.serial == serial))
    }

    /// When the refresh token `serial` was spent, where the session still
    /// knows (the last one always; others while their grace lasts).
    pub(super) fn spent_at(&self, serial: u64) -> Option<Instant> {
        if self.last_spent.serial == serial && serial != 0 {
            return Some(self.last_spent.at);
        }
        let extra = self.extra.as_deref()?;
        extra
            .spent
            .iter()
            .find(|i| i.serial == serial)
            .map(|i| i.at)
    }

    /// The older refresh tokens still live (under single use).
    pub(super) fn older_live(&self) -> &[Issue] {
        self.extra.as_deref().map_or(&[], |e| &e.live)
    }

    /// Every refresh token of it with a smaller serial is revoked.
    pub(super) fn refresh_revoked_below(&self) -> u64 {
        self.extra.as_deref().map_or(0, |e| e.refresh_revoked_below)
    }

    /// Revoke every refresh token of it with a serial below `below`.
    pub(super) fn revoke_refresh_below(&mut self, below: u64) {
        self.extra_mut().refresh_revoked_below = below;
    }

    /// The out-of-line part, made on first use.
    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Drop the out-of-line part once it holds nothing.
    fn tidy(&mut self) {
        if self.extra.as_deref().is_some_and(Extra::is_empty) {
            self.extra = None;
        }
    }

    /// Under single use: the refresh token `serial` is no longer live.
    pub(super) fn unlive(&mut self, serial: u64) {
        if serial == self.refresh.serial {
            self.refresh_live = false;
        } else if let Some(e) = self.extra.as_deref_mut() {
            e.live.retain(|i| i.serial != serial);
        }
        self.tidy();
    }

    /// Under single use: a new newest refresh token; the previous one, if
    /// unspent, joins the older live ones (`expiry` says which of those
    /// are past their lifetime and can go).
    pub(super) fn push_refresh(
        &mut self,
        issue: Issue,
        now: Instant,
        expiry: impl Fn(Instant) -> Instant,
    ) {
        if self.refresh_live && self.refresh.serial != 0 {
            let previous = self.refresh;
            let e = self.extra_mut();
            e.live.retain(|i| now < expiry(i.at));
            e.live.push(previous);
        }
        self.refresh = issue;
        self.refresh_live = true;
        self.tidy();
    }

    /// The refresh token `serial` spent at `now`: the previous spend is
    /// remembered while `grace` seconds from it have not passed.
    pub(super) fn spend(&mut self, serial: u64, now: Instant, grace: u64) {
        self.unlive(serial);
        let last = self.last_spent;
        if last.serial != 0 && now < last.at.saturating_add(grace) {
            let e = self.extra_mut();
            e.spent.retain(|i| now < i.at.saturating_add(grace));
            e.spent.push(last);
        } else if let Some(e) = self.extra.as_deref_mut() {
            e.spent.retain(|i| now < i.at.saturating_add(grace));
        }
        self.last_spent = Issue { serial, at: now };
        self.tidy();
    }

    /// Revoke one token on its own, until it expires.
    pub(super) fn revoke(&mut self, r: Revoked, now: Instant) {
        if r.kind == TokenKind::Refresh {
            self.unlive(r.serial);
        }
        let e = self.extra_mut();
        e.revoked.retain(|x| now < x.expires_at);
        e.revoked.push(r);
    }
}

/// Every stored session.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Sessions {
    records: Vec<Session>,
    /// Session id to its place in `records`.
    index: BTreeMap<SessionId, u32>,
    /// The id of the next session.
    next_id: SessionId,
    /// Records of sessions that have not ended.
    live: usize,
    /// Where reclamation looks next.
    cursor: usize,
}

impl Sessions {
    /// Sessions started (ids handed out) since this store was made.
    pub(super) fn started(&self) -> usize {
        self.next_id as usize
    }

    /// Sessions stored now.
    pub(super) fn len(&self) -> usize {
        self.records.len()
    }

    /// Sessions stored now that have not ended.
    pub(super) fn live(&self) -> usize {
        self.live
    }

    /// End the session `id` (the first end counts).
    pub(super) fn finish(&mut self, id: SessionId, now: Instant, by: EndedBy) {
        if let Some(s) = self.get_mut(id) {
            if s.live() {
                s.finish(now, by);
                self.live -= 1;
            }
        }
    }

    /// Records the storage has room for (what it holds in memory).
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.records.capacity()
    }

    pub(super) fn get(&self, id: SessionId) -> Option<&Session> {
        let &i = self.index.get(&id)?;
        self.records.get(i as usize)
    }

    pub(super) fn get_mut(&mut self, id: SessionId) -> Option<&mut Session> {
        let &i = self.index.get(&id)?;
        self.records.get_mut(i as usize)
    }

    /// Store a new session made by `make` with the next id.
    pub(super) fn start(&mut self, make: impl FnOnce(SessionId) -> Session) -> SessionId {
        // Ids wrap after 2^32 logins; one still in use is skipped.
        let mut id = self.next_id;
        while self.index.contains_key(&id) {
            id = id.wrapping_add(1);
        }
        self.next_id = id.wrapping_add(1);
        let place = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        let session = make(id);
        if session.live() {
            self.live += 1;
        }
        self.records.push(session);
        self.index.insert(id, place);
        id
    }

    /// The sessions with an id of at least `from`, by id.
    pub(super) fn from(&self, from: SessionId) -> impl Iterator<Item = &Session> + '_ {
        self.index
            .range((Bound::Included(from), Bound::Unbounded))
            .filter_map(|(_, &i)| self.records.get(i as usize))
    }

    /// Look at up to `budget` records from where the last call stopped and
    /// drop those `gone` says are; returns how many went.
    pub(super) fn reclaim(&mut self, budget: usize, gone: impl Fn(&Session) -> bool) -> usize {
        let mut dropped = 0;
        for _ in 0..budget {
            if self.records.is_empty() {
                break;
            }
            if self.cursor >= self.records.len() {
                self.cursor = 0;
            }
            if !gone(&self.records[self.cursor]) {
                self.cursor += 1;
                continue;
            }
            let old = self.records.swap_remove(self.cursor);
            self.index.remove(&old.id);
            if old.live() {
                self.live -= 1;
            }
            if let Some(moved) = self.records.get(self.cursor) {
                let place = u32::try_from(self.cursor).unwrap_or(u32::MAX);
                self.index.insert(moved.id, place);
            }
            dropped += 1;
        }
        // Give memory back as the sessions go (amortised: the vector halves
        // only once it is a quarter full).
        if dropped > 0 && self.records.len() < self.records.capacity() / 4 {
            self.records.shrink_to(self.records.len() * 2);
        }
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(n: u32) -> Sessions {
        let mut s = Sessions::default();
        for i in 0..n {
            let id = s.start(|id| Session::new(id, 0, None, u64::from(i)));
            assert_eq!(id, i);
        }
        s
    }

    #[test]
    fn reclaiming_moves_records_and_keeps_every_id_findable() {
        let mut s = store(10);
        // Even ids go, a few records per call, whatever the order.
        let mut calls = 0;
        while s.len() > 5 {
            s.reclaim(3, |x| x.id % 2 == 0);
            calls += 1;
            assert!(calls < 20, "reclamation does not keep going");
        }
        for id in 0..10 {
            assert_eq!(s.get(id).map(|x| x.id), (id % 2 == 1).then_some(id), "{id}");
        }
        let listed: Vec<_> = s.from(0).map(|x| x.id).collect();
        assert_eq!(listed, [1, 3, 5, 7, 9]);
        let later: Vec<_> = s.from(4).map(|x| x.id).collect();
        assert_eq!(later, [5, 7, 9]);
        assert_eq!(s.started(), 10);
        assert_eq!(s.live(), 5);
        s.finish(3, 100, EndedBy::Logout);
        s.finish(3, 200, EndedBy::Reuse);
        assert_eq!(s.live(), 4);
        assert_eq!(
            s.get(3).and_then(Session::ended),
            Some((100, EndedBy::Logout))
        );
    }

    #[test]
    fn each_call_looks_at_no_more_than_its_budget() {
        let mut s = store(100);
        assert_eq!(s.reclaim(4, |_| true), 4);
        assert_eq!(s.len(), 96);
    }

    #[test]
    fn the_records_shrink_as_sessions_go() {
        let mut s = store(4096);
        let full = s.records.capacity();
        while s.len() > 10 {
            s.reclaim(64, |x| x.id >= 10);
        }
        assert!(s.records.capacity() < full / 8, "{}", s.records.capacity());
        assert_eq!(s.from(0).count(), 10);
    }

    #[test]
    fn ids_wrap_around_those_still_in_use() {
        let mut s = store(2);
        s.next_id = u32::MAX;
        assert_eq!(s.start(|id| Session::new(id, 0, None, 0)), u32::MAX);
        // 0 and 1 are in use: the next free id is 2.
        assert_eq!(s.start(|id| Session::new(id, 0, None, 0)), 2);
    }

    #[test]
    fn a_session_record_stays_small() {
        // What one million live sessions cost, besides the index.
        assert!(
            std::mem::size_of::<Session>() <= 96,
            "{}",
            std::mem::size_of::<Session>()
        );
    }
}
