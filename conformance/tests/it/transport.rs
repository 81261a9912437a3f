//! The transport: https with a CA made in the test, mTLS, and targets that
//! hang, send endless bodies or drop connections. Each run ends within its
//! budget with a report naming the right finding.

use std::sync::atomic::Ordering;
use std::time::Duration;

use conformance::{CheckResult, Group, Property, Report, Status};

use crate::support::{conformance_in, root, Fault, Faulty, Pki, Scratch, TlsServed};

fn run_tls(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["run", "--cases", "2", "--max-steps", "6"];
    all.extend_from_slice(args);
    conformance_in(&root(), &all, &[])
}

#[test]
fn https_with_the_ca_passes_and_without_it_fails_clearly() {
    let pki = Pki::new("https");
    let server = TlsServed::start(&pki, false);
    let ca = pki.ca.display().to_string();
    let (code, out, err) = run_tls(&["--target", &server.uri, "--ca-cert", &ca]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(" 0 failed"), "{out}");
    assert!(!err.contains("WARNING"), "{err}");

    let (code, out, err) = run_tls(&["--target", &server.uri]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("unreachable"), "{err}");
    assert!(
        err.contains("certificate"),
        "the reason names the certificate: {err}"
    );
}

#[test]
fn insecure_works_and_every_report_says_so() {
    let pki = Pki::new("insecure");
    let server = TlsServed::start(&pki, false);
    let dir = Scratch::new("insecure");
    let json = dir.path("r.json").display().to_string();
    let html = dir.path("r.html").display().to_string();
    let junit = dir.path("r.xml").display().to_string();
    let (code, out, err) = run_tls(&[
        "--target",
        &server.uri,
        "--insecure",
        "--report",
        &format!("json={json}"),
        "--report",
        &format!("html={html}"),
        "--report",
        &format!("junit={junit}"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("WARNING: --insecure"), "{err}");
    assert!(
        out.starts_with("WARNING: TLS certificates are NOT verified"),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report["warnings"][0]
        .as_str()
        .unwrap()
        .contains("NOT verified"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("class=\"banner warning\">WARNING: TLS certificates are NOT verified"));
    // The curl commands replay it the same way.
    assert!(page.contains("curl -i -X") || !page.contains("Failures"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("NOT verified"), "{xml}");
}

#[test]
fn mtls_passes_with_the_client_certificate_and_is_refused_without() {
    let pki = Pki::new("mtls");
    let server = TlsServed::start(&pki, true);
    let ca = pki.ca.display().to_string();
    let cert = pki.client_cert.display().to_string();
    let key = pki.client_key.display().to_string();
    let (code, out, err) = run_tls(&[
        "--target",
        &server.uri,
        "--ca-cert",
        &ca,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(" 0 failed"), "{out}");

    let (code, out, err) = run_tls(&["--target", &server.uri, "--ca-cert", &ca]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("unreachable"), "{err}");

    // Half a pair, or a file that is no PEM, is bad input.
    let (code, _, err) = run_tls(&["--target", &server.uri, "--client-cert", &cert]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--client-cert and --client-key go together"),
        "{err}"
    );
    let (code, _, err) = run_tls(&["--target", &server.uri, "--ca-cert", "Cargo.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("Cargo.toml is not valid PEM"), "{err}");
}

/// Run the suite against `target` with short timeouts and a budget.
fn run_against(target: &Faulty, tune: impl FnOnce(&mut conformance::Config)) -> Report {
    let mut config = conformance::Config::new(&target.uri);
    config.cases = 5;
    config.max_steps = 8;
    config.concurrency = 2;
    config.transport.request_timeout = Duration::from_secs(2);
    config.limits.requests = Some(600);
    tune(&mut config);
    let report = conformance::run(&config, &conformance::NoProgress).unwrap();
    assert!(report.requests <= 600, "{}", report.to_text());
    assert!(target.requests.load(Ordering::SeqCst) <= 600);
    report
}

/// The one failed transport check of `report`, which must be `name`.
fn only_transport_failure<'r>(report: &'r Report, name: &str) -> &'r CheckResult {
    let failed: Vec<&CheckResult> = report
        .checks
        .iter()
        .filter(|c| c.group == Group::Transport && c.status == Status::Failed)
        .collect();
    let names: Vec<&str> = failed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, [name], "{}", report.to_text());
    failed[0]
}

#[test]
fn a_hanging_operation_fails_responds_in_time_and_the_run_goes_on() {
    let target = Faulty::start(Fault::Hang, |m, p| m == "POST" && p == "/auth/refresh");
    let report = run_against(&target, |_| {});
    let f = only_transport_failure(&report, "refresh: responds in time");
    // Given up after two timeouts: no run of cases x timeout.
    assert_eq!(f.checks, 2, "{}", report.to_text());
    assert!(f
        .message
        .as_deref()
        .unwrap()
        .contains("no answer within 2s"));
    assert!(f.steps[0].curl.contains("/auth/refresh"));
    // The run went on: the other operations were checked.
    let passed = |name: &str| {
        report
            .checks
            .iter()
            .any(|c| c.name == name && c.status == Status::Passed)
    };
    assert!(
        passed("login: responses match the spec"),
        "{}",
        report.to_text()
    );
    assert!(
        passed(Property::LoginIssuesTokens.name()),
        "{}",
        report.to_text()
    );
    assert!(report.stop.is_none() && !report.incomplete);
}

#[test]
fn an_endless_body_is_read_up_to_the_bound_and_fails_that_property() {
    let target = Faulty::start(Fault::EndlessBody, |m, p| m == "GET" && p == "/me");
    let report = run_against(&target, |c| c.transport.max_body = 64 << 10);
    let f = only_transport_failure(&report, "me: response body within --max-body");
    assert!(
        f.message
            .as_deref()
            .unwrap()
            .contains("over --max-body 65536 bytes"),
        "{f:?}"
    );
}

#[test]
fn dropped_connections_fail_answers_every_request() {
    let target = Faulty::start(Fault::Drop, |m, p| {
        m == "DELETE" && p.starts_with("/refresh-tokens/") && p != "/refresh-tokens/mine"
    });
    let report = run_against(&target, |_| {});
    only_transport_failure(&report, "revokeRefreshToken: answers every request");
    assert!(report.stop.is_none(), "{}", report.to_text());
}

#[test]
fn a_target_failing_in_a_row_stops_the_run_with_an_incomplete_report() {
    // Reachable, then every operation's connection drops.
    let target = Faulty::start(Fault::Drop, |_, p| p != "/" && !p.starts_with("/__mock"));
    let dir = Scratch::new("failing");
    let json = dir.path("r.json");
    let html = dir.path("r.html");
    let (code, out, err) = conformance_in(
        &root(),
        &[
            "run",
            "--target",
            &target.uri,
            "--max-failures-in-a-row",
            "3",
            "--report",
            &format!("json={}", json.display()),
            "--report",
            &format!("html={}", html.display()),
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("INCOMPLETE: 3 requests failed in a row"),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["incomplete"], true);
    assert_eq!(report["stop"]["reason"], "failing");
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("INCOMPLETE"));
    // It stopped: a handful of requests, not the whole run's.
    assert!(target.requests.load(Ordering::SeqCst) < 20);
    // What was not reached says so.
    assert!(
        out.contains("not reached: 3 requests failed in a row"),
        "{out}"
    );
}

#[test]
fn ctrl_c_writes_the_reports_and_exits_130() {
    let target = Faulty::start(Fault::Hang, |m, p| m == "POST" && p == "/auth/login");
    let dir = Scratch::new("ctrlc");
    let json = dir.path("r.json");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args([
            "run",
            "--target",
            &target.uri,
            "--request-timeout",
            "5s",
            "--report",
            &format!("json={}", json.display()),
        ])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The run is under way once a login hangs.
    target
        .entered
        .recv_timeout(Duration::from_secs(60))
        .expect("a login reached the target");
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["stop"]["reason"], "interrupted");
    assert_eq!(report["incomplete"], true);
    assert!(
        stdout.contains("INCOMPLETE: interrupted (Ctrl-C)"),
        "{stdout}"
    );
}

#[test]
fn an_unreachable_target_still_gets_its_reports() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = Scratch::new("unreachable");
    let json = dir.path("r.json");
    let html = dir.path("r.html");
    let (code, _, err) = conformance_in(
        &root(),
        &[
            "run",
            "--target",
            &format!("http://127.0.0.1:{port}"),
            "--report",
            &format!("json={}", json.display()),
            "--report",
            &format!("html={}", html.display()),
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unreachable"), "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["stop"]["reason"], "unreachable");
    assert_eq!(report["incomplete"], true);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("INCOMPLETE: the target is unreachable"),
        "{page}"
    );
}
