//! Fixed checks: concurrent refreshes, and expiry.

use std::sync::{Arc, Barrier};

use openapi::binding::ActionKind;
use openapi::model::Outcome;

use crate::driver::Exchange;
use crate::error::RunError;
use crate::machine::{Expected, RefState, Step, Tok};
use crate::plan::{build, fills_for, Fill, Plan};
use crate::property::Property;
use crate::stateful::{run_case, Failure};

/// The result of a fixed check.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// It held.
    Passed,
    /// It did not.
    Failed(Failure),
    /// It could not run here, and why.
    Skipped(String),
}

fn first_op(plan: &Plan, action: ActionKind) -> Option<usize> {
    plan.ops
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, op)| *op)
}

/// `n` concurrent refreshes with one refresh token: exactly one may succeed
/// (when refresh tokens are single use), and none may be a 5xx.
pub fn concurrent_refresh(plan: &Arc<Plan>, n: usize) -> Result<Verdict, RunError> {
    let (Some(login), Some(refresh)) = (
        first_op(plan, ActionKind::Login),
        first_op(plan, ActionKind::Refresh),
    ) else {
        return Ok(Verdict::Skipped(
            "the spec binds no login or no refresh operation".into(),
        ));
    };
    if plan.accounts.is_empty() {
        return Ok(Verdict::Skipped(
            "no account to log in with (pass --user)".into(),
        ));
    }
    // Log in through the reference, so the token lands where bound.
    let init = RefState::new(plan.clone());
    let steps = [Step::Login {
        op: login,
        user: 0,
        wrong_password: false,
    }];
    let mut driver = crate::driver::Driver::new(plan.clone())?;
    let state = init.step(&steps[0]);
    let violations = driver.step(&state, &steps[0])?;
    let Expected::Outcome {
        outcome: Outcome::Issued(t),
        ..
    } = &state.expected
    else {
        return Ok(Verdict::Skipped(
            "login is not expected to succeed with the first account".into(),
        ));
    };
    if !violations.is_empty() {
        return Ok(Verdict::Skipped(format!(
            "login failed: {}",
            violations[0].message
        )));
    }
    let Some(real) = driver.real_token(&t.refresh_token) else {
        return Ok(Verdict::Skipped("login issued no refresh token".into()));
    };
    let b = plan.binding(refresh);
    let fills = fills_for(b, |_| Fill::Value(real.clone()));
    let request = build(&plan.spec, plan.op(refresh), &fills).request;
    let operation = plan.op(refresh).name();
    let operation = operation.as_str();
    let barrier = Arc::new(Barrier::new(n));
    let statuses: Vec<Result<u16, RunError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (barrier, request) = (barrier.clone(), request.clone());
                s.spawn(move || {
                    barrier.wait();
                    plan.target.send_op(operation, &request).map(|r| r.status)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Ok(0)))
            .collect()
    });
    let statuses: Vec<u16> = statuses
        .into_iter()
        .map(|r| match r {
            Err(RunError::NoAnswer { .. }) => Ok(0),
            r => r,
        })
        .collect::<Result<_, _>>()?;
    let unanswered = statuses.iter().filter(|s| **s == 0).count();
    if unanswered > 0 {
        return Ok(Verdict::Skipped(format!(
            "{unanswered} of {n} concurrent refreshes got no answer (see the transport checks)"
        )));
    }
    let ok = statuses.iter().filter(|s| (200..300).contains(*s)).count();
    let server_errors = statuses.iter().filter(|s| **s >= 500).count();
    let single_use = plan.policy.refresh_single_use;
    let holds = server_errors == 0 && if single_use { ok == 1 } else { ok == n };
    if holds {
        return Ok(Verdict::Passed);
    }
    let mut log = driver.log;
    log.push(Exchange {
        step: format!("{n} concurrent copies of this refresh"),
        curl: plan.target.curl(&request),
        expected: if single_use {
            "exactly one 2xx".into()
        } else {
            format!("{n} x 2xx")
        },
        status: statuses
            .iter()
            .copied()
            .find(|s| !(200..300).contains(s))
            .unwrap_or(200),
        body: String::new(),
    });
    Ok(Verdict::Failed(Failure {
        property: Property::RefreshSingleUse,
        message: format!(
            "{ok} of {n} concurrent refreshes succeeded ({server_errors} server errors)"
        ),
        steps: log,
    }))
}

/// Access and refresh tokens stop working when their lifetimes are over:
/// by the mock's clock, or by waiting when the lifetimes are at most
/// `wait_max` seconds.
pub fn expiry(plan: &Arc<Plan>, wait_max: u64) -> Result<Verdict, RunError> {
    let p = &plan.policy;
    if !plan.clock && p.refresh_token_ttl.max(p.access_token_ttl) > wait_max {
        return Ok(Verdict::Skipped(format!(
            "token lifetimes ({} s, {} s) are longer than --expiry-wait {wait_max} s and the target's clock cannot be moved",
            p.access_token_ttl, p.refresh_token_ttl
        )));
    }
    let Some(login) = first_op(plan, ActionKind::Login) else {
        return Ok(Verdict::Skipped("the spec binds no login operation".into()));
    };
    if plan.accounts.is_empty() {
        return Ok(Verdict::Skipped(
            "no account to log in with (pass --user)".into(),
        ));
    }
    let mut steps = vec![Step::Login {
        op: login,
        user: 0,
        wrong_password: false,
    }];
    let (a, r) = ("A.2".to_owned(), "R.1".to_owned());
    let protected = first_op(plan, ActionKind::Protected);
    let refresh = first_op(plan, ActionKind::Refresh);
    if let Some(op) = protected {
        // To the second with the mock's clock; real waits only check that
        // the token is dead after its lifetime.
        if plan.clock {
            steps.push(Step::Wait {
                seconds: p.access_token_ttl - 1,
            });
            steps.push(Step::Call {
                op,
                action: ActionKind::Protected,
                token: Tok::Known(a.clone()),
            });
            steps.push(Step::Wait { seconds: 1 });
        } else {
            steps.push(Step::Wait {
                seconds: p.access_token_ttl,
            });
        }
        steps.push(Step::Call {
            op,
            action: ActionKind::Protected,
            token: Tok::Known(a),
        });
    }
    if let Some(op) = refresh {
        let elapsed = if protected.is_some() {
            p.access_token_ttl
        } else {
            0
        };
        steps.push(Step::Wait {
            seconds: p.refresh_token_ttl.saturating_sub(elapsed).max(1),
        });
        steps.push(Step::Call {
            op,
            action: ActionKind::Refresh,
            token: Tok::Known(r),
        });
    }
    if steps.len() == 1 {
        return Ok(Verdict::Skipped(
            "the spec binds no protected and no refresh operation".into(),
        ));
    }
    let mut scratch = crate::stateful::Outcome::default();
    let init = RefState::new(plan.clone());
    let (v, log) = run_case(plan, init, &steps, &Default::default(), &mut scratch, None)?;
    // A step without an answer abandons the sequence (one exchange a step
    // otherwise): nothing was checked.
    if v.is_none() && log.len() < steps.len() {
        return Ok(Verdict::Skipped(
            "a request got no answer (see the transport checks)".into(),
        ));
    }
    Ok(match v {
        None => Verdict::Passed,
        Some(v) => Verdict::Failed(Failure {
            property: Property::TokensExpire,
            message: v.message,
            steps: log,
        }),
    })
}
