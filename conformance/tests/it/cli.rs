use crate::refimpl::{Defects, RefImpl};
use crate::support::{conformance, reference_with, root, spec, Scratch, Served};

#[test]
fn bad_arguments_exit_2() {
    let (code, _, err) = conformance(&["run"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--target"), "{err}");
    let (code, _, err) =
        conformance(&["run", "--target", "http://127.0.0.1:9", "--user", "nocolon"]);
    assert_eq!(code, 2);
    assert!(err.contains("NAME:PASSWORD"), "{err}");
    let (code, _, err) = conformance(&["run", "--target", "ftp://x", "--cases", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an http"), "{err}");
}

#[test]
fn an_unreadable_spec_exits_2() {
    let (code, _, err) = conformance(&[
        "run",
        "--target",
        "http://127.0.0.1:9",
        "--spec",
        "no/such/spec.yaml",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/spec.yaml"), "{err}");
    let (code, _, err) = conformance(&[
        "run",
        "--target",
        "http://127.0.0.1:9",
        "--spec",
        "Cargo.toml",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot load"), "{err}");
}

#[test]
fn an_unreachable_target_exits_2() {
    // Bind a port and close it, so nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, _, err) = conformance(&["run", "--target", &url, "--cases", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unreachable"), "{err}");
}

#[test]
fn a_passing_run_exits_0_and_writes_reports() {
    let mock = Served::start(spec(openapi::reference::reference_json()));
    let dir = std::env::temp_dir().join(format!("conformance-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junit = dir.join("junit.xml");
    let json = dir.join("report.json");
    let (code, out, err) = conformance(&[
        "run",
        "--target",
        &mock.uri(),
        "--cases",
        "10",
        "--report",
        &format!("junit={}", junit.display()),
        "--report",
        &format!("json={}", json.display()),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 failed"), "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite name=\"stateful\""), "{xml}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report["checks"].as_array().unwrap().len() > 10);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failing_run_exits_1() {
    let served = reference_with("reuseEndsSession", serde_json::json!(false));
    let mock = Served::start(spec(served));
    let (code, out, _) = conformance(&["run", "--target", &mock.uri(), "--cases", "60"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED: reuse ends the session"), "{out}");
    assert!(out.contains("replay the run with --seed 0"), "{out}");
}

#[test]
fn diff_and_lint_exit_codes() {
    let (code, out, err) = conformance(&["lint", "openapi/reference.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = conformance(&["diff", "openapi/reference.yaml", "openapi/reference.yaml"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = conformance(&["diff", "openapi/reference.yaml", "missing.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.yaml"), "{err}");
    let (code, _, err) = conformance(&["lint", "openapi/reference.yaml", "--format", "nope"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_run_that_left_applicable_checks_unexercised_exits_3_unless_allowed() {
    // A real target (no clock hooks) and no account: nothing of the
    // lifecycle can run.
    let server = RefImpl::start_without_hooks(Defects::default());
    let uri = server.uri();
    let (code, out, err) = conformance(&["run", "--target", &uri, "--cases", "3"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("NOT EXERCISED login issues tokens"), "{out}");
    assert!(out.contains("NOT VERIFIED"), "{out}");
    let (code, out, err) = conformance(&[
        "run",
        "--target",
        &uri,
        "--cases",
        "3",
        "--allow-unexercised",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(allowed by --allow-unexercised)"), "{out}");
}

#[test]
fn race_rounds_is_the_number_of_bursts() {
    let mock = Served::start(spec(openapi::reference::reference_json()));
    let dir = Scratch::new("races");
    let json = format!("json={}", dir.path("r.json").display());
    let uri = mock.uri();
    let args = [
        "run",
        "--target",
        &uri,
        "--cases",
        "3",
        "--race-rounds",
        "2",
    ];
    let (code, out, err) = conformance(&[&args[..], &["--report", &json]].concat());
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(dir.path("r.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let fork = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "concurrent refreshes do not fork the session")
        .unwrap();
    assert_eq!(fork["status"], "passed");
    assert_eq!(fork["checks"], 2);
    // No race round: the race properties apply but were not exercised.
    let mut none = args;
    none[6] = "0";
    let (code, out, _) = conformance(&none);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no race round ran (--race-rounds 0)"), "{out}");
}

#[test]
fn completions_and_the_man_page_come_from_the_binary() {
    let (code, out, err) = conformance(&["completions", "bash"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("_conformance") && out.contains("--target"),
        "{out}"
    );
    let (code, out, err) = conformance(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(".TH conformance") && out.contains("lint"),
        "{out}"
    );
}

/// `lint` and `diff` take Swagger 2.0: the Docker fixture lints without a
/// breaking finding, and a 2.0 version against its 3.0 migration shows the
/// one real change, pointing into the 2.0 document.
#[test]
fn lint_and_diff_take_swagger_2_documents() {
    let (code, out, err) = conformance(&["lint", "fixtures/docker-engine.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    let pair = "drift/tests/it/pairs/request-parameter-explode-changed--swagger2";
    let (old, new) = (format!("{pair}/old.yaml"), format!("{pair}/new.yaml"));
    let (code, out, err) = conformance(&["diff", &old, &new]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("request-parameter-explode-changed"), "{out}");
    assert!(
        out.contains("old: #/paths/~1pets/get/parameters/0"),
        "{out}"
    );
}

#[test]
fn a_failing_login_command_exits_2_naming_it_and_a_working_one_passes() {
    let doc: serde_json::Value = serde_norway::from_str(
        &std::fs::read_to_string(root().join("fixtures/oidc.yaml")).unwrap(),
    )
    .unwrap();
    let mock = Served::start(spec(doc));
    let run = |command: &str| {
        conformance(&[
            "run",
            "--target",
            &mock.uri(),
            "--spec",
            "fixtures/oidc.yaml",
            "--cases",
            "3",
            "--race-rounds",
            "1",
            "--login-command",
            command,
            "--login-timeout",
            "20s",
        ])
    };
    let (code, _, err) = run("echo nope >&2; exit 1");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "error: the login command `echo nope >&2; exit 1` failed (exit status: 1): nope"
        ),
        "{err}"
    );
    let (code, out, err) = run("python3 scripts/oauth/authcode-login.py");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ok            jwt signature verifies"),
        "{out}"
    );
}

/// `diff --breaking-policy`, `--check-version` and `--config` (a
/// `drift.toml`): a new response enum value fails only the strict gate, an
/// ignore with a reason lets it through until it expires, a breaking change
/// without a major bump fails the version policy, a bad config exits 2.
#[test]
fn diff_policy_version_and_config() {
    let pair = "drift/tests/it/pairs/response-enum-value-added";
    let (old, new) = (format!("{pair}/old.yaml"), format!("{pair}/new.yaml"));
    let (code, out, err) = conformance(&["diff", &old, &new]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = conformance(&["diff", &old, &new, "--breaking-policy", "strict"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("BREAKING response-enum-value-added"), "{out}");
    let (code, _, err) = conformance(&["diff", &old, &new, "--breaking-policy", "loose"]);
    assert_eq!(code, 2, "{err}");

    let scratch = Scratch::new("drift-config");
    let config = scratch.path("drift.toml");
    std::fs::write(
        &config,
        "breaking-policy = \"strict\"\n[[ignore]]\nrule = \"response-enum-value-added\"\nreason = \"the app tolerates it\"\nexpires = 2999-12-31\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let (code, out, err) = conformance(&["diff", &old, &new, "--config", config]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ignored by the config (2)"), "{out}");
    assert!(
        out.contains("until 2999-12-31: the app tolerates it"),
        "{out}"
    );

    std::fs::write(
        scratch.path("bad.toml"),
        "[rules]\nresponse-enum-value-add = \"off\"\n",
    )
    .unwrap();
    let bad = scratch.path("bad.toml");
    let (code, _, err) = conformance(&["diff", &old, &new, "--config", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("did you mean `response-enum-value-added`"),
        "{err}"
    );

    let pair = "drift/tests/it/pairs/operation-removed";
    let (old, new) = (format!("{pair}/old.yaml"), format!("{pair}/new.yaml"));
    let (code, out, err) = conformance(&["diff", &old, &new, "--check-version"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("version-major-bump-missing"), "{out}");
}

#[test]
fn the_suite_sends_the_admin_token_from_the_environment() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mock = runtime
        .block_on(
            mock_server::MockServer::builder()
                .spec(spec(openapi::reference::reference_json()))
                .admin_token("s3cret-admin-token")
                .start(),
        )
        .unwrap();
    let target = mock.uri();
    let args = ["run", "--target", target.as_str(), "--cases", "5"];
    let (code, out, err) = crate::support::conformance_in(&root(), &args, &[]);
    assert_ne!(
        code, 0,
        "without the token the admin API refuses: {out}{err}"
    );
    let env = [("MOCK_ADMIN_TOKEN", "s3cret-admin-token")];
    let (code, out, err) = crate::support::conformance_in(&root(), &args, &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !out.contains("s3cret-admin-token") && !err.contains("s3cret-admin-token"),
        "the token is never printed"
    );
}
