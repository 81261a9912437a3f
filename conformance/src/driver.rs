//! The system under test side of the stateful check: runs each step against
//! the target and compares the answer with the reference's prediction.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use openapi::binding::ActionKind;
use openapi::expr::Expr;
use openapi::model::{Outcome, OutcomeName};

use crate::check::response_problems;
use crate::error::RunError;
use crate::machine::{Expected, RefState, Step, Tok};
use crate::plan::{build, fills_for, Fill, Plan};
use crate::property::Property;
use crate::target::HttpResponse;

/// One request of a sequence, as reports show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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
        })
    }

    fn value_of(&self, tok: &Tok) -> Fill {
        match tok {
            Tok::Known(s) => Fill::Value(
                self.real
                    .get(s)
                    .cloned()
                    .unwrap_or_else(|| format!("unissued-{s}")),
            ),
            Tok::Garbage(g) => Fill::Value(g.clone()),
            Tok::Empty => Fill::Value(String::new()),
            Tok::Missing => Fill::Omit,
        }
    }

    /// The real token the target issued for a symbolic one.
    pub fn real_token(&self, sym: &str) -> Option<String> {
        self.real.get(sym).cloned()
    }

    fn exercise(&mut self, p: Property) {
        *self.exercised.entry(p).or_default() += 1;
    }

    /// Run `step` (whose prediction is in `after.expected`) and return the
    /// properties it violated.
    pub fn step(&mut self, after: &RefState, step: &Step) -> Result<Vec<Violation>, RunError> {
        let plan = self.plan.clone();
        let (op_index, action, presented, fills): (
            usize,
            ActionKind,
            Option<String>,
            Vec<(_, Fill)>,
        ) = match step {
            Step::Wait { seconds } => {
                if plan.clock {
                    plan.target.mock_advance(*seconds)?;
                } else {
                    // A real target's clock cannot be moved: wait for real,
                    // a second longer so that second boundaries cannot
                    // make the target lag behind the reference.
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
                return Ok(Vec::new());
            }
            Step::Login {
                op,
                user,
                wrong_password,
            } => {
                let (u, password) = plan.credentials(*user, *wrong_password);
                let fills = plan.login_fills(*op, &u, &password);
                (*op, ActionKind::Login, None, fills)
            }
            Step::Call { op, action, token } => {
                let b = plan.binding(*op);
                let value = self.value_of(token);
                let presented = match &value {
                    Fill::Value(v) => Some(v.clone()),
                    Fill::Omit => None,
                };
                (*op, *action, presented, fills_for(b, |_| value.clone()))
            }
        };
        let op = plan.op(op_index);
        let built = build(&plan.spec, op, &fills);
        let resp = plan.target.send(&built.request)?;
        let mut violations = Vec::new();
        let expected_text = match &after.expected {
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
                outcome, status, ..
            } => format!("{status} ({})", outcome.name()),
            Expected::Nothing => String::new(),
        };
        self.log.push(Exchange {
            step: describe(step, op.name()),
            curl: plan.target.curl(&built.request),
            expected: expected_text,
            status: resp.status,
            body: resp.body_text(400),
        });
        let mut violate =
            |property: Property, message: String| violations.push(Violation { property, message });
        // A request the spec forbids may get any 4xx, documented or not;
        // every other answer must be documented (a wrong status is reported
        // as such, below, not twice).
        let status_differs =
            matches!(&after.expected, Expected::Outcome { status, .. } if *status != resp.status);
        if !matches!(after.expected, Expected::ClientError { .. }) && !status_differs {
            let documented = response_problems(&plan.spec, op, &resp);
            self.exercise(Property::ResponsesDocumented);
            if !documented.is_empty() {
                violate(Property::ResponsesDocumented, documented.join("; "));
            }
        }
        match &after.expected {
            Expected::Nothing => {}
            Expected::ClientError { .. } => {
                self.exercise(Property::InvalidRequestsRejected);
                if !(400..500).contains(&resp.status) {
                    violate(
                        Property::InvalidRequestsRejected,
                        format!(
                            "a request the spec forbids got {} instead of a 4xx",
                            resp.status
                        ),
                    );
                }
            }
            Expected::Outcome {
                outcome,
                status,
                example,
                property,
                ..
            } => {
                self.exercise(*property);
                if resp.status != *status {
                    // A refusal where the model accepts, after a token the
                    // reference holds dead went through a blind revocation:
                    // the target probably kept that token alive.
                    let refused = (200..300).contains(status) && (400..500).contains(&resp.status);
                    let property = match after.taint {
                        Some(t) if refused => t,
                        _ => *property,
                    };
                    violate(
                        property,
                        format!(
                            "expected {status} ({}), got {}",
                            outcome.name(),
                            resp.status
                        ),
                    );
                    return Ok(violations);
                }
                if let Some(name) = example {
                    self.exercise(Property::ErrorBodiesMatch);
                    let wanted = op
                        .response(*status)
                        .and_then(|r| {
                            r.content
                                .iter()
                                .flat_map(|m| &m.examples)
                                .find(|(n, _)| n == name)
                        })
                        .map(|(_, v)| v.clone());
                    if wanted.is_some() && resp.json() != wanted {
                        violate(
                            Property::ErrorBodiesMatch,
                            format!(
                                "the body should be the example `{name}`: {}",
                                wanted.map(|v| v.to_string()).unwrap_or_default()
                            ),
                        );
                    }
                }
                if resp.status == 401 {
                    let documents_challenge = op
                        .response(401)
                        .is_some_and(|r| r.headers.iter().any(|h| h.name == "www-authenticate"));
                    if documents_challenge {
                        self.exercise(Property::UnauthorizedChallenge);
                        if resp.header("www-authenticate").is_none() {
                            violate(
                                Property::UnauthorizedChallenge,
                                "a 401 without WWW-Authenticate".into(),
                            );
                        }
                    }
                }
                match outcome {
                    Outcome::Issued(t) => {
                        let b = op.binding.as_ref().expect("bound");
                        let pairs = [
                            (&b.issue.access_token, &t.access_token),
                            (&b.issue.refresh_token, &t.refresh_token),
                        ];
                        let mut issued = Vec::new();
                        for (expr, sym) in pairs {
                            let Some(expr) = expr else { continue };
                            match read(expr, &resp) {
                                Some(real) if !real.is_empty() => {
                                    issued.push((sym.to_string(), real))
                                }
                                _ => violate(
                                    if action == ActionKind::Login {
                                        Property::LoginIssuesTokens
                                    } else {
                                        Property::RefreshRotates
                                    },
                                    format!("no token at {expr}"),
                                ),
                            }
                        }
                        for (sym, real) in issued {
                            let already = self.real.get(&sym);
                            if already == Some(&real) {
                                continue; // the same refresh token re-sent (no rotation)
                            }
                            if action == ActionKind::Refresh
                                && plan.policy.rotate_on_refresh()
                                && presented.as_deref() == Some(real.as_str())
                            {
                                violate(
                                    Property::RefreshRotates,
                                    "the refresh answered with the same refresh token".into(),
                                );
                            } else {
                                self.exercise(Property::TokensUnique);
                                if !self.seen.insert(real.clone()) {
                                    violate(
                                        Property::TokensUnique,
                                        format!("token {real} was issued before"),
                                    );
                                }
                            }
                            self.real.insert(sym, real);
                        }
                    }
                    Outcome::Authorized { username } => {
                        if let Some(expr) = &op.binding.as_ref().and_then(|b| b.subject.clone()) {
                            let got = read(expr, &resp);
                            if got.as_deref() != Some(username.as_str()) {
                                violate(
                                    Property::ModelAgreement,
                                    format!("expected user `{username}` at {expr}, got {got:?}"),
                                );
                            }
                        }
                    }
                    Outcome::Done | Outcome::Rejected(_) => {}
                }
            }
        }
        Ok(violations)
    }
}

fn read(expr: &Expr, resp: &HttpResponse) -> Option<String> {
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

fn describe(step: &Step, op: String) -> String {
    match step {
        Step::Login {
            user,
            wrong_password,
            ..
        } => {
            format!(
                "{op}: log in as account #{user}{}",
                if *wrong_password {
                    " with a wrong password"
                } else {
                    ""
                }
            )
        }
        Step::Call { token, .. } => {
            let t = match token {
                Tok::Known(s) => format!("token {s}"),
                Tok::Garbage(g) => format!("garbage token `{g}`"),
                Tok::Empty => "an empty token".into(),
                Tok::Missing => "no token".into(),
            };
            format!("{op} with {t}")
        }
        Step::Wait { seconds } => format!("wait {seconds} s"),
    }
}
