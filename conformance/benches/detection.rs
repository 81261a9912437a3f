//! `detection`: how few requests the suite needs. A benchmark, not a test:
//! it prints figures (see docs/performance.md) and fails only when the
//! suite itself errors.
//!
//! ```text
//! cargo bench -p conformance --bench detection
//! cargo bench -p conformance --bench detection -- --cases 5 --seeds 10
//! cargo bench -p conformance --bench detection -- --simplejwt 20
//! ```
//!
//! 1. For every seeded defect of the mock (`tests/it/seeded.rs`) and the two
//!    of the reference implementation (`tests/it/refimpl.rs`: a 500 on
//!    malformed JSON, counter tokens), runs the suite `--seeds` times with
//!    `--cases` and prints the request (counted from the start of the run)
//!    at which the defect's property first failed, and the run's requests.
//! 2. Against the mock (the reference spec, and the reference spec with a
//!    guarded operation) and the correct reference implementation, prints
//!    the request by which every applicable property had been exercised.
//! 3. With `--simplejwt N` (and `python3` on the PATH), starts
//!    djangorestframework-simplejwt (`scripts/simplejwt/run.sh`) and runs N
//!    single race rounds of 20 concurrent refreshes, printing how many
//!    found its fork.
//!
//! Loopback only; every loop is bounded by its counts.

#![allow(missing_docs)]

#[allow(dead_code)]
mod common;

#[allow(dead_code)]
#[path = "../tests/it/support.rs"]
mod support;

#[allow(dead_code)]
#[path = "../tests/it/refimpl.rs"]
mod refimpl;

#[allow(dead_code)]
#[path = "../tests/it/seeded.rs"]
mod seeded;

use std::sync::Arc;

use conformance::{Config, NoProgress, Property, Report, Status};
use serde_json::Value;

use refimpl::{Defects, RefImpl};
use support::{config, oauth2, spec, with_guarded_operation, Served};

struct Args {
    cases: u32,
    seeds: u64,
    simplejwt: u32,
}

fn args() -> Args {
    let f = common::Flags::parse();
    Args {
        cases: f.num("--cases", 5) as u32,
        seeds: f.num("--seeds", 5),
        simplejwt: f.num("--simplejwt", 0) as u32,
    }
}

fn run(c: &Config) -> Report {
    conformance::run(c, &NoProgress).unwrap_or_else(|e| panic!("the suite failed: {e}"))
}

/// `min / median / max` of some request counts; `-` for none.
fn spread(mut v: Vec<u64>) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.sort_unstable();
    format!("{} / {} / {}", v[0], v[v.len() / 2], v[v.len() - 1])
}

/// The request at which `property` first failed, per seed, and the run's
/// requests.
fn detection(target: &str, checked: &Value, property: Property, a: &Args) -> (Vec<u64>, u64, u64) {
    let mut at = Vec::new();
    let mut requests = Vec::new();
    let mut missed = 0;
    for seed in 0..a.seeds {
        let report = run(&config(target, checked.clone(), a.cases, seed));
        requests.push(report.requests);
        match report
            .checks
            .iter()
            .find(|c| c.name == property.name() && c.status == Status::Failed)
        {
            Some(c) => at.extend(c.detected_at),
            None => missed += 1,
        }
    }
    requests.sort_unstable();
    (at, requests[requests.len() / 2], missed)
}

/// The request by which every applicable property had been exercised, per
/// seed; `None` for a seed where one was not exercised at all.
fn coverage(target: &str, checked: &Value, a: &Args) -> Vec<Option<u64>> {
    (0..a.seeds)
        .map(|seed| {
            let report = run(&config(target, checked.clone(), a.cases, seed));
            report
                .checks
                .iter()
                .filter(|c| Property::named(&c.name).is_some())
                .filter(|c| c.status != Status::NotApplicable)
                .map(|c| c.first_at)
                .try_fold(0, |max, at| Some(max.max(at?)))
        })
        .collect()
}

fn main() {
    let a = args();
    println!(
        "detection: --cases {}, seeds 0..{}, requests counted from the start of each run\n",
        a.cases, a.seeds
    );
    println!("| seeded defect | property | first detected at request (min / median / max) | missed | requests of the run (median) |");
    println!("|---|---|---|---|---|");
    for d in seeded::all() {
        let mock = Served::start(spec(d.served));
        let (at, requests, missed) = detection(&mock.uri(), &d.checked, d.property, &a);
        println!(
            "| mock: {} | {} | {} | {missed} | {requests} |",
            d.name,
            d.property,
            spread(at)
        );
    }
    let reference = openapi::reference::reference_json();
    for (name, defects, property) in [
        (
            "a 500 on malformed JSON",
            Defects {
                malformed_500: true,
                ..Defects::default()
            },
            Property::MalformedRequestsRejected,
        ),
        (
            "counter tokens (demo-1, demo-2, ...)",
            Defects {
                counter_tokens: true,
                ..Defects::default()
            },
            Property::TokensUnpredictable,
        ),
    ] {
        let server = RefImpl::start(defects);
        let (at, requests, missed) = detection(&server.uri(), &reference, property, &a);
        println!(
            "| reference implementation: {name} | {property} | {} | {missed} | {requests} |",
            spread(at)
        );
    }

    println!("\n| target | every applicable property exercised by request (min / median / max) | seeds with one never exercised |");
    println!("|---|---|---|");
    let (guarded, _) = with_guarded_operation(reference.clone());
    let correct = RefImpl::start(Defects::default());
    let mock = Served::start(spec(reference.clone()));
    let mock_guarded = Served::start(spec(guarded.clone()));
    let oauth = oauth2();
    let mock_oauth = Served::start(spec(oauth.clone()));
    for (name, uri, checked) in [
        ("mock, reference spec", mock.uri(), &reference),
        (
            "mock, reference spec with a guarded operation",
            mock_guarded.uri(),
            &guarded,
        ),
        (
            "correct reference implementation",
            correct.uri(),
            &reference,
        ),
        ("mock, fixtures/oauth2.yaml", mock_oauth.uri(), &oauth),
    ] {
        let per_seed = coverage(&uri, checked, &a);
        let never = per_seed.iter().filter(|s| s.is_none()).count();
        println!(
            "| {name} | {} | {never} |",
            spread(per_seed.into_iter().flatten().collect())
        );
    }

    if a.simplejwt > 0 {
        simplejwt_races(a.simplejwt);
    }
}

/// Single race rounds against simplejwt: how many find its fork.
fn simplejwt_races(rounds: u32) {
    let Some(django) = support::simplejwt(true, false) else {
        println!("\nsimplejwt: skipped, python3 is not installed");
        return;
    };
    let spec = openapi::Spec::from_path(&support::root().join("fixtures/simplejwt.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut c = Config::new(&django.url);
    c.spec = Some(Arc::new(spec));
    c.users = vec![
        ("demo".into(), "demo".into()),
        ("alice".into(), "alice-secret".into()),
    ];
    c.cases = 1;
    c.concurrency = 4;
    c.race_rounds = 1;
    let mut forks = 0;
    for seed in 0..u64::from(rounds) {
        c.seed = seed;
        let report = run(&c);
        forks += usize::from(
            report
                .checks
                .iter()
                .any(|r| r.name == Property::RaceNoFork.name() && r.status == Status::Failed),
        );
    }
    println!(
        "\nsimplejwt: {forks} of {rounds} single race rounds of {} concurrent refreshes found the fork",
        c.race_burst()
    );
}
