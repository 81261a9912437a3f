//! `proxy`: the latency the validating proxy adds to a request, over a
//! direct call to the mock on loopback. A benchmark, not a timed test: it
//! prints figures. See docs/performance.md.
//!
//! ```text
//! cargo bench -p conformance --bench proxy
//! cargo bench -p conformance --bench proxy -- 20000
//! ```
//!
//! The mock serves the reference spec on 127.0.0.1 (a random port) from a
//! tokio runtime of its own; the proxy stands in front of it. One login
//! through the proxy, then N calls of `GET /me` (a bound, protected
//! operation, judged against the model) directly and N through the proxy,
//! alternating, over one kept-alive connection each; it prints p50 and p99
//! of both and of the difference of the medians.

use std::sync::Arc;
use std::time::Instant;

use conformance::proxy::{Proxy, ProxyConfig, ReportPaths};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mock = runtime
        .block_on(
            mock_server::MockServer::builder()
                .spec(openapi::reference_spec())
                .start(),
        )
        .unwrap();
    let spec = Arc::new(openapi::reference_spec());
    let proxy = Proxy::start(ProxyConfig::new(&mock.uri(), spec), ReportPaths::default()).unwrap();
    let http = reqwest::blocking::Client::new();
    let login: serde_json::Value = http
        .post(format!("{}/auth/login", proxy.uri()))
        .json(&serde_json::json!({"username": "demo", "password": "demo"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = login["accessToken"].as_str().unwrap().to_owned();
    let time = |base: &str| {
        let t = Instant::now();
        let s = http
            .get(format!("{base}/me"))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(s.status().as_u16(), 200);
        let _ = s.bytes().unwrap();
        t.elapsed().as_secs_f64() * 1e6
    };
    // Warm both connections.
    for _ in 0..200 {
        time(&mock.uri());
        time(&proxy.uri());
    }
    let (mut direct, mut proxied) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        direct.push(time(&mock.uri()));
        proxied.push(time(&proxy.uri()));
    }
    direct.sort_by(f64::total_cmp);
    proxied.sort_by(f64::total_cmp);
    let tally = proxy.tally();
    println!(
        "requests: {n} direct, {n} through the proxy (GET /me, judged: {} bound)",
        tally.bound
    );
    for (name, v) in [("direct", &direct), ("proxy", &proxied)] {
        println!(
            "{name:>7}: p50 {:>7.1} µs  p99 {:>7.1} µs",
            percentile(v, 0.5),
            percentile(v, 0.99)
        );
    }
    println!(
        "  added: p50 {:>7.1} µs  p99 {:>7.1} µs",
        percentile(&proxied, 0.5) - percentile(&direct, 0.5),
        percentile(&proxied, 0.99) - percentile(&direct, 0.99)
    );
    assert!(proxy
        .report()
        .with_status(conformance::Status::Failed)
        .next()
        .is_none());
}
