use serde_json::json;

use crate::refimpl::{Defects, RefImpl};
use crate::support::{config, reference_with, spec, Served};

/// What varies from run to run (tokens, ports, durations), redacted.
fn redactions() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    // The run's own namespace on the mock.
    settings.add_filter(r"conformance-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+", "[namespace]");
    // The mock's tokens, then 24-character ones (of other targets).
    let mock_token = format!("[A-Za-z0-9_-]{{{}}}", mock_server::TOKEN_LEN);
    settings.add_filter(&mock_token, "[token]");
    settings.add_filter(r"[A-Za-z0-9_-]{24}", "[token]");
    settings.add_filter(
        r"\d+ requests, \d+ sequences, [\d.]+ s",
        "[n] requests, [n] sequences, [t] s",
    );
    settings.add_filter(r"\((\d+) checks\)", "([n] checks)");
    settings.add_filter(r#"time="[\d.]+""#, r#"time="[t]""#);
    settings
}

/// A failing run's report in every format.
#[test]
fn report_formats() {
    let served = reference_with("reuseEndsSession", json!(false));
    let mock = Served::start(spec(served));
    let c = config(&mock.uri(), openapi::reference::reference_json(), 60, 3);
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    assert!(!report.passed());
    let mut settings = redactions();
    settings.bind(|| {
        insta::assert_snapshot!("text", report.to_text());
        insta::assert_snapshot!("junit", report.to_junit());
    });
    // HTML: one self-contained page, the checked counts redacted too.
    let html = report.to_html();
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("src="));
    settings.add_filter(r"<td>\d+</td><td>", "<td>[n]</td><td>");
    settings.bind(|| insta::assert_snapshot!("html", html));
    // JSON: the structure, with counts and timings removed.
    let mut v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    for key in [
        "requests",
        "sequences",
        "seconds",
        "target",
        "units",
        "spec_digest",
    ] {
        v[key] = json!(format!("[{key}]"));
    }
    for check in v["checks"].as_array_mut().unwrap() {
        check["checks"] = json!("[n]");
        for key in ["first_at", "detected_at"] {
            if check.get(key).is_some() {
                check[key] = json!("[request]");
            }
        }
    }
    settings.bind(|| insta::assert_json_snapshot!("json", v));
    // A JSON report without `source` (written before it existed) is a
    // run's, with the seed that replays it.
    let mut back: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    back.as_object_mut().unwrap().remove("source");
    let back: conformance::Report = serde_json::from_value(back).unwrap();
    assert_eq!(back.source, conformance::Source::Run);
    assert_eq!(back.reproduce().hint(), "replay the run with --seed 3");
}

/// A run that could not log in against a real target: the line that says
/// so first, every property that needed a session not exercised, in text
/// and JUnit (errors, not failures).
#[test]
fn report_of_a_run_that_could_not_log_in() {
    let server = RefImpl::start_without_hooks(Defects::default());
    let mut c = config(&server.uri(), openapi::reference::reference_json(), 5, 0);
    c.users = vec![("demo".into(), "wrong".into())];
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    assert_eq!(report.verdict(), conformance::Verdict::Unexercised);
    redactions().bind(|| {
        insta::assert_snapshot!("text_could_not_log_in", report.to_text());
        insta::assert_snapshot!("junit_could_not_log_in", report.to_junit());
    });
}
