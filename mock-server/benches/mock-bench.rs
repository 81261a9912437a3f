//! `mock-bench`: throughput, latency and memory of the mock server.
//!
//! ```text
//! cargo bench -p mock-server --bench mock-bench                # everything
//! cargo bench -p mock-server --bench mock-bench -- run --seconds 20 --repeat 3
//! ```
//!
//! `run` (the default) starts, each as its own process:
//!
//! - the real `mock-server` binary (`--port 0`, embedded reference spec),
//! - a *bare* poem server (`mock-bench bare`): `POST /auth/login` and
//!   `POST /auth/refresh` parse the same JSON and return two random tokens,
//!   `GET /me` checks for a Bearer token and returns `{"username":"demo"}`,
//! - the load generator (`mock-bench load`), a separate process that drives
//!   one server at a time over loopback with keep-alive connections, each a
//!   virtual user doing `login`, then `rounds` × {`GET /me` ×3, `refresh`
//!   with the rotated token}, then logging in again,
//!
//! and prints requests/s, p50/p99/p99.9 latency, the mock/bare ratio, the
//! mock's idle RSS, and the RSS of a mock holding one million live sessions
//! (1M logins over HTTP, `mock-bench sessions`) beside the same million
//! logins applied to the bare behaviour model in a fresh process
//! (`mock-bench model-sessions`).
//!
//! Every subcommand can be run on its own, e.g. `mock-bench load --target
//! http://127.0.0.1:8080` against a mock started by hand. Children are
//! killed when `run` ends. Loopback only.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Throughput, latency and memory of the mock server against a bare poem
/// handler.
#[derive(Debug, Parser)]
#[command(name = "mock-bench")]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the whole benchmark (the default).
    Run(RunArgs),
    /// Serve the bare poem handler.
    Bare {
        /// The port (0: any free port; the address is printed on stdout).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Drive a server with the login/me/refresh mix; prints one JSON line.
    Load {
        /// The server, e.g. `http://127.0.0.1:8080`.
        #[arg(long)]
        target: String,
        #[command(flatten)]
        opts: LoadOpts,
    },
    /// Log in COUNT times (sessions stay live); prints one JSON line.
    Sessions {
        /// The server, e.g. `http://127.0.0.1:8080`.
        #[arg(long)]
        target: String,
        /// Logins.
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Requests written back to back on a connection before reading the
        /// answers (HTTP/1.1 pipelining).
        #[arg(long, default_value_t = 16)]
        pipeline: usize,
    },
    /// Apply COUNT logins to the behaviour model in this process, with the
    /// mock's token codec; prints one JSON line with the RSS.
    ModelSessions {
        /// Logins.
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
    },
    /// Page through `/__mock/tokens` for SECONDS while another connection
    /// logs in, one login at a time; prints one JSON line with the page
    /// and login latencies.
    Listing {
        /// The server, e.g. `http://127.0.0.1:8080`.
        #[arg(long)]
        target: String,
        /// Seconds to go on.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Tokens per page.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// A simulated day of refreshes through the model and the mock's
    /// codec in this process, the clock advanced as it goes; prints the
    /// resident memory as it goes and one JSON line at the end.
    Day(DayOpts),
}

#[derive(Debug, Clone, Args)]
struct DayOpts {
    /// Refreshes per simulated second.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Simulated seconds (a day).
    #[arg(long, default_value_t = 86_400)]
    seconds: u64,
    /// Clients, each holding one session and refreshing in turn.
    #[arg(long, default_value_t = 10_000)]
    clients: usize,
    /// Refreshes of a session before its client leaves it (one in ten
    /// logs out, the others just stop using it) and logs in again.
    #[arg(long, default_value_t = 60)]
    session_refreshes: u32,
    /// Read VmRSS every this many refreshes.
    #[arg(long, default_value_t = 1_000_000)]
    sample_every: u64,
    /// Stop early once VmRSS passes this many MB (0: never).
    #[arg(long, default_value_t = 0)]
    max_rss_mb: u64,
}

#[derive(Debug, Clone, Args)]
struct LoadOpts {
    /// Seconds measured per server.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Concurrent keep-alive connections (one virtual user each).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Rounds of {GET /me ×3, refresh} per login.
    #[arg(long, default_value_t = 10)]
    rounds: u32,
    /// Worker threads of the load generator (default: one per CPU).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Debug, Clone, Args)]
struct RunArgs {
    #[command(flatten)]
    load: LoadOpts,
    /// Measure each server this many times (alternating); the median counts.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Live sessions for the memory figure (0: skip).
    #[arg(long, default_value_t = 1_000_000)]
    sessions: usize,
    /// The mock-server binary (default: the one cargo built with this bench).
    #[arg(long)]
    mock_bin: Option<PathBuf>,
    /// Pin the servers to these CPUs (`taskset -c LIST`), e.g. `0`.
    #[arg(long)]
    server_cpus: Option<String>,
    /// Pin the load generator to these CPUs (`taskset -c LIST`), e.g. `1`.
    #[arg(long)]
    load_cpus: Option<String>,
}

fn main() -> ExitCode {
    // `cargo bench` appends `--bench`; the default subcommand is `run`.
    let mut args: Vec<String> = std::env::args().filter(|a| a != "--bench").collect();
    let known = [
        "run",
        "bare",
        "load",
        "sessions",
        "model-sessions",
        "listing",
        "day",
        "help",
    ];
    if args.len() < 2 || !(known.contains(&args[1].as_str()) || args[1].starts_with("-h")) {
        args.insert(1, "run".into());
    }
    let cli = Cli::parse_from(args);
    let result = match cli.command.unwrap_or(Cmd::Run(RunArgs::parse_default())) {
        Cmd::Run(args) => run(args),
        Cmd::Bare { port } => bare(port),
        Cmd::Load { target, opts } => runtime(opts.threads).and_then(|rt| {
            let report = rt.block_on(load(&target, &opts))?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }),
        Cmd::Sessions {
            target,
            count,
            connections,
            pipeline,
        } => runtime(None).and_then(|rt| {
            let report = rt.block_on(sessions(&target, count, connections, pipeline))?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }),
        Cmd::ModelSessions { count } => model_sessions(count),
        Cmd::Listing {
            target,
            seconds,
            limit,
        } => runtime(None).and_then(|rt| {
            let report = rt.block_on(listing(&target, seconds, limit))?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }),
        Cmd::Day(opts) => day(&opts),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mock-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

impl RunArgs {
    fn parse_default() -> RunArgs {
        match Cli::parse_from(["mock-bench", "run"]).command {
            Some(Cmd::Run(args)) => args,
            _ => unreachable!("`run` parses as Run"),
        }
    }
}

fn runtime(threads: Option<usize>) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        b.worker_threads(n.max(1));
    }
    Ok(b.enable_all().build()?)
}

// ---------------------------------------------------------------------------
// The bare handler
// ---------------------------------------------------------------------------

mod bare_api {
    use base64::Engine;
    use poem::web::Json;
    use poem::{handler, http::StatusCode, Request, Response};
    use serde::{Deserialize, Serialize};

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub struct LoginRequest {
        username: String,
        password: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    pub struct RefreshRequest {
        refresh_token: String,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct TokenPair {
        access_token: String,
        refresh_token: String,
        token_type: &'static str,
        expires_in: u64,
    }

    fn token() -> String {
        let bytes: [u8; 18] = rand::random();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn pair() -> Json<TokenPair> {
        Json(TokenPair {
            access_token: token(),
            refresh_token: token(),
            token_type: "Bearer",
            expires_in: 3600,
        })
    }

    #[handler]
    pub fn login(Json(_req): Json<LoginRequest>) -> Json<TokenPair> {
        pair()
    }

    #[handler]
    pub fn refresh(Json(_req): Json<RefreshRequest>) -> Json<TokenPair> {
        pair()
    }

    #[handler]
    pub fn me(req: &Request) -> Response {
        let bearer = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| !t.is_empty());
        if bearer {
            Response::builder()
                .content_type("application/json")
                .body(r#"{"username":"demo"}"#)
        } else {
            Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .finish()
        }
    }
}

/// Serve the bare handler until killed; prints `bare: serving on URL`.
fn bare(port: u16) -> anyhow::Result<()> {
    use poem::listener::{Acceptor, Listener, TcpListener};
    use poem::{get, post, Route, Server};

    // The same runtime as the `mock-server` binary.
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let app = Route::new()
            .at("/auth/login", post(bare_api::login))
            .at("/auth/refresh", post(bare_api::refresh))
            .at("/me", get(bare_api::me));
        let acceptor = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .into_acceptor()
            .await?;
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .context("no local address")?;
        println!("bare: serving on http://{addr}");
        Server::new_with_acceptor(acceptor).run(app).await?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// A minimal HTTP/1.1 keep-alive client (cheap, so that most of the CPU goes
// to the server under test)
// ---------------------------------------------------------------------------

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

struct Answer {
    status: u16,
    body: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Conn {
    async fn connect(addr: SocketAddr) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed by the server");
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Read one response.
    async fn read(&mut self) -> anyhow::Result<Answer> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end])?;
        let status: u16 = head.get(9..12).context("short status line")?.parse()?;
        let mut length = None;
        let mut chunked = false;
        for line in head.split("\r\n").skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = Some(value.parse::<usize>()?);
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.eq_ignore_ascii_case("chunked");
                }
            }
        }
        self.buf.drain(..head_end);
        let body = if chunked {
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(i) = find(&self.buf, b"\r\n") {
                        break i;
                    }
                    self.fill().await?;
                };
                let size_text = std::str::from_utf8(&self.buf[..line_end])?;
                let size_text = size_text.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size_text, 16)?;
                while self.buf.len() < line_end + 2 + size + 2 {
                    self.fill().await?;
                }
                body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                self.buf.drain(..line_end + 2 + size + 2);
                if size == 0 {
                    break body;
                }
            }
        } else {
            let length = length.unwrap_or(0);
            while self.buf.len() < length {
                self.fill().await?;
            }
            self.buf.drain(..length).collect()
        };
        Ok(Answer { status, body })
    }

    async fn send(&mut self, request: &[u8]) -> anyhow::Result<Answer> {
        self.stream.write_all(request).await?;
        self.read().await
    }
}

struct Requests {
    host: String,
}

impl Requests {
    fn login(&self) -> Vec<u8> {
        self.post("/auth/login", r#"{"username":"demo","password":"demo"}"#)
    }

    fn refresh(&self, token: &str) -> Vec<u8> {
        self.post("/auth/refresh", &format!(r#"{{"refreshToken":"{token}"}}"#))
    }

    fn me(&self, token: &str) -> Vec<u8> {
        format!(
            "GET /me HTTP/1.1\r\nhost: {}\r\naccept: application/json\r\n\
             authorization: Bearer {token}\r\n\r\n",
            self.host
        )
        .into_bytes()
    }

    fn post(&self, path: &str, body: &str) -> Vec<u8> {
        format!(
            "POST {path} HTTP/1.1\r\nhost: {}\r\naccept: application/json\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        )
        .into_bytes()
    }
}

fn parse_target(target: &str) -> anyhow::Result<(SocketAddr, String)> {
    let host = target
        .strip_prefix("http://")
        .context("the target must be http://HOST:PORT")?
        .trim_end_matches('/');
    let addr: SocketAddr = host.parse().context("the target must be an IP:PORT")?;
    Ok((addr, host.to_owned()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tokens {
    access_token: String,
    refresh_token: String,
}

// ---------------------------------------------------------------------------
// The load generator
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Login,
    Me,
    Refresh,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Login => "login",
            Op::Me => "me",
            Op::Refresh => "refresh",
        }
    }
}

/// Latencies of one virtual user, in microseconds.
#[derive(Default)]
struct Samples {
    by_op: BTreeMap<Op, Vec<u32>>,
    errors: u64,
    first_error: Option<String>,
}

struct Window {
    from: Instant,
    until: Instant,
}

impl Samples {
    fn record(&mut self, op: Op, start: Instant, window: &Window) {
        if start >= window.from && start < window.until {
            let micros = u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX);
            self.by_op.entry(op).or_default().push(micros);
        }
    }

    fn error(&mut self, start: Instant, window: &Window, what: String) {
        if start >= window.from && start < window.until {
            self.errors += 1;
            self.first_error.get_or_insert(what);
        }
    }
}

/// Latency percentiles, milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Latency {
    requests: u64,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    max_ms: f64,
}

impl Latency {
    fn of(sorted: &[u32]) -> Latency {
        let at = |q: f64| {
            if sorted.is_empty() {
                0.0
            } else {
                let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
                f64::from(sorted[i]) / 1000.0
            }
        };
        Latency {
            requests: sorted.len() as u64,
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            p999_ms: at(0.999),
            max_ms: sorted.last().map_or(0.0, |&m| f64::from(m) / 1000.0),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoadReport {
    seconds: f64,
    connections: usize,
    requests_per_second: f64,
    errors: u64,
    first_error: Option<String>,
    all: Latency,
    by_op: BTreeMap<String, Latency>,
}

async fn load(target: &str, opts: &LoadOpts) -> anyhow::Result<LoadReport> {
    let (addr, host) = parse_target(target)?;
    let requests = Arc::new(Requests { host });
    let start = Instant::now();
    let window = Arc::new(Window {
        from: start + Duration::from_secs(opts.warmup),
        until: start + Duration::from_secs(opts.warmup + opts.seconds),
    });
    let mut users = Vec::new();
    for _ in 0..opts.connections.max(1) {
        let requests = requests.clone();
        let window = window.clone();
        let rounds = opts.rounds;
        users.push(tokio::spawn(async move {
            virtual_user(addr, &requests, rounds, &window).await
        }));
    }
    let mut merged: BTreeMap<Op, Vec<u32>> = BTreeMap::new();
    let mut errors = 0;
    let mut first_error = None;
    for user in users {
        let samples = user.await?;
        for (op, mut v) in samples.by_op {
            merged.entry(op).or_default().append(&mut v);
        }
        errors += samples.errors;
        if first_error.is_none() {
            first_error = samples.first_error;
        }
    }
    let mut all = Vec::new();
    let mut by_op = BTreeMap::new();
    for (op, mut v) in merged {
        v.sort_unstable();
        by_op.insert(op.name().to_owned(), Latency::of(&v));
        all.extend(v);
    }
    all.sort_unstable();
    let all = Latency::of(&all);
    Ok(LoadReport {
        seconds: opts.seconds as f64,
        connections: opts.connections,
        requests_per_second: all.requests as f64 / opts.seconds as f64,
        errors,
        first_error,
        all,
        by_op,
    })
}

/// One virtual user: log in, then `rounds` × {me ×3, refresh}; again until
/// the window closes. An error or a non-200 answer starts over with a login
/// (on a new connection after an IO error).
async fn virtual_user(addr: SocketAddr, req: &Requests, rounds: u32, window: &Window) -> Samples {
    let mut samples = Samples::default();
    let mut conn: Option<Conn> = None;
    let login = req.login();
    'session: while Instant::now() < window.until {
        let c = match &mut conn {
            Some(c) => c,
            None => match Conn::connect(addr).await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    samples.error(Instant::now(), window, format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let Ok(body) = step(c, Op::Login, &login, &mut samples, window).await else {
            conn = None;
            continue;
        };
        let Ok(mut tokens) = serde_json::from_slice::<Tokens>(&body) else {
            continue;
        };
        for _ in 0..rounds {
            let me = req.me(&tokens.access_token);
            for _ in 0..3 {
                if step(c, Op::Me, &me, &mut samples, window).await.is_err() {
                    conn = None;
                    continue 'session;
                }
            }
            let Ok(body) = step(
                c,
                Op::Refresh,
                &req.refresh(&tokens.refresh_token),
                &mut samples,
                window,
            )
            .await
            else {
                conn = None;
                continue 'session;
            };
            match serde_json::from_slice::<Tokens>(&body) {
                Ok(t) => tokens = t,
                Err(_) => continue 'session,
            }
            if Instant::now() >= window.until {
                break 'session;
            }
        }
    }
    samples
}

/// One timed request; the body of a 200, or `Err` (recorded as an error).
async fn step(
    c: &mut Conn,
    op: Op,
    bytes: &[u8],
    samples: &mut Samples,
    window: &Window,
) -> Result<Vec<u8>, ()> {
    let start = Instant::now();
    match c.send(bytes).await {
        Ok(a) if a.status == 200 => {
            samples.record(op, start, window);
            Ok(a.body)
        }
        Ok(a) => {
            samples.record(op, start, window);
            let text = String::from_utf8_lossy(&a.body).into_owned();
            samples.error(start, window, format!("{}: {} {text}", op.name(), a.status));
            Err(())
        }
        Err(e) => {
            samples.error(start, window, format!("{}: {e}", op.name()));
            Err(())
        }
    }
}

// ---------------------------------------------------------------------------
// Sessions: memory with many live sessions
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionsReport {
    logins: usize,
    errors: usize,
    seconds: f64,
}

async fn sessions(
    target: &str,
    count: usize,
    connections: usize,
    pipeline: usize,
) -> anyhow::Result<SessionsReport> {
    let (addr, host) = parse_target(target)?;
    let login = Requests { host }.login();
    let batch: Arc<Vec<u8>> = Arc::new(login.repeat(pipeline.max(1)));
    let left = Arc::new(AtomicUsize::new(count));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections.max(1) {
        let left = left.clone();
        let batch = batch.clone();
        let login = login.clone();
        let pipeline = pipeline.max(1);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            let (mut ok, mut errors) = (0usize, 0usize);
            loop {
                // Claim up to `pipeline` logins.
                let claimed = left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |l| {
                        (l > 0).then(|| l.saturating_sub(pipeline))
                    })
                    .map_or(0, |l| l.min(pipeline));
                if claimed == 0 {
                    break;
                }
                if claimed == pipeline {
                    conn.stream.write_all(&batch).await?;
                } else {
                    conn.stream.write_all(&login.repeat(claimed)).await?;
                }
                for _ in 0..claimed {
                    match conn.read().await?.status {
                        200 => ok += 1,
                        _ => errors += 1,
                    }
                }
            }
            anyhow::Ok((ok, errors))
        }));
    }
    let (mut logins, mut errors) = (0, 0);
    for t in tasks {
        let (ok, err) = t.await??;
        logins += ok;
        errors += err;
    }
    Ok(SessionsReport {
        logins,
        errors,
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ListingReport {
    pages: usize,
    tokens: usize,
    page_ms: Latency,
    logins: usize,
    login_ms: Latency,
}

async fn listing(target: &str, seconds: u64, limit: usize) -> anyhow::Result<ListingReport> {
    let (addr, host) = parse_target(target)?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let get = |path: &str| {
        format!("GET {path} HTTP/1.1\r\nhost: {host}\r\naccept: application/json\r\n\r\n")
            .into_bytes()
    };
    let mut lister = Conn::connect(addr).await?;
    let lister = async {
        let (mut pages, mut tokens, mut times) = (0, 0, Vec::new());
        let mut cursor: Option<String> = None;
        while Instant::now() < until {
            let path = match &cursor {
                Some(c) => format!("/__mock/tokens?limit={limit}&cursor={c}"),
                None => format!("/__mock/tokens?limit={limit}"),
            };
            let start = Instant::now();
            let answer = lister.send(&get(&path)).await?;
            times.push(start.elapsed().as_micros() as u32);
            if answer.status != 200 {
                bail!("/__mock/tokens answered {}", answer.status);
            }
            let page: serde_json::Value = serde_json::from_slice(&answer.body)?;
            pages += 1;
            tokens += page["items"].as_array().map_or(0, Vec::len);
            cursor = page["next"].as_str().map(str::to_owned);
        }
        times.sort_unstable();
        anyhow::Ok((pages, tokens, Latency::of(&times)))
    };
    let login = Requests { host: host.clone() }.login();
    let mut prober = Conn::connect(addr).await?;
    let prober = async {
        let mut times = Vec::new();
        while Instant::now() < until {
            let start = Instant::now();
            let answer = prober.send(&login).await?;
            times.push(start.elapsed().as_micros() as u32);
            if answer.status != 200 {
                bail!("login answered {}", answer.status);
            }
        }
        times.sort_unstable();
        anyhow::Ok((times.len(), Latency::of(&times)))
    };
    let (listed, probed) = tokio::join!(lister, prober);
    let ((pages, tokens, page_ms), (logins, login_ms)) = (listed?, probed?);
    Ok(ListingReport {
        pages,
        tokens,
        page_ms,
        logins,
        login_ms,
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ModelReport {
    sessions: usize,
    tokens: usize,
    /// The median and the longest of 100 copies of a page of 1000 tokens
    /// (or sessions) out of the model, at places spread over the listing:
    /// what a listing holds the lock for.
    page_of_1000_tokens_us: [u64; 2],
    page_of_1000_sessions_us: [u64; 2],
    rss_before_kb: u64,
    rss_after_kb: u64,
    seconds: f64,
}

fn model_sessions(count: usize) -> anyhow::Result<()> {
    use openapi::model::{Action, Model};

    let spec = openapi::reference_spec();
    let lifecycle = spec.lifecycle();
    let mut model = Model::new(lifecycle.policy.clone(), lifecycle.accounts.clone());
    let mut codec = mock_server::MockCodec::new();
    drop(spec);
    let rss_before_kb = memory(std::process::id())?.rss_kb;
    let start = Instant::now();
    let now = 1_700_000_000;
    for _ in 0..count {
        let action = Action::Login {
            username: Some("demo"),
            password: Some("demo"),
        };
        model.apply(action, now, &mut codec);
    }
    let seconds = start.elapsed().as_secs_f64();
    let (mut tokens_us, mut sessions_us) = (Vec::new(), Vec::new());
    for i in 0..100u32 {
        let from = (count as u64 * u64::from(i) / 100) as u32;
        let t = Instant::now();
        let page: Vec<_> = model.listed(from, now).take(1001).collect();
        tokens_us.push(t.elapsed().as_micros() as u64);
        let t = Instant::now();
        let sessions: Vec<_> = model.sessions_from(from).take(1001).collect();
        sessions_us.push(t.elapsed().as_micros() as u64);
        drop((page, sessions));
    }
    let median_max = |mut v: Vec<u64>| {
        v.sort_unstable();
        [v[v.len() / 2], v[v.len() - 1]]
    };
    let (tokens_us, sessions_us) = (median_max(tokens_us), median_max(sessions_us));
    let report = ModelReport {
        sessions: model.session_count(),
        tokens: model.listed(0, now).count(),
        page_of_1000_tokens_us: tokens_us,
        page_of_1000_sessions_us: sessions_us,
        rss_before_kb,
        rss_after_kb: memory(std::process::id())?.rss_kb,
        seconds,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DayReport {
    refreshes: u64,
    logins: u64,
    logouts: u64,
    failures: u64,
    simulated_seconds: u64,
    seconds: f64,
    sessions_started: usize,
    max_sessions_stored: usize,
    max_rss_kb: u64,
    hwm_kb: u64,
    stopped_early: bool,
}

/// One client of the simulated day: its session's tokens and how many
/// refreshes it has left in it.
struct Client {
    access: String,
    refresh: String,
    left: u32,
}

fn day(o: &DayOpts) -> anyhow::Result<()> {
    use openapi::model::{Action, Model, Outcome};

    let spec = openapi::reference_spec();
    let lifecycle = spec.lifecycle();
    let mut model = Model::new(lifecycle.policy.clone(), lifecycle.accounts.clone());
    let mut codec = mock_server::MockCodec::new();
    drop(spec);
    let start_at: u64 = 1_700_000_000;
    let total = o.rate * o.seconds;
    let (mut logins, mut logouts, mut failures) = (0u64, 0u64, 0u64);
    let login = |model: &mut Model, codec: &mut mock_server::MockCodec, now: u64| {
        let action = Action::Login {
            username: Some("demo"),
            password: Some("demo"),
        };
        match model.apply(action, now, codec) {
            Outcome::Issued(t) => Some(Client {
                access: t.access_token.to_string(),
                refresh: t.refresh_token.to_string(),
                left: o.session_refreshes,
            }),
            _ => None,
        }
    };
    let mut clients = Vec::with_capacity(o.clients);
    for _ in 0..o.clients.max(1) {
        clients.push(login(&mut model, &mut codec, start_at).context("login")?);
        logins += 1;
    }
    println!(
        "day: {} refreshes/s for {} simulated s ({total} refreshes), {} clients, \
         a new session every {} refreshes of a client",
        o.rate, o.seconds, o.clients, o.session_refreshes
    );
    let started = Instant::now();
    let (mut max_rss_kb, mut done, mut stopped_early) = (0u64, 0u64, false);
    let mut max_stored = 0usize;
    for i in 0..total {
        let now = start_at + i / o.rate.max(1);
        let k = (i % clients.len() as u64) as usize;
        if clients[k].left == 0 {
            if k % 10 == 0 {
                let action = Action::Logout {
                    access_token: Some(&clients[k].access),
                };
                if !matches!(model.apply(action, now, &mut codec), Outcome::Done) {
                    failures += 1;
                }
                logouts += 1;
            }
            clients[k] = login(&mut model, &mut codec, now).context("login")?;
            logins += 1;
        }
        let c = &mut clients[k];
        let action = Action::Refresh {
            refresh_token: Some(&c.refresh),
        };
        match model.apply(action, now, &mut codec) {
            Outcome::Issued(t) => {
                c.access = t.access_token.to_string();
                c.refresh = t.refresh_token.to_string();
            }
            _ => failures += 1,
        }
        c.left -= 1;
        done += 1;
        if done % o.sample_every.max(1) == 0 {
            let rss = memory(std::process::id())?.rss_kb;
            max_rss_kb = max_rss_kb.max(rss);
            max_stored = max_stored.max(model.stored_sessions());
            println!(
                "day: {done:>10} refreshes, simulated {:>5.1} h, RSS {:>7.1} MB, \
                 {:>8} sessions stored, {:.0} refreshes/s",
                (now - start_at) as f64 / 3600.0,
                mb(rss),
                model.stored_sessions(),
                done as f64 / started.elapsed().as_secs_f64()
            );
            if o.max_rss_mb > 0 && mb(rss) > o.max_rss_mb as f64 {
                stopped_early = true;
                break;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let mem = memory(std::process::id())?;
    let report = DayReport {
        refreshes: done,
        logins,
        logouts,
        failures,
        simulated_seconds: done / o.rate.max(1),
        seconds,
        sessions_started: model.session_count(),
        max_sessions_stored: max_stored.max(model.stored_sessions()),
        max_rss_kb: max_rss_kb.max(mem.rss_kb),
        hwm_kb: mem.hwm_kb,
        stopped_early,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

// ---------------------------------------------------------------------------
// The orchestrator
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Memory {
    rss_kb: u64,
    hwm_kb: u64,
}

fn memory(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(Memory {
        rss_kb: field("VmRSS:"),
        hwm_kb: field("VmHWM:"),
    })
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// A child process, killed when dropped.
struct Proc {
    child: Child,
    url: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

fn command(program: &std::path::Path, cpus: Option<&str>) -> Command {
    match cpus {
        // taskset execs the program: the PID stays the program's.
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(cpus).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// Start a server that prints its `http://` URL as the last word of its
/// first stdout line.
fn start_server(mut cmd: Command) -> anyhow::Result<Proc> {
    use std::io::BufRead;

    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut reader = std::io::BufReader::new(stdout);
    let mut proc_ = Proc {
        child,
        url: String::new(),
    };
    // The bare server prints its URL alone; the mock's banner has it on
    // its `listening on` line, after the spec's name.
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || seen.lines().count() > 20 {
            bail!("no URL in the first lines of {cmd:?}: {seen:?}");
        }
        seen.push_str(&line);
        if let Some(url) = line
            .split_whitespace()
            .last()
            .filter(|w| w.starts_with("http://"))
        {
            break url.to_owned();
        }
    };
    // Keep draining stdout so that the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    proc_.url = url;
    Ok(proc_)
}

/// Start a `mock-bench` subcommand as a child (stdout piped).
fn spawn_child(cpus: Option<&str>, args: &[String]) -> anyhow::Result<Child> {
    let me = std::env::current_exe()?;
    command(&me, cpus)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("running mock-bench {args:?}"))
}

/// Wait for a child started by [`spawn_child`] and parse its JSON line.
fn child_output<T: for<'de> Deserialize<'de>>(child: Child) -> anyhow::Result<T> {
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("mock-bench child failed: {}", out.status);
    }
    let text = String::from_utf8(out.stdout)?;
    let line = text.lines().last().context("no output")?;
    Ok(serde_json::from_str(line)?)
}

/// Run a `mock-bench` subcommand as a child and parse its JSON line.
fn child_json<T: for<'de> Deserialize<'de>>(
    cpus: Option<&str>,
    args: &[String],
) -> anyhow::Result<T> {
    child_output(spawn_child(cpus, args)?)
}

/// CPU time (user + system) a process has used, in seconds (Linux clock
/// ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the `(comm)`, which may contain spaces.
    let rest = stat.rsplit_once(')').context("bad /proc/PID/stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after comm.
    let ticks: u64 = fields.get(11).context("no utime")?.parse::<u64>()?
        + fields.get(12).context("no stime")?.parse::<u64>()?;
    Ok(ticks as f64 / 100.0)
}

fn load_args(url: &str, o: &LoadOpts) -> Vec<String> {
    let mut args = vec![
        "load".to_owned(),
        "--target".into(),
        url.into(),
        "--seconds".into(),
        o.seconds.to_string(),
        "--warmup".into(),
        o.warmup.to_string(),
        "--connections".into(),
        o.connections.to_string(),
        "--rounds".into(),
        o.rounds.to_string(),
    ];
    if let Some(t) = o.threads {
        args.extend(["--threads".into(), t.to_string()]);
    }
    args
}

struct Measured {
    report: LoadReport,
    idle: Memory,
    after: Memory,
    /// Server CPU seconds during the measured window.
    cpu: f64,
}

impl Measured {
    /// Server CPU microseconds per request.
    fn cpu_per_request_us(&self) -> f64 {
        self.cpu * 1e6 / (self.report.requests_per_second * self.report.seconds).max(1.0)
    }
}

fn measure(server: Command, args: &RunArgs) -> anyhow::Result<Measured> {
    let server = start_server(server)?;
    std::thread::sleep(Duration::from_millis(500));
    let idle = memory(server.pid())?;
    let load = spawn_child(
        args.load_cpus.as_deref(),
        &load_args(&server.url, &args.load),
    )?;
    std::thread::sleep(Duration::from_secs(args.load.warmup));
    let cpu_from = cpu_seconds(server.pid())?;
    std::thread::sleep(Duration::from_secs(args.load.seconds));
    let cpu = cpu_seconds(server.pid())? - cpu_from;
    let report = child_output(load)?;
    let after = memory(server.pid())?;
    Ok(Measured {
        report,
        idle,
        after,
        cpu,
    })
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn print_row(name: &str, m: &Measured) {
    let r = &m.report;
    println!(
        "{name:<6} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>9.1} {:>9.1} {:>10.1}",
        r.requests_per_second,
        r.all.p50_ms,
        r.all.p99_ms,
        r.all.p999_ms,
        r.all.max_ms,
        r.errors,
        mb(m.idle.rss_kb),
        mb(m.after.rss_kb),
        m.cpu_per_request_us(),
    );
    if let Some(e) = &r.first_error {
        println!("       first error: {e}");
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let mock_bin = args
        .mock_bin
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mock-server")));
    let me = std::env::current_exe()?;
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "mock-bench: {cpus} CPUs ({}), load average {}",
        cpu_model(),
        loadavg()
    );
    println!(
        "mock-bench: {} s measured after {} s warm-up, {} connections, {} rounds of \
         {{me x3, refresh}} per login, servers on CPUs {}, load generator on CPUs {}",
        args.load.seconds,
        args.load.warmup,
        args.load.connections,
        args.load.rounds,
        args.server_cpus.as_deref().unwrap_or("any"),
        args.load_cpus.as_deref().unwrap_or("any"),
    );
    let mock_cmd = || {
        let mut c = command(&mock_bin, args.server_cpus.as_deref());
        c.args(["--port", "0"]);
        c
    };
    let bare_cmd = || {
        let mut c = command(&me, args.server_cpus.as_deref());
        c.args(["bare", "--port", "0"]);
        c
    };

    println!();
    println!(
        "{:<6} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9} {:>9} {:>10}",
        "server",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "errors",
        "idle MB",
        "after MB",
        "CPU us/req"
    );
    let mut bare_runs = Vec::new();
    let mut mock_runs = Vec::new();
    for i in 0..args.repeat.max(1) {
        // Alternate the order so that drift hits both alike.
        let order = if i % 2 == 0 {
            ["bare", "mock"]
        } else {
            ["mock", "bare"]
        };
        for which in order {
            if which == "bare" {
                let m = measure(bare_cmd(), &args)?;
                print_row("bare", &m);
                bare_runs.push(m);
            } else {
                let m = measure(mock_cmd(), &args)?;
                print_row("mock", &m);
                mock_runs.push(m);
            }
        }
    }
    let bare_rps = median(
        bare_runs
            .iter()
            .map(|m| m.report.requests_per_second)
            .collect(),
    );
    let mock_rps = median(
        mock_runs
            .iter()
            .map(|m| m.report.requests_per_second)
            .collect(),
    );
    let bare_p99 = median(bare_runs.iter().map(|m| m.report.all.p99_ms).collect());
    let mock_p99 = median(mock_runs.iter().map(|m| m.report.all.p99_ms).collect());
    let idle_kb = mock_runs.iter().map(|m| m.idle.rss_kb).min().unwrap_or(0);
    let ratio = mock_rps / bare_rps;
    println!();
    println!("per operation (last run), p50 / p99 ms:");
    for (name, runs) in [("bare", &bare_runs), ("mock", &mock_runs)] {
        if let Some(m) = runs.last() {
            let ops: Vec<String> = m
                .report
                .by_op
                .iter()
                .map(|(op, l)| {
                    format!(
                        "{op} {:.2} / {:.2} ({} req)",
                        l.p50_ms, l.p99_ms, l.requests
                    )
                })
                .collect();
            println!("  {name}: {}", ops.join(", "));
        }
    }
    println!();
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "mock/bare throughput: {mock_rps:.0} / {bare_rps:.0} req/s = {:.1}% (target >= 60%: {})",
        ratio * 100.0,
        verdict(ratio >= 0.6)
    );
    println!("p99: mock {mock_p99:.2} ms, bare {bare_p99:.2} ms");
    let bare_cpu = median(bare_runs.iter().map(Measured::cpu_per_request_us).collect());
    let mock_cpu = median(mock_runs.iter().map(Measured::cpu_per_request_us).collect());
    println!(
        "server CPU per request: mock {mock_cpu:.1} us, bare {bare_cpu:.1} us \
         (bare/mock = {:.1}%: the ratio if the server had the CPUs to itself)",
        bare_cpu / mock_cpu * 100.0
    );
    println!(
        "mock idle RSS: {:.1} MB (target < 15 MB: {})",
        mb(idle_kb),
        verdict(mb(idle_kb) < 15.0)
    );

    if args.sessions > 0 {
        let server = start_server(mock_cmd())?;
        std::thread::sleep(Duration::from_millis(500));
        let before = memory(server.pid())?;
        let r: SessionsReport = child_json(
            args.load_cpus.as_deref(),
            &[
                "sessions".into(),
                "--target".into(),
                server.url.clone(),
                "--count".into(),
                args.sessions.to_string(),
            ],
        )?;
        let after = memory(server.pid())?;
        let per =
            (after.rss_kb.saturating_sub(before.rss_kb) * 1024) as f64 / r.logins.max(1) as f64;
        println!(
            "mock with {} live sessions (HTTP logins, {:.1} s, {:.0} logins/s, {} errors): \
             RSS {:.1} MB, peak {:.1} MB, {per:.0} bytes/session (target < 150 MB: {})",
            r.logins,
            r.seconds,
            r.logins as f64 / r.seconds,
            r.errors,
            mb(after.rss_kb),
            mb(after.hwm_kb),
            verdict(mb(after.rss_kb) < 150.0 && r.logins >= args.sessions)
        );
        let l: ListingReport = child_json(
            args.load_cpus.as_deref(),
            &["listing".into(), "--target".into(), server.url.clone()],
        )?;
        println!(
            "paging /__mock/tokens 1000 at a time meanwhile: {} pages ({} tokens), a page \
             p50 {:.1} ms, max {:.1} ms; logins meanwhile: {}, p50 {:.2} ms, p99 {:.2} ms, \
             max {:.2} ms",
            l.pages,
            l.tokens,
            l.page_ms.p50_ms,
            l.page_ms.max_ms,
            l.logins,
            l.login_ms.p50_ms,
            l.login_ms.p99_ms,
            l.login_ms.max_ms
        );
        drop(server);
        let m: ModelReport = child_json(
            None,
            &[
                "model-sessions".into(),
                "--count".into(),
                args.sessions.to_string(),
            ],
        )?;
        println!(
            "model alone with {} sessions ({} tokens) in a fresh process: RSS {:.1} MB \
             (+{:.1} MB, {:.0} bytes/session, {:.2} s); a page of 1000 copied out in a median \
             {} us, at most {} us (tokens), {} / {} us (sessions)",
            m.sessions,
            m.tokens,
            mb(m.rss_after_kb),
            mb(m.rss_after_kb.saturating_sub(m.rss_before_kb)),
            (m.rss_after_kb.saturating_sub(m.rss_before_kb) * 1024) as f64
                / m.sessions.max(1) as f64,
            m.seconds,
            m.page_of_1000_tokens_us[0],
            m.page_of_1000_tokens_us[1],
            m.page_of_1000_sessions_us[0],
            m.page_of_1000_sessions_us[1]
        );
    }
    Ok(())
}
