//! Fixed checks outside sequences: races of concurrent refreshes, and
//! expiry by real waiting.
//!
//! A race round logs in (a session of its own), sends `burst` copies of
//! one refresh at once and compares what the winners got:
//!
//! - any 5xx is `no server error under concurrency`;
//! - with single-use refresh tokens, two or more winners holding
//!   different refresh tokens that still refresh afterwards are a fork
//!   (`concurrent refreshes do not fork the session`);
//! - otherwise more than one winner is `concurrent refreshes: one wins`,
//!   unless they all got the same answer and the spec declares
//!   `concurrentRefresh: same-answer`; with reusable refresh tokens every
//!   copy must win.

use std::sync::{Arc, Barrier};

use openapi::binding::{ActionKind, ConcurrentRefresh};
use openapi::model::Outcome as ModelOutcome;

use crate::directed::{expiry_of, login_step};
use crate::driver::{read, Driver, Exchange};
use crate::error::RunError;
use crate::machine::{Expected, RefState};
use crate::plan::{build, Bound, Fill, Plan};
use crate::property::Property;
use crate::stateful::{run_case, Failure, Outcome};
use crate::target::HttpResponse;

fn first_op(plan: &Plan, action: ActionKind) -> Option<Bound> {
    plan.first(action)
}

/// Whether a plan can race refreshes at all.
pub fn can_race(plan: &Plan) -> bool {
    plan.has(ActionKind::Login) && plan.has(ActionKind::Refresh) && !plan.accounts.is_empty()
}

/// The tokens a winner of a race got: `(access, refresh)`.
type Won = (Option<String>, Option<String>);

/// What one round found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Race {
    /// Nothing wrong.
    Held,
    /// Winners holding different live refresh tokens.
    Fork {
        /// How many different refresh tokens still refreshed.
        live: usize,
        /// How many won.
        winners: usize,
    },
    /// Not the number of winners the policy allows.
    Winners {
        /// How many won.
        winners: usize,
        /// Whether they all got the same tokens.
        identical: bool,
    },
}

/// Judge the winners of a round of `n` refreshes; `live` says how many of
/// the different refresh tokens they got still refresh (it is asked only
/// when there are several).
pub fn judge(
    plan: &Plan,
    n: usize,
    winners: &[Won],
    live: &mut dyn FnMut(&[String]) -> Result<usize, RunError>,
) -> Result<Race, RunError> {
    let policy = &plan.policy;
    if !policy.refresh_single_use {
        return Ok(if winners.len() == n {
            Race::Held
        } else {
            Race::Winners {
                winners: winners.len(),
                identical: false,
            }
        });
    }
    let mut refresh: Vec<String> = winners.iter().filter_map(|w| w.1.clone()).collect();
    refresh.sort();
    refresh.dedup();
    let identical = winners.windows(2).all(|w| w[0] == w[1]);
    if winners.len() == 1 {
        return Ok(Race::Held);
    }
    if refresh.len() >= 2 {
        let still = live(&refresh)?;
        if still >= 2 {
            return Ok(Race::Fork {
                live: still,
                winners: winners.len(),
            });
        }
    }
    let allowed = identical
        && !winners.is_empty()
        && policy.concurrent_refresh == ConcurrentRefresh::SameAnswer;
    Ok(if allowed {
        Race::Held
    } else {
        Race::Winners {
            winners: winners.len(),
            identical: identical && !winners.is_empty(),
        }
    })
}

/// One race round: `burst` concurrent refreshes with one fresh refresh
/// token, judged, recorded in `out` (a failure of a property that failed
/// already is not recorded again).
pub fn race_round(plan: &Arc<Plan>, burst: usize, out: &mut Outcome) -> Result<(), RunError> {
    let (Some((_, login)), Some(refresh)) =
        (login_step(plan, 0), first_op(plan, ActionKind::Refresh))
    else {
        return Ok(());
    };
    if plan.accounts.is_empty() {
        return Ok(());
    }
    // Log in through the reference, so the token lands where bound.
    let mut driver = Driver::new(plan.clone())?;
    // The round judges the burst; introspection is the sequences' oracle.
    driver.introspects = false;
    let state = RefState::new(plan.clone()).step(&login);
    let violations = driver.step(&state, &login)?;
    let Expected::Outcome {
        outcome: ModelOutcome::Issued(t),
        ..
    } = &state.expected
    else {
        return Ok(());
    };
    let Some(real) = driver
        .real_token(&t.refresh_token)
        .filter(|_| violations.is_empty())
    else {
        return Ok(());
    };
    let op = plan.op_of(refresh);
    let b = plan.binding(refresh);
    let request = build(&plan.spec, op, &plan.presenting(refresh, Fill::Value(real))).request;
    let operation = plan.name_of(refresh);
    let operation = operation.as_str();
    let barrier = Arc::new(Barrier::new(burst));
    let answers: Vec<Result<HttpResponse, RunError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..burst)
            .map(|_| {
                let (barrier, request) = (barrier.clone(), request.clone());
                s.spawn(move || {
                    barrier.wait();
                    plan.target.send_op(operation, &request)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(RunError::Client("a race thread panicked".into())))
            })
            .collect()
    });
    // A request without an answer is a transport finding; the round,
    // missing answers, is not judged.
    let mut unanswered = 0;
    let mut complete = Vec::with_capacity(burst);
    for a in answers {
        match a {
            Ok(a) => complete.push(a),
            Err(RunError::NoAnswer { .. }) => unanswered += 1,
            Err(e) => return Err(e),
        }
    }
    if unanswered > 0 {
        tracing::warn!(
            "{unanswered} of {burst} concurrent refreshes got no answer: round not judged"
        );
        return Ok(());
    }
    let answers = complete;
    let at = plan.target.budget().sent();
    let mut log = driver.log;
    log.push(Exchange {
        step: format!("{burst} concurrent copies of this refresh"),
        curl: plan.target.curl(&request),
        expected: if plan.policy.refresh_single_use {
            "exactly one 2xx".into()
        } else {
            format!("{burst} x 2xx")
        },
        status: answers
            .iter()
            .map(|a| a.status)
            .find(|s| !(200..300).contains(s))
            .unwrap_or(200),
        body: format!("(answers: {})", tally(&answers)),
    });

    let server_errors = answers.iter().filter(|a| a.status >= 500).count();
    out.exercise(Property::RaceNoServerError, 1, at);
    if server_errors > 0 {
        out.fail(Failure {
            property: Property::RaceNoServerError,
            message: format!("{server_errors} of {burst} concurrent refreshes answered a 5xx"),
            steps: log.clone(),
            detected_at: at,
        });
    }
    let issue = &b.issue;
    let winners: Vec<Won> = answers
        .iter()
        .filter(|a| (200..300).contains(&a.status))
        .map(|a| {
            let at_place = |e: &Option<openapi::expr::Expr>| e.as_ref().and_then(|e| read(e, a));
            (
                at_place(&issue.access_token),
                at_place(&issue.refresh_token),
            )
        })
        .collect();
    let mut live = |tokens: &[String]| -> Result<usize, RunError> {
        let mut still = 0;
        for token in tokens.iter().take(3) {
            let fills = plan.presenting(refresh, Fill::Value(token.clone()));
            let req = build(&plan.spec, op, &fills).request;
            let resp = plan.target.send_op(operation, &req)?;
            log.push(Exchange {
                step: format!("{operation} with one winner's refresh token"),
                curl: plan.target.curl(&req),
                expected: "at most one winner's refresh token still refreshes".into(),
                status: resp.status,
                body: resp.body_text(400),
            });
            still += usize::from((200..300).contains(&resp.status));
        }
        Ok(still)
    };
    let race = judge(plan, burst, &winners, &mut live)?;
    out.exercise(Property::RaceOneWins, 1, at);
    if plan.policy.refresh_single_use {
        out.exercise(Property::RaceNoFork, 1, at);
    }
    let (property, message) = match race {
        Race::Held => return Ok(()),
        Race::Fork { live, winners } => (
            Property::RaceNoFork,
            format!(
                "{winners} of {burst} concurrent refreshes succeeded with different refresh tokens, and {live} of those still refresh: the session forked"
            ),
        ),
        Race::Winners { winners, identical } => (
            Property::RaceOneWins,
            match (plan.policy.refresh_single_use, identical) {
                (false, _) => format!(
                    "{winners} of {burst} concurrent refreshes succeeded; refresh tokens are not single use, so all should"
                ),
                (true, true) => format!(
                    "{winners} of {burst} concurrent refreshes succeeded, all with the same new tokens: the spec can declare this with `concurrentRefresh: same-answer`"
                ),
                (true, false) => format!(
                    "{winners} of {burst} concurrent refreshes succeeded (exactly one should)"
                ),
            },
        ),
    };
    out.fail(Failure {
        property,
        message,
        steps: log,
        detected_at: at,
    });
    Ok(())
}

/// The statuses of a burst, counted: `200 x3, 401 x47`.
fn tally(answers: &[HttpResponse]) -> String {
    let mut counts: Vec<(u16, usize)> = Vec::new();
    for a in answers {
        match counts.iter_mut().find(|(s, _)| *s == a.status) {
            Some((_, n)) => *n += 1,
            None => counts.push((a.status, 1)),
        }
    }
    counts.sort();
    counts
        .iter()
        .map(|(s, n)| format!("{s} x{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a real target's expiry cannot be checked, if it cannot: its clock
/// cannot be moved and neither lifetime is at most `wait_max` seconds.
pub fn expiry_unreachable(plan: &Plan, wait_max: u64) -> Option<String> {
    let p = &plan.policy;
    (!plan.clock && p.access_token_ttl.min(p.refresh_token_ttl) > wait_max).then(|| {
        format!(
            "the target's clock cannot be moved and the token lifetimes ({} s, {} s) are longer than --expiry-wait {wait_max} s: pass --expiry-wait {} to wait for the access token",
            p.access_token_ttl,
            p.refresh_token_ttl,
            p.access_token_ttl + 1
        )
    })
}

/// Tokens stop working when their lifetimes are over, waiting for real
/// (a target whose clock cannot be moved), for each lifetime of at most
/// `wait_max` seconds. Recorded under [`Property::TokensExpire`].
pub fn expiry_by_waiting(
    plan: &Arc<Plan>,
    wait_max: u64,
    out: &mut Outcome,
) -> Result<(), RunError> {
    let p = &plan.policy;
    if plan.clock || expiry_unreachable(plan, wait_max).is_some() {
        return Ok(());
    }
    let steps = expiry_of(
        plan,
        false,
        p.access_token_ttl <= wait_max,
        p.refresh_token_ttl <= wait_max,
    );
    let Some(steps) = steps else { return Ok(()) };
    let init = RefState::new(plan.clone());
    let (v, log) = run_case(plan, init, &steps, &Default::default(), out, None)?;
    if let Some(v) = v {
        out.fail(Failure {
            property: Property::TokensExpire,
            message: v.message,
            steps: log,
            detected_at: plan.target.budget().sent(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    fn plan(policy: &[(&str, serde_json::Value)]) -> Plan {
        let mut doc = openapi::reference::reference_json();
        for (k, v) in policy {
            doc["x-token-lifecycle"]["policy"][*k] = v.clone();
        }
        let spec = Arc::new(openapi::Spec::from_value(doc).unwrap());
        let transport = crate::target::Transport::default();
        let limits = crate::budget::Limits::default();
        let target = Target::new(
            "http://127.0.0.1:9",
            Vec::new(),
            &transport,
            limits,
            Vec::new(),
        )
        .unwrap();
        let accounts = vec![("demo".into(), "demo".into())];
        Plan::new(
            spec,
            target,
            (accounts, Vec::new()),
            false,
            Default::default(),
        )
    }

    fn won(a: &str, r: &str) -> Won {
        (Some(a.into()), Some(r.into()))
    }

    /// Judge `winners` of 10, the liveness probe answering `live` (and
    /// recording whether it was asked).
    fn judged(plan: &Plan, winners: &[Won], live: usize) -> (Race, bool) {
        let mut asked = false;
        let mut probe = |_: &[String]| {
            asked = true;
            Ok(live)
        };
        (judge(plan, 10, winners, &mut probe).unwrap(), asked)
    }

    #[test]
    fn one_winner_holds_and_nobody_is_asked() {
        let p = plan(&[]);
        assert_eq!(judged(&p, &[won("a", "r")], 0), (Race::Held, false));
    }

    #[test]
    fn different_live_refresh_tokens_are_a_fork() {
        let p = plan(&[]);
        let winners = [won("a1", "r1"), won("a2", "r2"), won("a3", "r3")];
        assert_eq!(
            judged(&p, &winners, 2),
            (
                Race::Fork {
                    live: 2,
                    winners: 3
                },
                true
            )
        );
        // Different, but at most one still refreshes: too many winners,
        // no fork.
        assert_eq!(
            judged(&p, &winners, 1).0,
            Race::Winners {
                winners: 3,
                identical: false
            }
        );
    }

    #[test]
    fn identical_answers_to_duplicates_are_a_policy_the_spec_declares() {
        let winners = [won("a", "r"), won("a", "r")];
        let one_wins = plan(&[]);
        assert_eq!(
            judged(&one_wins, &winners, 0),
            (
                Race::Winners {
                    winners: 2,
                    identical: true
                },
                false
            )
        );
        let same = plan(&[("concurrentRefresh", serde_json::json!("same-answer"))]);
        assert_eq!(judged(&same, &winners, 0), (Race::Held, false));
        // The policy allows the same answer, not different ones.
        let forked = [won("a1", "r1"), won("a2", "r2")];
        assert!(matches!(judged(&same, &forked, 2).0, Race::Fork { .. }));
    }

    #[test]
    fn reusable_refresh_tokens_must_all_win() {
        let p = plan(&[
            ("refreshSingleUse", serde_json::json!(false)),
            ("rotateOnRefresh", serde_json::json!(true)),
        ]);
        let all: Vec<Won> = (0..10)
            .map(|i| won(&format!("a{i}"), &format!("r{i}")))
            .collect();
        assert_eq!(judged(&p, &all, 10), (Race::Held, false));
        assert_eq!(
            judged(&p, &all[..4], 4).0,
            Race::Winners {
                winners: 4,
                identical: false
            }
        );
    }

    #[test]
    fn no_winner_is_not_one_winner() {
        let p = plan(&[]);
        assert_eq!(
            judged(&p, &[], 0).0,
            Race::Winners {
                winners: 0,
                identical: false
            }
        );
    }
}
