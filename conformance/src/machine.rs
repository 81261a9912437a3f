//! The reference state machine: the behaviour model of the `openapi` crate
//! wrapped for proptest-state-machine.
//!
//! Tokens in the reference are symbolic (`A.3`, `R.4`): the model's
//! [`Symbolic`] codec names them by their serial and recognises them by a
//! small table (the same model code as the mock's, which signs its tokens),
//! and the driver ([`crate::driver`]) maps each to the real token the target
//! issued. Every transition carries the prediction for the step
//! ([`Expected`]) and, for every token that dies, the property that explains
//! its death, so that a failure is reported under the right name.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use proptest::prelude::*;
use proptest_state_machine::ReferenceStateMachine;

use openapi::binding::{ActionKind, Source};
use openapi::model::{
    Action, ClientAuth, Introspection, Invalidity, Model, Outcome, OutcomeName, Presented,
    Symbolic, TokenHint, TokenKind,
};

use crate::guard::{self, Guarded};
use crate::plan::{build, fills_for, Bound, Caller, Fill, Plan};
use crate::property::Property;

thread_local! {
    static PLAN: RefCell<Option<Arc<Plan>>> = const { RefCell::new(None) };
}

/// Install the plan that [`RefMachine::init_state`] starts from (proptest's
/// state machine traits take no arguments, so the plan is thread-local).
pub fn install(plan: Arc<Plan>) {
    PLAN.with(|p| *p.borrow_mut() = Some(plan));
}

/// A token a step presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A token the target issued earlier in the sequence.
    Known(String),
    /// Random characters no server issued.
    Garbage(String),
    /// An empty value.
    Empty,
    /// Nothing at all: the location is left out.
    Missing,
}

impl Tok {
    /// What to put at the token's place: `known` maps a symbolic token to
    /// its value.
    pub fn fill(&self, known: impl FnOnce(&str) -> String) -> Fill {
        match self {
            Tok::Known(s) => Fill::Value(known(s)),
            Tok::Garbage(g) => Fill::Value(g.clone()),
            Tok::Empty => Fill::Value(String::new()),
            Tok::Missing => Fill::Omit,
        }
    }

    /// The token as the model sees it: symbolic, garbage, empty or none.
    pub fn presented(&self) -> Option<&str> {
        match self {
            Tok::Known(s) => Some(s.as_str()),
            Tok::Garbage(g) => Some(g.as_str()),
            Tok::Empty => Some(""),
            Tok::Missing => None,
        }
    }
}

/// One step of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Log in (planned binding, account index, whether to send a wrong
    /// password, the client).
    Login {
        /// The planned binding.
        op: Bound,
        /// Account index.
        user: usize,
        /// Send a wrong password.
        wrong_password: bool,
        /// The client it logs in through (`Own`: the first).
        client: Caller,
    },
    /// Refresh, logout, revoke, revoke-all, protected, revoke-token or
    /// introspect with a token.
    Call {
        /// The planned binding.
        op: Bound,
        /// Its action.
        action: ActionKind,
        /// The token presented.
        token: Tok,
        /// The client that presents it (`Own`: the one it was issued to).
        client: Caller,
    },
    /// Call a guarded operation (unbound, carrying a credential where a
    /// `protected` binding reads its access token) with a token.
    Guarded {
        /// Operation index.
        op: usize,
        /// The token presented at its guard place.
        token: Tok,
    },
    /// Move the clock (the mock's admin API).
    Wait {
        /// Seconds.
        seconds: u64,
    },
}

impl Step {
    /// The known token the step presents, if any.
    pub fn known_token(&self) -> Option<&str> {
        match self {
            Step::Call {
                token: Tok::Known(s),
                ..
            }
            | Step::Guarded {
                token: Tok::Known(s),
                ..
            } => Some(s),
            _ => None,
        }
    }

    /// The same step presenting `token` (steps without one are unchanged).
    pub fn with_token(&self, token: Tok) -> Step {
        match self {
            Step::Call {
                op, action, client, ..
            } => Step::Call {
                op: *op,
                action: *action,
                token,
                client: *client,
            },
            Step::Guarded { op, .. } => Step::Guarded { op: *op, token },
            other => other.clone(),
        }
    }
}

/// What a correct target answers to a step.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// The request breaks the spec: any 4xx, the model untouched.
    ClientError {
        /// Why the request is invalid.
        problems: Vec<String>,
    },
    /// The model's outcome and the status the binding maps it to.
    Outcome {
        /// The model's outcome.
        outcome: Outcome,
        /// Why a token was invalid, in finer words.
        detail: Option<Invalidity>,
        /// The status.
        status: u16,
        /// A named example the body must equal.
        example: Option<String>,
        /// The property a mismatch violates.
        property: Property,
    },
    /// A guarded operation: refused as the model's protected check says.
    Guarded {
        /// The model's outcome for the token as an access token.
        outcome: Outcome,
        /// Why the token was invalid, in finer words.
        detail: Option<Invalidity>,
        /// The status a refusal gets.
        refusal: u16,
        /// The property a mismatch violates when the target's own
        /// protected operation agrees with its guard (the target's token
        /// differs from the model's, not its guard).
        blame: Property,
        /// The protected operation to ask for its view of the token.
        control: Option<Bound>,
    },
    /// A clock move: nothing to compare.
    Nothing,
}

impl Expected {
    /// Whether an answer with `status` differs from the prediction: another
    /// status than the model's, or, on a guarded operation, a refusal of a
    /// live token or anything but the refusal for a dead one.
    pub fn differs(&self, status: u16) -> bool {
        match self {
            Expected::Outcome { status: s, .. } => *s != status,
            Expected::Guarded {
                outcome: Outcome::Rejected(_),
                refusal,
                ..
            } => *refusal != status,
            Expected::Guarded { .. } => guard::refuses(status),
            Expected::ClientError { .. } | Expected::Nothing => false,
        }
    }
}

/// A token the reference knows.
#[derive(Debug, Clone)]
pub struct KnownToken {
    /// Its kind.
    pub kind: TokenKind,
    /// Its user.
    pub username: String,
    /// The reference clock when it was issued.
    pub issued_at: u64,
    /// Its place in the order of issue (the number in its name).
    pub serial: u64,
    /// The client it was issued to (an index into the plan's clients),
    /// where the login authenticated one.
    pub client: Option<usize>,
}

/// The reference state.
#[derive(Debug, Clone)]
pub struct RefState {
    /// The plan.
    pub plan: Arc<Plan>,
    /// The model.
    pub model: Model,
    /// The codec of the model's (symbolic) tokens.
    pub codec: Symbolic,
    /// The reference clock.
    pub now: u64,
    /// The serial of the last token issued.
    counter: u64,
    /// Every symbolic token issued, in order.
    pub known: Vec<(String, KnownToken)>,
    /// Why each dead token died.
    pub causes: HashMap<String, Property>,
    /// The guarded operations steps can call.
    pub guarded: Arc<Vec<Guarded>>,
    /// Users who revoked all their refresh tokens so far.
    pub revoke_all_by: Vec<String>,
    /// The prediction for the last step applied.
    pub expected: Expected,
    /// Set when a step presented an access token the reference holds
    /// dead (for the property in it) to a blind revoke-all: a target that
    /// wrongly kept that token alive revoked refresh tokens the reference
    /// did not, so their refusals are reported under this property.
    pub taint: Option<Property>,
    /// The last serial issued when the taint was set, and the user of the
    /// revoke-all: the refresh tokens it covers.
    taint_by: (u64, String),
    /// The property a refusal of the last step is blamed on, where the
    /// model accepts: the taint, for a refresh token it covers; else, for
    /// a token that lived through a clock move, `tokens expire` (the
    /// target's lifetime is shorter than the spec's); else none (the
    /// step's own property).
    pub refusal_blame: Option<Property>,
    /// The tokens the last step issued or killed: what the introspection
    /// oracle asks the target about after it.
    pub touched: Vec<String>,
}

impl RefState {
    /// A fresh state for `plan`.
    pub fn new(plan: Arc<Plan>) -> RefState {
        let model = Model::new(plan.policy.clone(), plan.accounts.clone())
            .with_clients(plan.clients.clone());
        let guarded = Arc::new(guard::guarded(&plan));
        RefState {
            guarded,
            plan,
            model,
            codec: Symbolic::new(),
            now: 0,
            counter: 0,
            known: Vec::new(),
            causes: HashMap::new(),
            revoke_all_by: Vec::new(),
            expected: Expected::Nothing,
            taint: None,
            taint_by: (0, String::new()),
            refusal_blame: None,
            touched: Vec::new(),
        }
    }

    /// What the reference knows of a symbolic token.
    pub fn known_token(&self, sym: &str) -> Option<&KnownToken> {
        self.known.iter().find(|(s, _)| s == sym).map(|(_, k)| k)
    }

    /// The client index a step's caller means (`None`: a client the API
    /// does not know, or the token's own when it has none).
    fn client_index(&self, caller: Caller, token: Option<&str>) -> Option<usize> {
        match caller {
            Caller::Own => Some(
                token
                    .and_then(|s| self.known_token(s))
                    .and_then(|k| k.client)
                    .unwrap_or(0),
            ),
            Caller::Client(i) => Some(i),
            Caller::Stranger => None,
        }
    }

    /// The credentials a step's client presents, where its binding
    /// authenticates one.
    fn client_of(&self, step: &Step) -> Option<(String, Option<String>)> {
        let (op, caller, token) = match step {
            Step::Login { op, client, .. } => (*op, *client, None),
            Step::Call {
                op, client, token, ..
            } => (*op, *client, token_sym(token)),
            _ => return None,
        };
        let own = self.client_index(Caller::Own, token);
        let caller = match (caller, self.client_index(caller, token)) {
            (Caller::Stranger, _) | (_, None) => Caller::Stranger,
            (_, Some(i)) => Caller::Client(i),
        };
        self.plan.credentials_of(op, caller, own)
    }

    /// Every fill of the request of a login or call step: its token
    /// written by `value` (placeholders for the reference, real tokens
    /// for the driver), the account, the `when` values, the client's
    /// credentials and, for RFC 7009, the token's kind as the hint.
    pub fn step_fills<'p>(
        &self,
        plan: &'p Plan,
        step: &Step,
        value: impl Fn(&Tok) -> Fill,
    ) -> Option<(Bound, Vec<(&'p Source, Fill)>)> {
        let (op, fills) = match step {
            Step::Login {
                op,
                user,
                wrong_password,
                ..
            } => {
                let (u, password) = plan.credentials(*user, *wrong_password);
                (*op, plan.login_fills(*op, &u, &password))
            }
            Step::Call { op, token, .. } => {
                let b = plan.binding(*op);
                let presented = value(token);
                let mut fills = fills_for(b, |_| presented.clone());
                if let Some(hint) = &b.token_type_hint {
                    let kind = token_sym(token)
                        .and_then(|s| self.known_token(s))
                        .map(|k| k.kind);
                    let fill = kind.map_or(Fill::Omit, |k| {
                        Fill::Value(TokenHint::of(k).as_str().to_owned())
                    });
                    fills.push((hint, fill));
                }
                (*op, fills)
            }
            _ => return None,
        };
        Some((op, plan.fills(op, fills, self.client_of(step))))
    }

    fn usable(&self) -> Vec<String> {
        self.known
            .iter()
            .filter(|(s, k)| self.model.is_usable(s, k.kind, self.now, &self.codec))
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// The value a step presents, for building the reference request.
    fn placeholder(tok: &Tok) -> Fill {
        tok.fill(|s| format!("placeholder-{s}-0123456789"))
    }

    /// Apply a step: predict its outcome and move the model. Every token
    /// that dies on the way is recorded with the property that explains
    /// its death.
    pub fn step(mut self, step: &Step) -> RefState {
        let before = self.usable();
        let known_before = self.known.len();
        let presented = step.known_token().and_then(|s| self.known_token(s));
        let aged = presented.is_some_and(|k| self.now > k.issued_at);
        let (serial, user) = &self.taint_by;
        let tainted = presented.is_some_and(|k| {
            k.kind == TokenKind::Refresh && k.serial <= *serial && k.username == *user
        });
        self.refusal_blame = match self.taint {
            Some(t) if tainted => Some(t),
            _ if aged => Some(Property::TokensExpire),
            _ => None,
        };
        let cause = match step {
            Step::Wait { seconds } => {
                self.now += seconds;
                self.expected = Expected::Nothing;
                Property::TokensExpire
            }
            Step::Login {
                user,
                wrong_password,
                ..
            } => self.login(step, *user, *wrong_password),
            Step::Call { action, token, .. } => self.call(step, *action, token, &before),
            Step::Guarded { op, token } => self.guarded(*op, token),
        };
        let after = self.usable();
        let mut touched: Vec<String> = self.known[known_before..]
            .iter()
            .map(|(s, _)| s.clone())
            .collect();
        for sym in before.into_iter().filter(|s| !after.contains(s)) {
            touched.push(sym.clone());
            self.causes.insert(sym, cause);
        }
        self.touched = touched;
        self
    }

    /// Predict a login; `login issues tokens` explains what it kills.
    fn login(&mut self, step: &Step, user: usize, wrong_password: bool) -> Property {
        let plan = self.plan.clone();
        let (u, password) = plan.credentials(user, wrong_password);
        let Some((op, fills)) = self.step_fills(&plan, step, Self::placeholder) else {
            return Property::LoginIssuesTokens;
        };
        // A login command's login sends no request of the suite's.
        let problems = if plan.by_command(op) {
            Vec::new()
        } else {
            build(&plan.spec, plan.op_of(op), &fills).problem_texts()
        };
        let action = Action::Login {
            username: Some(&u),
            password: Some(&password),
        };
        let property = match step {
            Step::Login {
                client: Caller::Stranger,
                ..
            } if plan.binding(op).client.is_some() => Property::ClientBound,
            _ => Property::LoginIssuesTokens,
        };
        let client = self.client_of(step);
        let known = self.known.len();
        self.predict(op, problems, action, client, property);
        if let Step::Login { client, .. } = step {
            let index = self.client_index(*client, None);
            self.owned_by(known, index);
        }
        Property::LoginIssuesTokens
    }

    /// Predict a call of a bound operation with a token; returns the
    /// property that explains the deaths it causes.
    fn call(
        &mut self,
        step: &Step,
        action: ActionKind,
        token: &Tok,
        before: &[String],
    ) -> Property {
        let plan = self.plan.clone();
        let Some((op, fills)) = self.step_fills(&plan, step, Self::placeholder) else {
            return Property::ModelAgreement;
        };
        let b = plan.binding(op);
        let mut built = build(&plan.spec, plan.op_of(op), &fills);
        // A request whose only problems are at the binding's token
        // gets what the spec maps `missing` to, where it maps it:
        // the mock's rule, not just any 4xx.
        if b.answers_missing(built.problems.iter().map(|p| p.location.as_str())) {
            built.problems.clear();
        }
        let sym = token.presented();
        let reuse = matches!(token, Tok::Known(s) if self.causes.get(s) == Some(&Property::RefreshSingleUse));
        let caller = match step {
            Step::Call { client, .. } => *client,
            _ => Caller::Own,
        };
        let property = match self.foreign(op, caller, token) {
            true => Property::ClientBound,
            false => self.property_for(action, token, b.maps(OutcomeName::Missing)),
        };
        self.taint_through_blind_revocation(action, token, before);
        let user = match token {
            Tok::Known(s) => self.known_token(s).map(|k| k.username.clone()),
            _ => None,
        };
        let own = token_sym(token)
            .and_then(|s| self.known_token(s))
            .and_then(|k| k.client);
        let hint = token_sym(token)
            .and_then(|s| self.known_token(s))
            .map(|k| TokenHint::of(k.kind).as_str());
        // Login is its own step: a call presents a token.
        let Some(a) = action.action(Presented {
            access_token: sym,
            refresh_token: sym,
            token: sym,
            token_type_hint: hint,
            ..Presented::default()
        }) else {
            // The code flow's steps are never sequence calls.
            self.expected = Expected::Nothing;
            return Property::ModelAgreement;
        };
        let client = self.client_of(step);
        let known = self.known.len();
        let applied = self.predict(op, built.problem_texts(), a, client, property);
        // A refresh's tokens are the presented token's client's.
        self.owned_by(known, own);
        if applied && action == ActionKind::RevokeAll {
            self.record_revoke_all(user, sym);
        }
        // A revocation that answers the same whatever the token, with a
        // token that lived through a clock move: a target that gave it a
        // shorter lifetime revoked nothing, and cannot be told apart here.
        let blind = is_revocation(action) && self.plan.policy.revoke_ignores_invalid_tokens;
        if blind && self.refusal_blame == Some(Property::TokensExpire) {
            return Property::TokensExpire;
        }
        self.cause_of_deaths(action, reuse)
    }

    /// Predict a guarded call: the model's protected check of the token,
    /// which changes nothing.
    fn guarded(&mut self, op: usize, token: &Tok) -> Property {
        let action = Action::Protected {
            access_token: token.presented(),
        };
        let detail = self.model.diagnose(&action, self.now, &self.codec);
        let outcome = self.model.apply(action, self.now, &mut self.codec);
        let control = self
            .guarded
            .iter()
            .find(|g| g.op == op)
            .and_then(|g| g.control);
        self.expected = Expected::Guarded {
            outcome,
            detail,
            refusal: self.plan.op(op).refusal_status(),
            blame: self.property_for(ActionKind::Protected, token, false),
            control,
        };
        Property::ModelAgreement
    }

    /// Taint the sequence when an access token the reference holds dead
    /// goes through a revoke-all that answers the same whatever the token:
    /// a target keeping that token alive cannot be told apart at this
    /// step, but it revoked the user's refresh tokens, so their refusals
    /// later are blamed on what should have killed the access token.
    /// (A revoke only touches the token presented, which the reference
    /// holds dead already; elsewhere a target keeping the token alive
    /// fails this very step.)
    fn taint_through_blind_revocation(
        &mut self,
        action: ActionKind,
        token: &Tok,
        before: &[String],
    ) {
        let Tok::Known(s) = token else { return };
        let blind =
            action == ActionKind::RevokeAll && self.plan.policy.revoke_ignores_invalid_tokens;
        if blind && !before.contains(s) && self.taint.is_none() {
            let user = self.known_token(s).map(|k| k.username.clone());
            if let (Some(p), Some(user)) = (self.causes.get(s).copied(), user) {
                self.taint = Some(p);
                self.taint_by = (self.counter, user);
            }
        }
    }

    /// Remember who revoked all their refresh tokens with a live access
    /// token (`revoke-all is per user` then explains what differs for the
    /// others).
    fn record_revoke_all(&mut self, user: Option<String>, sym: Option<&str>) {
        if let (Some(u), Expected::Outcome { .. }) = (user, &self.expected) {
            if self
                .model
                .is_usable(sym.unwrap_or(""), TokenKind::Access, self.now, &self.codec)
            {
                self.revoke_all_by.push(u);
            }
        }
    }

    /// The property that explains the deaths an action causes.
    fn cause_of_deaths(&self, action: ActionKind, reuse: bool) -> Property {
        match action {
            ActionKind::Refresh if reuse && self.plan.policy.reuse_ends_session => {
                Property::ReuseEndsSession
            }
            ActionKind::Refresh => Property::RefreshSingleUse,
            ActionKind::Logout => Property::LogoutEndsSession,
            ActionKind::Revoke | ActionKind::RevokeToken => Property::RevokedCannotRefresh,
            ActionKind::RevokeAll => Property::RevokeAllPerUser,
            _ => Property::ModelAgreement,
        }
    }

    /// Mark the tokens known from index `from` on as issued to client
    /// `client`.
    fn owned_by(&mut self, from: usize, client: Option<usize>) {
        for (_, k) in self.known.iter_mut().skip(from) {
            if k.client.is_none() {
                k.client = client;
            }
        }
    }

    /// Whether a call presents another client's token, or comes from a
    /// client the API does not know, on a binding that authenticates
    /// clients: `tokens stay with their client` is what it checks.
    fn foreign(&self, op: Bound, caller: Caller, token: &Tok) -> bool {
        if self.plan.binding(op).client.is_none() {
            return false;
        }
        match caller {
            Caller::Own => false,
            Caller::Stranger => true,
            Caller::Client(i) => {
                let own = token_sym(token)
                    .and_then(|s| self.known_token(s))
                    .and_then(|k| k.client);
                own.is_some_and(|o| o != i)
            }
        }
    }

    /// Predict a bound step (as `client` where the binding authenticates
    /// one). Returns whether the model was applied.
    fn predict(
        &mut self,
        op: Bound,
        problems: Vec<String>,
        action: Action<'_>,
        client: Option<(String, Option<String>)>,
        property: Property,
    ) -> bool {
        if !problems.is_empty() {
            self.expected = Expected::ClientError { problems };
            return false;
        }
        let plan = self.plan.clone();
        // Tokens are named `A.7`, `R.8` by their serial: a dot never occurs
        // in generated garbage, so a garbage token can never be mistaken
        // for a symbolic one.
        let detail = self.model.diagnose(&action, self.now, &self.codec);
        let outcome = match &client {
            Some((id, secret)) => {
                let auth = ClientAuth {
                    id: Some(id),
                    secret: secret.as_deref(),
                };
                self.model.apply_as(auth, action, self.now, &mut self.codec)
            }
            None => self.model.apply(action, self.now, &mut self.codec),
        };
        if let Outcome::Issued(t) = &outcome {
            for (tok, kind) in [
                (&t.access_token, TokenKind::Access),
                (&t.refresh_token, TokenKind::Refresh),
            ] {
                self.counter = self.counter.max(serial_of(tok));
                if self.known_token(tok).is_none() {
                    self.known.push((
                        tok.to_string(),
                        KnownToken {
                            kind,
                            username: t.username.clone(),
                            issued_at: self.now,
                            serial: serial_of(tok),
                            client: None,
                        },
                    ));
                }
            }
        }
        let b = plan.binding(op);
        let (target, _) = b.respond_to(outcome.name(), detail);
        self.expected = Expected::Outcome {
            outcome,
            detail,
            status: target.status,
            example: target.example,
            property,
        };
        true
    }

    /// The property a mismatch on this step violates (`maps_missing`: the
    /// binding maps `missing` itself).
    fn property_for(&self, action: ActionKind, token: &Tok, maps_missing: bool) -> Property {
        let ignores_invalid = self.plan.policy.revoke_ignores_invalid_tokens;
        let sym = match token {
            Tok::Known(s) => s,
            // No token: answered as success by a revocation that ignores
            // invalid tokens, unless its binding maps `missing`.
            Tok::Empty | Tok::Missing => {
                return match action {
                    a if is_revocation(a) && ignores_invalid && !maps_missing => {
                        Property::RevokeAlways
                    }
                    _ => Property::UnknownTokensRejected,
                }
            }
            Tok::Garbage(_) => {
                return match action {
                    a if is_revocation(a) && ignores_invalid => Property::RevokeAlways,
                    ActionKind::Introspect => Property::IntrospectionAgrees,
                    _ => Property::UnknownTokensRejected,
                }
            }
        };
        let kind = self.known_token(sym).map(|k| k.kind);
        let usable = kind.is_some_and(|k| self.model.is_usable(sym, k, self.now, &self.codec));
        // Revoke-token and introspect take a token of either kind.
        let right_kind =
            kind.is_some() && (action.token_kind().is_none() || kind == action.token_kind());
        match action {
            a if is_revocation(a) && ignores_invalid => Property::RevokeAlways,
            ActionKind::Introspect => Property::IntrospectionAgrees,
            ActionKind::Logout if usable && right_kind => Property::LogoutEndsSession,
            _ if !right_kind => Property::WrongKindRejected,
            _ if usable => {
                let user = self.known_token(sym).map(|k| k.username.as_str());
                if self.revoke_all_by.iter().any(|u| Some(u.as_str()) != user) {
                    Property::RevokeAllPerUser
                } else if action == ActionKind::Refresh {
                    Property::RefreshRotates
                } else {
                    Property::ModelAgreement
                }
            }
            _ => self
                .causes
                .get(sym)
                .copied()
                .unwrap_or(Property::ModelAgreement),
        }
    }

    /// What the model says of `sym` now, as RFC 7662 introspection.
    pub fn introspection_of(&self, sym: &str) -> Introspection {
        self.model.introspect(sym, self.now, &self.codec)
    }
}

/// Whether `action` revokes (and so may ignore invalid tokens).
pub fn is_revocation(action: ActionKind) -> bool {
    matches!(
        action,
        ActionKind::Revoke | ActionKind::RevokeAll | ActionKind::RevokeToken
    )
}

/// The symbolic token a step presents, if it presents a known one.
fn token_sym(token: &Tok) -> Option<&str> {
    match token {
        Tok::Known(s) => Some(s),
        _ => None,
    }
}

/// The number in a symbolic token's name (`A.6` is 6).
fn serial_of(sym: &str) -> u64 {
    sym.rsplit('.')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The proptest-state-machine reference: generates sequences of [`Step`]s
/// that are meaningful in the current state.
#[derive(Debug)]
pub struct RefMachine;

fn garbage() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,40}"
}

impl ReferenceStateMachine for RefMachine {
    type State = RefState;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<RefState> {
        let plan = PLAN
            .with(|p| p.borrow().clone())
            .expect("machine::install must run first");
        Just(RefState::new(plan)).boxed()
    }

    fn transitions(state: &RefState) -> BoxedStrategy<Step> {
        let plan = &state.plan;
        let mut options: Vec<(u32, BoxedStrategy<Step>)> = Vec::new();
        let n_users = plan.accounts.len();
        for (i, planned) in plan.ops.iter().enumerate() {
            let (action, op) = (planned.action, Bound(i));
            let callers = callers(plan, op);
            if action == ActionKind::Login {
                if n_users > 0 {
                    let s = (0..n_users, prop::bool::weighted(0.1), callers).prop_map(
                        move |(user, wrong_password, client)| Step::Login {
                            op,
                            user,
                            wrong_password,
                            client,
                        },
                    );
                    options.push((if state.known.is_empty() { 40 } else { 6 }, s.boxed()));
                }
                continue;
            }
            let mut toks = vec![
                (1, garbage().prop_map(Tok::Garbage).boxed()),
                (1, Just(Tok::Empty).boxed()),
                (1, Just(Tok::Missing).boxed()),
            ];
            match action.token_kind() {
                Some(wanted) => toks.extend(known_tokens(state, wanted)),
                // Revoke-token and introspect take either kind.
                None => {
                    toks.extend(known_tokens(state, TokenKind::Access));
                    toks.extend(known_tokens(state, TokenKind::Refresh));
                }
            }
            let weight = match action {
                ActionKind::Refresh => 6,
                ActionKind::Protected => 4,
                ActionKind::RevokeAll | ActionKind::Introspect => 1,
                _ => 2,
            };
            let s = (proptest::strategy::Union::new_weighted(toks), callers).prop_map(
                move |(token, client)| Step::Call {
                    op,
                    action,
                    token,
                    client,
                },
            );
            options.push((weight, s.boxed()));
        }
        for g in state.guarded.iter() {
            // Dead and live access tokens, refresh tokens, garbage: never
            // none or empty (the operation's own security answers those).
            let mut toks = vec![(1, garbage().prop_map(Tok::Garbage).boxed())];
            toks.extend(known_tokens(state, TokenKind::Access));
            let op = g.op;
            let s = proptest::strategy::Union::new_weighted(toks)
                .prop_map(move |token| Step::Guarded { op, token });
            options.push((3, s.boxed()));
        }
        if plan.clock {
            let p = &plan.policy;
            let waits = vec![
                1,
                p.access_token_ttl - 1,
                p.access_token_ttl,
                p.refresh_token_ttl.saturating_sub(1).max(1),
                p.refresh_token_ttl,
            ];
            options.push((
                1,
                prop::sample::select(waits)
                    .prop_map(|seconds| Step::Wait { seconds })
                    .boxed(),
            ));
        }
        proptest::strategy::Union::new_weighted(options).boxed()
    }

    fn preconditions(state: &RefState, step: &Step) -> bool {
        if let Some(s) = step.known_token() {
            return state.known_token(s).is_some();
        }
        let clients = state.plan.clients.len();
        match step {
            Step::Login {
                client: Caller::Client(c),
                ..
            }
            | Step::Call {
                client: Caller::Client(c),
                ..
            } if *c >= clients => false,
            // A login command is given good credentials only, and logs in
            // through its own client.
            Step::Login {
                op,
                user,
                wrong_password,
                client,
            } => {
                *user < state.plan.accounts.len()
                    && !((*wrong_password || *client != Caller::Own) && state.plan.by_command(*op))
            }
            // A path segment cannot be left out or empty: that is another
            // route, not a request without a token.
            Step::Call {
                op,
                token: Tok::Missing | Tok::Empty,
                ..
            } => {
                let b = Some(state.plan.binding(*op));
                !b.is_some_and(|b| {
                    [&b.access_token, &b.refresh_token, &b.token]
                        .into_iter()
                        .flatten()
                        .any(|s| matches!(s.expr, openapi::expr::Expr::RequestPath(_)))
                })
            }
            _ => true,
        }
    }

    fn apply(state: RefState, step: &Step) -> RefState {
        state.step(step)
    }
}

/// Who a step of `op` authenticates as: mostly the token's own client (or
/// the first, for a login), now and then another client or one the API
/// does not know, where the binding authenticates clients.
fn callers(plan: &Plan, op: Bound) -> BoxedStrategy<Caller> {
    if plan.binding(op).client.is_none() || plan.clients.is_empty() {
        return Just(Caller::Own).boxed();
    }
    let n = plan.clients.len();
    proptest::strategy::Union::new_weighted(vec![
        (10, Just(Caller::Own).boxed()),
        (2, (0..n).prop_map(Caller::Client).boxed()),
        (1, Just(Caller::Stranger).boxed()),
    ])
    .boxed()
}

/// Known tokens to present where a token of `wanted` kind belongs, by
/// weight: the recent ones of that kind most, any of that kind, and now
/// and then one of the other kind.
fn known_tokens(state: &RefState, wanted: TokenKind) -> Vec<(u32, BoxedStrategy<Tok>)> {
    let (right, wrong): (Vec<String>, Vec<String>) = state
        .known
        .iter()
        .map(|(s, k)| (s.clone(), k.kind == wanted))
        .partition::<Vec<_>, _>(|(_, ok)| *ok)
        .into_iter_pair();
    let mut toks = Vec::new();
    if !right.is_empty() {
        let recent = right[right.len().saturating_sub(2)..].to_vec();
        toks.push((8, prop::sample::select(recent).prop_map(Tok::Known).boxed()));
        toks.push((4, prop::sample::select(right).prop_map(Tok::Known).boxed()));
    }
    if !wrong.is_empty() {
        toks.push((1, prop::sample::select(wrong).prop_map(Tok::Known).boxed()));
    }
    toks
}

trait IntoIterPair {
    fn into_iter_pair(self) -> (Vec<String>, Vec<String>);
}

impl IntoIterPair for (Vec<(String, bool)>, Vec<(String, bool)>) {
    fn into_iter_pair(self) -> (Vec<String>, Vec<String>) {
        (
            self.0.into_iter().map(|(s, _)| s).collect(),
            self.1.into_iter().map(|(s, _)| s).collect(),
        )
    }
}
