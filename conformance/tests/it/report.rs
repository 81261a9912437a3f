use serde_json::json;

use crate::support::{config, reference_with, spec, Served};

/// A failing run's report in every format, with what varies from run to run
/// (tokens, ports, durations) redacted.
#[test]
fn report_formats() {
    let served = reference_with("reuseEndsSession", json!(false));
    let mock = Served::start(spec(served));
    let c = config(&mock.uri(), openapi::reference::reference_json(), 60, 3);
    let report = conformance::run(&c, &conformance::NoProgress).unwrap();
    assert!(!report.passed());
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    // The run's own namespace on the mock.
    settings.add_filter(r"conformance-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+", "[namespace]");
    settings.add_filter(r"[A-Za-z0-9_-]{24}", "[token]");
    settings.add_filter(
        r"\d+ requests, \d+ sequences, [\d.]+ s",
        "[n] requests, [n] sequences, [t] s",
    );
    settings.add_filter(r"\((\d+) checks\)", "([n] checks)");
    settings.add_filter(r#"time="[\d.]+""#, r#"time="[t]""#);
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
    for key in ["requests", "sequences", "seconds", "target"] {
        v[key] = json!(format!("[{key}]"));
    }
    for check in v["checks"].as_array_mut().unwrap() {
        check["checks"] = json!("[n]");
    }
    settings.bind(|| insta::assert_json_snapshot!("json", v));
}
