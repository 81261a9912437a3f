//! Properties of the behaviour model over random action sequences and random
//! policies.
//!
//! Tokens are picked from what was issued so far (access, refresh, spent,
//! another user's), garbage, missing and empty, and each kind is presented
//! where the other belongs. The clock moves by random amounts, past the TTLs
//! too. A small shadow, built only from the outcomes the model returned,
//! remembers what must be dead; it never reads the model's internals.

use std::collections::{HashMap, HashSet};

use openapi::binding::{LogoutScope, Policy};
use openapi::model::{Action, Model, Outcome, Rejection, SessionId, Token, TokenKind};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};

/// Accounts of the model; index 3 of [`Op::Login`] is an unknown user.
const USERS: [(&str, &str); 3] = [
    ("demo", "demo"),
    ("alice", "alice-secret"),
    ("bob", "hunter2"),
];

#[derive(Debug, Clone)]
enum Pick {
    /// An access token issued so far (index modulo their number).
    Access(usize),
    /// A refresh token issued so far.
    Refresh(usize),
    /// A refresh token the shadow saw spent.
    Spent(usize),
    /// Any token of a user other than the last one to log in.
    OtherUser(usize),
    /// Something the model never issued.
    Garbage(u16),
    /// Not presented.
    Missing,
    /// Presented empty.
    Empty,
}

#[derive(Debug, Clone)]
enum Op {
    Login { user: usize, password: Option<bool> },
    Refresh(Pick),
    Logout(Pick),
    Revoke(Pick),
    RevokeAll(Pick),
    Protected(Pick),
    Wait(u64),
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        4 => any::<usize>().prop_map(Pick::Access),
        4 => any::<usize>().prop_map(Pick::Refresh),
        2 => any::<usize>().prop_map(Pick::Spent),
        2 => any::<usize>().prop_map(Pick::OtherUser),
        1 => any::<u16>().prop_map(Pick::Garbage),
        1 => Just(Pick::Missing),
        1 => Just(Pick::Empty),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..4, prop::option::weighted(0.9, prop::bool::weighted(0.85)))
            .prop_map(|(user, password)| Op::Login { user, password }),
        5 => pick().prop_map(Op::Refresh),
        2 => pick().prop_map(Op::Logout),
        2 => pick().prop_map(Op::Revoke),
        1 => pick().prop_map(Op::RevokeAll),
        3 => pick().prop_map(Op::Protected),
        // Small steps, and leaps past every TTL.
        2 => prop_oneof![0u64..5, 0u64..400].prop_map(Op::Wait),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..80)
}

/// Any policy, with TTLs small enough for the clock to run past them.
fn policy() -> impl Strategy<Value = Policy> {
    (
        1u64..=60,
        1u64..=200,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(a, r, single, reuse, session, always, rotate)| Policy {
            access_token_ttl: a,
            refresh_token_ttl: r,
            refresh_single_use: single,
            reuse_ends_session: reuse,
            logout_ends: if session {
                LogoutScope::Session
            } else {
                LogoutScope::AccessToken
            },
            revoke_ignores_invalid_tokens: always,
            rotate_on_refresh: rotate,
            ..Policy::default()
        })
}

/// Why the shadow holds a token dead for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Death {
    /// Its session was logged out, or (access-token scope) it was.
    Logout,
    /// Its session ended because a spent refresh token was presented.
    Reuse,
    /// Spent by a refresh under refreshSingleUse.
    Spent,
    /// Revoked by revoke or revoke-all.
    Revoked,
}

#[derive(Debug, Clone)]
struct Known {
    kind: TokenKind,
    session: SessionId,
    user: String,
    issued_at: u64,
}

/// What the test knows, learnt only from outcomes.
#[derive(Debug, Default)]
struct Shadow {
    tokens: HashMap<Token, Known>,
    access: Vec<Token>,
    refresh: Vec<Token>,
    spent: Vec<Token>,
    sessions: HashSet<SessionId>,
    dead: HashMap<Token, Death>,
    refresh_successes: HashMap<Token, u32>,
    last_user: Option<String>,
}

impl Shadow {
    fn resolve(&self, pick: &Pick) -> Option<String> {
        let from = |list: &[Token], i: usize| -> String {
            if list.is_empty() {
                "never-issued".to_owned()
            } else {
                list[i % list.len()].to_string()
            }
        };
        Some(match pick {
            Pick::Access(i) => from(&self.access, *i),
            Pick::Refresh(i) => from(&self.refresh, *i),
            Pick::Spent(i) => from(&self.spent, *i),
            Pick::OtherUser(i) => {
                let mut others: Vec<Token> = self
                    .tokens
                    .iter()
                    .filter(|(_, k)| Some(&k.user) != self.last_user.as_ref())
                    .map(|(t, _)| t.clone())
                    .collect();
                others.sort();
                from(&others, *i)
            }
            Pick::Garbage(n) => format!("garbage-{n}"),
            Pick::Missing => return None,
            Pick::Empty => String::new(),
        })
    }

    fn kill(&mut self, token: &str, why: Death) {
        self.dead.entry(token.into()).or_insert(why);
    }

    fn kill_session(&mut self, session: SessionId, why: Death) {
        let members: Vec<Token> = self
            .tokens
            .iter()
            .filter(|(_, k)| k.session == session)
            .map(|(t, _)| t.clone())
            .collect();
        for t in members {
            self.kill(&t, why);
        }
    }

    fn ttl_over(&self, policy: &Policy, token: &str, now: u64) -> bool {
        let Some(k) = self.tokens.get(token) else {
            return false;
        };
        let ttl = match k.kind {
            TokenKind::Access => policy.access_token_ttl,
            TokenKind::Refresh => policy.refresh_token_ttl,
        };
        now >= k.issued_at.saturating_add(ttl)
    }
}

/// One step, as the property checkers see it.
struct Step<'a> {
    op: &'a Op,
    presented: Option<&'a str>,
    outcome: &'a Outcome,
    now: u64,
    policy: &'a Policy,
    /// The shadow before the step.
    shadow: &'a Shadow,
    /// Whether each known token was usable before and after the step.
    before: &'a HashMap<Token, bool>,
    after: &'a HashMap<Token, bool>,
}

fn usability(model: &Model, shadow: &Shadow, now: u64) -> HashMap<Token, bool> {
    shadow
        .tokens
        .iter()
        .map(|(t, k)| (t.clone(), model.is_usable(t, k.kind, now)))
        .collect()
}

type Check<'c> = dyn FnMut(&Step<'_>) -> Result<(), TestCaseError> + 'c;

/// Run `ops` against a fresh model, keeping the shadow, and hand every step
/// to `check`. Also checks, for every policy, that the model never panics,
/// that tokens never repeat and that a dead token never comes back.
fn run(policy: Policy, ops: &[Op], check: &mut Check<'_>) -> Result<(), TestCaseError> {
    let mut model = Model::new(policy.clone(), USERS);
    let mut shadow = Shadow::default();
    let mut now = 0u64;
    let mut minted = 0u64;
    let mut ever_unusable: HashSet<Token> = HashSet::new();
    for op in ops {
        if let Op::Wait(d) = op {
            now += d;
            continue;
        }
        let presented = match op {
            Op::Refresh(p)
            | Op::Logout(p)
            | Op::Revoke(p)
            | Op::RevokeAll(p)
            | Op::Protected(p) => shadow.resolve(p),
            _ => None,
        };
        let tok = presented.as_deref();
        let action = match op {
            Op::Login { user, password } => {
                let (name, good) = USERS.get(*user).copied().unwrap_or(("mallory", "mallory"));
                let password = password.map(|ok| if ok { good } else { "wrong" });
                Action::Login {
                    username: Some(name),
                    password,
                }
            }
            Op::Refresh(_) => Action::Refresh { refresh_token: tok },
            Op::Logout(_) => Action::Logout { access_token: tok },
            Op::Revoke(_) => Action::Revoke { refresh_token: tok },
            Op::RevokeAll(_) => Action::RevokeAll { access_token: tok },
            Op::Protected(_) => Action::Protected { access_token: tok },
            Op::Wait(_) => unreachable!(),
        };
        let before = usability(&model, &shadow, now);
        let mut mint = |kind: TokenKind| -> Token {
            minted += 1;
            format!(
                "{}{minted}",
                if kind == TokenKind::Access { "a" } else { "r" }
            )
            .into()
        };
        let outcome = model.apply(action, now, &mut mint);
        let after = usability(&model, &shadow, now);
        check(&Step {
            op,
            presented: tok,
            outcome: &outcome,
            now,
            policy: &policy,
            shadow: &shadow,
            before: &before,
            after: &after,
        })?;

        // Invariants of every run.
        for (t, usable) in &after {
            if !usable {
                ever_unusable.insert(t.clone());
            }
        }
        for t in &ever_unusable {
            prop_assert!(
                !after.get(t).copied().unwrap_or(false),
                "{t} came back to life at {now}"
            );
        }

        // Learn from the outcome.
        let was_dead = tok.and_then(|t| shadow.dead.get(t)).copied();
        if let Outcome::Issued(issued) = &outcome {
            let refreshed = matches!(op, Op::Refresh(_)).then(|| tok.unwrap_or_default());
            let (user, session) = match refreshed {
                None => {
                    prop_assert!(
                        shadow.sessions.insert(issued.session),
                        "login reused session {}",
                        issued.session
                    );
                    (issued.username.clone(), issued.session)
                }
                Some(p) => {
                    let k = &shadow.tokens[p];
                    prop_assert_eq!(issued.session, k.session);
                    prop_assert_eq!(&issued.username, &k.user);
                    (k.user.clone(), k.session)
                }
            };
            prop_assert_eq!(issued.expires_in, policy.access_token_ttl);
            // A new refresh token has its whole lifetime; one re-sent
            // without rotation has what is left of it.
            if shadow.tokens.contains_key(&issued.refresh_token) {
                prop_assert!(issued.refresh_expires_in <= policy.refresh_token_ttl);
            } else {
                prop_assert_eq!(issued.refresh_expires_in, policy.refresh_token_ttl);
            }
            prop_assert_ne!(&issued.access_token, &issued.refresh_token);
            // Tokens never repeat (the refresh token is re-sent without rotation).
            prop_assert!(
                !shadow.tokens.contains_key(&issued.access_token),
                "access token {} repeated",
                issued.access_token
            );
            let resent = refreshed.is_some_and(|p| p == issued.refresh_token);
            prop_assert_eq!(resent, refreshed.is_some() && !policy.rotate_on_refresh());
            if !resent {
                prop_assert!(
                    !shadow.tokens.contains_key(&issued.refresh_token),
                    "refresh token {} repeated",
                    issued.refresh_token
                );
            }
            if let Some(p) = refreshed {
                *shadow.refresh_successes.entry(p.into()).or_default() += 1;
                if policy.refresh_single_use {
                    shadow.kill(p, Death::Spent);
                    shadow.spent.push(p.into());
                }
            }
            let known = |kind| Known {
                kind,
                session,
                user: user.clone(),
                issued_at: now,
            };
            shadow
                .tokens
                .insert(issued.access_token.clone(), known(TokenKind::Access));
            shadow.access.push(issued.access_token.clone());
            if !resent {
                shadow
                    .tokens
                    .insert(issued.refresh_token.clone(), known(TokenKind::Refresh));
                shadow.refresh.push(issued.refresh_token.clone());
            }
            if refreshed.is_none() {
                shadow.last_user = Some(user);
            }
        }
        let known = tok.and_then(|t| shadow.tokens.get(t)).cloned();
        match (op, &outcome, known) {
            (Op::Refresh(_), _, Some(k)) if k.kind == TokenKind::Refresh => {
                // Expiry is checked first: an expired spent token is no reuse.
                let expired = shadow.ttl_over(&policy, tok.unwrap_or_default(), now);
                if was_dead == Some(Death::Spent) && policy.reuse_ends_session && !expired {
                    shadow.kill_session(k.session, Death::Reuse);
                }
            }
            (Op::Logout(_), Outcome::Done, Some(k)) if k.kind == TokenKind::Access => {
                match policy.logout_ends {
                    LogoutScope::Session => shadow.kill_session(k.session, Death::Logout),
                    LogoutScope::AccessToken => shadow.kill(tok.unwrap_or_default(), Death::Logout),
                }
            }
            (Op::Revoke(_), Outcome::Done, Some(k))
                if k.kind == TokenKind::Refresh && before[tok.unwrap_or_default()] =>
            {
                shadow.kill(tok.unwrap_or_default(), Death::Revoked);
            }
            (Op::RevokeAll(_), Outcome::Done, Some(k))
                if k.kind == TokenKind::Access && before[tok.unwrap_or_default()] =>
            {
                let victims: Vec<Token> = shadow
                    .tokens
                    .iter()
                    .filter(|(t, o)| o.user == k.user && o.kind == TokenKind::Refresh && before[*t])
                    .map(|(t, _)| t.clone())
                    .collect();
                for t in victims {
                    shadow.kill(&t, Death::Revoked);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The kind of token an operation takes.
fn wanted(op: &Op) -> TokenKind {
    match op {
        Op::Refresh(_) | Op::Revoke(_) => TokenKind::Refresh,
        _ => TokenKind::Access,
    }
}

/// Tokens killed for `why` are unusable after every later step, and any
/// action presenting one fails as invalid, or as expired once its TTL is over
/// (revocations excepted: they may say Done).
fn dead_stay_dead(step: &Step<'_>, why: &[Death]) -> Result<(), TestCaseError> {
    for (t, d) in &step.shadow.dead {
        if why.contains(d) {
            prop_assert!(!step.after[t], "{t} ({d:?}) is usable at {}", step.now);
        }
    }
    if let Some(d) = step.presented.and_then(|t| step.shadow.dead.get(t)) {
        if why.contains(d) && !matches!(step.op, Op::Revoke(_) | Op::RevokeAll(_)) {
            let t = step.presented.unwrap_or_default();
            let right_kind = step
                .shadow
                .tokens
                .get(t)
                .is_some_and(|k| k.kind == wanted(step.op));
            let expected = if right_kind && step.shadow.ttl_over(step.policy, t, step.now) {
                Rejection::Expired
            } else {
                Rejection::Invalid
            };
            prop_assert!(
                step.outcome == &Outcome::Rejected(expected),
                "{:?} with a token dead by {d:?} gave {:?}",
                step.op,
                step.outcome
            );
        }
    }
    Ok(())
}

/// Failures are kept in `openapi/proptest-regressions/` (cargo runs tests
/// in the package directory).
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/model_props.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any policy, any sequence: the model never panics, tokens never repeat,
    /// a token that stopped working never works again, and the refresh
    /// token is re-sent exactly when rotation is off.
    #[test]
    fn never_panics_and_tokens_are_unique_for_any_policy(policy in policy(), ops in ops()) {
        run(policy, &ops, &mut |_| Ok(()))?;
    }

    /// Under refreshSingleUse a refresh token succeeds at most once.
    #[test]
    fn a_refresh_token_succeeds_at_most_once(
        policy in policy().prop_map(|p| Policy { refresh_single_use: true, ..p }),
        ops in ops(),
    ) {
        run(policy, &ops, &mut |s| {
            if let (Op::Refresh(_), Outcome::Issued(_), Some(t)) = (s.op, s.outcome, s.presented) {
                prop_assert!(!s.shadow.refresh_successes.contains_key(t), "{t} refreshed twice");
            }
            dead_stay_dead(s, &[Death::Spent])
        })?;
    }

    /// After a logout no token of the session (or, with logoutEnds
    /// access-token, that token) is usable.
    #[test]
    fn after_logout_no_token_of_the_session_is_usable(policy in policy(), ops in ops()) {
        run(policy, &ops, &mut |s| dead_stay_dead(s, &[Death::Logout]))?;
    }

    /// Presenting a spent refresh token is invalid (expired once its TTL is
    /// over) and, under reuseEndsSession and unless expired, no token of its
    /// session is usable afterwards; otherwise nothing else changes.
    #[test]
    fn reuse_of_a_spent_refresh_token_ends_the_session(
        policy in policy().prop_map(|p| Policy { refresh_single_use: true, ..p }),
        ops in ops(),
    ) {
        run(policy, &ops, &mut |s| {
            let spent = s.presented.is_some_and(|t| s.shadow.dead.get(t) == Some(&Death::Spent));
            let expired = s.shadow.ttl_over(s.policy, s.presented.unwrap_or_default(), s.now);
            if spent && matches!(s.op, Op::Refresh(_)) {
                let expected = if expired { Rejection::Expired } else { Rejection::Invalid };
                prop_assert_eq!(s.outcome, &Outcome::Rejected(expected));
                if !s.policy.reuse_ends_session || expired {
                    prop_assert_eq!(s.before, s.after, "reuse changed something");
                }
            }
            dead_stay_dead(s, &[Death::Reuse])
        })?;
    }

    /// Under revokeIgnoresInvalidTokens revoke and revoke-all are Done
    /// whatever token they are given, and refuse only a missing one.
    #[test]
    fn revocation_is_done_for_any_token_when_it_ignores_invalid_ones(
        policy in policy().prop_map(|p| Policy { revoke_ignores_invalid_tokens: true, ..p }),
        ops in ops(),
    ) {
        run(policy, &ops, &mut |s| {
            if matches!(s.op, Op::Revoke(_) | Op::RevokeAll(_)) {
                let expected = if s.presented.is_none_or(str::is_empty) {
                    Outcome::Rejected(Rejection::Missing)
                } else {
                    Outcome::Done
                };
                prop_assert_eq!(s.outcome, &expected);
            }
            Ok(())
        })?;
    }

    /// Revoke and revoke-all never touch access tokens or end sessions, and
    /// revoke-all never affects another user.
    #[test]
    fn revocation_only_touches_the_users_refresh_tokens(policy in policy(), ops in ops()) {
        run(policy, &ops, &mut |s| {
            let (Op::Revoke(_) | Op::RevokeAll(_)) = s.op else { return Ok(()) };
            let owner = s.presented.and_then(|t| s.shadow.tokens.get(t));
            for (t, k) in &s.shadow.tokens {
                let changed = s.before[t] != s.after[t];
                if !changed {
                    continue;
                }
                prop_assert_eq!(k.kind, TokenKind::Refresh, "{:?} changed access token {}", s.op, t);
                match s.op {
                    Op::Revoke(_) => prop_assert_eq!(Some(t.as_str()), s.presented),
                    _ => prop_assert_eq!(Some(&k.user), owner.map(|o| &o.user), "another user's {}", t),
                }
            }
            Ok(())
        })?;
    }

    /// A revoked refresh token never refreshes again.
    #[test]
    fn revoked_refresh_tokens_stay_revoked(
        // Single use leaves at most one live refresh token per session;
        // without it, rotation hits the revoke-all bug (see
        // `model::revoke_all_revokes_older_live_refresh_tokens_when_refresh_is_not_single_use`).
        policy in policy().prop_map(|p| Policy { refresh_single_use: true, ..p }),
        ops in ops(),
    ) {
        run(policy, &ops, &mut |s| dead_stay_dead(s, &[Death::Revoked]))?;
    }

    /// Every outcome is the one the contract names for what was presented.
    #[test]
    fn outcomes_follow_the_contract(policy in policy(), ops in ops()) {
        run(policy, &ops, &mut |s| {
            let known = s.presented.and_then(|t| s.shadow.tokens.get(t));
            let absent = s.presented.is_none_or(str::is_empty);
            let wanted = wanted(s.op);
            match (s.op, s.outcome) {
                (Op::Login { user, password }, o) => match password {
                    None => prop_assert_eq!(o, &Outcome::Rejected(Rejection::Missing)),
                    Some(true) if *user < USERS.len() => {
                        prop_assert!(matches!(o, Outcome::Issued(_)), "{:?}", o)
                    }
                    Some(_) => prop_assert_eq!(o, &Outcome::Rejected(Rejection::InvalidCredentials)),
                },
                (_, Outcome::Rejected(Rejection::Missing)) => prop_assert!(absent),
                (_, Outcome::Rejected(Rejection::Expired)) => {
                    prop_assert!(s.shadow.ttl_over(s.policy, s.presented.unwrap_or_default(), s.now));
                    prop_assert_eq!(known.map(|k| k.kind), Some(wanted));
                }
                (_, Outcome::Rejected(Rejection::InvalidCredentials)) => prop_assert!(false, "not a login"),
                (Op::Revoke(_) | Op::RevokeAll(_), Outcome::Done) if s.policy.revoke_ignores_invalid_tokens => {}
                (_, Outcome::Rejected(Rejection::Invalid)) => {
                    let t = s.presented.unwrap_or_default();
                    prop_assert!(!absent);
                    prop_assert!(known.is_none_or(|k| k.kind != wanted || !s.before[t]));
                    // Expiry is checked first.
                    let right_kind = known.is_some_and(|k| k.kind == wanted);
                    prop_assert!(!(right_kind && s.shadow.ttl_over(s.policy, t, s.now)), "{t} expired, said invalid");
                }
                (_, success) => {
                    // Success needs a token of the right kind, usable, within its TTL.
                    let t = s.presented.unwrap_or_default();
                    prop_assert_eq!(known.map(|k| k.kind), Some(wanted), "{:?} -> {:?}", s.op, success);
                    prop_assert!(s.before[t]);
                    prop_assert!(!s.shadow.ttl_over(s.policy, t, s.now));
                    // (Revoked is left to its own property: see the revoke-all bug.)
                    let dead = s.shadow.dead.get(t).filter(|d| **d != Death::Revoked);
                    prop_assert!(dead.is_none(), "{t} is dead by {:?}", dead);
                    if let Outcome::Authorized { username } = success {
                        prop_assert_eq!(Some(username), known.map(|k| &k.user));
                    }
                }
            }
            // A presented token that cannot be used never succeeds, and a
            // usable one is only refused for a reason.
            if let Some(t) = s.presented {
                if known.is_some_and(|k| k.kind == wanted) && s.before[t] {
                    prop_assert!(!matches!(s.outcome, Outcome::Rejected(_)), "{:?} refused usable {t}", s.op);
                }
            }
            Ok(())
        })?;
    }
}
