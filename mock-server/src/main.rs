//! `mock-server`: serve an OpenAPI document as a stateful mock.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use mock_server::{Cors, Latency, MockServer};

/// Serve an OpenAPI 3.0/3.1 document as a stateful mock: bound operations
/// (x-token-lifecycle) run the token lifecycle, the rest answer from examples.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// The OpenAPI document (YAML or JSON); the embedded reference spec when
    /// absent.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// The address to listen on (an IP address, or `localhost`).
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_host)]
    host: IpAddr,
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080, env = "MOCK_SERVER_PORT")]
    port: u16,
    /// Add an account, or change a declared one's password: NAME:PASSWORD.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    users: Vec<(String, String)>,
    /// Browser origins allowed by CORS: an origin (repeatable), `*` for any,
    /// `none` to turn CORS off. Default: localhost origins on any port.
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = parse_origin)]
    cors: Vec<String>,
    /// The largest request body accepted, in bytes, by every route (the
    /// admin API included); past it, 413.
    #[arg(long, default_value_t = mock_server::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// How long a client has to send a request head (from the connection's
    /// start, or from the first byte of its next request); then the
    /// connection is closed. `500ms`, `10s`, `1m`.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    header_timeout: Duration,
    /// How long a client has to send a request body once its head is read;
    /// then 408 and the connection is closed.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    body_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request
    /// before it is closed.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    idle_timeout: Duration,
    /// How long a write may wait for a client that stops reading its
    /// answer; then the connection is closed.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    write_timeout: Duration,
    /// The most connections kept at once [default: what the open-file
    /// limit, `ulimit -n`, allows, less 64; never more]. At the maximum a
    /// new connection takes the place of the one waiting longest for a
    /// request head; when all are busy it gets a 503.
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Require this token (Authorization: Bearer TOKEN) on the admin API,
    /// the dashboard and the API docs. Without it, listening beyond this
    /// machine (--host 0.0.0.0) turns them off. Prefer the environment
    /// variable: an argument is visible to every user of the machine.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "MOCK_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// A host name the admin API answers to besides localhost and IP
    /// addresses (its Host header is checked against DNS rebinding);
    /// repeatable.
    #[arg(long = "allowed-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
    /// Seed of schema-generated bodies (Prefer: dynamic=true).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Delay every answer by MIN..MAX milliseconds (or exactly N), at most
    /// 60000; `Prefer: delay=MS` overrides it per request.
    #[arg(long, value_name = "MIN..MAX", value_parser = Latency::parse)]
    latency: Option<Latency>,
    /// Reload the spec when its file changes (a broken edit is logged and
    /// the last good spec goes on serving).
    #[arg(long, requires = "spec")]
    watch: bool,
    /// The most namespaces (x-mock-namespace) kept at once, the default one
    /// included.
    #[arg(long, default_value_t = mock_server::DEFAULT_MAX_NAMESPACES)]
    max_namespaces: usize,
    /// Where the state lives: `memory` (this process), or
    /// `redis://HOST:PORT/DB`, shared by every replica given the same URL
    /// (see docs/replicas.md).
    #[arg(long, value_name = "memory|redis://HOST:PORT/DB", default_value = "memory", value_parser = parse_state)]
    state: StateArg,
    /// How log lines are written to stderr (colour only on a terminal,
    /// never with NO_COLOR set).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event, every field apart.
    Json,
}

/// Fields of the request line that its message already says, in text logs.
const SAID_IN_THE_MESSAGE: [&str; 6] = [
    "method",
    "path",
    "status",
    "outcome",
    "latency_ms",
    "namespace",
];

fn init_logs(format: LogFormat) {
    use tracing_subscriber::fmt::format::debug_fn;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => logs.json().flatten_event(true).with_ansi(false).init(),
        LogFormat::Text => {
            let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let fields = debug_fn(|w, field, value| match field.name() {
                "message" => write!(w, "{value:?}"),
                name if SAID_IN_THE_MESSAGE.contains(&name) => Ok(()),
                name => write!(w, " {name}={value:?}"),
            });
            logs.with_ansi(std::io::stderr().is_terminal() && !no_colour)
                .with_target(false)
                .fmt_fields(fields)
                .init();
        }
    }
}

fn parse_user(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((name, password)) if !name.is_empty() => Ok((name.to_owned(), password.to_owned())),
        _ => Err(format!("`{s}` is not NAME:PASSWORD")),
    }
}

fn parse_host(s: &str) -> Result<IpAddr, String> {
    match s {
        "localhost" => Ok(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        _ => s
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or `localhost`")),
    }
}

/// `*`, `none`, or an origin: `scheme://host[:port]`, nothing after.
fn parse_origin(s: &str) -> Result<String, String> {
    if s == "*" || s == "none" {
        return Ok(s.to_owned());
    }
    let origin = s.trim_end_matches('/');
    let valid = origin.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
            && !rest.is_empty()
            && !rest.contains(['/', ' ', '?', '#'])
    });
    if valid {
        Ok(origin.to_owned())
    } else {
        Err(format!("`{s}` is not an origin such as https://app.example.com or http://localhost:5173 (or `*`, `none`)"))
    }
}

fn cors(list: &[String]) -> Cors {
    if list.is_empty() {
        Cors::Localhost
    } else if list.iter().any(|o| o == "none") {
        Cors::Off
    } else if list.iter().any(|o| o == "*") {
        Cors::Any
    } else {
        Cors::Origins(list.to_vec())
    }
}

/// The `--state` option.
#[derive(Debug, Clone)]
enum StateArg {
    Memory,
    Redis(String),
}

fn parse_state(s: &str) -> Result<StateArg, String> {
    if s == "memory" {
        return Ok(StateArg::Memory);
    }
    if s.starts_with("redis://") || s.starts_with("rediss://") {
        return Ok(StateArg::Redis(s.to_owned()));
    }
    Err("expected `memory` or a redis://HOST:PORT/DB URL".to_owned())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let shell = match args.command {
        Some(Command::Completions { shell }) => Some(shell),
        Some(Command::Man) => None,
        None => return serve(args),
    };
    let mut cmd = Args::command();
    let out = &mut std::io::stdout();
    match shell {
        Some(shell) => clap_complete::generate(shell, &mut cmd, "mock-server", out),
        None => {
            if let Err(e) = clap_mangen::Man::new(cmd).render(out) {
                eprintln!("error: writing the man page: {e}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}

fn serve(args: Args) -> ExitCode {
    init_logs(args.log_format);
    let spec = match &args.spec {
        None => openapi::reference_spec(),
        Some(path) => match openapi::Spec::from_path(path) {
            Ok(spec) => spec,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
    };
    match run(args, spec) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args, spec: openapi::Spec) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async move {
        let title = spec.title().to_owned();
        let operations = spec.operations().len();
        let mut accounts: Vec<String> = spec
            .lifecycle()
            .accounts
            .iter()
            .chain(&args.users)
            .map(|(name, _)| name.clone())
            .collect();
        accounts.dedup();
        let cors = cors(&args.cors);
        let mut builder = MockServer::builder()
            .spec(spec)
            .host(args.host)
            .port(args.port)
            .cors(cors.clone())
            .body_limit(args.body_limit)
            .header_timeout(args.header_timeout)
            .body_timeout(args.body_timeout)
            .idle_timeout(args.idle_timeout)
            .write_timeout(args.write_timeout)
            .seed(args.seed)
            .max_namespaces(args.max_namespaces);
        if let Some(latency) = args.latency {
            builder = builder.latency(latency);
        }
        if let (true, Some(path)) = (args.watch, &args.spec) {
            builder = builder.watch(path.clone());
        }
        for (name, password) in args.users {
            builder = builder.user(name, password);
        }
        if let Some(max) = args.max_connections {
            builder = builder.max_connections(max);
        }
        for host in &args.allowed_hosts {
            builder = builder.allowed_host(host);
        }
        // Given on the command line rather than from the environment: say
        // so, since other users can read it.
        let token_in_argv = args.admin_token.is_some()
            && std::env::var("MOCK_ADMIN_TOKEN").ok() != args.admin_token;
        if let Some(token) = args.admin_token.filter(|t| !t.is_empty()) {
            builder = builder.admin_token(token);
        }
        if let StateArg::Redis(url) = &args.state {
            builder = builder.state_redis(url.clone());
        }
        let server = builder.start().await?;
        let source = match &args.spec {
            Some(path) if args.watch => format!("{} (watched: edits reload it)", path.display()),
            Some(path) => path.display().to_string(),
            None => "the embedded reference spec".to_owned(),
        };
        let banner = Banner {
            title: &title,
            operations,
            source: &source,
            uri: &server.uri(),
            accounts: &accounts,
            cors: &cors,
            latency: args.latency,
            max_namespaces: args.max_namespaces,
            admin: server.admin_access(),
            token_in_argv,
            limits: format!(
                "head {}, body {}, idle {}, write {}; at most {} connections",
                humantime::format_duration(args.header_timeout),
                humantime::format_duration(args.body_timeout),
                humantime::format_duration(args.idle_timeout),
                humantime::format_duration(args.write_timeout),
                server.max_connections()
            ),
        };
        println!("{banner}");
        tracing::info!(address = %server.address(), "listening");
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        server.stop().await;
        Ok(())
    })
}

/// What the mock prints when it starts: where it listens and where to
/// look.
struct Banner<'a> {
    title: &'a str,
    operations: usize,
    source: &'a str,
    uri: &'a str,
    accounts: &'a [String],
    cors: &'a Cors,
    latency: Option<Latency>,
    max_namespaces: usize,
    admin: &'a str,
    token_in_argv: bool,
    limits: String,
}

impl std::fmt::Display for Banner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let uri = self.uri;
        let accounts = match self.accounts {
            [] => "none (add one with --user NAME:PASSWORD)".to_owned(),
            names => names.join(", "),
        };
        let cors = match self.cors {
            Cors::Off => "off (--cors-origin none)".to_owned(),
            Cors::Localhost => "pages on localhost, 127.0.0.1 and [::1], any port".to_owned(),
            Cors::Any => {
                "any origin, without credentials (Access-Control-Allow-Origin: *)".to_owned()
            }
            Cors::Origins(list) => list.join(", "),
        };
        let latency = match self.latency {
            None => "none (--latency MIN..MAX, or Prefer: delay=MS per request)".to_owned(),
            Some(l) => format!("{}..{} ms", l.min_ms, l.max_ms),
        };
        writeln!(
            f,
            "mock-server: serving \"{}\" ({} operations) from {}",
            self.title, self.operations, self.source
        )?;
        writeln!(f, "  listening on  {uri}")?;
        writeln!(f, "  accounts      {accounts}")?;
        writeln!(f, "  CORS          {cors}")?;
        writeln!(f, "  latency       {latency}")?;
        writeln!(f, "  limits        {}", self.limits)?;
        writeln!(f, "  dashboard     {uri}/__mock/ui")?;
        writeln!(f, "  API docs      {uri}/__mock/api-docs/")?;
        writeln!(
            f,
            "  admin API     {uri}/__mock (Swagger UI: {uri}/__mock/docs/)"
        )?;
        writeln!(f, "  admin access  {}", self.admin)?;
        if self.token_in_argv {
            writeln!(
                f,
                "                (the token was given as an argument, which every user \
                 of this machine can read: prefer MOCK_ADMIN_TOKEN)"
            )?;
        }
        write!(
            f,
            "  namespaces    default; an x-mock-namespace header picks another (at most {})",
            self.max_namespaces
        )
    }
}
