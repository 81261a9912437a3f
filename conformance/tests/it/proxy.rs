use std::sync::Arc;

use serde_json::{json, Value};

use conformance::proxy::{Proxy, ProxyConfig, ReportPaths};
use conformance::{Property, Status};

use crate::seeded;
use crate::support::{self, config, spec, Served};

/// A proxy in front of `upstream`, judging against `checked`.
fn proxy(upstream: &str, checked: Value, errors: bool) -> Proxy {
    let mut c = ProxyConfig::new(upstream, Arc::new(spec(checked)));
    c.errors = errors;
    Proxy::start(c, ReportPaths::default()).unwrap()
}

/// A seeded defect served, the proxy in front of it checking what the
/// suite checks (not judging with `--errors`), and a client through the
/// proxy. The served mock comes first: it outlives the other two.
fn in_front_of(d: seeded::Seeded) -> (Served, Proxy, Client) {
    let mock = Served::start(spec(d.served));
    let proxy = proxy(&mock.uri(), d.checked, false);
    let client = Client::new(proxy.uri());
    (mock, proxy, client)
}

/// The properties the proxy's report lists as failed.
fn failed(proxy: &Proxy) -> Vec<String> {
    proxy
        .report()
        .with_status(Status::Failed)
        .map(|c| c.name.clone())
        .collect()
}

/// A scripted client: JSON in, status and JSON out.
struct Client {
    base: String,
    http: reqwest::blocking::Client,
}

impl Client {
    fn new(base: String) -> Client {
        Client {
            base,
            http: reqwest::blocking::Client::new(),
        }
    }

    fn post(&self, path: &str, body: Value, bearer: Option<&str>) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        let resp = req.send().unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(Value::Null))
    }

    fn get(&self, path: &str, bearer: &str) -> u16 {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(bearer)
            .send()
            .unwrap();
        resp.status().as_u16()
    }

    fn login(&self) -> (String, String) {
        let (status, body) = self.post(
            "/auth/login",
            json!({"username": "demo", "password": "demo"}),
            None,
        );
        assert_eq!(status, 200, "{body}");
        (
            body["accessToken"].as_str().unwrap().to_owned(),
            body["refreshToken"].as_str().unwrap().to_owned(),
        )
    }

    /// Log in, refresh, refresh with the same token again.
    fn refresh_twice(&self) {
        let (_, refresh) = self.login();
        let body = json!({ "refreshToken": refresh });
        assert_eq!(self.post("/auth/refresh", body.clone(), None).0, 200);
        self.post("/auth/refresh", body, None);
    }
}

fn reference() -> Value {
    openapi::reference::reference_json()
}

#[test]
fn the_suite_through_the_proxy_in_front_of_the_mock_sees_no_violation() {
    let mock = Served::start(spec(reference()));
    let proxy = proxy(&mock.uri(), reference(), false);
    for seed in 1..3 {
        let mut c = config(&proxy.uri(), reference(), 5, seed);
        c.users = spec(reference()).lifecycle().accounts.clone();
        c.race_rounds = 0;
        conformance::run(&c, &conformance::NoProgress).unwrap();
    }
    let tally = proxy.tally();
    assert!(tally.bound > 20, "{tally:?}");
    assert!(
        tally.exercised[&Property::RefreshSingleUse] > 0,
        "{tally:?}"
    );
    assert!(
        tally.exercised[&Property::ResponsesDocumented] > 0,
        "{tally:?}"
    );
    assert_eq!(
        failed(&proxy),
        Vec::<String>::new(),
        "{}",
        proxy.report().to_text()
    );
    assert!(proxy.journal().is_empty());
}

#[test]
fn a_refresh_token_that_works_twice_is_reported_as_single_use() {
    let (_mock, proxy, client) = in_front_of(seeded::refresh_tokens_work_twice());
    client.refresh_twice();
    assert_eq!(failed(&proxy), [Property::RefreshSingleUse.name()]);
    let journal = proxy.journal();
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0].path, "/auth/refresh");
    assert_eq!(
        journal[0].violations[0].0,
        Property::RefreshSingleUse.name()
    );
}

#[test]
fn a_reuse_that_does_not_end_the_session_is_reported() {
    let (_mock, proxy, client) = in_front_of(seeded::reuse_does_not_end_the_session());
    let (_, refresh) = client.login();
    let (_, second) = client.post("/auth/refresh", json!({ "refreshToken": refresh }), None);
    let access = second["accessToken"].as_str().unwrap().to_owned();
    // The reuse is refused (as it should be), but the session lives on.
    client.post("/auth/refresh", json!({ "refreshToken": refresh }), None);
    client.get("/me", &access);
    assert_eq!(failed(&proxy), [Property::ReuseEndsSession.name()]);
}

#[test]
fn a_logout_that_keeps_the_refresh_token_alive_is_reported() {
    let (_mock, proxy, client) = in_front_of(seeded::logout_keeps_the_refresh_token_alive());
    let (access, refresh) = client.login();
    client.post("/auth/logout", json!({}), Some(&access));
    client.post("/auth/refresh", json!({ "refreshToken": refresh }), None);
    assert_eq!(failed(&proxy), [Property::LogoutEndsSession.name()]);
}

#[test]
fn a_refresh_that_does_not_rotate_is_reported() {
    let (_mock, proxy, client) = in_front_of(seeded::refresh_does_not_rotate());
    let (_, refresh) = client.login();
    client.post("/auth/refresh", json!({ "refreshToken": refresh }), None);
    assert_eq!(failed(&proxy), [Property::RefreshRotates.name()]);
}

#[test]
fn tokens_issued_before_the_proxy_started_get_no_verdict() {
    let d = seeded::refresh_tokens_work_twice();
    let mock = Served::start(spec(d.served));
    let direct = Client::new(mock.uri());
    let (_, refresh) = direct.login();
    let proxy = proxy(&mock.uri(), d.checked, false);
    let client = Client::new(proxy.uri());
    let body = json!({ "refreshToken": refresh });
    client.post("/auth/refresh", body.clone(), None);
    client.post("/auth/refresh", body, None);
    assert_eq!(failed(&proxy), Vec::<String>::new());
    assert_eq!(proxy.tally().no_verdict, 2);
}

#[test]
fn with_errors_a_violation_is_a_502_problem() {
    let d = seeded::refresh_tokens_work_twice();
    let mock = Served::start(spec(d.served));
    let proxy = proxy(&mock.uri(), d.checked, true);
    let client = Client::new(proxy.uri());
    let (_, refresh) = client.login();
    let body = json!({ "refreshToken": refresh });
    assert_eq!(client.post("/auth/refresh", body.clone(), None).0, 200);
    let (status, problem) = client.post("/auth/refresh", body, None);
    assert_eq!(status, 502, "{problem}");
    assert_eq!(problem["upstreamStatus"], 200);
    assert_eq!(
        problem["violations"][0]["property"],
        Property::RefreshSingleUse.name()
    );
}

#[test]
fn the_report_is_written_on_post_and_at_finish() {
    let d = seeded::refresh_tokens_work_twice();
    let mock = Served::start(spec(d.served));
    let dir = crate::support::Scratch::new("proxy-report");
    let reports = ReportPaths {
        json: Some(dir.path("proxy.json")),
        junit: Some(dir.path("proxy.xml")),
        html: Some(dir.path("proxy.html")),
    };
    let c = ProxyConfig::new(&mock.uri(), Arc::new(spec(d.checked)));
    let proxy = Proxy::start(c, reports).unwrap();
    let client = Client::new(proxy.uri());
    client.refresh_twice();
    let (status, report) = client.post("/__mock/report", json!({}), None);
    assert_eq!(status, 200);
    let failed: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0]["name"], Property::RefreshSingleUse.name());
    let written = std::fs::read_to_string(dir.path("proxy.xml")).unwrap();
    assert!(written.contains("refresh single-use"), "{written}");
    let report = proxy.finish().unwrap();
    assert_eq!(conformance::proxy::exit_code(&report), 1);
    assert!(std::fs::read_to_string(dir.path("proxy.html"))
        .unwrap()
        .contains("refresh single-use"));
}

#[test]
fn the_binary_exits_1_after_a_violation_and_0_without() {
    use std::io::BufRead;
    let d = seeded::refresh_tokens_work_twice();
    let mock = Served::start(spec(d.served));
    for (violate, code) in [(true, 1), (false, 0)] {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
            .args(["proxy", "--upstream", &mock.uri(), "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The banner says it listens.
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut banner = String::new();
        stderr.read_line(&mut banner).unwrap();
        assert!(banner.contains("conformance proxy on"), "{banner}");
        let client = Client::new(format!("http://127.0.0.1:{port}"));
        if violate {
            client.refresh_twice();
        } else {
            client.login();
        }
        let pid = child.id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "violation: {violate}");
    }
}

#[test]
fn simplejwt_without_the_blacklist_is_reported_as_single_use_by_passive_observation() {
    let Some(django) = crate::support::simplejwt(false, false) else {
        return;
    };
    let checked =
        openapi::Spec::from_path(&crate::support::root().join("fixtures/simplejwt.yaml")).unwrap();
    let mut c = ProxyConfig::new(&django.url, Arc::new(checked));
    c.users = vec![("demo".into(), "demo".into())];
    let proxy = Proxy::start(c, ReportPaths::default()).unwrap();
    let client = Client::new(proxy.uri());
    let (status, pair) = client.post(
        "/api/token/",
        json!({"username": "demo", "password": "demo"}),
        None,
    );
    assert_eq!(status, 200, "{pair}");
    let body = json!({ "refresh": pair["refresh"] });
    assert_eq!(
        client.post("/api/token/refresh/", body.clone(), None).0,
        200
    );
    client.post("/api/token/refresh/", body, None);
    assert!(proxy.tally().bound >= 3, "{:?}", proxy.tally());
    assert_eq!(failed(&proxy), [Property::RefreshSingleUse.name()]);
}

/// The suite's run in front of `proxy`, once, with the reference spec.
fn suite_through(proxy: &Proxy, seed: u64) {
    let mut c = config(&proxy.uri(), reference(), 5, seed);
    c.users = spec(reference()).lifecycle().accounts.clone();
    c.race_rounds = 0;
    conformance::run(&c, &conformance::NoProgress).unwrap();
}

#[test]
fn the_suite_through_the_proxy_in_front_of_an_https_mock_sees_no_violation() {
    let pki = crate::support::Pki::new("proxy-https");
    // The upstream asks for a client certificate of the test CA: the
    // proxy presents the one of its TLS options, as `run` does.
    let mock = crate::support::TlsServed::start(&pki, true);
    let mut c = ProxyConfig::new(&mock.uri, Arc::new(spec(reference())));
    c.tls = conformance::Tls {
        ca_cert: Some(pki.ca.clone()),
        client_cert: Some(pki.client_cert.clone()),
        client_key: Some(pki.client_key.clone()),
        insecure: false,
    };
    let proxy = Proxy::start(c, ReportPaths::default()).unwrap();
    suite_through(&proxy, 1);
    let tally = proxy.tally();
    assert!(tally.bound > 10, "{tally:?}");
    assert_eq!(tally.unjudged, 0, "{tally:?}");
    assert_eq!(
        failed(&proxy),
        Vec::<String>::new(),
        "{}",
        proxy.report().to_text()
    );
}

#[test]
fn an_upstream_certificate_the_proxy_does_not_trust_is_a_502_that_names_the_cause() {
    let pki = crate::support::Pki::new("proxy-untrusted");
    let mock = crate::support::TlsServed::start(&pki, false);
    // No --ca-cert: the test CA is not among the webpki or system roots.
    let proxy = proxy(&mock.uri, reference(), false);
    let (status, problem) = Client::new(proxy.uri()).post(
        "/auth/login",
        json!({"username": "demo", "password": "demo"}),
        None,
    );
    assert_eq!(status, 502, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("the upstream did not answer"),
        "{detail}"
    );
    assert!(detail.contains("certificate"), "{detail}");
    assert!(detail.contains("UnknownIssuer"), "{detail}");
    // Nothing was forwarded, so nothing judged.
    assert_eq!(proxy.tally().exchanges, 0);
}

#[test]
fn an_upstream_that_is_neither_http_nor_https_is_refused() {
    let c = ProxyConfig::new("ftp://127.0.0.1:21", Arc::new(spec(reference())));
    let e = Proxy::start(c, ReportPaths::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the upstream must be an http:// or https:// URL, got `ftp://127.0.0.1:21`"
    );
}

/// 3 MiB of bytes that are not all alike.
fn big_body() -> Vec<u8> {
    (0..3u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// An upstream for the streaming tests: `GET /big` answers [`big_body`]
/// as JSON with its length, `GET /chunked` the same without a length,
/// `GET /html` a small HTML error page without a length,
/// any `POST` echoes its body, and `GET /events` is an event stream that
/// sends one event, then ends when `release` fires.
fn streaming_upstream(release: tokio::sync::oneshot::Receiver<()>) -> crate::support::Background {
    use poem::{Body, Response};
    let release = Arc::new(std::sync::Mutex::new(Some(release)));
    let endpoint = poem::endpoint::make(move |req: poem::Request| {
        let release = release.clone();
        async move {
            let path = req.uri().path().to_owned();
            let resp = match (req.method().as_str(), path.as_str()) {
                ("POST", _) => {
                    let body = req.into_body().into_bytes().await.unwrap_or_default();
                    Response::builder()
                        .content_type("application/octet-stream")
                        .body(body)
                }
                ("HEAD", "/big") => Response::builder()
                    .content_type("application/json")
                    .body(big_body()),
                ("GET", "/big") => Response::builder()
                    .content_type("application/json")
                    .body(big_body()),
                ("GET", "/chunked") => {
                    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = big_body()
                        .chunks(64 << 10)
                        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
                        .collect();
                    Response::builder()
                        .content_type("application/json")
                        .body(Body::from_bytes_stream(futures::stream::iter(chunks)))
                }
                ("GET", "/html") => {
                    let page: [Result<bytes::Bytes, std::io::Error>; 2] = [
                        Ok(bytes::Bytes::from_static(b"<html><body>")),
                        Ok(bytes::Bytes::from_static(b"bad gateway</body></html>")),
                    ];
                    Response::builder()
                        .status(poem::http::StatusCode::BAD_GATEWAY)
                        .content_type("text/html")
                        .body(Body::from_bytes_stream(futures::stream::iter(page)))
                }
                ("GET", "/events") => {
                    let rx = release.lock().unwrap().take();
                    let first = futures::stream::once(async {
                        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"data: one\n\n"))
                    });
                    let last = futures::stream::once(async move {
                        if let Some(rx) = rx {
                            let _ = rx.await;
                        }
                        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"data: two\n\n"))
                    });
                    use futures::StreamExt as _;
                    Response::builder()
                        .content_type("text/event-stream")
                        .body(Body::from_bytes_stream(first.chain(last)))
                }
                _ => Response::builder()
                    .status(poem::http::StatusCode::NOT_FOUND)
                    .finish(),
            };
            Ok::<Response, poem::Error>(resp)
        }
    });
    crate::support::Background::serve(endpoint)
}

#[test]
fn bodies_over_the_judge_limit_stream_through_byte_identical_and_are_not_judged() {
    let (_release, rx) = tokio::sync::oneshot::channel();
    let upstream = streaming_upstream(rx);
    let proxy = proxy(&upstream.uri(), reference(), true);
    let http = reqwest::blocking::Client::new();
    let big = big_body();
    for path in ["/big", "/chunked"] {
        let resp = http.get(format!("{}{path}", proxy.uri())).send().unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let got = resp.bytes().unwrap();
        assert_eq!(got.len(), big.len(), "{path}");
        assert!(got[..] == big[..], "{path}: the body changed on the way");
    }
    // A HEAD answer keeps the length a GET would have.
    let head = http.head(format!("{}/big", proxy.uri())).send().unwrap();
    assert_eq!(
        head.headers()["content-length"],
        big.len().to_string().as_str()
    );
    let resp = http
        .post(format!("{}/auth/login", proxy.uri()))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.bytes().unwrap()[..] == big[..],
        "the request body changed on the way"
    );
    let tally = proxy.tally();
    assert_eq!(tally.unjudged, 3, "{tally:?}");
    // The HEAD was judged: no route of the spec, so nothing to say.
    assert_eq!(tally.exchanges, 4, "{tally:?}");
    assert!(tally.exercised.is_empty(), "{tally:?}");
    let report = proxy.report();
    assert_eq!(report.with_status(Status::Failed).count(), 0);
    assert_eq!(
        report.warnings,
        [
            "3 exchange(s) not judged: a body streamed through (over the 1024 KiB judge limit, \
          or an event stream); first: GET /big: the answer's body streamed"
        ]
    );
}

#[test]
fn an_event_stream_is_relayed_as_it_comes() {
    use std::io::Read as _;
    let (release, rx) = tokio::sync::oneshot::channel();
    let upstream = streaming_upstream(rx);
    let proxy = proxy(&upstream.uri(), reference(), false);
    let mut resp = reqwest::blocking::Client::new()
        .get(format!("{}/events", proxy.uri()))
        .send()
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    // The first event arrives while the upstream holds the second back:
    // the proxy did not wait for the end.
    let mut first = [0u8; 11];
    resp.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"data: one\n\n");
    release.send(()).unwrap();
    let mut rest = String::new();
    resp.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "data: two\n\n");
    assert_eq!(proxy.tally().unjudged, 1);
}

impl Client {
    fn delete(&self, path: &str) -> u16 {
        let resp = self
            .http
            .delete(format!("{}{path}", self.base))
            .send()
            .unwrap();
        resp.status().as_u16()
    }
}

/// A cached answer: headers and body.
type Answer = (Vec<(String, String)>, bytes::Bytes);

/// The mock behind a cache that answers every login after the first with
/// the first one's answer: the same tokens, issued twice.
fn login_cache(mock: &str) -> crate::support::Background {
    let cached: Arc<std::sync::Mutex<Option<Answer>>> = Arc::default();
    let client = reqwest::Client::new();
    let mock = mock.to_owned();
    let endpoint = poem::endpoint::make(move |req: poem::Request| {
        let (cached, client, mock) = (cached.clone(), client.clone(), mock.clone());
        async move {
            let login = req.uri().path() == "/auth/login";
            let hit = cached.lock().unwrap().clone();
            let resp = match hit {
                Some((headers, body)) if login => {
                    let mut out = poem::Response::builder();
                    for (n, v) in headers {
                        out = out.header(n, v);
                    }
                    out.body(body)
                }
                _ => {
                    let resp = crate::support::forward(&client, &mock, req).await;
                    if !login || resp.status() != 200 {
                        resp
                    } else {
                        let (parts, body) = resp.into_parts();
                        let body = body.into_bytes().await.unwrap_or_default();
                        let headers = parts
                            .headers
                            .iter()
                            .filter(|(n, _)| *n != "content-length")
                            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
                            .collect();
                        *cached.lock().unwrap() = Some((headers, body.clone()));
                        poem::Response::from_parts(parts, body.into())
                    }
                }
            };
            Ok::<poem::Response, poem::Error>(resp)
        }
    });
    crate::support::Background::serve(endpoint)
}

#[test]
fn a_token_issued_twice_is_reported_as_tokens_unique() {
    let mock = Served::start(spec(reference()));
    let cache = login_cache(&mock.uri());
    let proxy = proxy(&cache.uri(), reference(), false);
    let client = Client::new(proxy.uri());
    let first = client.login();
    let second = client.login();
    assert_eq!(first, second, "the cache did not answer");
    assert_eq!(failed(&proxy), [Property::TokensUnique.name()]);
    let journal = proxy.journal();
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0].exchange, 2);
    assert_eq!(journal[0].violations[0].0, Property::TokensUnique.name());
    // The token is named, shortened: never in full.
    let message = &journal[0].violations[0].1;
    let short = format!("token {}… was issued before", &first.0[..4]);
    assert_eq!(message, &short);
    let report = proxy.report().to_json();
    assert!(
        !report.contains(&first.0) && !report.contains(&first.1),
        "{report}"
    );
}

#[test]
fn a_revoke_that_does_not_answer_as_documented_is_reported_as_revoke_always() {
    let (_mock, proxy, client) = in_front_of(seeded::revoke_answers_404_for_unknown_tokens());
    let (_, refresh) = client.login();
    assert_eq!(client.delete(&format!("/refresh-tokens/{refresh}")), 204);
    // A token never seen issued: no verdict, whatever the answer.
    // (only that 404 is not a documented status).
    assert_eq!(client.delete("/refresh-tokens/never-issued"), 404);
    assert_eq!(failed(&proxy), [Property::ResponsesDocumented.name()]);
    // The revoked token again: documented as 204 whatever the token,
    // answered 404.
    assert_eq!(client.delete(&format!("/refresh-tokens/{refresh}")), 404);
    let mut want = vec![
        Property::ResponsesDocumented.name(),
        Property::RevokeAlways.name(),
    ];
    want.sort();
    let mut got = failed(&proxy);
    got.sort();
    assert_eq!(got, want);
    let journal = proxy.journal();
    assert_eq!(journal.len(), 2, "{journal:?}");
    assert_eq!(journal[1].status, 404);
    assert_eq!(
        journal[1].path,
        format!("/refresh-tokens/{}…", &refresh[..4])
    );
    let names: Vec<&str> = journal[1].violations.iter().map(|v| v.0.as_str()).collect();
    assert!(names.contains(&Property::RevokeAlways.name()), "{names:?}");
}

#[test]
fn a_bound_exchange_streamed_through_leaves_no_false_verdict_behind() {
    // A mock that reads bodies of up to 8 MiB.
    let mock = Served::from_builder(
        mock_server::MockServer::builder()
            .spec(spec(reference()))
            .body_limit(8 << 20),
    );
    let proxy = proxy(&mock.uri(), reference(), false);
    let client = Client::new(proxy.uri());
    let (access, refresh) = client.login();
    // A logout the proxy cannot read (a body over the judge limit): the
    // mock ends the session, the model does not know it.
    let pad = "x".repeat(2 << 20);
    let (status, _) = client.post("/auth/logout", json!({ "pad": pad }), Some(&access));
    assert_eq!(status, 204);
    assert_eq!(proxy.tally().unjudged, 1);
    // So the refresh is refused where the model would predict success:
    // the model forgot the session's tokens, so no verdict.
    let (status, _) = client.post("/auth/refresh", json!({ "refreshToken": refresh }), None);
    assert_eq!(status, 401);
    assert_eq!(failed(&proxy), Vec::<String>::new());
    assert!(proxy.tally().no_verdict >= 1, "{:?}", proxy.tally());
}

/// What varies from run to run in a proxy's report (ports, times, the
/// shortened tokens), redacted as the suite's report snapshots do.
fn redactions() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    settings.add_filter(r"[A-Za-z0-9_.~+=-]{4}…", "[token]…");
    settings.add_filter(r#"time="[\d.]+""#, r#"time="[t]""#);
    settings.add_filter(r"sequences, [\d.]+ s\)", "sequences, [t] s)");
    settings
}

#[test]
fn the_reports_of_a_defect_run() {
    let d = seeded::refresh_tokens_work_twice();
    // A mock that reads large bodies (not a 413 before the body is sent).
    let mock = Served::from_builder(
        mock_server::MockServer::builder()
            .spec(spec(d.served))
            .body_limit(8 << 20),
    );
    let proxy = proxy(&mock.uri(), d.checked, false);
    let client = Client::new(proxy.uri());
    client.refresh_twice();
    // And one exchange the proxy streams through: a warning.
    let pad = "x".repeat(2 << 20);
    let (status, _) = client.post("/auth/login", json!({ "pad": pad }), None);
    assert_eq!(status, 400);
    let report = proxy.report();
    let mut json: Value = serde_json::from_str(&report.to_json()).unwrap();
    json["seconds"] = json!("[seconds]");
    redactions().bind(|| {
        insta::assert_json_snapshot!("proxy_json", json);
        insta::assert_snapshot!("proxy_junit", report.to_junit());
        insta::assert_snapshot!("proxy_text", report.to_text());
    });
    // The page says what the other formats say, and no seed.
    let html = report.to_html();
    assert!(
        html.contains("against “Token Lifecycle Reference API”, traffic through the proxy ("),
        "{html}"
    );
    assert!(
        html.contains(
            "<p>First violating exchange (rerun the traffic through the proxy to reproduce it):</p>"
        ),
        "{html}"
    );
    assert!(!html.contains("--seed"), "{html}");
    // The JSON report reads back as the proxy's.
    let back: conformance::Report = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(back.source, conformance::Source::Proxy);
    assert_eq!(back.reproduce(), report.reproduce());
}

/// The reference spec with JWT access tokens (RS256, the mock's key).

#[test]
fn jwt_claims_are_judged_passively_and_the_key_set_is_not_fetched() {
    let mock = Served::start(spec(support::reference_with_jwt()));
    let proxy = proxy(&mock.uri(), support::reference_with_jwt(), false);
    let client = Client::new(proxy.uri());
    let (_, refresh) = client.login();
    client.post("/auth/refresh", json!({ "refreshToken": refresh }), None);
    let tally = proxy.tally();
    assert_eq!(failed(&proxy), Vec::<String>::new(), "{tally:?}");
    for p in [
        Property::JwtExpAgreesWithExpiresIn,
        Property::JwtIatNotInTheFuture,
        Property::JwtJtiUnique,
        Property::JwtIssAndAudAsDeclared,
    ] {
        assert!(
            tally.exercised.get(&p).copied().unwrap_or(0) >= 2,
            "{}: {tally:?}",
            p.name()
        );
    }
    // The signature needs the key set: the proxy asks nothing of its own.
    assert!(
        !tally
            .exercised
            .contains_key(&Property::JwtSignatureVerifies),
        "{tally:?}"
    );
}

#[test]
fn a_jwt_lifetime_that_disagrees_with_expires_in_is_reported() {
    // As in the suite's defect test: the served copy answers the
    // example's `expiresIn: 60`, while its JWTs live 3600 s.
    let served = support::jwt_lifetime_off_by_3540_s();
    let mock = Served::start(spec(served));
    let proxy = proxy(&mock.uri(), support::reference_with_jwt(), false);
    Client::new(proxy.uri()).login();
    assert_eq!(failed(&proxy), [Property::JwtExpAgreesWithExpiresIn.name()]);
    let journal = proxy.journal();
    assert!(journal[0].violations[0].1.contains("3600 s"), "{journal:?}");
}

/// `POST /oauth/token` with a form, as client `id`: status and JSON.
fn token_request(base: &str, id: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = reqwest::blocking::Client::new()
        .post(format!("{base}/oauth/token"))
        .basic_auth(id, Some(format!("{id}-secret")))
        .form(form)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

/// Log in as `web-app`, then refresh with `mobile-app`'s credentials:
/// the refresh's status.
fn refresh_as_another_client(base: &str) -> u16 {
    let login = [
        ("grant_type", "password"),
        ("username", "demo"),
        ("password", "demo"),
    ];
    let (status, pair) = token_request(base, "web-app", &login);
    assert_eq!(status, 200, "{pair}");
    let refresh = pair["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    token_request(base, "mobile-app", &form).0
}

#[test]
fn client_authentication_is_followed_so_another_clients_refresh_is_no_false_alarm() {
    let mock = Served::start(spec(crate::support::oauth2()));
    let proxy = proxy(&mock.uri(), crate::support::oauth2(), false);
    let status = refresh_as_another_client(&proxy.uri());
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(failed(&proxy), Vec::<String>::new(), "{:?}", proxy.tally());
    assert_eq!(proxy.tally().bound, 2, "{:?}", proxy.tally());
}

#[test]
fn a_refresh_that_ignores_the_client_is_reported_as_client_bound() {
    let d = seeded::refresh_ignores_the_client();
    let mock = Served::start(spec(d.served));
    let proxy = proxy(&mock.uri(), d.checked, false);
    assert_eq!(refresh_as_another_client(&proxy.uri()), 200);
    assert_eq!(failed(&proxy), [Property::ClientBound.name()]);
    // The report's curl shortens the client's credentials.
    let report = proxy.report().to_json();
    let basic = openapi::wire::basic_authorization("mobile-app", "mobile-app-secret");
    let credential = basic.trim_start_matches("Basic ");
    assert!(!report.contains(credential), "{report}");
    assert!(
        report.contains(&format!("authorization: Basic {}…", &credential[..4])),
        "{report}"
    );
}

/// Log in as `web-app`, then introspect the refresh token as `web-app`:
/// the introspection's status and answer.
fn introspect_the_refresh_token(base: &str) -> (u16, Value) {
    let login = [
        ("grant_type", "password"),
        ("username", "demo"),
        ("password", "demo"),
    ];
    let (status, pair) = token_request(base, "web-app", &login);
    assert_eq!(status, 200, "{pair}");
    let refresh = pair["refresh_token"].as_str().unwrap();
    let resp = reqwest::blocking::Client::new()
        .post(format!("{base}/oauth/introspect"))
        .basic_auth("web-app", Some("web-app-secret"))
        .form(&[("token", refresh)])
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

#[test]
fn introspection_answers_are_judged_passively() {
    let mock = Served::start(spec(crate::support::oauth2()));
    let proxy = proxy(&mock.uri(), crate::support::oauth2(), false);
    let (status, answer) = introspect_the_refresh_token(&proxy.uri());
    assert_eq!((status, &answer["active"]), (200, &json!(true)), "{answer}");
    assert_eq!(failed(&proxy), Vec::<String>::new(), "{:?}", proxy.tally());
    let tally = proxy.tally();
    assert!(
        tally
            .exercised
            .get(&Property::IntrospectionAgrees)
            .copied()
            .unwrap_or(0)
            >= 1,
        "{tally:?}"
    );
}

#[test]
fn an_introspection_that_calls_every_token_an_access_token_is_reported() {
    let d = seeded::introspection_calls_every_token_an_access_token();
    let mock = Served::start(spec(d.served));
    let proxy = proxy(&mock.uri(), d.checked, false);
    let (_, answer) = introspect_the_refresh_token(&proxy.uri());
    assert_eq!(answer["token_type"], "access_token", "{answer}");
    assert_eq!(failed(&proxy), [Property::IntrospectionAgrees.name()]);
}

#[test]
fn the_binary_refuses_bad_tls_options_and_upstreams_with_exit_2() {
    let dir = crate::support::Scratch::new("proxy-bad-tls");
    let not_pem = dir.path("not.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let not_pem = not_pem.display().to_string();
    let cases = [
        (
            vec!["--upstream", "https://127.0.0.1:1", "--ca-cert", &not_pem],
            format!("error: cannot set up TLS to the upstream: the CA certificate {not_pem} is not valid PEM"),
        ),
        (
            vec!["--upstream", "https://127.0.0.1:1", "--client-cert", &not_pem],
            "error: cannot set up TLS to the upstream: --client-cert and --client-key go together"
                .to_owned(),
        ),
        (
            vec!["--upstream", "http://127.0.0.1:1", "--clock-skew", "soon"],
            "error: invalid value 'soon' for '--clock-skew <CLOCK_SKEW>'".to_owned(),
        ),
        (
            vec!["--upstream", "http://127.0.0.1:1", "--user", "nobody"],
            "error: invalid value 'nobody' for '--user <NAME:PASSWORD>': `nobody` is not NAME:PASSWORD"
                .to_owned(),
        ),
        (
            vec!["--upstream", "http://127.0.0.1:1", "--user-env", "PROXY_TEST_UNSET_USER"],
            "error: --user-env PROXY_TEST_UNSET_USER: the environment variable is not set".to_owned(),
        ),
        (
            vec!["--upstream", "ftp://127.0.0.1:1"],
            "error: the upstream must be an http:// or https:// URL, got `ftp://127.0.0.1:1`"
                .to_owned(),
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["proxy", "--listen", "127.0.0.1:0"];
        all.extend(args);
        let (code, _, stderr) = crate::support::conformance(&all);
        assert_eq!(code, 2, "{all:?}: {stderr}");
        assert!(stderr.trim().starts_with(&message), "{all:?}: {stderr}");
    }
}

#[test]
fn a_token_in_a_query_and_a_short_password_in_a_form_are_never_logged_or_reported_in_full() {
    use std::io::Read;
    let mock = Served::start(spec(crate::support::oauth2()));
    let dir = crate::support::Scratch::new("proxy-masking");
    let port = crate::support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let spec_file = crate::support::root().join("fixtures/oauth2.yaml");
    // The proxy believes demo's password is another: demo's login (with
    // the short password `demo`, in a form) is a violation, whose curl
    // the report holds.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(["proxy", "--upstream", &mock.uri(), "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--spec")
        .arg(&spec_file)
        .args(["--user", "demo:not-demo", "--user-env", "PROXY_TEST_ALICE"])
        .env("PROXY_TEST_ALICE", "alice:alice-secret")
        .arg("--report-json")
        .arg(dir.path("proxy.json"))
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut banner = [0u8; 1];
    // The first byte of the banner: it listens.
    stderr.read_exact(&mut banner).unwrap();
    let login = |user: &str, password: &str| {
        let form = [
            ("grant_type", "password"),
            ("username", user),
            ("password", password),
        ];
        token_request(&base, "web-app", &form)
    };
    let (status, pair) = login("alice", "alice-secret");
    assert_eq!(status, 200, "{pair}");
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let status = reqwest::blocking::get(format!("{base}/api/orders?access_token={access}"))
        .unwrap()
        .status();
    assert!(status.is_client_error(), "{status}");
    assert_eq!(login("demo", "demo").0, 200);
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut log = String::new();
    stderr.read_to_string(&mut log).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(1), "{log}");
    let report = std::fs::read_to_string(dir.path("proxy.json")).unwrap();
    // The exchanges were logged and the login reported, shortened.
    assert!(log.contains("/api/orders?access_token="), "{log}");
    assert!(report.contains("password="), "{report}");
    for text in [&log, &report] {
        assert!(!text.contains(&access), "{text}");
        assert!(!text.contains("password=demo"), "{text}");
    }
}

#[test]
fn the_jtis_of_forgotten_tokens_are_forgotten_too() {
    // A mock with JWTs that reads bodies of up to 8 MiB, behind a cache
    // that answers a second login with the first one's JWT.
    let mock = Served::from_builder(
        mock_server::MockServer::builder()
            .spec(spec(support::reference_with_jwt()))
            .body_limit(8 << 20),
    );
    let cache = login_cache(&mock.uri());
    let proxy = proxy(&cache.uri(), support::reference_with_jwt(), false);
    let client = Client::new(proxy.uri());
    let (access, _) = client.login();
    // A bound exchange the proxy cannot read: it forgets every token,
    // and with them the `jti`s it saw (its memory stays bounded).
    let pad = "x".repeat(2 << 20);
    let (status, _) = client.post("/auth/logout", json!({ "pad": pad }), Some(&access));
    assert_eq!(status, 204);
    assert_eq!(proxy.tally().unjudged, 1);
    let (again, _) = client.login();
    assert_eq!(again, access, "the cache did not answer");
    let tally = proxy.tally();
    assert_eq!(failed(&proxy), Vec::<String>::new(), "{tally:?}");
    assert_eq!(tally.exercised.get(&Property::JwtJtiUnique), Some(&2));
}

#[test]
fn a_small_answer_without_a_length_that_is_not_json_is_read_and_judged() {
    let (_release, rx) = tokio::sync::oneshot::channel();
    let upstream = streaming_upstream(rx);
    let proxy = proxy(&upstream.uri(), reference(), false);
    let resp = reqwest::blocking::get(format!("{}/html", proxy.uri())).unwrap();
    assert_eq!(resp.status(), 502);
    assert_eq!(
        resp.text().unwrap(),
        "<html><body>bad gateway</body></html>"
    );
    let tally = proxy.tally();
    assert_eq!((tally.exchanges, tally.unjudged), (1, 0), "{tally:?}");
    assert!(proxy.report().warnings.is_empty());
}

/// An upstream on a raw socket that answers its one request with an
/// event stream with a trailer.
fn upstream_with_a_trailer() -> (String, std::thread::JoinHandle<()>) {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let served = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") && socket.read(&mut byte).unwrap() == 1 {
            request.push(byte[0]);
        }
        socket
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                  transfer-encoding: chunked\r\ntrailer: x-checksum\r\nconnection: close\r\n\r\n\
                  b\r\ndata: one\n\n\r\n0\r\nx-checksum: abc\r\n\r\n",
            )
            .unwrap();
    });
    (uri, served)
}

#[test]
fn trailers_are_not_relayed_on_a_streamed_answer() {
    use http_body_util::BodyExt as _;
    let (upstream, served) = upstream_with_a_trailer();
    let proxy = proxy(&upstream, reference(), false);
    let address = proxy.uri().trim_start_matches("http://").to_owned();
    // Over h2c, where a server sends whatever trailers its body has.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (data, trailers) = runtime.block_on(async {
        let socket = tokio::net::TcpStream::connect(address).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(socket),
        )
        .await
        .unwrap();
        tokio::spawn(connection);
        let request = http::Request::get(format!("{}/events", proxy.uri()))
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        let answer = sender.send_request(request).await.unwrap();
        let body = answer.into_body().collect().await.unwrap();
        let trailers = body.trailers().cloned();
        (body.to_bytes(), trailers)
    });
    served.join().unwrap();
    assert_eq!(&data[..], b"data: one\n\n");
    assert_eq!(trailers, None);
    assert_eq!(proxy.tally().unjudged, 1);
}

#[test]
fn clock_skew_widens_what_a_jwt_lifetime_may_be_off_by() {
    // As in `a_jwt_lifetime_that_disagrees_with_expires_in_is_reported`:
    // `expiresIn: 60` for JWTs that live 3600 s; off by 3540 s, within a
    // skew of an hour and a half.
    let served = support::jwt_lifetime_off_by_3540_s();
    let mock = Served::start(spec(served));
    let mut c = ProxyConfig::new(&mock.uri(), Arc::new(spec(support::reference_with_jwt())));
    c.clock_skew = 5400;
    let proxy = Proxy::start(c, ReportPaths::default()).unwrap();
    Client::new(proxy.uri()).login();
    let tally = proxy.tally();
    assert_eq!(failed(&proxy), Vec::<String>::new(), "{tally:?}");
    assert_eq!(
        tally.exercised.get(&Property::JwtExpAgreesWithExpiresIn),
        Some(&1)
    );
}
