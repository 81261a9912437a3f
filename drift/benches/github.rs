//! Diff two real releases of GitHub's OpenAPI description (npm
//! `@octokit/openapi`, ~12 MB of JSON each) and print how long it takes.
//!
//! ```sh
//! scripts/drift/octokit.sh                 # fetches 22.0.0 and 23.0.2 into target/octokit/
//! cargo bench -p drift --bench github      # or: -- OLD.json NEW.json [RUNS]
//! ```
//!
//! The documents are found, in order, as the first two non-flag arguments,
//! as `DRIFT_GITHUB_OLD` / `DRIFT_GITHUB_NEW`, or as
//! `target/octokit/{22.0.0,23.0.2}/api.github.com.json`. When they are not
//! there, the bench says how to fetch them and exits 0. The target is under
//! one second per diff (a change to a shared component counts once per
//! operation it reaches, as the report lists it). It then lints the new document once (under 30 s and
//! 1 GB: `/usr/bin/time -v cargo bench -p drift --bench github -- OLD NEW 1`
//! shows the peak memory).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use drift::{Report, Severity};
use serde_json::Value;

const DEFAULT_OLD: &str = "22.0.0";
const DEFAULT_NEW: &str = "23.0.2";
const DEFAULT_RUNS: usize = 10;

fn default_path(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/octokit")
        .join(version)
        .join("api.github.com.json")
}

fn load(path: &Path) -> (Value, Duration) {
    let start = Instant::now();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (value, start.elapsed())
}

fn main() {
    // `cargo bench` passes `--bench` (and filters); keep plain arguments only.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let old = args
        .first()
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("DRIFT_GITHUB_OLD").map(PathBuf::from))
        .unwrap_or_else(|| default_path(DEFAULT_OLD));
    let new = args
        .get(1)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("DRIFT_GITHUB_NEW").map(PathBuf::from))
        .unwrap_or_else(|| default_path(DEFAULT_NEW));
    let runs = args
        .get(2)
        .and_then(|r| r.parse().ok())
        .or_else(|| std::env::var("DRIFT_GITHUB_RUNS").ok()?.parse().ok())
        .unwrap_or(DEFAULT_RUNS)
        .max(1);
    if !old.is_file() || !new.is_file() {
        println!(
            "github bench skipped: {} or {} is missing.\n\
             Fetch the two @octokit/openapi releases with\n    \
             scripts/drift/octokit.sh\n\
             then run `cargo bench -p drift --bench github` again \
             (or set DRIFT_GITHUB_OLD / DRIFT_GITHUB_NEW).",
            old.display(),
            new.display()
        );
        return;
    }

    let (o, to) = load(&old);
    let (n, tn) = load(&new);
    println!("old: {} (parsed in {to:.2?})", old.display());
    println!("new: {} (parsed in {tn:.2?})", new.display());

    let mut times = Vec::with_capacity(runs);
    let mut report = Report::default();
    for _ in 0..runs {
        let start = Instant::now();
        report = std::hint::black_box(drift::diff(&o, &n));
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let min = times[0];
    let max = times[times.len() - 1];
    println!(
        "\ndiff: median {median:.2?}, min {min:.2?}, max {max:.2?} over {runs} runs \
         (target: under 1 s) {}",
        if median < Duration::from_secs(1) {
            "OK"
        } else {
            "SLOW"
        }
    );
    print_summary(&report);

    // Lint the new document once (memory: run under `/usr/bin/time -v`).
    let start = Instant::now();
    let lint = std::hint::black_box(drift::lint(&n));
    println!(
        "\nlint of the new document: {:.2?} (target: under 30 s), {} findings: {} breaking, {} warning",
        start.elapsed(),
        lint.findings.len(),
        lint.count(Severity::Breaking),
        lint.count(Severity::Warning)
    );
}

/// One change: rule, old and new pointer, message.
type Change<'r> = (&'r str, Option<&'r str>, Option<&'r str>, &'r str);

fn print_summary(report: &Report) {
    println!(
        "\n{} findings: {} breaking, {} warning, {} info",
        report.findings.len(),
        report.count(Severity::Breaking),
        report.count(Severity::Warning),
        report.count(Severity::Info)
    );
    // A change to a shared component is one finding per operation it
    // reaches: how many changes that is, and how many are shared.
    let mut changes: BTreeMap<Change<'_>, usize> = BTreeMap::new();
    for f in &report.findings {
        *changes
            .entry((
                f.rule.as_str(),
                f.old.as_deref(),
                f.new.as_deref(),
                f.message.as_str(),
            ))
            .or_default() += 1;
    }
    let shared = changes.values().filter(|n| **n > 1).count();
    let widest = changes.values().max().copied().unwrap_or(0);
    println!(
        "{} distinct changes, {shared} of them in shared components (up to {widest} operations each)",
        changes.len()
    );
    let mut rules: BTreeMap<(&str, Severity), usize> = BTreeMap::new();
    for f in &report.findings {
        *rules.entry((f.rule.as_str(), f.severity)).or_default() += 1;
    }
    let mut rules: Vec<_> = rules.into_iter().collect();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("\ntop rules:");
    for ((rule, sev), count) in rules.iter().take(15) {
        println!("  {count:>6}  {sev:<8}  {rule}");
    }
    if rules.len() > 15 {
        println!("  ... and {} more rules", rules.len() - 15);
    }
    println!("\nsample of breaking findings:");
    let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Breaking)
    {
        // At most two per rule, so that every breaking rule shows up.
        let seen = shown.entry(f.rule.as_str()).or_default();
        if *seen >= 2 {
            continue;
        }
        *seen += 1;
        println!(
            "  {} [{}] {}\n      at {}",
            f.rule,
            f.operation.as_deref().unwrap_or("-"),
            f.message,
            f.pointer().unwrap_or("-")
        );
    }
}
