//! The stateful check: random sequences of lifecycle steps from the
//! reference machine, run against the target, shrunk on failure.
//!
//! A run stops at the first violated property and proptest shrinks the
//! sequence to a minimal one. That property is then muted (a sequence that
//! only violates muted properties is abandoned, not failed) and the run
//! goes on, so that every failing property is reported with its own minimal
//! sequence.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

use crate::driver::{Driver, Exchange, Violation};
use crate::error::RunError;
use crate::machine::{install, RefMachine, RefState, Step};
use crate::plan::Plan;
use crate::property::Property;

/// Options of the stateful check.
#[derive(Debug, Clone)]
pub struct Options {
    /// Sequences per round.
    pub cases: u32,
    /// Longest sequence.
    pub max_steps: usize,
    /// The seed.
    pub seed: u64,
}

/// A property that failed, with its minimal sequence.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failure {
    /// The property.
    pub property: Property,
    /// What went wrong at the last step.
    pub message: String,
    /// The minimal sequence, as run.
    pub steps: Vec<Exchange>,
}

/// What the stateful check found.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Outcome {
    /// Failed properties.
    pub failures: Vec<Failure>,
    /// How often each property was checked.
    pub exercised: BTreeMap<Property, u64>,
    /// Sequences run (shrinking included).
    pub sequences: u64,
    /// Requests sent.
    pub requests: u64,
}

/// The seed bytes of round `round` of seed `seed`.
pub fn rng(seed: u64, round: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&round.to_le_bytes());
    bytes[16..24].copy_from_slice(b"tokenlc!");
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// Run one sequence. `Ok(None)`: it passed (or only muted properties broke);
/// `Ok(Some(v))`: the first unmuted violation.
///
/// `seen` counts the steps run, which proptest-state-machine's shrinker
/// relies on: steps never seen are dropped first, for good.
pub fn run_case(
    plan: &Arc<Plan>,
    init: RefState,
    steps: &[Step],
    muted: &HashSet<Property>,
    out: &mut Outcome,
    seen: Option<&AtomicUsize>,
) -> Result<(Option<Violation>, Vec<Exchange>), RunError> {
    let mut driver = Driver::new(plan.clone())?;
    let mut state = init;
    out.sequences += 1;
    let mut found = None;
    for step in steps {
        if let Some(seen) = seen {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        state = state.step(step);
        let violations = driver.step(&state, step)?;
        out.requests += 1;
        if !violations.is_empty() {
            found = violations.into_iter().find(|v| !muted.contains(&v.property));
            break;
        }
    }
    for (p, n) in std::mem::take(&mut driver.exercised) {
        *out.exercised.entry(p).or_default() += n;
    }
    Ok((found, driver.log))
}

/// Run the stateful check.
pub fn run(plan: Arc<Plan>, options: &Options, progress: &dyn Fn(u64)) -> Result<Outcome, RunError> {
    install(plan.clone());
    let out = RefCell::new(Outcome::default());
    let mut muted: HashSet<Property> = HashSet::new();
    for round in 0..Property::ALL.len() as u64 {
        let config = Config {
            cases: options.cases,
            failure_persistence: None,
            max_shrink_iters: 512,
            max_local_rejects: 100_000,
            max_global_rejects: 100_000,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, rng(options.seed, round));
        let stop: RefCell<Option<RunError>> = RefCell::new(None);
        let strategy = RefMachine::sequential_strategy(1..=options.max_steps);
        let result = runner.run(&strategy, |(init, steps, seen)| {
            if stop.borrow().is_some() {
                return Ok(());
            }
            let r = run_case(&plan, init, &steps, &muted, &mut out.borrow_mut(), seen.as_deref());
            progress(out.borrow().sequences);
            match r {
                Ok((None, _)) => Ok(()),
                Ok((Some(v), log)) => {
                    tracing::debug!(property = %v.property, message = %v.message, steps = ?log, "sequence failed");
                    Err(TestCaseError::fail(v.property.name()))
                }
                Err(e) => {
                    *stop.borrow_mut() = Some(e);
                    Ok(())
                }
            }
        });
        if let Some(e) = stop.into_inner() {
            return Err(e);
        }
        match result {
            Ok(()) => break,
            Err(TestError::Fail(reason, (init, steps, _))) => {
                let mut scratch = Outcome::default();
                let (v, log) = run_case(&plan, init, &steps, &muted, &mut scratch, None)?;
                let property = Property::ALL.into_iter().find(|p| p.name() == reason.message());
                let v = match (v, property) {
                    (Some(v), _) => v,
                    // Flaky: the minimal sequence passed on replay. Still a
                    // failure: report it with the sequence as replayed.
                    (None, Some(property)) => Violation {
                        property,
                        message: "failed once, but passed when replayed: the target is nondeterministic".into(),
                    },
                    (None, None) => break,
                };
                muted.insert(v.property);
                out.borrow_mut().failures.push(Failure { property: v.property, message: v.message, steps: log });
            }
            Err(TestError::Abort(reason)) => {
                tracing::warn!("stateful check stopped early: {reason}");
                break;
            }
        }
    }
    Ok(out.into_inner())
}

/// The HTTP target as proptest-state-machine's system under test, for use
/// with its `prop_state_machine!` macro in an implementation's own tests
/// (after [`install`]ing a plan). Violations panic with the property name.
#[derive(Debug)]
pub struct HttpTarget;

impl StateMachineTest for HttpTarget {
    type SystemUnderTest = Driver;
    type Reference = RefMachine;

    fn init_test(ref_state: &RefState) -> Driver {
        Driver::new(ref_state.plan.clone()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn apply(mut driver: Driver, ref_state: &RefState, step: Step) -> Driver {
        match driver.step(ref_state, &step) {
            Ok(v) if v.is_empty() => driver,
            Ok(v) => panic!("{}: {}", v[0].property, v[0].message),
            Err(e) => panic!("{e}"),
        }
    }
}
