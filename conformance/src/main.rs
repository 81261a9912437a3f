//! `conformance`: check an implementation against its spec (`run`), compare
//! two versions of a spec (`diff`), and lint a spec (`lint`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use conformance::{Config, Group, Progress, Rate, Report, RunError, Stop, Tls};

mod options;

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
    Run(Box<RunArgs>),
    /// List the changes between two versions of a spec, breaking ones first.
    Diff(DiffArgs),
    /// Flag what makes a spec lie or unusable for a mock.
    Lint(LintArgs),
    /// Join the JSON reports of the shards of one run (`run --shard I/N`)
    /// into one report.
    Merge(MergeArgs),
    /// Forward to an implementation and judge every exchange as the suite
    /// does (docs/proxy.md); exit 1 at shutdown if any violation was seen.
    Proxy(ProxyArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, clap::Args)]
struct ProxyArgs {
    /// Base URL of the implementation the proxy forwards to
    /// (http://127.0.0.1:8000).
    #[arg(long)]
    upstream: String,
    /// The OpenAPI document; the embedded reference spec when absent.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: std::net::SocketAddr,
    /// Answer an exchange with a violation with a 502 problem instead of
    /// the upstream's answer (for CI).
    #[arg(long)]
    errors: bool,
    /// An account whose logins the model follows, NAME:PASSWORD (default:
    /// the spec's declared accounts). Prefer --user-env in CI.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    users: Vec<(String, String)>,
    /// An account from an environment variable holding NAME:PASSWORD
    /// (repeatable): the password never appears in argv.
    #[arg(long = "user-env", value_name = "VAR")]
    user_env: Vec<String>,
    /// Seconds around a token's expiry in which no verdict is given.
    #[arg(long, default_value_t = conformance::proxy::DEFAULT_TOLERANCE)]
    tolerance: u64,
    #[command(flatten)]
    skew: SkewArgs,
    #[command(flatten)]
    tls: TlsArgs,
    /// Write the JSON report here (at exit and on POST /__mock/report).
    #[arg(long, value_name = "FILE")]
    report_json: Option<PathBuf>,
    /// Write the JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    report_junit: Option<PathBuf>,
    /// Write the HTML report here.
    #[arg(long, value_name = "FILE")]
    report_html: Option<PathBuf>,
}

/// The `--clock-skew` flag of `run` and `proxy`: declared once.
#[derive(Debug, Clone, clap::Args)]
struct SkewArgs {
    /// How far the target's clock, and a JWT's lifetime from its
    /// expiresIn, may be off (30s) [default: 30s].
    #[arg(long, value_parser = options::duration)]
    clock_skew: Option<Duration>,
}

/// The TLS flags of `run` (to the target) and `proxy` (to the upstream):
/// declared once, turned into [`Tls`] by [`TlsArgs::tls`].
#[derive(Debug, Clone, clap::Args)]
struct TlsArgs {
    /// Also trust the CA certificates of this PEM file.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Accept any TLS certificate (a warning in every report).
    #[arg(long, short = 'k')]
    insecure: bool,
    /// A PEM client certificate, for mTLS (with --client-key).
    #[arg(long, value_name = "FILE")]
    client_cert: Option<PathBuf>,
    /// The PEM private key of --client-cert.
    #[arg(long, value_name = "FILE")]
    client_key: Option<PathBuf>,
}

impl TlsArgs {
    /// The suite's TLS options.
    fn tls(&self) -> Tls {
        Tls {
            ca_cert: self.ca_cert.clone(),
            insecure: self.insecure,
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
        }
    }
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Base URL of the implementation (https://staging.example.com).
    #[arg(long)]
    target: Option<String>,
    /// The OpenAPI document; the embedded reference spec when absent.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// The config file (default: ./conformance.toml when it exists); flags
    /// override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// An account to log in with, NAME:PASSWORD (twice for the cross-user
    /// checks). Default: the spec's declared accounts when the target is
    /// the mock; a real target needs its own. Prefer --user-env in CI.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    users: Vec<(String, String)>,
    /// An account from an environment variable holding NAME:PASSWORD
    /// (repeatable): the password never appears in argv or reports.
    #[arg(long = "user-env", value_name = "VAR")]
    user_env: Vec<String>,
    /// An OAuth client to authenticate as, ID:SECRET (ID alone for a
    /// public client; twice for the other-client checks), where the
    /// spec's bindings authenticate clients. Default: the spec's declared
    /// clients when the target is the mock. Reports never show the secret
    /// in full; prefer --client-env in CI.
    #[arg(long = "client", value_name = "ID:SECRET", value_parser = parse_client)]
    clients: Vec<openapi::model::Client>,
    /// A client from an environment variable holding ID:SECRET
    /// (repeatable): the secret never appears in argv, and reports show
    /// the shell expression that reads it.
    #[arg(long = "client-env", value_name = "VAR")]
    client_env: Vec<String>,
    /// Generated requests per operation, and sequences per stateful round
    /// [default: 100].
    #[arg(long)]
    cases: Option<u32>,
    /// Longest stateful sequence [default: 20].
    #[arg(long)]
    max_steps: Option<usize>,
    /// The seed; a failure report names the seed that replays it
    /// [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Parallel requests for the stateless check; concurrent refreshes are
    /// 25 times this [default: 4].
    #[arg(long)]
    concurrency: Option<usize>,
    /// Longest real wait for the expiry check, seconds (0: never wait)
    /// [default: 0].
    #[arg(long)]
    expiry_wait: Option<u64>,
    /// Bursts of concurrent refreshes with one refresh token, each in a
    /// session of its own (0: no race check) [default: 5].
    #[arg(long, value_name = "N")]
    race_rounds: Option<u32>,
    /// Pass the run even when applicable checks were not exercised (by
    /// default that exits 3).
    #[arg(long)]
    allow_unexercised: bool,
    /// Against the mock, the namespace to run in (`x-mock-namespace`);
    /// by default a fresh one of the run's own, so the run never touches
    /// the sessions and clock a developer is using (give `default` to run
    /// in theirs).
    #[arg(long, value_name = "NAME")]
    namespace: Option<String>,
    /// A header for every request, K:V (e.g. an API key); `$VAR` and
    /// `${VAR}` in the value read the environment (quote it: '$VAR').
    #[arg(short = 'H', long = "header", value_name = "K:V")]
    headers: Vec<String>,
    /// Longest wait for one answer, body included (30s, 500ms) [default:
    /// 30s]; a request past it fails "responds in time" and the run goes on.
    #[arg(long, value_parser = options::duration)]
    request_timeout: Option<Duration>,
    /// Answers slower than this fail "responds in time" (2s, 500ms).
    #[arg(long, value_parser = options::duration)]
    max_response_time: Option<Duration>,
    /// Largest response body read (16MiB, 1048576) [default: 16MiB]; a
    /// larger one fails "response body within --max-body", and no more of
    /// it is read.
    #[arg(long, value_parser = options::size)]
    max_body: Option<u64>,
    /// At most this many requests, every phase counted.
    #[arg(long, value_name = "N")]
    budget: Option<u64>,
    /// Stop after this long (10m, 1h); the report covers what was checked.
    #[arg(long, value_parser = options::duration)]
    duration: Option<Duration>,
    /// At most N requests per second, minute or hour: 10/s, 100/m, 1000/h.
    #[arg(long, value_name = "N/s")]
    rate_limit: Option<Rate>,
    /// Stop the run (the report says incomplete) after N requests in a row
    /// got no answer or a gateway error (502, 503, 504); 0: never
    /// [default: 10].
    #[arg(long, value_name = "N")]
    max_failures_in_a_row: Option<u32>,
    /// Only these operations (repeatable): id:OPERATION_ID (or a
    /// variant's name, 'id:token [grant_type=password]'), path:GLOB,
    /// method:METHOD, tag:TAG, when:NAME=VALUE (the bindings of an
    /// operation with several whose `when` says so).
    #[arg(long, value_name = "FILTER")]
    include: Vec<String>,
    /// Not these operations (repeatable), as --include.
    #[arg(long, value_name = "FILTER")]
    exclude: Vec<String>,
    /// Only these properties (comma-separated names, such as
    /// tokens-unique,responds-in-time; `all` for every one).
    #[arg(long, value_name = "NAMES")]
    checks: Vec<String>,
    /// Not these properties.
    #[arg(long, value_name = "NAMES")]
    exclude_checks: Vec<String>,
    #[command(flatten)]
    tls: TlsArgs,
    /// A command that logs in where the suite cannot (the
    /// authorization-code flow, SSO, MFA), run by `sh -c` with the account
    /// and target in its environment (CONFORMANCE_USERNAME,
    /// CONFORMANCE_PASSWORD, CONFORMANCE_TARGET, ...; never argv); it
    /// prints a token response JSON. See docs/oauth.md.
    #[arg(long, value_name = "CMD")]
    login_command: Option<String>,
    /// Longest run of --login-command (30s, 2m) [default: 30s].
    #[arg(long, value_parser = options::duration)]
    login_timeout: Option<Duration>,
    #[command(flatten)]
    skew: SkewArgs,
    /// Run only shard I of N (1/3, 2/3, 3/3): a deterministic share of
    /// the generated cases, sequences and directed checks (same seed and
    /// spec: disjoint, together the whole); --budget applies per shard.
    /// Join the shards' JSON reports with `conformance merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<conformance::Shard>,
    /// Also write a report: junit=FILE, json=FILE or html=FILE
    /// (repeatable); written whatever the outcome.
    #[arg(long = "report", value_name = "KIND=FILE", value_parser = parse_report)]
    reports: Vec<(ReportKind, PathBuf)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReportKind {
    Text,
    Junit,
    Json,
    Html,
}

#[derive(Debug, clap::Args)]
struct MergeArgs {
    /// The shards' JSON reports (`run --shard I/N --report json=FILE`).
    #[arg(required = true, value_name = "REPORT.json")]
    reports: Vec<PathBuf>,
    /// The merged report's format: text, json, junit or html.
    #[arg(long, default_value = "text", value_parser = parse_format)]
    format: ReportKind,
    /// Write the merged report to this file (the text summary still goes
    /// to standard output); default: standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Merge even when shards are missing (the report says which).
    #[arg(long)]
    allow_partial: bool,
}

#[derive(Debug, clap::Args)]
struct DiffArgs {
    /// The old spec: a file, or git:REV:path.
    old: String,
    /// The new spec: a file, or git:REV:path.
    new: String,
    /// A new enum value, oneOf alternative or discriminator value in a
    /// response: lenient (a warning, the default) or strict (breaking).
    #[arg(long, value_name = "POLICY")]
    breaking_policy: Option<drift::BreakingPolicy>,
    /// A breaking change without a major bump of info.version is a finding.
    #[arg(long)]
    check_version: bool,
    /// Rule severities and ignores (default: ./drift.toml when it exists).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
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
        // Never what follows a `:`: it is a password.
        Some(_) => Err("the name before `:` is empty (NAME:PASSWORD)".to_owned()),
        None => Err(format!("`{s}` is not NAME:PASSWORD")),
    }
}

fn parse_client(s: &str) -> Result<openapi::model::Client, String> {
    options::client(s)
}

fn parse_shard(s: &str) -> Result<conformance::Shard, String> {
    s.parse()
}

fn parse_format(s: &str) -> Result<ReportKind, String> {
    match s {
        "text" => Ok(ReportKind::Text),
        "json" => Ok(ReportKind::Json),
        "junit" => Ok(ReportKind::Junit),
        "html" => Ok(ReportKind::Html),
        _ => Err(format!("`{s}` is not text, json, junit or html")),
    }
}

/// `report` written as `kind`.
fn render(report: &Report, kind: ReportKind) -> String {
    match kind {
        ReportKind::Text => report.to_text(),
        ReportKind::Junit => report.to_junit(),
        ReportKind::Json => report.to_json(),
        ReportKind::Html => report.to_html(),
    }
}

fn parse_report(s: &str) -> Result<(ReportKind, PathBuf), String> {
    match s.split_once('=') {
        Some(("junit", f)) if !f.is_empty() => Ok((ReportKind::Junit, f.into())),
        Some(("json", f)) if !f.is_empty() => Ok((ReportKind::Json, f.into())),
        Some(("html", f)) if !f.is_empty() => Ok((ReportKind::Html, f.into())),
        _ => Err(format!("`{s}` is not junit=FILE, json=FILE or html=FILE")),
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
        Command::Run(args) => run(*args),
        Command::Diff(args) => diff(args),
        Command::Lint(args) => lint(args),
        Command::Merge(args) => merge(args),
        Command::Proxy(args) => proxy(args),
        Command::Completions { shell } => shell_help(Some(shell)),
        Command::Man => shell_help(None),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `completions SHELL` (or, for `None`, `man`): generated from the clap
/// definition.
fn shell_help(shell: Option<clap_complete::Shell>) -> anyhow::Result<ExitCode> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let out = &mut std::io::stdout();
    match shell {
        Some(shell) => clap_complete::generate(shell, &mut cmd, "conformance", out),
        None => clap_mangen::Man::new(cmd)
            .render(out)
            .context("writing the man page")?,
    }
    Ok(ExitCode::SUCCESS)
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
        None if openapi::swagger2::is_swagger2(&value) => {}
        Some(v) => bail!("{source}: OpenAPI {v} is not supported (3.0.x, 3.1.x and Swagger 2.0 are)"),
        None => bail!(
            "{source} is not an OpenAPI 3 or Swagger 2.0 document (no `openapi` or `swagger: \"2.0\"` field)"
        ),
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
    let default = std::path::Path::new(drift::CONFIG_FILE);
    let config = match args
        .config
        .as_deref()
        .or(default.is_file().then_some(default))
    {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            drift::Config::from_toml(&text).with_context(|| path.display().to_string())?
        }
        None => drift::Config::default(),
    };
    let mut options = drift::Options::from_config(config).today(drift::today_utc());
    if let Some(policy) = args.breaking_policy {
        options = options.policy(policy);
    }
    if args.check_version {
        options = options.check_version(true);
    }
    emit(
        &drift::diff_with(&old, &new, &options),
        "spec drift",
        &args.output,
    )
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
    let (file, dir) = options::File::load(args.config.as_deref())?;
    let Some(target) = args.target.clone().or(file.target.clone()) else {
        bail!(
            "--target URL is required (or `target` in {})",
            options::CONFIG_FILE
        );
    };
    let spec_path = args
        .spec
        .clone()
        .or(file.spec.as_ref().map(|p| dir.join(p)));
    let spec = match &spec_path {
        Some(path) => Some(Arc::new(
            openapi::Spec::from_path(path)
                .with_context(|| format!("cannot load {}", path.display()))?,
        )),
        None => None,
    };
    let mut config = Config::new(&target);
    config.spec = spec;
    config.cases = args.cases.or(file.cases).unwrap_or(100);
    config.max_steps = args.max_steps.or(file.max_steps).unwrap_or(20);
    config.seed = args.seed.or(file.seed).unwrap_or(0);
    config.concurrency = args.concurrency.or(file.concurrency).unwrap_or(4);
    config.expiry_wait = args.expiry_wait.or(file.expiry_wait).unwrap_or(0);
    config.race_rounds = args.race_rounds.or(file.race_rounds).unwrap_or(5);
    config.allow_unexercised = args.allow_unexercised || file.allow_unexercised == Some(true);
    config.namespace = args.namespace.clone();
    if config.cases == 0 || config.max_steps == 0 || config.concurrency == 0 {
        bail!("--cases, --max-steps and --concurrency must be at least 1");
    }
    let mut secrets = Vec::new();
    // Headers: the file's, then the flags' (a flag's header replaces the
    // file's of the same name).
    let mut headers: Vec<(String, String)> = Vec::new();
    for (k, v) in file.headers.iter().flatten() {
        headers.push((k.clone(), options::expand(v, &mut secrets)?));
    }
    for h in &args.headers {
        let (k, v) = options::header(h, &mut secrets)?;
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&k));
        headers.push((k, v));
    }
    config.headers = headers;
    // Accounts and clients: the flags' if any, else the file's.
    config.users = options::Given {
        flags: (&args.users, &args.user_env),
        file: (file.users.as_deref(), file.user_env.as_deref()),
        key: "users",
    }
    .read(parse_user, options::user_from_env, &mut secrets)?;
    config.clients = options::Given {
        flags: (&args.clients, &args.client_env),
        file: (file.clients.as_deref(), file.client_env.as_deref()),
        key: "clients",
    }
    .read(options::client, options::client_from_env, &mut secrets)?;
    config.secrets = secrets;
    let resolved = options::resolve(
        &file,
        &dir,
        args.tls.tls(),
        args.request_timeout,
        args.max_response_time,
        args.max_body,
        args.rate_limit,
        args.budget,
        args.duration,
        args.max_failures_in_a_row,
        [
            args.include.clone(),
            args.exclude.clone(),
            args.checks.clone(),
            args.exclude_checks.clone(),
        ],
    )?;
    config.transport = resolved.transport;
    config.selection = resolved.selection;
    config.limits = resolved.limits;
    config.login_command =
        options::login_command(&file, &dir, args.login_command.clone(), args.login_timeout)?;
    config.clock_skew = options::clock_skew(&file, args.skew.clock_skew)?;
    config.shard = options::shard(&file, args.shard)?;
    let interrupt = Arc::new(AtomicBool::new(false));
    config.limits.interrupt = Some(interrupt.clone());
    if config.transport.tls.insecure {
        eprintln!("WARNING: --insecure: TLS certificates are NOT verified; every report says so");
    }
    // Report files: the flags', else the file's.
    let mut reports = args.reports.clone();
    if reports.is_empty() {
        if let Some(r) = &file.reports {
            let kinds = [
                (ReportKind::Junit, &r.junit),
                (ReportKind::Json, &r.json),
                (ReportKind::Html, &r.html),
            ];
            for (kind, path) in kinds {
                if let Some(p) = path {
                    reports.push((kind, dir.join(p)));
                }
            }
        }
    }
    // Open the report files first: a bad path is an error before a long
    // run, not after it.
    let mut files = Vec::new();
    for (kind, path) in &reports {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        files.push((*kind, path.clone(), file));
    }
    // Ctrl-C: the request in flight ends, then the reports are written;
    // a second Ctrl-C quits at once.
    let _ = ctrlc::set_handler(move || {
        if interrupt.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("interrupted: writing the reports (Ctrl-C again to quit now)");
    });
    let bars = Bars {
        bar: std::sync::Mutex::new(None),
    };
    let title = config.spec.as_ref().map_or_else(
        || openapi::reference_spec().title().to_owned(),
        |s| s.title().to_owned(),
    );
    let (report, error) = match conformance::run(&config, &bars) {
        Ok(report) => (report, None),
        // The reports are written whatever the outcome: here, that the
        // run could not start, and why.
        Err(e) => {
            let stop = match &e {
                RunError::Unreachable { message, .. } => Stop::Unreachable {
                    message: message.clone(),
                },
                other => Stop::NotStarted {
                    message: other.to_string(),
                },
            };
            let report = Report::not_started(&title, &config.target, config.seed, stop);
            (report, Some(e))
        }
    };
    for (kind, path, mut file) in files {
        let text = render(&report, kind);
        std::io::Write::write_all(&mut file, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(e) = error {
        return Err(e.into());
    }
    print!("{}", report.to_text());
    Ok(if report.stop == Some(Stop::Interrupted) {
        ExitCode::from(130)
    } else if report.shard.is_some() && report.verdict() == conformance::Verdict::Unexercised {
        // What one shard did not exercise, another may have: `merge`
        // judges it.
        println!(
            "shard {}: not exercised checks are judged by `conformance merge`",
            config.shard
        );
        ExitCode::SUCCESS
    } else {
        ExitCode::from(report.verdict().exit_code())
    })
}

/// `merge`: read the JSON reports, join them, write the merged one; exit
/// with its verdict's code.
fn merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let mut reports = Vec::new();
    for path in &args.reports {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let report: Report = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a JSON report of `conformance run`",
                path.display()
            )
        })?;
        reports.push((path.display().to_string(), report));
    }
    let options = conformance::MergeOptions {
        allow_partial: args.allow_partial,
    };
    let merged = conformance::merge(&reports, options)?;
    let text = render(&merged, args.format);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            print!("{}", merged.to_text());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::from(merged.verdict().exit_code()))
}

/// `proxy`: serve until Ctrl-C or SIGTERM, then write the reports; exit 1
/// if any violation was seen, 0 otherwise.
fn proxy(args: ProxyArgs) -> anyhow::Result<ExitCode> {
    use conformance::proxy::{exit_code, Proxy, ProxyConfig, ReportPaths};
    let spec = match &args.spec {
        Some(path) => openapi::Spec::from_path(path)
            .with_context(|| format!("cannot load {}", path.display()))?,
        None => openapi::reference_spec(),
    };
    let mut config = ProxyConfig::new(&args.upstream, Arc::new(spec));
    config.listen = args.listen;
    config.errors = args.errors;
    config.tolerance = args.tolerance;
    config.clock_skew = args
        .skew
        .clock_skew
        .map_or(conformance::DEFAULT_CLOCK_SKEW, |d| d.as_secs());
    config.tls = args.tls.tls();
    if config.tls.insecure {
        eprintln!("WARNING: --insecure: the upstream's TLS certificate is NOT verified; every report says so");
    }
    config.users = args.users;
    // The proxy masks every password its bindings read: the secrets the
    // run's reports need are not needed here.
    let mut secrets = Vec::new();
    for var in &args.user_env {
        config
            .users
            .push(options::user_from_env(var, &mut secrets)?);
    }
    let reports = ReportPaths {
        json: args.report_json,
        junit: args.report_junit,
        html: args.report_html,
    };
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let _ = ctrlc::set_handler(move || {
        let _ = stop.send(());
    });
    let proxy = Proxy::start(config, reports)?;
    eprintln!(
        "conformance proxy on {} -> {} (dashboard: {}/__mock/ui)",
        proxy.uri(),
        args.upstream,
        proxy.uri()
    );
    let _ = stopped.recv();
    let report = proxy.finish().context("cannot write the reports")?;
    eprint!("{}", report.to_text());
    Ok(ExitCode::from(exit_code(&report)))
}
