//! `conformance`: check an implementation against its spec (`run`), compare
//! two versions of a spec (`diff`), and lint a spec (`lint`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use conformance::{Config, Group, Progress};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Conformance of an API implementation to its OpenAPI spec and its token lifecycle"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a running implementation against the spec.
    Run(RunArgs),
    /// List the changes between two versions of a spec, breaking ones first.
    Diff(DiffArgs),
    /// Flag what makes a spec lie or unusable for a mock.
    Lint(LintArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Base URL of the implementation (http://127.0.0.1:8080).
    #[arg(long)]
    target: String,
    /// The OpenAPI document; the embedded reference spec when absent.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// An account to log in with, NAME:PASSWORD (twice for the cross-user
    /// checks). Default: the spec's declared accounts when the target is
    /// the mock; a real target needs its own.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    users: Vec<(String, String)>,
    /// Generated requests per operation, and sequences per stateful round.
    #[arg(long, default_value_t = 100)]
    cases: u32,
    /// Longest stateful sequence.
    #[arg(long, default_value_t = 20)]
    max_steps: usize,
    /// The seed; a failure report names the seed that replays it.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Parallel requests for the stateless check; concurrent refreshes are
    /// 25 times this.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Longest real wait for the expiry check, seconds (0: never wait).
    #[arg(long, default_value_t = 0)]
    expiry_wait: u64,
    /// Bursts of concurrent refreshes with one refresh token, each in a
    /// session of its own (0: no race check).
    #[arg(long, default_value_t = 5)]
    race_rounds: u32,
    /// Pass the run even when applicable checks were not exercised (by
    /// default that exits 3).
    #[arg(long)]
    allow_unexercised: bool,
    /// A header for every request, K:V (e.g. an API key).
    #[arg(long = "header", value_name = "K:V", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Also write a report: junit=FILE or json=FILE (repeatable).
    #[arg(long = "report", value_name = "KIND=FILE", value_parser = parse_report)]
    reports: Vec<(ReportKind, PathBuf)>,
}

#[derive(Debug, Clone, Copy)]
enum ReportKind {
    Junit,
    Json,
}

#[derive(Debug, clap::Args)]
struct DiffArgs {
    /// The old spec: a file, or git:REV:path.
    old: String,
    /// The new spec: a file, or git:REV:path.
    new: String,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
struct LintArgs {
    /// The spec: a file, or git:REV:path.
    spec: String,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
struct OutputArgs {
    /// text, json, junit, github or markdown.
    #[arg(long, default_value = "text")]
    format: String,
    /// Exit 1 when a finding reaches this severity: breaking or warning.
    #[arg(long, default_value = "breaking")]
    fail_on: String,
    /// Also write the output to this file.
    #[arg(long)]
    output: Option<PathBuf>,
}

fn parse_user(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((n, p)) if !n.is_empty() => Ok((n.to_owned(), p.to_owned())),
        _ => Err(format!("`{s}` is not NAME:PASSWORD")),
    }
}

fn parse_header(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
        _ => Err(format!("`{s}` is not K:V")),
    }
}

fn parse_report(s: &str) -> Result<(ReportKind, PathBuf), String> {
    match s.split_once('=') {
        Some(("junit", f)) if !f.is_empty() => Ok((ReportKind::Junit, f.into())),
        Some(("json", f)) if !f.is_empty() => Ok((ReportKind::Json, f.into())),
        _ => Err(format!("`{s}` is not junit=FILE or json=FILE")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Diff(args) => diff(args),
        Command::Lint(args) => lint(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Load a spec document from a file or `git:REV:path`.
fn load_document(source: &str) -> anyhow::Result<Value> {
    let text = match source.strip_prefix("git:") {
        Some(rest) => {
            let Some((rev, path)) = rest.split_once(':') else {
                bail!("`{source}` is not git:REV:path");
            };
            let out = std::process::Command::new("git")
                .args(["show", &format!("{rev}:{path}")])
                .output()
                .context("running git")?;
            if !out.status.success() {
                bail!(
                    "git show {rev}:{path}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            String::from_utf8(out.stdout).context("the file is not UTF-8")?
        }
        None => std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))?,
    };
    let value: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).with_context(|| format!("{source} is not valid JSON"))?
    } else {
        serde_norway::from_str(&text).with_context(|| format!("{source} is not valid YAML"))?
    };
    match value.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.") => {}
        Some(v) => bail!("{source}: OpenAPI {v} is not supported (3.0.x and 3.1.x are)"),
        None => bail!("{source} is not an OpenAPI 3 document (no `openapi` version field)"),
    }
    Ok(value)
}

fn emit(report: &drift::Report, title: &str, output: &OutputArgs) -> anyhow::Result<ExitCode> {
    let format: drift::Format = output
        .format
        .parse()
        .map_err(|e: drift::Error| anyhow::anyhow!("{e}"))?;
    let fail_on: drift::FailOn = output
        .fail_on
        .parse()
        .map_err(|e: drift::Error| anyhow::anyhow!("{e}"))?;
    let text = report.render(format, title);
    print!("{text}");
    if let Some(path) = &output.output {
        std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if report.exceeds(fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = load_document(&args.old)?;
    let new = load_document(&args.new)?;
    emit(&drift::diff(&old, &new), "spec drift", &args.output)
}

fn lint(args: LintArgs) -> anyhow::Result<ExitCode> {
    let doc = load_document(&args.spec)?;
    emit(&drift::lint(&doc), "spec lint", &args.output)
}

/// indicatif bars, one per check group.
struct Bars {
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, group: Group, units: u64) {
        let bar = ProgressBar::new(units);
        bar.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{group:?}").to_lowercase());
        bar.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(bar);
        }
    }

    fn tick(&self, _: Group) {
        if let Ok(b) = self.bar.lock() {
            if let Some(b) = b.as_ref() {
                if b.position() < b.length().unwrap_or(u64::MAX) {
                    b.inc(1);
                }
            }
        }
    }

    fn finish(&self, _: Group) {
        if let Ok(mut b) = self.bar.lock() {
            if let Some(b) = b.take() {
                b.finish_and_clear();
            }
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let spec = match &args.spec {
        Some(path) => Some(Arc::new(
            openapi::Spec::from_path(Path::new(path))
                .with_context(|| format!("cannot load {}", path.display()))?,
        )),
        None => None,
    };
    if args.cases == 0 || args.max_steps == 0 || args.concurrency == 0 {
        bail!("--cases, --max-steps and --concurrency must be at least 1");
    }
    let config = Config {
        target: args.target.clone(),
        spec,
        users: args.users,
        cases: args.cases,
        max_steps: args.max_steps,
        seed: args.seed,
        concurrency: args.concurrency,
        headers: args.headers,
        expiry_wait: args.expiry_wait,
        race_rounds: args.race_rounds,
        allow_unexercised: args.allow_unexercised,
    };
    let bars = Bars {
        bar: std::sync::Mutex::new(None),
    };
    // Open the report files first: a bad path is an error before a long
    // run, not after it.
    let mut files = Vec::new();
    for (kind, path) in &args.reports {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        files.push((*kind, path, file));
    }
    let report = conformance::run(&config, &bars)?;
    print!("{}", report.to_text());
    for (kind, path, mut file) in files {
        let text = match kind {
            ReportKind::Junit => report.to_junit(),
            ReportKind::Json => report.to_json(),
        };
        std::io::Write::write_all(&mut file, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(ExitCode::from(report.verdict().exit_code()))
}
