//! The stateless check: per operation, requests generated from the spec's
//! schemas (valid ones, and invalid ones that must be refused), each answer
//! checked against what the operation documents.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use openapi::media::simple_text as scalar;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::Value;

use openapi::spec::{Location, Operation};
use openapi::Spec;

use crate::check::response_problems;
use crate::driver::Exchange;
use crate::error::RunError;
use crate::plan::Plan;
use crate::report::{CheckResult, Group};
use crate::stateful::rng;
use crate::strategy::Gen;
use crate::target::{encode, HttpRequest, HttpResponse};

/// A generated request: parameter values and an optional JSON body.
#[derive(Debug, Clone)]
struct Case {
    params: Vec<(Location, String, String)>,
    body: Option<(String, Value)>,
}

fn json_media(op: &Operation) -> Option<&openapi::spec::MediaType> {
    op.request_body
        .as_ref()?
        .content
        .iter()
        .find(|m| m.name.contains("json"))
}

/// The strategy of valid requests of `op`; `None` when the operation's
/// body cannot be generated (a media type we do not send).
fn valid_cases(gen: &Gen<'_>, op: &Operation) -> Option<BoxedStrategy<Case>> {
    let mut params: Vec<BoxedStrategy<Option<(Location, String, String)>>> = Vec::new();
    for p in &op.parameters {
        let (loc, name) = (p.location, p.name.clone());
        let values: BoxedStrategy<String> = match (&p.schema, loc) {
            (Some(s), Location::Header) => gen.header_value(&s.value),
            (Some(s), Location::Path) => gen
                .valid(&s.value)
                .prop_map(|v| scalar(&v))
                .prop_filter("non-empty", |s| !s.is_empty())
                .boxed(),
            (Some(s), _) => gen.valid(&s.value).prop_map(|v| scalar(&v)).boxed(),
            (None, _) => "[a-z]{1,8}".boxed(),
        };
        let with_name = values.prop_map(move |v| Some((loc, name.clone(), v)));
        params.push(if p.required {
            with_name.boxed()
        } else {
            prop::option::of(with_name)
                .prop_map(Option::flatten)
                .boxed()
        });
    }
    let body: BoxedStrategy<Option<(String, Value)>> = match &op.request_body {
        None => Just(None).boxed(),
        Some(rb) => match json_media(op) {
            Some(m) => {
                let name = if m.name.contains('*') {
                    "application/json".to_owned()
                } else {
                    m.name.clone()
                };
                let values = match &m.schema {
                    Some(s) => gen.valid(&s.value),
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

/// The text of a parameter as a server reads it back: typed by its schema.
fn read_back(schema: &Value, text: &str) -> Value {
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ => "",
    };
    let parsed = match ty {
        "integer" => text.parse::<i64>().ok().map(Value::from),
        "number" => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        "boolean" => text.parse::<bool>().ok().map(Value::Bool),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_owned()))
}

/// Values that break one scalar parameter of `op` (path, query or header),
/// even once sent as text; `None` when no parameter can be broken.
fn invalid_params(
    spec: &Spec,
    gen: &Gen<'_>,
    op: &Operation,
) -> Option<BoxedStrategy<(Location, String, String)>> {
    let mut options: Vec<BoxedStrategy<(Location, String, String)>> = Vec::new();
    for p in &op.parameters {
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
        let (loc, name, s) = (p.location, p.name.clone(), schema.value.clone());
        let header = loc == Location::Header;
        let strategy = bad
            .prop_map(|v| scalar(&v))
            .prop_filter("stays invalid as text", move |text| {
                let sendable = !header
                    || (!text.is_empty() && text.bytes().all(|b| (0x21..0x7f).contains(&b)));
                sendable && !text.is_empty() && !validator.is_valid(&read_back(&s, text))
            })
            .prop_map(move |text| (loc, name.clone(), text));
        options.push(strategy.boxed());
    }
    if options.is_empty() {
        None
    } else {
        Some(proptest::strategy::Union::new(options).boxed())
    }
}

fn request(op: &Operation, case: &Case) -> HttpRequest {
    let mut path = op.path.clone();
    let mut req = HttpRequest::new(&op.method, "");
    let mut cookies = Vec::new();
    for (loc, name, value) in &case.params {
        match loc {
            Location::Path => path = path.replace(&format!("{{{name}}}"), &encode(value)),
            Location::Query => req.query.push((name.clone(), value.clone())),
            Location::Header => req.headers.push((name.clone(), value.clone())),
            Location::Cookie => cookies.push(format!("{name}={value}")),
        }
    }
    if !cookies.is_empty() {
        req.headers.push(("cookie".into(), cookies.join("; ")));
    }
    req.path = path;
    if let Some((media, body)) = &case.body {
        req.body = Some((media.clone(), body.to_string().into_bytes()));
    }
    req
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
    let ops: Vec<usize> = (0..spec.operations().len()).collect();
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
                if i >= ops.len() || error.lock().map(|e| e.is_some()).unwrap_or(true) {
                    break;
                }
                match check_operation(plan, &gen, ops[i], cases, seed, counters) {
                    Ok(r) => results
                        .lock()
                        .expect("no panics hold this lock")
                        .push((i, r)),
                    Err(e) => {
                        *error.lock().expect("no panics hold this lock") = Some(e);
                        break;
                    }
                }
                progress();
            });
        }
    });
    if let Some(e) = error.into_inner().expect("threads joined") {
        return Err(e);
    }
    let mut results = results.into_inner().expect("threads joined");
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
    let Some(strategy) = valid_cases(gen, op) else {
        out.push(CheckResult::skipped(
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
    // Valid requests: every answer documented, no 5xx.
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
    let invalid = json_media(op).and_then(|m| {
        let s = m.schema.as_ref()?;
        let media = if m.name.contains('*') {
            "application/json".to_owned()
        } else {
            m.name.clone()
        };
        Some((gen.invalid(&s.value)?, media))
    });
    if let Some((bad_bodies, media)) = invalid {
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
    if let Some(bad_params) = invalid_params(spec, gen, op) {
        let cases_strategy = (strategy, bad_params)
            .prop_map(|(mut c, (loc, name, value))| {
                c.params.retain(|(l, n, _)| !(*l == loc && n == &name));
                c.params.push((loc, name, value));
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
        let rng = rng(self.seed, stream * 1000 + self.index as u64);
        let mut runner = TestRunner::new_with_rng(config(self.cases), rng);
        let result = runner.run(strategy, |case| {
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            match self.plan.target.send(&request(self.op, &case)) {
                Ok(resp) => judge(&resp).map_err(TestCaseError::fail),
                Err(e) => {
                    *error.lock().expect("no panics hold this lock") = Some(e);
                    Ok(())
                }
            }
        });
        if let Some(e) = error.into_inner().expect("no panics hold this lock") {
            return Err(e);
        }
        Ok(match result {
            Ok(()) => CheckResult::passed(Group::Stateless, name, u64::from(self.cases)),
            Err(TestError::Fail(reason, case)) => {
                let req = request(self.op, &case);
                let (status, body) = match self.plan.target.send(&req) {
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
                    u64::from(self.cases),
                    reason.to_string(),
                    vec![step],
                )
            }
            Err(TestError::Abort(reason)) => CheckResult::skipped(
                Group::Stateless,
                name,
                format!("no request could be generated: {reason}"),
            ),
        })
    }
}
