//! A real browser against the mock: headless Chromium loads
//! `scripts/browser/page.html` from one origin (a small poem server on its
//! own port), the page calls the mock on another port with `fetch`
//! (credentials included, an `Authorization` header, so every call is
//! preflighted) and writes what it saw into `<pre id="result">`. Chromium's
//! `--dump-dom` prints the DOM once the page's virtual time budget is spent
//! (virtual time does not advance while fetches are pending), so there is no
//! sleep for synchronisation. The admin Swagger UI is checked the same way.
//!
//! Without Chromium the tests print why they are skipped and pass;
//! `scripts/browser/install.sh` installs it (CI runs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mock_server::MockServer;
use poem::endpoint::make_sync;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Html;
use poem::Route;
use serde_json::Value;

const PAGE: &str = include_str!("../../../scripts/browser/page.html");

/// Chromium, or `None` after printing why the test is skipped.
fn chromium() -> Option<PathBuf> {
    let candidates = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/bin/chromium",
                "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome",
            ]
            .map(PathBuf::from),
        );
    for c in candidates {
        if c.is_file() {
            return Some(c);
        }
    }
    eprintln!(
        "skipped: chromium not installed (apt-get install chromium chromium-driver, \
         or scripts/browser/install.sh; CHROMIUM=/path/to/chrome to use another)"
    );
    None
}

/// Serve the page on 127.0.0.1, another port than the mock's: another
/// origin. Returns its base URL; the server lives as long as the runtime.
async fn serve_page() -> String {
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind the page server");
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .expect("a socket address");
    let app = Route::new().at("/", make_sync(|_| Html(PAGE)));
    tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor).run(app).await;
    });
    format!("http://{addr}")
}

static RUN: AtomicUsize = AtomicUsize::new(0);

/// Load `url` in headless Chromium and return the DOM after `budget_ms` of
/// virtual time. A fresh profile each time; the process is killed if it has
/// not finished after a minute of wall time.
async fn dump_dom(chromium: &Path, url: &str, budget_ms: u64) -> String {
    let dir = std::env::temp_dir().join(format!(
        "tokenmock-browser-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("dom.html");
    let err = dir.join("stderr.txt");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish within 60 s on {url}; stderr:\n{}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        // Polling the child process (the servers run on this runtime).
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let dom = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        status.success() && !dom.is_empty(),
        "chromium failed on {url} ({status}); stderr:\n{stderr}"
    );
    dom
}

/// The text of `<pre id="result">`, as JSON.
fn result(dom: &str) -> Value {
    let start = dom
        .find("<pre id=\"result\">")
        .unwrap_or_else(|| panic!("no result element in the page:\n{dom}"))
        + "<pre id=\"result\">".len();
    let end = start + dom[start..].find("</pre>").expect("</pre>");
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("result is not JSON ({e}): {text}"))
}

fn step<'v>(result: &'v Value, name: &str) -> &'v Value {
    result["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no step {name}: {result}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_another_origin_logs_in_refreshes_and_logs_out() {
    let Some(chromium) = chromium() else { return };
    let mock = MockServer::start().await;
    let page = serve_page().await;
    assert_ne!(page, mock.uri(), "two origins");
    let url = format!("{page}/?api={}", mock.uri());
    let dom = dump_dom(&chromium, &url, 10_000).await;
    assert!(
        dom.contains("<title>done</title>"),
        "the page script did not finish:\n{dom}"
    );
    let r = result(&dom);
    assert_eq!(r["origin"], page.as_str());
    for s in r["steps"].as_array().unwrap() {
        assert!(s.get("error").is_none(), "fetch failed (CORS?): {s}");
    }

    // Login: preflighted (JSON), credentials included, tokens readable.
    let login = step(&r, "login");
    assert_eq!(login["status"], 200, "{login}");
    assert_eq!(login["body"]["tokenType"], "Bearer");
    assert!(login["body"]["accessToken"]
        .as_str()
        .is_some_and(|t| t.len() > 16));
    assert_eq!(login["contentType"], "application/json");

    // /me with the bearer token (an Authorization header: preflighted).
    let me = step(&r, "me");
    assert_eq!(me["status"], 200, "{me}");
    assert_eq!(me["body"]["username"], "demo");

    // A 401 whose challenge the page can read: an exposed header.
    let bad = step(&r, "me-bad-token");
    assert_eq!(bad["status"], 401, "{bad}");
    assert_eq!(bad["wwwAuthenticate"], "Bearer error=\"invalid_token\"");
    assert_eq!(bad["body"]["response"], "Invalid token");

    // Refresh once works; the same refresh token again is refused.
    let refresh = step(&r, "refresh");
    assert_eq!(refresh["status"], 200, "{refresh}");
    assert_eq!(r["refreshedTokens"], true);
    let reused = step(&r, "refresh-reused");
    assert_eq!(reused["status"], 401, "{reused}");
    assert_eq!(reused["body"]["response"], "RefreshToken Invalid");
    assert!(reused["wwwAuthenticate"].is_string(), "{reused}");

    // Logout: 204 and no body; the token is dead afterwards.
    assert_eq!(step(&r, "me-again")["status"], 200);
    let logout = step(&r, "logout");
    assert_eq!(logout["status"], 204, "{logout}");
    assert_eq!(logout["body"], Value::Null);
    let after = step(&r, "me-after-logout");
    assert_eq!(after["status"], 401, "{after}");
    assert_eq!(after["wwwAuthenticate"], "Bearer error=\"invalid_token\"");

    // The admin API answers the page too (CORS with credentials).
    let admin = step(&r, "admin-sessions");
    assert_eq!(admin["status"], 200, "{admin}");
    assert!(
        admin["body"].is_array() || admin["body"].is_object(),
        "{admin}"
    );

    // What the browser did, as the mock saw it: preflights (OPTIONS), then
    // the calls themselves.
    let journal = mock.journal(100);
    let preflights = journal.iter().filter(|e| e.method == "OPTIONS").count();
    assert!(preflights >= 3, "the browser preflighted: {journal:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_swagger_ui_renders() {
    let Some(chromium) = chromium() else { return };
    let mock = MockServer::start().await;
    let dom = dump_dom(&chromium, &format!("{}/__mock/docs/", mock.uri()), 10_000).await;
    // Rendered elements, not strings of the bundled script: the operations'
    // summary paths exist only once React has rendered the spec.
    assert!(
        dom.contains("class=\"opblock-summary-path\""),
        "Swagger UI did not render any operation"
    );
    for path in ["/clock/advance", "/sessions", "/reset"] {
        assert!(
            dom.contains(&format!("data-path=\"/__mock{path}\""))
                || dom.contains(&format!("data-path=\"{path}\"")),
            "{path} is not shown by Swagger UI"
        );
    }
}
