//! `suite`: throughput of the conformance suite against the in-process mock,
//! beside Schemathesis on the same spec and target. A benchmark, not a
//! timed test: it prints figures and fails only when the suite itself
//! errors. See docs/performance.md.
//!
//! ```text
//! cargo bench -p conformance --bench suite
//! cargo bench -p conformance --bench suite -- --cases 1000 --sequences 1000 --max-steps 20
//! cargo bench -p conformance --bench suite -- --no-schemathesis
//! ```
//!
//! It serves the reference spec with the mock on 127.0.0.1 (a random port)
//! from a tokio runtime of its own (two worker threads) and, on the calling
//! thread:
//!
//! 1. runs the whole suite (`conformance::run`: stateless, stateful,
//!    concurrency, expiry) with `--cases` generated requests per operation
//!    and stateful sequences, and prints the checked requests, requests/s,
//!    sequences and sequences/s, and the time of each group;
//! 2. runs `--sequences` stateful sequences of up to `--max-steps` steps on
//!    their own (`conformance::run_stateful`) and prints their time;
//! 3. when `python3` is on the PATH, runs `scripts/bench/schemathesis.sh`
//!    (a venv under target/bench, `pip install schemathesis`) against the
//!    same mock with the same spec, counts its requests with the mock's
//!    journal (`seq` is a running count) and prints its requests/s and the
//!    ratio.
//!
//! Loopback only; every loop is bounded by its counts.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use conformance::{Config, Group, NoProgress, Progress, Status};
use mock_server::MockServer;

mod common;

struct Args {
    cases: u32,
    sequences: u32,
    max_steps: usize,
    seed: u64,
    concurrency: usize,
    schemathesis: bool,
    schemathesis_examples: u32,
}

fn args() -> Args {
    let f = common::Flags::parse();
    Args {
        cases: f.num("--cases", 1000) as u32,
        sequences: f.num("--sequences", 1000) as u32,
        max_steps: f.num("--max-steps", 20) as usize,
        seed: f.num("--seed", 0),
        concurrency: f.num("--concurrency", 2) as usize,
        schemathesis: !f.has("--no-schemathesis"),
        schemathesis_examples: f.num("--schemathesis-examples", 100) as u32,
    }
}

/// When each group started and finished, and the mock's running request
/// count at those moments.
struct Timeline<'a> {
    server: &'a MockServer,
    marks: Mutex<Vec<(Group, bool, Instant, u64)>>,
}

impl Timeline<'_> {
    fn span(&self, group: Group) -> Option<(f64, u64)> {
        let marks = self.marks.lock().unwrap();
        let start = marks.iter().find(|m| m.0 == group && !m.1)?;
        let end = marks.iter().find(|m| m.0 == group && m.1)?;
        Some((
            end.2.duration_since(start.2).as_secs_f64(),
            end.3.saturating_sub(start.3),
        ))
    }
}

impl Progress for Timeline<'_> {
    fn start(&self, group: Group, _: u64) {
        let seq = journal_seq(self.server);
        self.marks
            .lock()
            .unwrap()
            .push((group, false, Instant::now(), seq));
    }
    fn tick(&self, _: Group) {}
    fn finish(&self, group: Group) {
        let seq = journal_seq(self.server);
        self.marks
            .lock()
            .unwrap()
            .push((group, true, Instant::now(), seq));
    }
}

/// The mock's running count of API requests (admin requests are not
/// journaled); 0 when the journal was just cleared.
fn journal_seq(server: &MockServer) -> u64 {
    server.journal(1).last().map_or(0, |e| e.seq)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() {
    let args = args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let server = runtime
        .block_on(MockServer::builder().start())
        .expect("the mock starts");
    let uri = server.uri();
    let spec = Arc::new(openapi::reference_spec());
    println!(
        "conformance suite benchmark: mock (reference spec) at {uri}, {} cores, seed {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.seed
    );

    // 1. The whole suite.
    let mut config = Config::new(&uri);
    config.spec = Some(spec.clone());
    config.cases = args.cases;
    config.max_steps = args.max_steps;
    config.seed = args.seed;
    config.concurrency = args.concurrency;
    let timeline = Timeline {
        server: &server,
        marks: Mutex::new(Vec::new()),
    };
    let report = conformance::run(&config, &timeline).expect("the suite runs");
    if !report.passed() {
        eprintln!(
            "warning: the suite found failures in the mock:\n{}",
            report.to_text()
        );
    }
    println!();
    println!(
        "## 1. whole suite: --cases {} --max-steps {} --concurrency {}",
        args.cases, args.max_steps, args.concurrency
    );
    println!("checked requests      {}", report.requests);
    println!("wall time             {:.2} s", report.seconds);
    println!(
        "checked requests/s    {:.0}",
        report.requests as f64 / report.seconds
    );
    println!("stateful sequences    {}", report.sequences);
    println!(
        "sequences/s           {:.0}",
        report.sequences as f64 / report.seconds
    );
    let stateless = timeline.span(Group::Stateless);
    if let Some((secs, n)) = stateless {
        println!(
            "  stateless           {n} requests in {secs:.2} s: {:.0} requests/s",
            n as f64 / secs
        );
    }
    if let Some((secs, _)) = timeline.span(Group::Stateful) {
        let n = report.requests - stateless.map_or(0, |s| s.1);
        println!(
            "  stateful            {} sequences, {n} steps in {secs:.2} s: {:.0} sequences/s, {:.0} steps/s",
            report.sequences,
            report.sequences as f64 / secs,
            n as f64 / secs
        );
    }

    // 2. The stateful check alone.
    let mut config = config.clone();
    config.cases = args.sequences;
    let started = Instant::now();
    let outcome = conformance::run_stateful(&config, &NoProgress).expect("the stateful check runs");
    let secs = started.elapsed().as_secs_f64();
    if outcome.checks.iter().any(|c| c.status == Status::Failed) {
        eprintln!("warning: stateful failures:\n{}", outcome.to_text());
    }
    println!();
    println!(
        "## 2. stateful alone: {} sequences of 1..={} steps",
        args.sequences, args.max_steps
    );
    println!(
        "sequences             {} ({} steps, {:.1} per sequence)",
        outcome.sequences,
        outcome.requests,
        outcome.requests as f64 / outcome.sequences.max(1) as f64
    );
    println!(
        "wall time             {secs:.2} s (target: under 10 s: {})",
        if secs < 10.0 { "met" } else { "MISSED" }
    );
    println!(
        "sequences/s           {:.0}",
        outcome.sequences as f64 / secs
    );
    println!(
        "steps/s               {:.0}",
        outcome.requests as f64 / secs
    );

    // 3. Schemathesis.
    if !args.schemathesis {
        return;
    }
    let python = Command::new("python3").arg("--version").output();
    if !python.is_ok_and(|o| o.status.success()) {
        println!();
        println!("## 3. Schemathesis: skipped (no python3 on the PATH)");
        return;
    }
    let dir = root().join("target").join("bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let spec_file = dir.join("reference.yaml");
    std::fs::write(&spec_file, openapi::reference::reference_yaml()).expect("the spec file");
    // One request of our own so that the journal is not empty: its `seq`
    // is then the count before Schemathesis starts.
    reqwest::blocking::get(format!("{uri}/")).expect("the mock answers");
    let before = journal_seq(&server);
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(root().join("scripts/bench/schemathesis.sh"))
        .arg(&uri)
        .arg(&spec_file)
        .env(
            "SCHEMATHESIS_EXAMPLES",
            args.schemathesis_examples.to_string(),
        )
        .output()
        .expect("bash runs");
    let wall = started.elapsed().as_secs_f64();
    let after = journal_seq(&server);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    };
    println!();
    println!(
        "## 3. Schemathesis {} on the same mock and spec: --checks all --workers 2 --max-examples {} (exit {})",
        field("schemathesis_version").unwrap_or_else(|| "?".into()),
        args.schemathesis_examples,
        field("schemathesis_exit").unwrap_or_else(|| "?".into())
    );
    let Some(run_secs) = field("schemathesis_seconds").and_then(|s| s.parse::<f64>().ok()) else {
        println!("it did not run:");
        println!("{stdout}");
        println!("{}", String::from_utf8_lossy(&out.stderr));
        return;
    };
    let engine = field("schemathesis_engine_seconds").and_then(|s| s.parse::<f64>().ok());
    let requests = after.saturating_sub(before);
    let summary = stdout
        .lines()
        .filter(|l| l.contains("generated") || l.contains(" in ") && l.starts_with('='))
        .collect::<Vec<_>>()
        .join(" | ");
    println!("its summary           {}", summary.trim());
    println!(
        "requests (journal)    {requests} (its ndjson report: {})",
        field("schemathesis_requests").unwrap_or_else(|| "?".into())
    );
    println!(
        "time                  {run_secs:.2} s `schemathesis run` wall time, {} s its engine alone ({wall:.2} s with the venv check)",
        engine.map_or("?".into(), |e| format!("{e:.2}"))
    );
    let st_wall = requests as f64 / run_secs;
    let st_engine = engine.map(|e| requests as f64 / e);
    println!(
        "requests/s            {st_wall:.0} (wall), {} (engine)",
        st_engine.map_or("?".into(), |r| format!("{r:.0}"))
    );
    let ours = report.requests as f64 / report.seconds;
    let best = st_engine.unwrap_or(st_wall).max(st_wall);
    println!(
        "ratio                 {:.1}x (whole suite {ours:.0} requests/s over Schemathesis's {best:.0}; target: 10x: {})",
        ours / best,
        if ours / best >= 10.0 { "met" } else { "MISSED" }
    );
    if let Some((secs, n)) = stateless {
        println!(
            "ratio, stateless only {:.1}x ({:.0} requests/s)",
            n as f64 / secs / best,
            n as f64 / secs
        );
    }
}
