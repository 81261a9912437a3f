//! `slow-connections`: other clients' logins while one client holds
//! thousands of slow connections to the mock (the slowloris attack: each
//! sends part of a request head, then a byte now and then, and opens a new
//! connection whenever the mock closes one).
//!
//! ```text
//! cargo bench -p mock-server --bench slow-connections
//! cargo bench -p mock-server --bench slow-connections -- --slow 20000 --mock PATH
//! ```
//!
//! It starts the `mock-server` binary (this build's, or `--mock PATH`,
//! e.g. an older build, with `--port 0` and nothing else) and the attacker
//! (this bench again, `--attack ADDR`: one process, one client, holding the
//! slow connections), each its own process, and measures
//! `--clients` clients each logging in `--logins` times, one fresh
//! connection per login, first alone, then with `--slow` slow
//! connections held open; prints the latencies (p50, p99, max), the logins
//! that failed or took longer than 5 s, how many slow connections were
//! open, how many the mock closed, and the mock's CPU use and memory under
//! the attack. Loopback only. The attacker is one client, in as many
//! processes as its open-file limit needs (two for 20,000 under
//! `ulimit -n 20000`), so that it can exhaust the mock's file descriptors.

use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Other clients' logins while one client holds slow connections.
#[derive(Debug, Parser)]
#[command(name = "slow-connections")]
struct Args {
    /// Slow connections to hold open.
    #[arg(long, default_value_t = 20_000)]
    slow: usize,
    /// Other clients, logging in concurrently.
    #[arg(long, default_value_t = 10)]
    clients: usize,
    /// Logins per client and phase.
    #[arg(long, default_value_t = 100)]
    logins: usize,
    /// Seconds between the bytes a slow connection sends.
    #[arg(long, default_value_t = 5)]
    trickle: u64,
    /// The mock binary (default: this build's).
    #[arg(long)]
    mock: Option<PathBuf>,
    /// An argument for the mock (repeatable), e.g. `--mock-arg=--max-connections=5000`.
    #[arg(long = "mock-arg", value_name = "ARG", allow_hyphen_values = true)]
    mock_args: Vec<String>,
    /// Be the attacker: hold `--slow` slow connections to ADDR, printing
    /// `open OPENED CLOSED` every 100 ms.
    #[arg(long, value_name = "ADDR")]
    attack: Option<String>,
    /// Cargo passes `--bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

/// A login that takes longer than this counts as failed.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(5);
/// File descriptors the attacker keeps for itself (its standard streams,
/// the runtime's epoll and wakers): it opens as many connections as its
/// open-file limit allows beyond these, as a real attacker would.
const RESERVE: usize = 16;

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.attack {
        Some(addr) => attack(addr, &args),
        None => run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let program = args
        .mock
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mock-server")));
    let files = open_file_limit().unwrap_or(1024);
    // One client, as many processes as its open-file limit needs.
    let per_process = files.saturating_sub(RESERVE).max(1);
    let processes = args.slow.div_ceil(per_process).max(1);
    let slow = args.slow;
    println!(
        "{slow} slow connections from {processes} attacker process(es) (open-file limit {files} \
         each)"
    );
    let mut mock = Mock::start(&program, &args.mock_args)?;
    let addr = mock.addr.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let alone = rt.block_on(logins(&addr, args));
    println!("alone:          {alone}");
    let mut attackers = (0..processes)
        .map(|i| {
            let share = slow / processes + usize::from(i < slow % processes);
            Attacker::start(&addr, share, args.trickle).map(|a| (a, share))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let open_at_start: usize = attackers
        .iter_mut()
        .map(|(a, share)| a.until_open(*share, Duration::from_secs(120)))
        .sum();
    let (under, cpu, busy) = rt.block_on(async {
        let before = cpu_seconds(mock.pid())?;
        let started = Instant::now();
        let under = logins(&addr, args).await;
        let cpu = cpu_seconds(mock.pid())? - before;
        anyhow::Ok((under, cpu, started.elapsed().as_secs_f64()))
    })?;
    // The attack alone, without other clients, for as long.
    let quiet = Duration::from_secs_f64(busy.max(2.0));
    let before = cpu_seconds(mock.pid())?;
    std::thread::sleep(quiet);
    let idle_cpu = cpu_seconds(mock.pid())? - before;
    let rss = rss_mb(mock.pid())?;
    let (opened, closed) = attackers
        .into_iter()
        .map(|(a, _)| a.stop())
        .fold((0, 0), |(o, c), (a, b)| (o + a, c + b));
    println!("under attack:   {under}");
    println!(
        "slow connections: {slow} asked, {open_at_start} open at the start of the measure, \
         {opened} opened in all, {closed} closed by the mock"
    );
    println!(
        "mock under attack: {:.0}% of a core while serving the logins, {:.0}% with the \
         attack alone; {rss:.0} MB resident",
        100.0 * cpu / busy,
        100.0 * idle_cpu / quiet.as_secs_f64()
    );
    mock.stop();
    Ok(())
}

/// The attacker, as a child process (this bench with `--attack`).
struct Attacker {
    child: Child,
    /// The latest (open, opened, closed) it printed.
    latest: std::sync::mpsc::Receiver<(usize, usize, usize)>,
    last: (usize, usize, usize),
}

impl Attacker {
    fn start(addr: &str, slow: usize, trickle: u64) -> anyhow::Result<Attacker> {
        use std::io::BufRead;
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--attack", addr, "--slow", &slow.to_string()])
            .args(["--trickle", &trickle.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the attacker")?;
        let out = child.stdout.take().context("no stdout")?;
        let (tx, latest) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let n: Vec<usize> = line
                    .split_whitespace()
                    .filter_map(|w| w.parse().ok())
                    .collect();
                if let [open, opened, closed] = n[..] {
                    let _ = tx.send((open, opened, closed));
                }
            }
        });
        Ok(Attacker {
            child,
            latest,
            last: (0, 0, 0),
        })
    }

    /// Wait until `count` are open (or `most` has passed); how many are.
    fn until_open(&mut self, count: usize, most: Duration) -> usize {
        let started = Instant::now();
        while self.last.0 < count && started.elapsed() < most {
            match self.latest.recv_timeout(Duration::from_secs(1)) {
                Ok(counts) => self.last = counts,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(_) => break,
            }
        }
        self.last.0
    }

    /// Stop it; how many connections it opened and how many the mock
    /// closed.
    fn stop(mut self) -> (usize, usize) {
        while let Ok(counts) = self.latest.try_recv() {
            self.last = counts;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        (self.last.1, self.last.2)
    }
}

/// `--attack ADDR`: hold the slow connections until killed.
fn attack(addr: &str, args: &Args) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let attack = Attack::start(addr, args.slow, Duration::from_secs(args.trickle));
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            println!(
                "{} {} {}",
                attack.open.load(Ordering::Relaxed),
                attack.opened.load(Ordering::Relaxed),
                attack.closed.load(Ordering::Relaxed)
            );
        }
    })
}

/// The mock, as a child process.
struct Mock {
    child: Child,
    /// `127.0.0.1:PORT`.
    addr: String,
}

impl Mock {
    fn start(program: &std::path::Path, extra: &[String]) -> anyhow::Result<Mock> {
        use std::io::BufRead;
        let mut child = Command::new(program)
            .args(["--port", "0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let out = child.stdout.take().context("no stdout")?;
        let mut lines = std::io::BufReader::new(out).lines();
        let addr = lines.by_ref().map_while(Result::ok).find_map(|l| {
            let url = l.trim().strip_prefix("listening on")?.trim().to_owned();
            Some(url.trim_start_matches("http://").to_owned())
        });
        // Keep draining the banner.
        std::thread::spawn(move || lines.for_each(drop));
        match addr {
            Some(addr) => Ok(Mock { child, addr }),
            None => {
                let _ = child.kill();
                bail!("the mock printed no address")
            }
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Login latencies of one phase.
struct Logins {
    millis: Vec<f64>,
    failed: usize,
    first_failure: Option<String>,
}

impl std::fmt::Display for Logins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = self.millis.clone();
        m.sort_by(f64::total_cmp);
        let at = |q: f64| {
            m.get(((m.len() as f64 * q).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or(f64::NAN)
        };
        write!(
            f,
            "{} logins ok, {} failed; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            m.len(),
            self.failed,
            at(0.5),
            at(0.99),
            m.last().copied().unwrap_or(f64::NAN)
        )?;
        if let Some(why) = &self.first_failure {
            write!(f, " (first failure: {why})")?;
        }
        Ok(())
    }
}

/// `clients` clients, each logging in `logins` times in a row.
async fn logins(addr: &str, args: &Args) -> Logins {
    let clients: Vec<_> = (0..args.clients)
        .map(|_| {
            let addr = addr.to_owned();
            let n = args.logins;
            tokio::spawn(async move {
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    let started = Instant::now();
                    let result = tokio::time::timeout(LOGIN_TIMEOUT, login(&addr)).await;
                    let result = match result {
                        Ok(r) => r,
                        Err(_) => Err(anyhow::anyhow!("no answer within 5 s")),
                    };
                    out.push(result.map(|()| started.elapsed().as_secs_f64() * 1000.0));
                }
                out
            })
        })
        .collect();
    let mut all = Logins {
        millis: Vec::new(),
        failed: 0,
        first_failure: None,
    };
    for client in clients {
        for result in client.await.unwrap_or_default() {
            match result {
                Ok(ms) => all.millis.push(ms),
                Err(e) => {
                    all.failed += 1;
                    all.first_failure.get_or_insert(format!("{e:#}"));
                }
            }
        }
    }
    all
}

/// One login on a fresh connection, read to its end.
async fn login(addr: &str) -> anyhow::Result<()> {
    let body = r#"{"username":"demo","password":"demo"}"#;
    let request = format!(
        "POST /auth/login HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.context("connect")?;
    stream
        .write_all(request.as_bytes())
        .await
        .context("write")?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.context("read")?;
    if answer.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        let line = String::from_utf8_lossy(&answer);
        bail!("answered {:?}", line.lines().next().unwrap_or("nothing"))
    }
}

/// The slow connections.
struct Attack {
    open: Arc<AtomicUsize>,
    opened: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
    _tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Attack {
    fn start(addr: &str, count: usize, trickle: Duration) -> Attack {
        let open = Arc::new(AtomicUsize::new(0));
        let opened = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        // Connect at most this many at once, as a client with a pool would.
        let connecting = Arc::new(tokio::sync::Semaphore::new(256));
        let tasks = (0..count)
            .map(|_| {
                let (addr, open, opened, closed) = (
                    addr.to_owned(),
                    open.clone(),
                    opened.clone(),
                    closed.clone(),
                );
                let connecting = connecting.clone();
                tokio::spawn(async move {
                    loop {
                        let permit = connecting.acquire().await;
                        let Ok(mut stream) = TcpStream::connect(&addr).await else {
                            drop(permit);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        };
                        let head = format!("GET /me HTTP/1.1\r\nhost: {addr}\r\nx-slow: ");
                        if stream.write_all(head.as_bytes()).await.is_err() {
                            continue;
                        }
                        drop(permit);
                        opened.fetch_add(1, Ordering::Relaxed);
                        open.fetch_add(1, Ordering::Relaxed);
                        slow(&mut stream, trickle).await;
                        open.fetch_sub(1, Ordering::Relaxed);
                        closed.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        Attack {
            open,
            opened,
            closed,
            _tasks: tasks,
        }
    }
}

/// A byte of the head every `trickle`, until the mock closes the
/// connection.
async fn slow(stream: &mut TcpStream, trickle: Duration) {
    let mut buf = [0u8; 512];
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                // An answer (a 503, a 408): the mock is done with it.
                Ok(_) => return,
            },
            _ = tokio::time::sleep(trickle) => {
                if stream.write_all(b"a").await.is_err() {
                    return;
                }
            }
        }
    }
}

fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// User and system CPU seconds of a process.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').context("no stat")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}

/// Resident memory, in MB.
fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("no VmRSS")?;
    Ok(kb / 1024.0)
}
