//! The stateless check: per operation, requests generated from the spec's
//! schemas (valid ones, and invalid ones that must be refused), each answer
//! checked against what the operation documents.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use std::sync::Arc;

use openapi::media::simple_text;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::Value;

use openapi::spec::{Location, MediaType, Operation};
use openapi::wire::{self, Builder, Encoding};
use openapi::Spec;

use crate::check::response_problems;
use crate::driver::Exchange;
use crate::error::RunError;
use crate::plan::Plan;
use crate::property::Property;
use crate::report::{CheckResult, Group};
use crate::stateful::rng;
use crate::strategy::Gen;
use crate::target::{HttpRequest, HttpResponse};

/// A generated request: parameter values (by index in the operation) and
/// an optional body (its documented media type and value).
#[derive(Debug, Clone)]
struct Case {
    params: Vec<(usize, Value)>,
    body: Option<(String, Value)>,
}

/// The media type the suite sends a body of `op` as.
fn body_media(op: &Operation) -> Option<&MediaType> {
    wire::preferred_media(&op.request_body.as_ref()?.content)
}

/// `values` kept to those that are still `valid` (or still invalid) once a
/// server has read them back: form and multipart bodies travel as text, so
/// a number can arrive as a string; JSON bodies arrive as they are.
fn as_read_back(
    spec: &Arc<Spec>,
    media: &MediaType,
    values: BoxedStrategy<Value>,
    valid: bool,
) -> BoxedStrategy<Value> {
    let validator = media
        .schema
        .as_ref()
        .and_then(|s| spec.schemas().validator(&s.pointer).ok());
    let Some(validator) = validator.filter(|_| Encoding::of(&media.name) != Some(Encoding::Json))
    else {
        return values;
    };
    let (spec, media) = (spec.clone(), media.clone());
    values
        .prop_filter(
            "keeps its validity once read back",
            move |v| match wire::read_back_body(spec.document(), &media, v) {
                Ok(Some(back)) => validator.is_valid(&back) == valid,
                _ => false,
            },
        )
        .boxed()
}

/// The strategy of valid requests of `op`; `None` when the operation's
/// body cannot be generated (a media type we do not send).
fn valid_cases(spec: &Arc<Spec>, gen: &Gen<'_>, op: &Operation) -> Option<BoxedStrategy<Case>> {
    let mut params: Vec<BoxedStrategy<Option<(usize, Value)>>> = Vec::new();
    for (i, p) in op.parameters.iter().enumerate() {
        let values: BoxedStrategy<Value> = match (&p.schema, p.location) {
            (Some(s), Location::Header) => {
                gen.header_value(&s.value).prop_map(Value::String).boxed()
            }
            (Some(s), Location::Path) => gen
                .valid(&s.value)
                .prop_filter("non-empty", |v| !simple_text(v).is_empty())
                .boxed(),
            (Some(s), _) => gen.valid(&s.value),
            (None, _) => "[a-z]{1,8}".prop_map(Value::String).boxed(),
        };
        let with_index = values.prop_map(move |v| Some((i, v)));
        params.push(if p.required {
            with_index.boxed()
        } else {
            prop::option::of(with_index)
                .prop_map(Option::flatten)
                .boxed()
        });
    }
    let body: BoxedStrategy<Option<(String, Value)>> = match &op.request_body {
        None => Just(None).boxed(),
        Some(rb) => match body_media(op) {
            Some(m) => {
                let name = m.name.clone();
                let values = match &m.schema {
                    Some(s) => as_read_back(spec, m, gen.valid(&s.value), true),
                    None => Just(Value::Object(Default::default())).boxed(),
                };
                let with = values.prop_map(move |v| Some((name.clone(), v)));
                if rb.required {
                    with.boxed()
                } else {
                    prop_oneof![4 => with, 1 => Just(None)].boxed()
                }
            }
            None if rb.required => return None,
            None => Just(None).boxed(),
        },
    };
    Some(
        (params, body)
            .prop_map(|(p, body)| Case {
                params: p.into_iter().flatten().collect(),
                body,
            })
            .boxed(),
    )
}

/// Values that break one scalar parameter of `op` (path, query or header),
/// even once sent as text; `None` when no parameter can be broken.
fn invalid_params(
    spec: &Spec,
    gen: &Gen<'_>,
    op: &Operation,
) -> Option<BoxedStrategy<(usize, Value)>> {
    let mut options: Vec<BoxedStrategy<(usize, Value)>> = Vec::new();
    for (i, p) in op.parameters.iter().enumerate() {
        let Some(schema) = &p.schema else { continue };
        if p.json_content || matches!(p.location, Location::Cookie) {
            continue;
        }
        let ty = schema
            .value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("");
        // Only constraints that a text value can break.
        let breakable = matches!(ty, "integer" | "number" | "boolean")
            || ["enum", "const", "pattern", "maxLength"]
                .iter()
                .any(|k| schema.value.get(k).is_some())
            || schema
                .value
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| {
                    [
                        "date",
                        "date-time",
                        "time",
                        "email",
                        "uuid",
                        "uri",
                        "ipv4",
                        "ipv6",
                        "hostname",
                    ]
                    .contains(&f)
                })
            || schema
                .value
                .get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|n| n > 1);
        if !breakable {
            continue;
        }
        let Some(bad) = gen.invalid(&schema.value) else {
            continue;
        };
        let Ok(validator) = spec.schemas().validator(&schema.pointer) else {
            continue;
        };
        let (doc, p) = (spec.document().clone(), p.clone());
        let header = p.location == Location::Header;
        let strategy = bad
            .prop_map(|v| Value::String(simple_text(&v)))
            .prop_filter("stays invalid as text", move |v| {
                let text = simple_text(v);
                let sendable = !header
                    || (!text.is_empty() && text.bytes().all(|b| (0x21..0x7f).contains(&b)));
                let back = wire::read_back(&doc, &p, v).and_then(Result::ok);
                sendable && !text.is_empty() && back.is_some_and(|b| !validator.is_valid(&b))
            })
            .prop_map(move |v| (i, v));
        options.push(strategy.boxed());
    }
    if options.is_empty() {
        None
    } else {
        Some(proptest::strategy::Union::new(options).boxed())
    }
}

fn request(op: &Operation, case: &Case) -> HttpRequest {
    let mut b = Builder::new(op);
    for (i, value) in &case.params {
        b.param(&op.parameters[*i], value);
    }
    if let Some((media, body)) = &case.body {
        b.body(media, body);
    }
    b.finish().0
}

/// Counters shared by the worker threads.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests sent.
    pub requests: AtomicU64,
}

/// Check every operation of the plan's spec with `cases` valid and `cases`
/// invalid requests each, on `concurrency` threads.
pub fn run(
    plan: &Plan,
    cases: u32,
    seed: u64,
    concurrency: usize,
    counters: &Counters,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<CheckResult>, RunError> {
    let spec: &Spec = &plan.spec;
    let ops: Vec<usize> = (0..spec.operations().len())
        .filter(|i| plan.selected(*i))
        .collect();
    let next = AtomicU64::new(0);
    let results: Mutex<Vec<(usize, Vec<CheckResult>)>> = Mutex::new(Vec::new());
    let error: Mutex<Option<RunError>> = Mutex::new(None);
    // One generator for the run: it holds a translated copy of the document
    // and its compiled validators, shared by every operation and thread.
    let gen = Gen::new(spec.document(), spec.version()).for_requests(true);
    std::thread::scope(|s| {
        for _ in 0..concurrency.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst) as usize;
                let stopped = plan.target.budget().stopped().is_some();
                if i >= ops.len() || stopped || error.lock().map(|e| e.is_some()).unwrap_or(true) {
                    break;
                }
                match check_operation(plan, &gen, ops[i], cases, seed, counters) {
                    Ok(r) => results
                        .lock()
                        .expect("no panics hold this lock")
                        .push((ops[i], r)),
                    Err(e) => {
                        *error.lock().expect("no panics hold this lock") = Some(e);
                        break;
                    }
                }
                progress();
            });
        }
    });
    let mut results = results.into_inner().expect("threads joined");
    if let Some(e) = error.into_inner().expect("threads joined") {
        return Err(e);
    }
    // The run is over (budget, duration, a failing target): what was
    // checked stands, the rest is reported as not reached.
    if let Some(stop) = plan.target.budget().stopped() {
        for (i, op) in spec.operations().iter().enumerate() {
            if plan.selected(i) && !results.iter().any(|(j, _)| *j == i) {
                let name = format!("{}: responses match the spec", op.name());
                let reason = format!("not reached: {stop}");
                let skipped = CheckResult::not_exercised(Group::Stateless, name, reason);
                results.push((i, vec![skipped]));
            }
        }
    }
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().flat_map(|(_, r)| r).collect())
}

fn check_operation(
    plan: &Plan,
    gen: &Gen<'_>,
    index: usize,
    cases: u32,
    seed: u64,
    counters: &Counters,
) -> Result<Vec<CheckResult>, RunError> {
    let spec = &plan.spec;
    let op = &spec.operations()[index];
    let name = op.name();
    let mut out = Vec::new();
    let Some(strategy) = valid_cases(spec, gen, op) else {
        out.push(CheckResult::not_exercised(
            Group::Stateless,
            format!("{name}: responses match the spec"),
            "its request body has no media type the suite can send",
        ));
        return Ok(out);
    };
    let probe = Probe {
        plan,
        op,
        cases,
        seed,
        index,
        counters,
    };
    let judges = |p| plan.selection.judges(p);
    // Valid requests: every answer documented, no 5xx.
    if judges(Property::ResponsesDocumented) {
        out.push(probe.run(
            &strategy,
            1,
            format!("{name}: responses match the spec"),
            "a documented answer",
            |resp| {
                let problems = response_problems(spec, op, resp);
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(problems.join("; "))
                }
            },
        )?);
    }
    let refused = |what: &'static str| {
        move |resp: &HttpResponse| {
            if (400..500).contains(&resp.status) {
                Ok(())
            } else {
                Err(format!(
                    "an invalid {what} got {} instead of a 4xx",
                    resp.status
                ))
            }
        }
    };
    // Invalid bodies: refused with a 4xx.
    let invalid = body_media(op).and_then(|m| {
        let bad = gen.invalid(&m.schema.as_ref()?.value)?;
        Some((as_read_back(spec, m, bad, false), m.name.clone()))
    });
    if let Some((bad_bodies, media)) = invalid.filter(|_| judges(Property::InvalidRequestsRejected))
    {
        let cases_strategy = (strategy.clone(), bad_bodies)
            .prop_map(move |(mut c, b)| {
                c.body = Some((media.clone(), b));
                c
            })
            .boxed();
        out.push(probe.run(
            &cases_strategy,
            2,
            format!("{name}: invalid bodies rejected"),
            "a 4xx",
            refused("body"),
        )?);
    }
    // Invalid parameters: one parameter at a time gets a value its schema
    // forbids (and that stays forbidden once sent as text).
    let bad_params = invalid_params(spec, gen, op);
    if let Some(bad_params) = bad_params.filter(|_| judges(Property::InvalidRequestsRejected)) {
        let cases_strategy = (strategy, bad_params)
            .prop_map(|(mut c, (index, value))| {
                c.params.retain(|(i, _)| *i != index);
                c.params.push((index, value));
                c
            })
            .boxed();
        out.push(probe.run(
            &cases_strategy,
            3,
            format!("{name}: invalid parameters rejected"),
            "a 4xx",
            refused("parameter"),
        )?);
    }
    Ok(out)
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        max_global_rejects: 100_000,
        ..Config::default()
    }
}

/// One property-based probe of one operation.
struct Probe<'a> {
    plan: &'a Plan,
    op: &'a Operation,
    cases: u32,
    seed: u64,
    index: usize,
    counters: &'a Counters,
}

impl Probe<'_> {
    /// Send `cases` requests from `strategy`; `judge` says what is wrong
    /// with an answer. A failure is shrunk to one minimal request.
    fn run(
        &self,
        strategy: &BoxedStrategy<Case>,
        stream: u64,
        name: String,
        expected: &str,
        judge: impl Fn(&HttpResponse) -> Result<(), String>,
    ) -> Result<CheckResult, RunError> {
        let error: Mutex<Option<RunError>> = Mutex::new(None);
        let judged = AtomicU64::new(0);
        let rng = rng(self.seed, stream * 1000 + self.index as u64);
        let mut runner = TestRunner::new_with_rng(config(self.cases), rng);
        let operation = self.op.name();
        // Case `j` (in proptest's order for the seed) is unit `j` of this
        // probe's list; once one of this shard's cases failed, every later
        // call is its shrinking, and is sent.
        let list = format!("stateless {name}");
        let (generated, taken) = (AtomicU64::new(0), AtomicU64::new(0));
        let shrinking = std::sync::atomic::AtomicBool::new(false);
        let result = runner.run(strategy, |case| {
            if error.lock().expect("no panics hold this lock").is_some() {
                return Ok(());
            }
            if !shrinking.load(Ordering::Relaxed) {
                let j = generated.fetch_add(1, Ordering::Relaxed);
                if !self.plan.takes(&list, j) {
                    return Ok(());
                }
                taken.fetch_add(1, Ordering::Relaxed);
            }
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            match self
                .plan
                .target
                .send_op(&operation, &request(self.op, &case))
            {
                Ok(resp) => {
                    judged.fetch_add(1, Ordering::Relaxed);
                    let verdict = judge(&resp);
                    if verdict.is_err() {
                        shrinking.store(true, Ordering::Relaxed);
                    }
                    verdict.map_err(TestCaseError::fail)
                }
                // No answer: a transport finding of the target's; go on.
                Err(RunError::NoAnswer { .. }) => Ok(()),
                Err(e) => {
                    *error.lock().expect("no panics hold this lock") = Some(e);
                    Ok(())
                }
            }
        });
        let judged = judged.into_inner();
        match error.into_inner().expect("no panics hold this lock") {
            // The run is over: what was checked stands.
            Some(RunError::Stopped(stop)) if judged == 0 && result.is_ok() => {
                let reason = format!("not reached: {stop}");
                return Ok(CheckResult::not_exercised(Group::Stateless, name, reason));
            }
            Some(RunError::Stopped(_)) => {}
            Some(e) => return Err(e),
            None => {}
        }
        Ok(match result {
            Ok(()) if taken.load(Ordering::Relaxed) == 0 => CheckResult::not_exercised(
                Group::Stateless,
                name,
                format!("none of its cases is in shard {}", self.plan.shard),
            ),
            Ok(()) if judged == 0 => CheckResult::not_exercised(
                Group::Stateless,
                name,
                "no request got an answer (see the transport checks)",
            ),
            Ok(()) => CheckResult::passed(Group::Stateless, name, judged),
            Err(TestError::Fail(reason, case)) => {
                let req = request(self.op, &case);
                let (status, body) = match self.plan.target.send_op(&operation, &req) {
                    Ok(r) => (r.status, r.body_text(400)),
                    Err(e) => (0, e.to_string()),
                };
                let step = Exchange {
                    step: "the minimal failing request".into(),
                    curl: self.plan.target.curl(&req),
                    expected: expected.to_owned(),
                    status,
                    body,
                };
                CheckResult::failed(
                    Group::Stateless,
                    name,
                    judged,
                    reason.to_string(),
                    vec![step],
                )
            }
            Err(TestError::Abort(reason)) => CheckResult::not_exercised(
                Group::Stateless,
                name,
                format!("no request could be generated: {reason}"),
            ),
        })
    }
}
