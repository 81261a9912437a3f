//! The stateful check: fixed sequences ([`crate::directed`]) and random
//! ones from the reference machine, run against the target, shrunk on
//! failure.
//!
//! A sequence stops at the first violated property and is shrunk to a
//! minimal one. That property is then muted (a sequence that only violates
//! muted properties is abandoned, not failed) and the run goes on, so that
//! every failing property is reported with its own minimal sequence.
//! [`Outcome`] is the evidence of a whole run: what each property's checks
//! found, and when (request ordinals), whichever check made them.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

use openapi::model::TokenKind;

use crate::driver::{Driver, Exchange, Violation};
use crate::error::RunError;
use crate::machine::{install, RefMachine, RefState, Step, Tok};
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
    /// The request of the run that first showed it, before shrinking.
    pub detected_at: u64,
}

/// A token the target issued in a sequence, for the token-quality check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssuedToken {
    /// Its kind, as the model predicted it.
    pub kind: TokenKind,
    /// The user it was issued to.
    pub user: String,
    /// The token.
    pub token: String,
    /// The request of the run that issued it.
    pub at: u64,
}

/// What the checks of a run found, property by property.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Outcome {
    /// Failed properties.
    pub failures: Vec<Failure>,
    /// How often each property was checked.
    pub exercised: BTreeMap<Property, u64>,
    /// The request of the run that first exercised each property.
    pub first_at: BTreeMap<Property, u64>,
    /// Sequences run (shrinking included).
    pub sequences: u64,
    /// Steps sent.
    pub requests: u64,
    /// Every token issued in a sequence, in the order received.
    pub tokens: Vec<IssuedToken>,
    /// Set when a login with good credentials failed: one line, with the
    /// answer.
    pub could_not_log_in: Option<String>,
}

impl Outcome {
    /// Count `n` checks of `p`, the first at request `at`.
    pub fn exercise(&mut self, p: Property, n: u64, at: u64) {
        *self.exercised.entry(p).or_default() += n;
        let first = self.first_at.entry(p).or_insert(at);
        *first = (*first).min(at);
    }

    /// Whether `p` has failed.
    pub fn failed(&self, p: Property) -> bool {
        self.failures.iter().any(|f| f.property == p)
    }

    /// Add what another outcome found (not its failures).
    pub fn absorb(&mut self, other: Outcome) {
        for (p, n) in other.exercised {
            let at = other.first_at.get(&p).copied().unwrap_or(0);
            self.exercise(p, n, at);
        }
        self.sequences += other.sequences;
        self.requests += other.requests;
        self.tokens.extend(other.tokens);
    }

    /// Record a failure (only the first of a property counts).
    pub fn fail(&mut self, failure: Failure) {
        if !self.failed(failure.property) {
            self.failures.push(failure);
        }
    }
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
    let mut driver = match Driver::new(plan.clone()) {
        Err(RunError::NoAnswer { .. }) => return Ok((None, Vec::new())),
        d => d?,
    };
    driver.introspects = !muted.contains(&Property::IntrospectionAgrees);
    let mut state = init;
    out.sequences += 1;
    let mut found = None;
    for step in steps {
        if let Some(seen) = seen {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        // A token that died of a muted (already reported) property may be
        // alive in the target: what follows would only repeat that failure
        // under another name. Abandon the sequence.
        if let Some(sym) = step.known_token() {
            if state.causes.get(sym).is_some_and(|p| muted.contains(p)) {
                break;
            }
        }
        state = state.step(step);
        let violations = match driver.step(&state, step) {
            // No answer (a transport finding): the target's state is
            // unknown, so the sequence is abandoned.
            Err(RunError::NoAnswer { .. }) => break,
            v => v?,
        };
        out.requests += 1;
        if !violations.is_empty() {
            found = violations
                .into_iter()
                .find(|v| !muted.contains(&v.property));
            break;
        }
    }
    for (p, n) in std::mem::take(&mut driver.exercised) {
        let at = driver.first_at.get(&p).copied().unwrap_or(0);
        out.exercise(p, n, at);
    }
    out.tokens.append(&mut driver.issued);
    Ok((found, driver.log))
}

/// Delete steps proptest's shrinker could not: deleting a step renumbers
/// the symbolic tokens minted after it, which proptest sees as a different
/// sequence. Here the references are renamed to follow, so a login that
/// only shifted the numbering can go. Keeps a deletion when the shorter
/// sequence still fails with the same property.
fn minimize(
    plan: &Arc<Plan>,
    init: &RefState,
    mut steps: Vec<Step>,
    muted: &HashSet<Property>,
    out: &mut Outcome,
) -> Result<Vec<Step>, RunError> {
    let Some(target) = run_case(plan, init.clone(), &steps, muted, out, None)?.0 else {
        return Ok(steps);
    };
    let mut i = 0;
    while i < steps.len() {
        if let Some(candidate) = without(init, &steps, i) {
            let failed = run_case(plan, init.clone(), &candidate, muted, out, None)?.0;
            if failed.is_some_and(|v| v.property == target.property) {
                steps = candidate;
                continue;
            }
        }
        i += 1;
    }
    Ok(steps)
}

/// `steps` without step `skip`, with symbolic tokens renamed to what the
/// reference mints for the shorter sequence; `None` when a later step
/// presents a token only the deleted step minted.
fn without(init: &RefState, steps: &[Step], skip: usize) -> Option<Vec<Step>> {
    let minted =
        |state: &RefState| -> Vec<String> { state.known.iter().map(|(s, _)| s.clone()).collect() };
    let mut old = init.clone();
    let mut new = init.clone();
    let mut rename: std::collections::HashMap<String, String> = Default::default();
    let mut out = Vec::with_capacity(steps.len().saturating_sub(1));
    for (i, step) in steps.iter().enumerate() {
        let before_old = minted(&old).len();
        old = old.step(step);
        if i == skip {
            continue;
        }
        let step = match step.known_token() {
            Some(sym) => step.with_token(Tok::Known(rename.get(sym)?.clone())),
            None => step.clone(),
        };
        let before_new = minted(&new).len();
        new = new.step(&step);
        let (old_syms, new_syms) = (minted(&old), minted(&new));
        for (o, n) in old_syms[before_old..].iter().zip(&new_syms[before_new..]) {
            rename.insert(o.clone(), n.clone());
        }
        out.push(step);
    }
    Some(out)
}

/// A violation as first found: the request of the run that showed it, the
/// violation, and the sequence's exchanges.
type Found = (u64, Violation, Vec<Exchange>);

/// The stateful check of a run: directed sequences, then random ones, each
/// failing property shrunk, reported once and muted.
#[derive(Debug)]
pub struct Checker {
    plan: Arc<Plan>,
    /// What was found so far.
    pub out: Outcome,
    muted: HashSet<Property>,
}

impl Checker {
    /// A checker for `plan` (installed for [`RefMachine`] on this thread).
    /// Properties deselected by `--checks` are muted from the start: never
    /// judged.
    pub fn new(plan: Arc<Plan>) -> Checker {
        install(plan.clone());
        let muted = plan.selection.deselected().collect();
        Checker {
            plan,
            out: Outcome::default(),
            muted,
        }
    }

    /// The plan.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// Record `failure` and mute its property.
    pub fn fail(&mut self, failure: Failure) {
        self.muted.insert(failure.property);
        self.out.fail(failure);
    }

    /// Run one fixed sequence from a fresh state: `Ok(None)` when it held,
    /// or the first unmuted violation with the exchanges so far; what it
    /// exercised is in the outcome returned, not yet counted.
    pub fn probe(
        &mut self,
        steps: &[Step],
    ) -> Result<(Option<Violation>, Vec<Exchange>, Outcome), RunError> {
        let init = RefState::new(self.plan.clone());
        let mut scratch = Outcome::default();
        let (found, log) = run_case(&self.plan, init, steps, &self.muted, &mut scratch, None)?;
        Ok((found, log, scratch))
    }

    /// Run one fixed sequence; a violation is shrunk and recorded under
    /// its property, which is returned.
    pub fn script(&mut self, steps: &[Step]) -> Result<Option<Property>, RunError> {
        let (found, log, seen) = self.probe(steps)?;
        self.out.absorb(seen);
        let Some(v) = found else { return Ok(None) };
        let at = self.plan.target.budget().sent();
        let init = RefState::new(self.plan.clone());
        let property = v.property;
        self.record(init, steps.to_vec(), (v, log), at)?;
        Ok(Some(property))
    }

    /// Shrink a failing sequence, replay it and record the failure; when
    /// the run ends meanwhile (budget, duration), the failure stands with
    /// the sequence as first found.
    fn record(
        &mut self,
        init: RefState,
        steps: Vec<Step>,
        found: (Violation, Vec<Exchange>),
        detected_at: u64,
    ) -> Result<(), RunError> {
        let mut scratch = Outcome::default();
        let (plan, muted) = (&self.plan, &self.muted);
        let replayed = minimize(plan, &init, steps, muted, &mut scratch)
            .and_then(|steps| run_case(plan, init, &steps, muted, &mut scratch, None));
        let (v, log) = match replayed {
            Ok((Some(v), log)) => (v, log),
            // Flaky: the minimal sequence passed on replay. Still a
            // failure: report it with the sequence as replayed.
            Ok((None, log)) => (
                Violation {
                    property: found.0.property,
                    message:
                        "failed once, but passed when replayed: the target is nondeterministic"
                            .into(),
                },
                log,
            ),
            Err(RunError::Stopped(_)) => found,
            Err(e) => return Err(e),
        };
        self.fail(Failure {
            property: v.property,
            message: v.message,
            steps: log,
            detected_at,
        });
        Ok(())
    }

    /// Random sequences: rounds of `cases` sequences until a round finds
    /// no new failing property. The run may end meanwhile (budget,
    /// duration, a failing target): what was checked stands, a failure
    /// found is reported as found, and [`RunError::Stopped`] is returned.
    pub fn random(&mut self, options: &Options, progress: &dyn Fn(u64)) -> Result<(), RunError> {
        let plan = self.plan.clone();
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
            let first: RefCell<BTreeMap<Property, Found>> = RefCell::default();
            let out = RefCell::new(std::mem::take(&mut self.out));
            let muted = &self.muted;
            let strategy = RefMachine::sequential_strategy(1..=options.max_steps);
            // Sequence `j` of the round is unit `j` of its list; once one
            // of this shard's failed, every later call is its shrinking.
            let list = format!("stateful round {round}");
            let (generated, shrinking) = (Cell::new(0u64), Cell::new(false));
            let result = runner.run(&strategy, |(init, steps, seen)| {
                if stop.borrow().is_some() {
                    return Ok(());
                }
                if !shrinking.get() {
                    let j = generated.replace(generated.get() + 1);
                    if !plan.takes(&list, j) {
                        return Ok(());
                    }
                }
                let r = run_case(&plan, init, &steps, muted, &mut out.borrow_mut(), seen.as_deref());
                progress(out.borrow().sequences);
                match r {
                    Ok((None, _)) => Ok(()),
                    Ok((Some(v), log)) => {
                        tracing::debug!(property = %v.property, message = %v.message, steps = ?log, "sequence failed");
                        let at = plan.target.budget().sent();
                        let name = v.property.name();
                        first
                            .borrow_mut()
                            .entry(v.property)
                            .or_insert((at, v, log));
                        shrinking.set(true);
                        Err(TestCaseError::fail(name))
                    }
                    Err(e) => {
                        *stop.borrow_mut() = Some(e);
                        Ok(())
                    }
                }
            });
            self.out = out.into_inner();
            let stopped = match stop.into_inner() {
                Some(e @ RunError::Stopped(_)) => Some(e),
                Some(e) => return Err(e),
                None => None,
            };
            match result {
                Ok(()) => {}
                Err(TestError::Fail(reason, (init, steps, _))) => {
                    let Some(property) = Property::named(reason.message()) else {
                        break;
                    };
                    let Some((at, v, log)) = first.into_inner().remove(&property) else {
                        break;
                    };
                    match &stopped {
                        // No budget left to shrink: the failure as found.
                        Some(_) => self.fail(Failure {
                            property,
                            message: v.message,
                            steps: log,
                            detected_at: at,
                        }),
                        None => self.record(init, steps, (v, log), at)?,
                    }
                    if stopped.is_none() {
                        if let Some(stop) = plan.target.budget().stopped() {
                            return Err(RunError::Stopped(stop));
                        }
                        continue;
                    }
                }
                Err(TestError::Abort(reason)) => {
                    tracing::warn!("stateful check stopped early: {reason}");
                }
            }
            return stopped.map_or(Ok(()), Err);
        }
        Ok(())
    }
}

/// The HTTP target as proptest-state-machine's system under test, for an
/// implementation's own tests (after [`crate::install`] on the test's
/// thread). Violations panic with the property name.
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
