//! The system under test side of the stateful check: runs each step against
//! the target and compares the answer with the reference's prediction.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use openapi::binding::{ActionKind, Binding, Source};
use openapi::expr::Expr;
use openapi::model::{Introspection, Issued, Outcome, OutcomeName, TokenKind};
use openapi::spec::Operation;

use crate::check::response_problems;
use crate::error::RunError;
use crate::guard;
use crate::machine::{Expected, RefState, Step, Tok};
use crate::plan::{build, Bound, Caller, Fill, Plan};
use crate::property::Property;
use crate::stateful::IssuedToken;
use crate::target::HttpResponse;

/// One request of a sequence, as reports show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Exchange {
    /// The step, in words.
    pub step: String,
    /// The request as a curl command (empty for clock moves).
    pub curl: String,
    /// What the model expected.
    pub expected: String,
    /// The status received (0 for clock moves).
    pub status: u16,
    /// The body received (shortened).
    pub body: String,
}

/// A property that did not hold at a step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The property.
    pub property: Property,
    /// What happened.
    pub message: String,
}

/// The request of a step, before it is built.
struct Request<'p> {
    /// The operation index.
    op: usize,
    /// The planned binding (none for a guarded operation).
    bound: Option<Bound>,
    /// The action it performs.
    action: ActionKind,
    /// The token presented, as sent.
    presented: Option<String>,
    /// What to put at the places the operation reads.
    fills: Vec<(&'p Source, Fill)>,
}

/// The `jti`s a passive driver (the proxy) remembers before it starts
/// over: as many as the proxy's known tokens.
const PASSIVE_JTIS: usize = 10_000;

/// The HTTP side of a sequence.
#[derive(Debug)]
pub struct Driver {
    plan: Arc<Plan>,
    real: HashMap<String, String>,
    seen: HashSet<String>,
    /// Every exchange so far.
    pub log: Vec<Exchange>,
    /// How often each property was checked.
    pub exercised: BTreeMap<Property, u64>,
    /// The request of the run that first checked each property.
    pub first_at: BTreeMap<Property, u64>,
    /// The tokens the target issued, in order.
    pub issued: Vec<IssuedToken>,
    /// The `jti`s of the JWTs issued so far.
    jtis: HashSet<String>,
    /// Seconds the mock's clock was moved in this sequence.
    advanced: u64,
    /// The difference between the target's `exp` and the model's, once
    /// introspection told one, and when it was seen: every later `exp`
    /// must keep it (exactly on the mock's clock).
    exp_offset: Option<(i128, std::time::Instant)>,
    /// Whether the introspection oracle asks after each step (not once
    /// its property is muted: reported, or deselected).
    pub introspects: bool,
    /// Whether the driver only observes (the proxy): it sends no request
    /// of its own (no control request, no introspection, no key set).
    pub passive: bool,
}

impl Driver {
    /// A driver for a new sequence; resets and freezes the mock when the
    /// target is the mock.
    pub fn new(plan: Arc<Plan>) -> Result<Driver, RunError> {
        if plan.clock {
            plan.target.mock_fresh_frozen()?;
        }
        Ok(Driver {
            plan,
            real: HashMap::new(),
            seen: HashSet::new(),
            log: Vec::new(),
            exercised: BTreeMap::new(),
            first_at: BTreeMap::new(),
            issued: Vec::new(),
            jtis: HashSet::new(),
            advanced: 0,
            exp_offset: None,
            introspects: true,
            passive: false,
        })
    }

    fn value_of(&self, tok: &Tok) -> Fill {
        tok.fill(|s| {
            self.real
                .get(s)
                .cloned()
                .unwrap_or_else(|| format!("unissued-{s}"))
        })
    }

    /// The real token the target issued for a symbolic one.
    pub fn real_token(&self, sym: &str) -> Option<String> {
        self.real.get(sym).cloned()
    }

    fn exercise(&mut self, p: Property) {
        *self.exercised.entry(p).or_default() += 1;
        let at = self.plan.target.budget().sent();
        self.first_at.entry(p).or_insert(at);
    }

    /// Run `step` (whose prediction is in `after.expected`) and return the
    /// properties it violated, each judged by the function named after it.
    pub fn step(&mut self, after: &RefState, step: &Step) -> Result<Vec<Violation>, RunError> {
        if let Step::Wait { seconds } = step {
            self.wait(*seconds)?;
            return Ok(Vec::new());
        }
        let plan = self.plan.clone();
        let Some(req) = self.request_of(&plan, after, step) else {
            return Ok(Vec::new());
        };
        let op = plan.op(req.op);
        let expected = &after.expected;
        let name = req.bound.map_or_else(|| op.name(), |b| plan.name_of(b));
        let step_text = describe(step, name);
        let commanded = match step {
            Step::Login { op, user, .. } if plan.by_command(*op) => Some((*op, *user)),
            _ => None,
        };
        let resp = match commanded {
            Some((bound, user)) => {
                let text = format!("{step_text} (by the login command)");
                let (resp, exchange) =
                    crate::login::log_in(&plan, bound, user, text, expected_text(expected))?;
                self.log.push(exchange);
                resp
            }
            None => self.send(step_text, expected_text(expected), op, &req.fills)?,
        };
        let mut violations = self.judge(after, step, req, commanded.is_some(), &resp)?;
        if violations.is_empty() {
            violations.extend(self.introspection_agrees(after)?);
        }
        Ok(violations)
    }

    /// Judge the answer `resp` to `step` (whose prediction is in
    /// `after.expected`), each property by the function named after it.
    fn judge(
        &mut self,
        after: &RefState,
        step: &Step,
        req: Request<'_>,
        commanded: bool,
        resp: &HttpResponse,
    ) -> Result<Vec<Violation>, RunError> {
        let plan = self.plan.clone();
        let op = plan.op(req.op);
        let expected = &after.expected;
        // The login command's answer is the suite's own writing, not the
        // target's: only what it issued is judged.
        let mut violations: Vec<Violation> = match commanded {
            true => Vec::new(),
            false => self
                .responses_match_the_spec(op, expected, resp)
                .into_iter()
                .collect(),
        };
        match expected {
            Expected::Nothing => {}
            Expected::ClientError { .. } => {
                violations.extend(self.invalid_requests_rejected(resp));
            }
            Expected::Outcome { .. } => {
                let bound = req.bound;
                violations.extend(self.judge_outcome(after, op, req, resp));
                violations.extend(self.issued_jwts(after, bound, resp)?);
            }
            Expected::Guarded { .. } => match self.guards_refuse_dead_tokens(after, step, resp)? {
                Some(v) => violations.push(v),
                None => violations.extend(self.unauthorized_carries_challenge(op, resp)),
            },
        }
        Ok(violations)
    }

    /// Judge an exchange the driver did not send (the proxy saw it):
    /// `step` is what the request did, `resp` the target's answer.
    pub fn observe(
        &mut self,
        after: &RefState,
        step: &Step,
        resp: &HttpResponse,
    ) -> Result<Vec<Violation>, RunError> {
        let plan = self.plan.clone();
        let Some(req) = self.request_of(&plan, after, step) else {
            return Ok(Vec::new());
        };
        self.judge(after, step, req, false, resp)
    }

    /// Forget the symbolic tokens `syms` (the proxy's bound on memory),
    /// and every `jti` seen.
    pub fn forget(&mut self, syms: &[String]) {
        for s in syms {
            if let Some(real) = self.real.remove(s) {
                self.seen.remove(&real);
            }
        }
        self.issued.clear();
        self.log.clear();
        self.jtis.clear();
    }

    /// The request a step sends: its operation and what to put where the
    /// operation reads a token or credential (`after` knows whose client
    /// each token is).
    fn request_of<'p>(&self, plan: &'p Plan, after: &RefState, step: &Step) -> Option<Request<'p>> {
        let (action, presented) = match step {
            Step::Wait { .. } => return None,
            Step::Login { .. } => (ActionKind::Login, None),
            Step::Call { action, token, .. } => match self.value_of(token) {
                Fill::Value(v) => (*action, Some(v)),
                _ => (*action, None),
            },
            Step::Guarded { op, token } => {
                let source = guard::guard(plan, plan.op(*op))?;
                return Some(Request {
                    op: *op,
                    bound: None,
                    action: ActionKind::Protected,
                    presented: None,
                    fills: vec![(source, self.value_of(token))],
                });
            }
        };
        let (bound, fills) = after.step_fills(plan, step, |t| self.value_of(t))?;
        Some(Request {
            op: plan.planned(bound).op,
            bound: Some(bound),
            action,
            presented,
            fills,
        })
    }

    /// Judge the answer to a bound operation against the model's outcome:
    /// its status first (nothing else is compared when it differs), then
    /// the body, the challenge, and what it issued or authorized.
    fn judge_outcome(
        &mut self,
        after: &RefState,
        op: &Operation,
        req: Request<'_>,
        resp: &HttpResponse,
    ) -> Vec<Violation> {
        let Expected::Outcome {
            outcome,
            status,
            example,
            property,
            ..
        } = &after.expected
        else {
            return Vec::new();
        };
        self.exercise(*property);
        if let Some(v) = predicted_status(after, resp) {
            return vec![v];
        }
        let mut violations = Vec::new();
        if let Some(name) = example {
            violations.extend(self.error_bodies_match(op, *status, name, resp));
        }
        violations.extend(self.unauthorized_carries_challenge(op, resp));
        let plan = self.plan.clone();
        let Some(b) = req.bound.map(|b| plan.binding(b)) else {
            return violations;
        };
        match outcome {
            Outcome::Issued(t) => {
                violations.extend(self.take_issued(b, req.action, req.presented, t, resp));
            }
            Outcome::Authorized { username } => {
                violations.extend(authorized_subject(b, username, resp));
            }
            Outcome::Introspected(i) => violations.extend(self.introspected(b, i, resp)),
            Outcome::Done | Outcome::Rejected(_) => {}
        }
        violations
    }

    /// Move the clock: the mock's, or a real wait.
    fn wait(&mut self, seconds: u64) -> Result<(), RunError> {
        let plan = &self.plan;
        if plan.clock {
            plan.target.mock_advance(seconds)?;
            self.advanced += seconds;
        } else {
            // A real target's clock cannot be moved: wait for real, a
            // second longer so that second boundaries cannot make the
            // target lag behind the reference.
            std::thread::sleep(std::time::Duration::from_secs(seconds + 1));
        }
        self.log.push(Exchange {
            step: format!("wait {seconds} s"),
            curl: format!(
                "curl -X POST {}/__mock/clock/advance -H 'content-type: application/json' --data-raw '{{\"seconds\":{seconds}}}'",
                plan.target.base()
            ),
            expected: "the clock moves".into(),
            status: 0,
            body: String::new(),
        });
        Ok(())
    }

    /// Build the request of `op` with `fills`, send it and log the exchange.
    fn send(
        &mut self,
        step: String,
        expected: String,
        op: &Operation,
        fills: &[(&Source, Fill)],
    ) -> Result<HttpResponse, RunError> {
        let built = build(&self.plan.spec, op, fills);
        let resp = self.plan.target.send_op(&op.name(), &built.request)?;
        self.log.push(Exchange {
            step,
            curl: self.plan.target.curl(&built.request),
            expected,
            status: resp.status,
            body: resp.body_text(400),
        });
        Ok(resp)
    }

    /// `responses match the spec`: every answer is documented. A request
    /// the spec forbids may get any 4xx, documented or not; a wrong status
    /// is reported as such (by [`predicted_status`]), not twice.
    fn responses_match_the_spec(
        &mut self,
        op: &Operation,
        expected: &Expected,
        resp: &HttpResponse,
    ) -> Option<Violation> {
        if matches!(expected, Expected::ClientError { .. }) || expected.differs(resp.status) {
            return None;
        }
        self.exercise(Property::ResponsesDocumented);
        let documented = response_problems(&self.plan.spec, op, resp);
        (!documented.is_empty())
            .then(|| violation(Property::ResponsesDocumented, documented.join("; ")))
    }

    /// `invalid requests rejected`: a request the spec forbids gets a 4xx.
    fn invalid_requests_rejected(&mut self, resp: &HttpResponse) -> Option<Violation> {
        self.exercise(Property::InvalidRequestsRejected);
        (!(400..500).contains(&resp.status)).then(|| {
            violation(
                Property::InvalidRequestsRejected,
                format!(
                    "a request the spec forbids got {} instead of a 4xx",
                    resp.status
                ),
            )
        })
    }

    /// `error bodies match the spec`: where the binding names the example
    /// an outcome answers with, the body is that example.
    fn error_bodies_match(
        &mut self,
        op: &Operation,
        status: u16,
        name: &str,
        resp: &HttpResponse,
    ) -> Option<Violation> {
        self.exercise(Property::ErrorBodiesMatch);
        let wanted = op
            .response(status)
            .and_then(|r| {
                r.content
                    .iter()
                    .flat_map(|m| &m.examples)
                    .find(|(n, _)| n == name)
            })
            .map(|(_, v)| v.clone());
        (wanted.is_some() && resp.json() != wanted).then(|| {
            violation(
                Property::ErrorBodiesMatch,
                format!(
                    "the body should be the example `{name}`: {}",
                    wanted.map(|v| v.to_string()).unwrap_or_default()
                ),
            )
        })
    }

    /// `401 carries WWW-Authenticate`, where the spec documents the
    /// challenge on the operation's 401.
    fn unauthorized_carries_challenge(
        &mut self,
        op: &Operation,
        resp: &HttpResponse,
    ) -> Option<Violation> {
        let documents_challenge = op
            .response(401)
            .is_some_and(|r| r.headers.iter().any(|h| h.name == "www-authenticate"));
        if resp.status != 401 || !documents_challenge {
            return None;
        }
        self.exercise(Property::UnauthorizedChallenge);
        resp.header("www-authenticate").is_none().then(|| {
            violation(
                Property::UnauthorizedChallenge,
                "a 401 without WWW-Authenticate".into(),
            )
        })
    }

    /// Read the tokens an answer issued, judge them (`login issues tokens`
    /// or `refresh rotates` for a token missing at its `issue` place, then
    /// `refresh rotates` and `tokens unique` for each new one) and map the
    /// symbolic tokens to them.
    fn take_issued(
        &mut self,
        b: &Binding,
        action: ActionKind,
        presented: Option<String>,
        t: &Issued,
        resp: &HttpResponse,
    ) -> Vec<Violation> {
        let (issued, mut violations) = tokens_at_issue_places(b, action, t, resp);
        for (sym, real) in issued {
            if self.real.get(&sym) == Some(&real) {
                continue; // the same refresh token re-sent (no rotation)
            }
            let kind = if sym == t.access_token.as_str() {
                TokenKind::Access
            } else {
                TokenKind::Refresh
            };
            self.issued.push(IssuedToken {
                kind,
                user: t.username.clone(),
                token: real.clone(),
                at: self.plan.target.budget().sent(),
            });
            let rotation = refresh_rotates(&self.plan, action, presented.as_deref(), &real);
            match rotation {
                Some(v) => violations.push(v),
                None => violations.extend(self.tokens_unique(&real)),
            }
            self.real.insert(sym, real);
        }
        violations
    }

    /// `dead tokens refused on guarded operations`: the guarded operation
    /// refuses exactly the tokens the model holds dead. On a mismatch the
    /// target's protected operation is asked for its own view of the token:
    /// where it agrees with the guard, the target's token differs from the
    /// model's and the property that explains the token's state is blamed
    /// (as on a protected call), not the guard.
    fn guards_refuse_dead_tokens(
        &mut self,
        after: &RefState,
        step: &Step,
        resp: &HttpResponse,
    ) -> Result<Option<Violation>, RunError> {
        let (
            Expected::Guarded {
                outcome,
                blame,
                control,
                ..
            },
            Step::Guarded { token, .. },
        ) = (&after.expected, step)
        else {
            return Ok(None);
        };
        self.exercise(Property::GuardsRefuseDeadTokens);
        if !after.expected.differs(resp.status) {
            return Ok(None);
        }
        let dead = matches!(outcome, Outcome::Rejected(_));
        let message = format!(
            "expected {} on this guarded operation, got {}",
            expected_text(&after.expected),
            resp.status
        );
        // Refused, but not with the documented refusal, or no protected
        // operation to ask: the guard's fault.
        let passive = self.passive;
        let Some(control) = control.filter(|_| dead != guard::refuses(resp.status) && !passive)
        else {
            return Ok(Some(violation(Property::GuardsRefuseDeadTokens, message)));
        };
        let expected = "its own view of the token (is the guard at fault?)".to_owned();
        let answer = self.control(control, token, expected)?;
        let protected_refuses = (400..500).contains(&answer.status);
        let name = self.plan.name_of(control);
        let message = format!("{message}; {name} answered {}", answer.status);
        if protected_refuses != guard::refuses(resp.status) {
            return Ok(Some(violation(Property::GuardsRefuseDeadTokens, message)));
        }
        // The target holds the token alive (or dead) everywhere: as on a
        // protected call, a refusal after a blind revocation is blamed on
        // the property that killed the token.
        let property = match after.refusal_blame {
            Some(t) if !dead => t,
            _ => *blame,
        };
        Ok(Some(violation(property, message)))
    }

    /// The JWT properties ([`crate::jwt`]) of every token an answer
    /// issued as predicted: the access and refresh tokens at their `issue`
    /// places, and the ID token.
    fn issued_jwts(
        &mut self,
        after: &RefState,
        bound: Option<Bound>,
        resp: &HttpResponse,
    ) -> Result<Vec<Violation>, RunError> {
        use crate::jwt::{Issued as Jwt, Role};
        let (
            Expected::Outcome {
                outcome: Outcome::Issued(t),
                ..
            },
            Some(bound),
        ) = (&after.expected, bound)
        else {
            return Ok(Vec::new());
        };
        if after.expected.differs(resp.status) {
            return Ok(Vec::new());
        }
        let plan = self.plan.clone();
        let b = plan.binding(bound);
        let seconds = |e: &Option<Expr>, model: u64| {
            e.as_ref()
                .and_then(|e| read(e, resp))
                .and_then(|v| v.parse().ok())
                .unwrap_or(model)
        };
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let client = plan
            .login
            .as_ref()
            .and_then(|l| l.client.as_ref())
            .map(|c| c.id.clone());
        let i = &b.issue;
        let tokens = [
            (
                &i.access_token,
                Role::Access,
                Some(seconds(&i.expires_in, t.expires_in)),
            ),
            (
                &i.refresh_token,
                Role::Refresh,
                Some(seconds(&i.refresh_expires_in, t.refresh_expires_in)),
            ),
            (&i.id_token, Role::Id, None),
        ];
        let mut violations = Vec::new();
        for (place, role, lifetime) in tokens {
            let Some(token) = place.as_ref().and_then(|e| read(e, resp)) else {
                continue;
            };
            let issued = Jwt {
                token: &token,
                role,
                lifetime,
                now: wall + self.advanced,
                client: client.as_deref(),
            };
            // Passive: no key set is fetched (an RS256 signature is not
            // judged), the claims are.
            let fetch = !self.passive;
            // Passive, the traffic never ends: the `jti`s remembered are
            // bounded (a repeat across the bound goes unseen, never a
            // false alarm).
            if self.passive && self.jtis.len() >= PASSIVE_JTIS {
                self.jtis.clear();
            }
            let (checked, found) = plan
                .jwt
                .judge(&plan.target, &issued, &mut self.jtis, fetch)?;
            for p in checked {
                self.exercise(p);
            }
            violations.extend(found);
        }
        Ok(violations)
    }

    /// Ask the protected operation `control` for its own view of `token`.
    fn control(
        &mut self,
        control: Bound,
        token: &Tok,
        expected: String,
    ) -> Result<HttpResponse, RunError> {
        let plan = self.plan.clone();
        let fills = plan.presenting(control, self.value_of(token));
        let op = plan.op_of(control);
        let step = format!("{} with {}", plan.name_of(control), describe_token(token));
        self.send(step, expected, op, &fills)
    }

    /// `introspection agrees with the model` as the second oracle: after
    /// a step, the target's introspection endpoint is asked about every
    /// token the step issued or killed, and must say what the model says.
    /// Where it says a token is alive (or dead) that the model holds dead
    /// (or alive), the target's protected operation is asked too: when it
    /// agrees with the introspection, the token itself is at fault, and
    /// the property that explains the token's state is blamed (`tokens
    /// expire` for a token that lived through a clock move).
    fn introspection_agrees(&mut self, after: &RefState) -> Result<Vec<Violation>, RunError> {
        let plan = self.plan.clone();
        let Some(op) = plan
            .first(ActionKind::Introspect)
            .filter(|_| self.introspects)
        else {
            return Ok(Vec::new());
        };
        for sym in &after.touched {
            let Some(real) = self.real.get(sym).cloned() else {
                continue;
            };
            let predicted = after.introspection_of(sym);
            let b = plan.binding(op);
            let fills = plan.presenting(op, Fill::Value(real));
            let step = format!("{} with token {sym} (the second oracle)", plan.name_of(op));
            let expected = introspection_text(&predicted);
            let resp = self.send(step, expected, plan.op_of(op), &fills)?;
            self.exercise(Property::IntrospectionAgrees);
            let mut found = match resp.status {
                200..=299 => self.introspected(b, &predicted, &resp),
                s => vec![violation(
                    Property::IntrospectionAgrees,
                    format!("introspection of {sym} answered {s}"),
                )],
            };
            if let Some(v) = found.first_mut() {
                v.property = self.introspection_blame(after, sym, &predicted, &resp)?;
                return Ok(found);
            }
        }
        Ok(Vec::new())
    }

    /// Who is at fault when introspection disagrees with the model about
    /// `sym`: the introspection, unless the target's own protected
    /// operation treats the access token as introspection says.
    fn introspection_blame(
        &mut self,
        after: &RefState,
        sym: &str,
        predicted: &Introspection,
        resp: &HttpResponse,
    ) -> Result<Property, RunError> {
        let plan = self.plan.clone();
        let introspect = plan.first(ActionKind::Introspect).map(|b| plan.binding(b));
        let said_active = introspected_active(introspect, resp);
        let known = after.known_token(sym);
        let access = known.is_some_and(|k| k.kind == TokenKind::Access);
        let (Some(control), Some(said)) = (plan.first(ActionKind::Protected), said_active) else {
            return Ok(Property::IntrospectionAgrees);
        };
        if said == predicted.active || !access {
            return Ok(Property::IntrospectionAgrees);
        }
        let token = Tok::Known(sym.to_owned());
        let answer = self.control(control, &token, "its own view of the token".into())?;
        let accepted = (200..300).contains(&answer.status);
        if accepted != said {
            return Ok(Property::IntrospectionAgrees);
        }
        let aged = known.is_some_and(|k| after.now > k.issued_at);
        Ok(match (predicted.active, after.causes.get(sym)) {
            (false, Some(p)) => *p,
            (true, _) if aged => Property::TokensExpire,
            _ => Property::ModelAgreement,
        })
    }

    /// What an introspection answer must say: `active` as the model, and
    /// for an active token its user, client and kind, and an `exp` that
    /// keeps the difference between the target's clock and the model's.
    fn introspected(
        &mut self,
        b: &Binding,
        predicted: &Introspection,
        resp: &HttpResponse,
    ) -> Vec<Violation> {
        let p = &b.introspection;
        let mut wrong = Vec::new();
        let active = introspected_active(Some(b), resp);
        if active != Some(predicted.active) {
            wrong.push(format!(
                "`active` is {} where the model says {}",
                active.map_or("missing".into(), |a| a.to_string()),
                predicted.active
            ));
        }
        if predicted.active && active == Some(true) {
            let texts = [
                ("sub", &p.sub, predicted.sub.clone()),
                ("client_id", &p.client_id, predicted.client_id.clone()),
                (
                    "token_type",
                    &p.token_type,
                    predicted.token_type.map(|t| t.as_str().to_owned()),
                ),
            ];
            for (name, place, wanted) in texts {
                let (Some(place), Some(wanted)) = (place, wanted) else {
                    continue;
                };
                let got = read(place, resp);
                if got.as_deref() != Some(wanted.as_str()) {
                    wrong.push(format!(
                        "`{name}` is {got:?} where the model says {wanted:?}"
                    ));
                }
            }
            if let (Some(place), Some(exp)) = (&p.exp, predicted.exp) {
                wrong.extend(self.exp_agrees(place, exp, resp));
            }
        }
        (!wrong.is_empty())
            .then(|| violation(Property::IntrospectionAgrees, wrong.join("; ")))
            .into_iter()
            .collect()
    }

    /// `exp` keeps the difference to the model's first seen: exactly with
    /// the mock's clock, within the seconds since then (and two more)
    /// against a real clock.
    fn exp_agrees(&mut self, place: &Expr, exp: u64, resp: &HttpResponse) -> Option<String> {
        let got = read(place, resp).and_then(|t| t.parse::<i128>().ok());
        let Some(got) = got else {
            return Some(format!("`exp` is not a number at {place}"));
        };
        let offset = got - i128::from(exp);
        let Some((first, seen)) = self.exp_offset else {
            self.exp_offset = Some((offset, std::time::Instant::now()));
            return None;
        };
        let slack = if self.plan.clock {
            0
        } else {
            i128::from(seen.elapsed().as_secs()) + 2
        };
        ((offset - first).abs() > slack).then(|| {
            format!(
                "`exp` is {got}: {} s off the lifetime the model gives the token",
                offset - first
            )
        })
    }

    /// `tokens unique`: no token is issued twice.
    fn tokens_unique(&mut self, real: &str) -> Option<Violation> {
        self.exercise(Property::TokensUnique);
        (!self.seen.insert(real.to_owned())).then(|| {
            violation(
                Property::TokensUnique,
                format!("token {real} was issued before"),
            )
        })
    }
}

fn violation(property: Property, message: String) -> Violation {
    Violation { property, message }
}

/// The status the model predicts, under the step's property. A refusal
/// where the model accepts is blamed as [`RefState::refusal_blame`] says:
/// after a token the reference holds dead went through a blind
/// revocation, on the property that killed that token (the target
/// probably kept it alive); for a token that lived through a clock move,
/// on `tokens expire`.
fn predicted_status(after: &RefState, resp: &HttpResponse) -> Option<Violation> {
    let Expected::Outcome {
        outcome,
        status,
        property,
        ..
    } = &after.expected
    else {
        return None;
    };
    if resp.status == *status {
        return None;
    }
    let refused = (200..300).contains(status) && (400..500).contains(&resp.status);
    let property = match after.refusal_blame {
        Some(t) if refused => t,
        _ => *property,
    };
    Some(violation(
        property,
        format!(
            "expected {status} ({}), got {}",
            outcome.name(),
            resp.status
        ),
    ))
}

/// `login issues tokens` (or `refresh rotates` for a refresh): every token
/// the model issued is at its `issue` place. Returns the symbolic tokens
/// with the real ones found.
fn tokens_at_issue_places(
    b: &Binding,
    action: ActionKind,
    t: &Issued,
    resp: &HttpResponse,
) -> (Vec<(String, String)>, Vec<Violation>) {
    let mut issued = Vec::new();
    let mut violations = Vec::new();
    let pairs = [
        (&b.issue.access_token, &t.access_token),
        (&b.issue.refresh_token, &t.refresh_token),
    ];
    for (expr, sym) in pairs {
        let Some(expr) = expr else { continue };
        match read(expr, resp) {
            Some(real) if !real.is_empty() => issued.push((sym.to_string(), real)),
            _ => violations.push(violation(
                if action == ActionKind::Login {
                    Property::LoginIssuesTokens
                } else {
                    Property::RefreshRotates
                },
                format!("no token at {expr}"),
            )),
        }
    }
    (issued, violations)
}

/// `refresh rotates`: under rotation, a refresh never answers with the
/// refresh token it was given.
fn refresh_rotates(
    plan: &Plan,
    action: ActionKind,
    presented: Option<&str>,
    real: &str,
) -> Option<Violation> {
    (action == ActionKind::Refresh && plan.policy.rotate_on_refresh() && presented == Some(real))
        .then(|| {
            violation(
                Property::RefreshRotates,
                "the refresh answered with the same refresh token".into(),
            )
        })
}

/// `model agreement` for a protected call: the answer names the user the
/// model authorized, where the binding says (`subject`).
fn authorized_subject(b: &Binding, username: &str, resp: &HttpResponse) -> Option<Violation> {
    let expr = b.subject.as_ref()?;
    let got = read(expr, resp);
    (got.as_deref() != Some(username)).then(|| {
        violation(
            Property::ModelAgreement,
            format!("expected user `{username}` at {expr}, got {got:?}"),
        )
    })
}

/// What introspection of a token must answer, in words.
fn introspection_text(i: &Introspection) -> String {
    match (&i.sub, i.token_type) {
        (Some(sub), Some(kind)) if i.active => {
            format!("active: {} of {sub}", kind.as_str())
        }
        _ if i.active => "active".into(),
        _ => "inactive".into(),
    }
}

/// The `active` an introspection answer says, where the binding reads it.
fn introspected_active(b: Option<&Binding>, resp: &HttpResponse) -> Option<bool> {
    let Expr::ResponseBody(ptr) = b?.introspection.active.as_ref()? else {
        return None;
    };
    ptr.get(&resp.json()?)?.as_bool()
}

/// What the model expected, in words, for the report.
pub(crate) fn expected_text(expected: &Expected) -> String {
    match expected {
        Expected::ClientError { problems } => format!(
            "a 4xx: the request breaks the spec ({})",
            problems.join("; ")
        ),
        Expected::Outcome {
            outcome,
            status,
            detail: Some(d),
            ..
        } if outcome.name() == OutcomeName::Invalid => {
            format!("{status} (invalid: {})", d.name())
        }
        Expected::Outcome {
            outcome: Outcome::Introspected(i),
            status,
            ..
        } => format!("{status} ({})", introspection_text(i)),
        Expected::Outcome {
            outcome, status, ..
        } => format!("{status} ({})", outcome.name()),
        Expected::Guarded {
            outcome: outcome @ Outcome::Rejected(_),
            refusal,
            detail,
            ..
        } => match detail {
            Some(d) => format!("{refusal} (invalid: {})", d.name()),
            None => format!("{refusal} ({})", outcome.name()),
        },
        Expected::Guarded { refusal, .. } => format!("no {refusal} (a live token)"),
        Expected::Nothing => String::new(),
    }
}

/// The string (or number) at a response place.
pub fn read(expr: &Expr, resp: &HttpResponse) -> Option<String> {
    match expr {
        Expr::ResponseBody(ptr) => match ptr.get(&resp.json()?)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        },
        Expr::ResponseHeader(name) => resp.header(name).map(str::to_owned),
        _ => None,
    }
}

/// A presented token, in words.
pub fn describe_token(token: &Tok) -> String {
    match token {
        Tok::Known(s) => format!("token {s}"),
        Tok::Garbage(g) => format!("garbage token `{g}`"),
        Tok::Empty => "an empty token".into(),
        Tok::Missing => "no token".into(),
    }
}

/// A step's client, in words.
fn caller(c: &Caller) -> String {
    match c {
        Caller::Own => "its own client".into(),
        Caller::Client(i) => format!("client #{i}"),
        Caller::Stranger => "a client the API does not know".into(),
    }
}

fn describe(step: &Step, op: String) -> String {
    match step {
        Step::Login {
            user,
            wrong_password,
            client,
            ..
        } => {
            format!(
                "{op}: log in as account #{user}{}{}",
                if *wrong_password {
                    " with a wrong password"
                } else {
                    ""
                },
                match client {
                    Caller::Own => String::new(),
                    other => format!(" through {}", caller(other)),
                }
            )
        }
        Step::Call {
            token,
            client: Caller::Own,
            ..
        } => format!("{op} with {}", describe_token(token)),
        Step::Call { token, client, .. } => {
            format!("{op} with {} as {}", describe_token(token), caller(client))
        }
        Step::Guarded { token, .. } => format!("{op} (guarded) with {}", describe_token(token)),
        Step::Wait { seconds } => format!("wait {seconds} s"),
    }
}
