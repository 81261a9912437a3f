//! Staging manners: the budget, operation and property selection, headers
//! and accounts from the environment, and the config file.

use std::sync::atomic::Ordering;

use serde_json::{json, Value};

use conformance::{OpFilter, Property, Status};

use crate::support::{conformance_in, reference_with, root, spec, Fault, Faulty, Scratch, Served};

/// A well-behaved target that counts what it receives.
fn counting() -> Faulty {
    Faulty::start(Fault::Hang, |_, _| false)
}

fn json_report(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_budget_bounds_every_request_of_every_phase() {
    let target = counting();
    let dir = Scratch::new("budget");
    let report = dir.path("r.json");
    let (code, out, err) = conformance_in(
        &root(),
        &[
            "run",
            "--target",
            &target.uri,
            "--budget",
            "120",
            "--report",
            &format!("json={}", report.display()),
        ],
        &[],
    );
    assert_ne!(code, 2, "{out}{err}");
    let received = target.requests.load(Ordering::SeqCst);
    assert!(received <= 120, "the target received {received} requests");
    let report = json_report(&report);
    assert!(report["requests"].as_u64().unwrap() <= 120);
    assert_eq!(report["stop"], json!({"reason": "budget", "requests": 120}));
    assert_eq!(report["incomplete"], false, "a bound reached is no failure");
    assert!(
        out.contains("stopped: the budget of 120 requests is spent"),
        "{out}"
    );
    // Every phase had its share: stateless, the fixed checks, sequences.
    let groups: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "passed" || c["status"] == "failed")
        .map(|c| c["group"].as_str().unwrap())
        .collect();
    for g in ["stateless", "stateful", "transport"] {
        assert!(groups.contains(&g), "{g} never ran: {out}");
    }
}

#[test]
fn bad_manners_flags_exit_2_with_the_reason() {
    let cases: [(&[&str], &str); 6] = [
        (&["--rate-limit", "10"], "not a rate such as 10/s"),
        (&["--request-timeout", "soon"], "not a duration"),
        (&["--max-body", "lots"], "not a size"),
        (
            &["--include", "verb:GET"],
            "not id:, path:, method:, tag: or when:",
        ),
        (
            &["--checks", "tokens-unikue"],
            "no property `tokens-unikue`",
        ),
        (
            &["-H", "x-api-key: $NO_SUCH_VARIABLE_SET"],
            "NO_SUCH_VARIABLE_SET is not set",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["run", "--target", "http://127.0.0.1:9"];
        all.extend_from_slice(args);
        let (code, _, err) = conformance_in(&root(), &all, &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn include_and_exclude_pick_operations_by_path_method_tag_and_id() {
    let mock = Served::start(spec(openapi::reference::reference_json()));
    let run = |include: &[&str], exclude: &[&str]| {
        let mut c = crate::support::config(&mock.uri(), openapi::reference::reference_json(), 3, 0);
        c.selection.include = include
            .iter()
            .map(|f| f.parse::<OpFilter>().unwrap())
            .collect();
        c.selection.exclude = exclude
            .iter()
            .map(|f| f.parse::<OpFilter>().unwrap())
            .collect();
        conformance::run(&c, &conformance::NoProgress).unwrap()
    };
    let stateless_ops = |r: &conformance::Report| -> Vec<String> {
        let mut ops: Vec<String> = r
            .checks
            .iter()
            .filter(|c| c.group == conformance::Group::Stateless)
            .filter_map(|c| Some(c.name.split_once(':')?.0.to_owned()))
            .collect();
        ops.dedup();
        ops
    };
    let r = run(&["path:/auth/*"], &[]);
    assert_eq!(
        stateless_ops(&r),
        ["login", "logout", "refresh"],
        "{}",
        r.to_text()
    );
    let r = run(&["tag:auth"], &["method:POST"]);
    assert!(stateless_ops(&r).is_empty(), "{}", r.to_text());
    let r = run(&[], &["id:revokeRefreshToken", "tag:account"]);
    let ops = stateless_ops(&r);
    assert!(!ops.contains(&"revokeRefreshToken".to_owned()) && !ops.contains(&"me".to_owned()));
    assert!(ops.contains(&"login".to_owned()), "{ops:?}");
    // A bound operation left out says why.
    let left_out = r
        .checks
        .iter()
        .find(|c| c.name == "revokeRefreshToken: lifecycle")
        .unwrap();
    assert_eq!(
        left_out.message.as_deref(),
        Some("excluded (--exclude id:revokeRefreshToken)")
    );
}

#[test]
fn checks_pick_properties_and_a_deselected_one_is_never_judged() {
    // This mock's refresh tokens work twice: refresh rotates and refresh
    // single-use fail when judged.
    let mut served = reference_with("refreshSingleUse", json!(false));
    served["x-token-lifecycle"]["policy"]["rotateOnRefresh"] = json!(false);
    let mock = Served::start(spec(served));
    let mut c = crate::support::config(&mock.uri(), openapi::reference::reference_json(), 30, 1);
    c.selection.checks = vec![Property::LoginIssuesTokens, Property::TokensUnique];
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    assert!(report.passed(), "{}", report.to_text());
    let check = |name: &str| report.checks.iter().find(|c| c.name == name).unwrap();
    assert_eq!(
        check(Property::LoginIssuesTokens.name()).status,
        Status::Passed
    );
    let rotates = check(Property::RefreshRotates.name());
    assert_eq!(rotates.status, Status::Deselected);
    assert_eq!(
        rotates.message.as_deref(),
        Some("--checks or --exclude-checks left it out")
    );
    // No stateless probe: its properties are not picked.
    assert!(report
        .checks
        .iter()
        .filter(|c| c.status != Status::Deselected)
        .all(|c| c.group != conformance::Group::Stateless));
}

#[test]
fn secrets_from_the_environment_reach_the_target_but_never_argv_or_reports() {
    // Revocations drop: the finding's curl shows every header.
    let target = Faulty::start(Fault::Drop, |m, p| {
        m == "DELETE" && p.starts_with("/refresh-tokens/") && p != "/refresh-tokens/mine"
    });
    let dir = Scratch::new("secrets");
    let (json_path, html_path) = (dir.path("r.json"), dir.path("r.html"));
    let (code, out, err) = conformance_in(
        &root(),
        &[
            "run",
            "--target",
            &target.uri,
            "--cases",
            "3",
            "-H",
            "x-api-key: $QA_API_KEY",
            "--user-env",
            "QA_USER",
            "--report",
            &format!("json={}", json_path.display()),
            "--report",
            &format!("html={}", html_path.display()),
        ],
        &[
            ("QA_API_KEY", "k-7f3a9c2e1b"),
            ("QA_USER", "alice:alice-secret"),
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        target.api_keys.lock().unwrap().iter().collect::<Vec<_>>(),
        ["k-7f3a9c2e1b"]
    );
    let report = std::fs::read_to_string(&json_path).unwrap();
    for text in [
        &out,
        &err,
        &report,
        &std::fs::read_to_string(&html_path).unwrap(),
    ] {
        assert!(!text.contains("k-7f3a9c2e1b"), "{text}");
        assert!(!text.contains("alice-secret"), "{text}");
    }
    // The curl commands read the secrets from the environment.
    assert!(out.contains(r#"-H "x-api-key: $QA_API_KEY""#), "{out}");
    let report: Value = serde_json::from_str(&report).unwrap();
    assert!(report
        .to_string()
        .contains("revokeRefreshToken: answers every request"));
}

#[test]
fn the_config_file_is_found_here_and_flags_override_it() {
    let target = counting();
    let dir = Scratch::new("config");
    std::fs::write(
        dir.path("conformance.toml"),
        format!(
            r#"target = "{}"
cases = 3
budget = 60
exclude = ["method:DELETE"]
checks = ["all"]

[headers]
x-api-key = "${{QA_API_KEY}}"

[reports]
html = "out/report.html"
json = "report.json"
"#,
            target.uri
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path("out")).unwrap();
    let env = [("QA_API_KEY", "from-env-1234")];
    let (code, out, err) = conformance_in(&dir.0, &["run"], &env);
    assert_ne!(code, 2, "{out}{err}");
    assert!(target.requests.load(Ordering::SeqCst) <= 60);
    assert!(dir.path("out/report.html").is_file());
    let report = json_report(&dir.path("report.json"));
    assert_eq!(report["stop"]["requests"], 60);
    assert!(!report
        .to_string()
        .contains("revokeRefreshToken: responses match"));
    assert!(target.api_keys.lock().unwrap().contains("from-env-1234"));

    // A flag wins over the file.
    let before = target.requests.load(Ordering::SeqCst);
    let (code, out, err) = conformance_in(&dir.0, &["run", "--budget", "25"], &env);
    assert_ne!(code, 2, "{out}{err}");
    assert!(target.requests.load(Ordering::SeqCst) - before <= 25);
    assert_eq!(
        json_report(&dir.path("report.json"))["stop"]["requests"],
        25
    );

    // --config names another file; an unknown key is an error.
    std::fs::write(dir.path("bad.toml"), "targte = \"http://x\"\n").unwrap();
    let (code, _, err) = conformance_in(&dir.0, &["run", "--config", "bad.toml"], &env);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.toml is not valid") && err.contains("unknown field"),
        "{err}"
    );
}
