//! The directed phase: before any random sequence, for each property the
//! spec's bindings make applicable, a shortest sequence that exercises it
//! (log in, refresh, refresh again with the spent token; log in twice,
//! revoke all, refresh as the other user; ...). Random sequences then
//! spend the rest of the run.
//!
//! The sequences are written against the reference: each step is applied
//! to a [`RefState`] as it is written, so a later step can present the
//! symbolic token an earlier one was predicted to issue, and a step the
//! reference machine would never generate (an empty token in a path) is
//! left out. They run through the same [`Checker`] as random sequences, so
//! they are judged, shrunk and reported the same way.

use std::sync::Arc;

use proptest_state_machine::ReferenceStateMachine;

use openapi::binding::ActionKind;
use openapi::model::Outcome as ModelOutcome;

use crate::error::RunError;
use crate::machine::{Expected, RefMachine, RefState, Step, Tok};
use crate::plan::{Bound, Caller, Plan};
use crate::stateful::Checker;

/// Tokens of one kind and one user the token-quality check needs (see
/// [`crate::quality::MIN_SAMPLES`]); the directed phase logs in until it
/// has issued that many.
const TOKENS_WANTED: usize = crate::quality::MIN_SAMPLES;

/// A fixed sequence and what it is for.
#[derive(Debug, Clone)]
pub struct Script {
    /// What it exercises, in words.
    pub name: &'static str,
    /// Whether it logs in (it cannot run when logging in failed).
    pub needs_login: bool,
    /// The steps.
    pub steps: Vec<Step>,
}

/// A sequence being written against the reference.
struct Sim {
    state: Option<RefState>,
    steps: Vec<Step>,
}

/// `(access, refresh)`: the symbolic tokens a step was predicted to issue.
type Pair = (String, String);

impl Sim {
    fn new(plan: &Arc<Plan>) -> Sim {
        Sim {
            state: Some(RefState::new(plan.clone())),
            steps: Vec::new(),
        }
    }

    fn state(&self) -> &RefState {
        self.state.as_ref().expect("a state between steps")
    }

    /// Append `step` if the reference machine could generate it here;
    /// returns the tokens it is predicted to issue.
    fn push(&mut self, step: Step) -> Option<Pair> {
        let state = self.state.take()?;
        if !RefMachine::preconditions(&state, &step) {
            self.state = Some(state);
            return None;
        }
        let state = self.state.insert(state.step(&step));
        self.steps.push(step);
        match &state.expected {
            Expected::Outcome {
                outcome: ModelOutcome::Issued(t),
                ..
            } => Some((t.access_token.to_string(), t.refresh_token.to_string())),
            _ => None,
        }
    }

    fn login(&mut self, op: Bound, user: usize) -> Option<Pair> {
        self.login_as(op, user, Caller::Own)
    }

    fn login_as(&mut self, op: Bound, user: usize, client: Caller) -> Option<Pair> {
        self.push(Step::Login {
            op,
            user,
            wrong_password: false,
            client,
        })
    }

    fn call(&mut self, op: Option<Bound>, action: ActionKind, token: Tok) -> Option<Pair> {
        self.call_as(op, action, token, Caller::Own)
    }

    fn call_as(
        &mut self,
        op: Option<Bound>,
        action: ActionKind,
        token: Tok,
        client: Caller,
    ) -> Option<Pair> {
        self.push(Step::Call {
            op: op?,
            action,
            token,
            client,
        })
    }

    fn guarded(&mut self, op: Option<usize>, token: Tok) {
        if let Some(op) = op {
            self.push(Step::Guarded { op, token });
        }
    }

    fn wait(&mut self, seconds: u64) {
        self.push(Step::Wait { seconds });
    }

    fn done(self, name: &'static str, needs_login: bool) -> Script {
        Script {
            name,
            needs_login,
            steps: self.steps,
        }
    }
}

fn known(sym: &str) -> Tok {
    Tok::Known(sym.to_owned())
}

/// The first usable operation of `action`.
fn first(plan: &Plan, action: ActionKind) -> Option<Bound> {
    plan.first(action)
}

/// Logging in with account `user`: the operation, and the step.
pub fn login_step(plan: &Plan, user: usize) -> Option<(Bound, Step)> {
    let op = first(plan, ActionKind::Login)?;
    let step = Step::Login {
        op,
        user,
        wrong_password: false,
        client: Caller::Own,
    };
    Some((op, step))
}

/// The directed sequences for `plan`, in the order they run: those that
/// need no session first, then one per lifecycle property.
pub fn scripts(plan: &Arc<Plan>) -> Vec<Script> {
    let mut out = Vec::new();
    out.push(unknown_tokens(plan));
    let Some(login) = first(plan, ActionKind::Login).filter(|_| !plan.accounts.is_empty()) else {
        return out.into_iter().filter(|s| !s.steps.is_empty()).collect();
    };
    let refresh = first(plan, ActionKind::Refresh);
    let logout = first(plan, ActionKind::Logout);
    let revoke = first(plan, ActionKind::Revoke);
    let revoke_all = first(plan, ActionKind::RevokeAll);
    let protected = first(plan, ActionKind::Protected);
    let policy = &plan.policy;
    let new = || Sim::new(plan);

    // Bad credentials are refused.
    let mut s = new();
    s.push(Step::Login {
        op: login,
        user: 0,
        wrong_password: true,
        client: Caller::Own,
    });
    out.push(s.done("login with a wrong password", true));

    if plan.authenticates_clients() && !plan.clients.is_empty() {
        out.push(clients(plan, login));
    }
    if let Some(revoke_token) = first(plan, ActionKind::RevokeToken) {
        out.push(rfc7009(plan, login, revoke_token));
    }
    if let Some(introspect) = first(plan, ActionKind::Introspect) {
        out.push(rfc7662(plan, login, introspect));
    }

    if refresh.is_some() {
        // A refresh rotates, and the new pair works.
        let mut s = new();
        if let Some((_, r1)) = s.login(login, 0) {
            if let Some((a2, r2)) = s.call(refresh, ActionKind::Refresh, known(&r1)) {
                s.call(protected, ActionKind::Protected, known(&a2));
                s.call(refresh, ActionKind::Refresh, known(&r2));
            }
        }
        out.push(s.done("refresh rotates", true));

        // A spent refresh token is refused.
        let mut s = new();
        if let Some((_, r1)) = s.login(login, 0) {
            s.call(refresh, ActionKind::Refresh, known(&r1));
            s.call(refresh, ActionKind::Refresh, known(&r1));
        }
        out.push(s.done("refresh single-use", true));

        // Reusing it ends the session (the pair of the first use dies), or
        // does not (that pair lives on) where the spec says so: a server
        // that ends the session all the same is told apart.
        if policy.refresh_single_use {
            let name = if policy.reuse_ends_session {
                "reuse ends the session"
            } else {
                "reuse does not end the session"
            };
            let mut s = new();
            if let Some((_, r1)) = s.login(login, 0) {
                if let Some((a2, r2)) = s.call(refresh, ActionKind::Refresh, known(&r1)) {
                    s.call(refresh, ActionKind::Refresh, known(&r1));
                    s.call(protected, ActionKind::Protected, known(&a2));
                    s.call(refresh, ActionKind::Refresh, known(&r2));
                }
            }
            out.push(s.done(name, true));
        }
    }

    if logout.is_some() {
        let mut s = new();
        if let Some((a1, r1)) = s.login(login, 0) {
            s.call(logout, ActionKind::Logout, known(&a1));
            s.call(protected, ActionKind::Protected, known(&a1));
            s.call(refresh, ActionKind::Refresh, known(&r1));
            s.call(logout, ActionKind::Logout, known(&a1));
        }
        out.push(s.done("logout ends the session", true));
    }

    if revoke.is_some() {
        let mut s = new();
        if let Some((a1, r1)) = s.login(login, 0) {
            s.call(revoke, ActionKind::Revoke, known(&r1));
            s.call(refresh, ActionKind::Refresh, known(&r1));
            s.call(protected, ActionKind::Protected, known(&a1));
            s.call(revoke, ActionKind::Revoke, known(&r1));
        }
        out.push(s.done("revoked token cannot refresh", true));
    }

    if revoke_all.is_some() {
        // Two sessions of two users (or of one, with one account): the
        // first user's revoke-all leaves the other's refresh token alone.
        let other = usize::from(plan.accounts.len() > 1);
        let mut s = new();
        if let (Some((a1, r1)), Some((_, r2))) = (s.login(login, 0), s.login(login, other)) {
            s.call(revoke_all, ActionKind::RevokeAll, known(&a1));
            s.call(refresh, ActionKind::Refresh, known(&r2));
            s.call(refresh, ActionKind::Refresh, known(&r1));
            s.call(protected, ActionKind::Protected, known(&a1));
        }
        out.push(s.done("revoke-all is per user", true));
    }

    // Each kind of token where the other belongs.
    let mut s = new();
    if let Some((a1, r1)) = s.login(login, 0) {
        s.call(refresh, ActionKind::Refresh, known(&a1));
        s.call(protected, ActionKind::Protected, known(&r1));
        s.call(revoke, ActionKind::Revoke, known(&a1));
        s.call(revoke_all, ActionKind::RevokeAll, known(&r1));
        s.call(logout, ActionKind::Logout, known(&r1));
    }
    out.push(s.done("wrong kind of token rejected", true));

    let guarded = RefState::new(plan.clone()).guarded.first().map(|g| g.op);
    if guarded.is_some() {
        let mut s = new();
        if let Some((a1, r1)) = s.login(login, 0) {
            s.guarded(guarded, known(&a1));
            s.guarded(guarded, known(&r1));
            // Kill the access token, by logout or by its lifetime.
            if logout.is_some() {
                s.call(logout, ActionKind::Logout, known(&a1));
                s.guarded(guarded, known(&a1));
            } else if plan.clock {
                s.wait(policy.access_token_ttl);
                s.guarded(guarded, known(&a1));
            }
        }
        out.push(s.done("dead tokens refused on guarded operations", true));
    }

    if plan.clock {
        if let Some(steps) = expiry(plan, true) {
            out.push(Script {
                name: "tokens expire",
                needs_login: true,
                steps,
            });
        }
    }

    // Enough tokens of one user for the token-quality check.
    let logins = out
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| {
            matches!(
                s,
                Step::Login {
                    user: 0,
                    wrong_password: false,
                    client: Caller::Own,
                    ..
                }
            )
        })
        .count();
    if logins < TOKENS_WANTED {
        let mut s = new();
        for _ in logins..TOKENS_WANTED {
            s.login(login, 0);
        }
        out.push(s.done("tokens unpredictable", true));
    }
    out.into_iter().filter(|s| !s.steps.is_empty()).collect()
}

/// Tokens stay with their client: a client the API does not know is
/// refused, another client can neither refresh nor revoke a token (which
/// its own client then still refreshes).
fn clients(plan: &Arc<Plan>, login: Bound) -> Script {
    let refresh = first(plan, ActionKind::Refresh);
    let (revoke, revoke_action) = match first(plan, ActionKind::RevokeToken) {
        Some(op) => (Some(op), ActionKind::RevokeToken),
        None => (first(plan, ActionKind::Revoke), ActionKind::Revoke),
    };
    let protected = first(plan, ActionKind::Protected);
    let other = Caller::Client(1);
    let mut s = Sim::new(plan);
    s.login_as(login, 0, Caller::Stranger);
    if let Some((a1, r1)) = s.login(login, 0) {
        s.call_as(refresh, ActionKind::Refresh, known(&r1), Caller::Stranger);
        if plan.clients.len() > 1 {
            s.call_as(refresh, ActionKind::Refresh, known(&r1), other);
            s.call_as(revoke, revoke_action, known(&r1), other);
            if revoke_action == ActionKind::RevokeToken {
                s.call_as(revoke, revoke_action, known(&a1), other);
            }
        }
        s.call(protected, ActionKind::Protected, known(&a1));
        s.call(refresh, ActionKind::Refresh, known(&r1));
    }
    s.done("tokens stay with their client", true)
}

/// RFC 7009: an access token and a refresh token revoked, each refused
/// after, and a revoked one revoked again.
fn rfc7009(plan: &Arc<Plan>, login: Bound, revoke: Bound) -> Script {
    let refresh = first(plan, ActionKind::Refresh);
    let protected = first(plan, ActionKind::Protected);
    let op = Some(revoke);
    let mut s = Sim::new(plan);
    if let Some((a1, r1)) = s.login(login, 0) {
        s.call(op, ActionKind::RevokeToken, known(&a1));
        s.call(protected, ActionKind::Protected, known(&a1));
        s.call(op, ActionKind::RevokeToken, known(&r1));
        s.call(refresh, ActionKind::Refresh, known(&r1));
        s.call(op, ActionKind::RevokeToken, known(&r1));
    }
    s.done("RFC 7009 revocation", true)
}

/// RFC 7662: what introspection says of live and spent tokens (the
/// oracle also asks after every step).
fn rfc7662(plan: &Arc<Plan>, login: Bound, introspect: Bound) -> Script {
    let refresh = first(plan, ActionKind::Refresh);
    let op = Some(introspect);
    let mut s = Sim::new(plan);
    if let Some((a1, r1)) = s.login(login, 0) {
        s.call(op, ActionKind::Introspect, known(&a1));
        s.call(op, ActionKind::Introspect, known(&r1));
        if s.call(refresh, ActionKind::Refresh, known(&r1)).is_some() {
            s.call(op, ActionKind::Introspect, known(&r1));
        }
    }
    s.done("introspection agrees with the model", true)
}

/// Garbage, empty and missing tokens on every action's first operation
/// (and garbage on the first guarded one): no session needed.
fn unknown_tokens(plan: &Arc<Plan>) -> Script {
    let mut s = Sim::new(plan);
    for action in [
        ActionKind::Refresh,
        ActionKind::Protected,
        ActionKind::Logout,
        ActionKind::Revoke,
        ActionKind::RevokeAll,
        ActionKind::RevokeToken,
        ActionKind::Introspect,
    ] {
        // Every variant of the action (a token endpoint's refresh grant).
        let ops: Vec<Bound> = plan.all(action).collect();
        for op in ops {
            for token in [
                Tok::Garbage("not-a-token-0123456789".into()),
                Tok::Empty,
                Tok::Missing,
            ] {
                s.call(Some(op), action, token);
            }
        }
    }
    let guarded = s.state().guarded.first().map(|g| g.op);
    s.guarded(guarded, Tok::Garbage("not-a-token-0123456789".into()));
    s.done("unknown tokens rejected", false)
}

/// Tokens stop working at the end of their lifetimes: to the second with
/// the mock's clock (`exact`), or, waiting for real, dead after it. `None`
/// when nothing could show it (no login, no protected or refresh
/// operation).
pub fn expiry(plan: &Arc<Plan>, exact: bool) -> Option<Vec<Step>> {
    expiry_of(plan, exact, true, true)
}

/// [`expiry`] for the access token's lifetime, the refresh token's, or
/// both.
pub fn expiry_of(plan: &Arc<Plan>, exact: bool, access: bool, refresh: bool) -> Option<Vec<Step>> {
    let login = first(plan, ActionKind::Login).filter(|_| !plan.accounts.is_empty())?;
    let p = &plan.policy;
    let mut s = Sim::new(plan);
    let (a, r) = s.login(login, 0)?;
    let protected = first(plan, ActionKind::Protected).filter(|_| access);
    let refresh_op = first(plan, ActionKind::Refresh).filter(|_| refresh);
    let mut elapsed = 0;
    if protected.is_some() {
        if exact {
            s.wait(p.access_token_ttl - 1);
            s.call(protected, ActionKind::Protected, known(&a));
            s.wait(1);
        } else {
            s.wait(p.access_token_ttl);
        }
        s.call(protected, ActionKind::Protected, known(&a));
        elapsed = p.access_token_ttl;
    }
    if refresh_op.is_some() {
        s.wait(p.refresh_token_ttl.saturating_sub(elapsed).max(1));
        s.call(refresh_op, ActionKind::Refresh, known(&r));
    }
    (s.steps.len() > 1).then_some(s.steps)
}

/// Run the directed phase: log in with every account first (a login that
/// fails is said in one line, and every sequence that needs a session is
/// left out), then every script. Returns whether logging in worked.
pub fn run(checker: &mut Checker, progress: &dyn Fn()) -> Result<bool, RunError> {
    let plan = checker.plan().clone();
    let mut logged_in = plan.has(ActionKind::Login) && !plan.accounts.is_empty();
    for user in 0..plan.accounts.len() {
        let Some((op, step)) = login_step(&plan, user).filter(|_| logged_in) else {
            break;
        };
        let (found, log, seen) = checker.probe(std::slice::from_ref(&step))?;
        progress();
        if found.is_none() {
            checker.out.absorb(seen);
            continue;
        }
        // The login answered as predicted, and what followed it (the
        // introspection oracle asking about its tokens) disagreed: that
        // is the oracle's property to report, and the login worked.
        if log.len() > 1 {
            checker.out.absorb(seen);
            checker.script(std::slice::from_ref(&step))?;
            continue;
        }
        logged_in = false;
        let predicted = RefState::new(plan.clone()).step(&step).expected;
        let (status, body) = log.last().map_or((0, ""), |e| (e.status, e.body.as_str()));
        let name = plan.name_of(op);
        let op = plan.op_of(op);
        checker.out.could_not_log_in = Some(format!(
            "{name} ({} {}) as \"{}\" answered {status} {body}",
            op.method, op.path, plan.accounts[user].0
        ));
        // A server error, or the predicted status without the tokens: the
        // target's failure, not the account's.
        if status >= 500 || !predicted.differs(status) {
            checker.script(std::slice::from_ref(&step))?;
        }
    }
    // Script `i` is unit `i` of the directed list; the logins above are
    // what every shard's scripts and sequences need, and run in each.
    for (i, script) in scripts(&plan).into_iter().enumerate() {
        if (script.needs_login && !logged_in) || !plan.takes("directed", i as u64) {
            continue;
        }
        tracing::debug!(script = script.name, steps = script.steps.len(), "directed");
        checker.script(&script.steps)?;
        progress();
    }
    Ok(logged_in)
}
