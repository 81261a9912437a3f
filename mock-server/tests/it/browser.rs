//! A real browser against the mock: headless Chromium loads
//! `scripts/browser/page.html` from one origin (a small poem server on its
//! own port), the page calls the mock on another port with `fetch`
//! (credentials included, an `Authorization` header, so every call is
//! preflighted) and writes what it saw into `<pre id="result">`. Chromium's
//! `--dump-dom` prints the DOM once the page's virtual time budget is spent
//! (virtual time does not advance while fetches are pending), so there is no
//! sleep for synchronisation. The admin Swagger UI is checked the same way.
//!
//! The dashboard and the API docs are used the way a person uses them:
//! through ChromeDriver (WebDriver, with fantoccini), clicking buttons and
//! waiting for what the page shows, screenshots in `target/tmp/browser/`.
//!
//! Without Chromium (or ChromeDriver) the tests print why they are skipped
//! and pass; `scripts/browser/install.sh` installs both (CI runs it).

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
const LOGIN_PAGE: &str = include_str!("../../../scripts/browser/login.html");
const OIDC_PAGE: &str = include_str!("../../../scripts/browser/oidc-spa.html");

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

/// Serve `page` on 127.0.0.1, another port than the mock's: another
/// origin. Returns its base URL; the server lives as long as the runtime.
async fn serve_page(page: &'static str) -> String {
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind the page server");
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .expect("a socket address");
    // At `/` and at `/callback` (where an OpenID Connect app is sent back).
    let app = Route::new()
        .at("/", make_sync(move |_| Html(page)))
        .at("/callback", make_sync(move |_| Html(page)));
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
    let page = serve_page(PAGE).await;
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

/// ChromeDriver, or `None` after printing why the test is skipped.
fn chromedriver() -> Option<PathBuf> {
    let found = std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("/usr/bin/chromedriver")])
        .find(|c| c.is_file());
    if found.is_none() {
        eprintln!(
            "skipped: chromedriver not installed (apt-get install chromium-driver, or \
             scripts/browser/install.sh; CHROMEDRIVER=/path/to/chromedriver to use another)"
        );
    }
    found
}

/// A headless Chromium driven over WebDriver; ChromeDriver (on a free
/// loopback port) is killed when this is dropped.
struct Browser {
    client: fantoccini::Client,
    _driver: tokio::process::Child,
    shots: PathBuf,
}

impl Browser {
    async fn start(chromium: &Path, driver: &Path) -> Browser {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(driver)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        // ChromeDriver says which port it took once it listens.
        let mut port = None;
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                port = Some(rest.trim_end_matches('.').trim().to_owned());
                break;
            }
        }
        let port = port.expect("chromedriver names its port");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-extensions", "--window-size=1400,1000"],
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let client = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
        std::fs::create_dir_all(&shots).unwrap();
        Browser {
            client,
            _driver: child,
            shots,
        }
    }

    /// The element `css` once the page shows it (waiting on the page, not
    /// on time; the bound only keeps a broken page from hanging the test).
    async fn shown(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("the page never showed {css}: {e}"))
    }

    async fn click(&self, css: &str) {
        self.shown(css).await.click().await.unwrap();
    }

    /// A screenshot of the window, `target/tmp/browser/NAME.png`.
    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// A person's afternoon: the dashboard open in one tab, the app in
/// another; logging in there makes the session appear here (live, by
/// server-sent events), advancing the clock here makes the token expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_follows_a_login_and_the_clock() {
    let (Some(chromium), Some(driver)) = (chromium(), chromedriver()) else {
        return;
    };
    let mock = MockServer::start().await;
    let app = serve_page(LOGIN_PAGE).await;
    let b = Browser::start(&chromium, &driver).await;
    let dashboard = b.client.window().await.unwrap();
    b.client
        .goto(&format!("{}/__mock/ui", mock.uri()))
        .await
        .unwrap();
    b.shown("#connection.live").await;
    b.shown("#sessions .empty").await;

    // The app, in a second tab: log in.
    let tab = b.client.new_window(true).await.unwrap();
    b.client.switch_to_window(tab.handle).await.unwrap();
    b.client
        .goto(&format!("{app}/?api={}", mock.uri()))
        .await
        .unwrap();
    b.click("#login").await;
    let result = b.shown("#result[data-status='200']").await;
    let token = result
        .attr("data-token")
        .await
        .unwrap()
        .expect("the access token");

    // Back on the dashboard, not reloaded: the session is there.
    b.client.switch_to_window(dashboard).await.unwrap();
    b.shown("#sessions tr[data-session='0'][data-live='true']")
        .await;
    b.shown("#tokens tr[data-kind='access'][data-status='live']")
        .await;
    b.shown("#tokens tr[data-kind='refresh'][data-status='live']")
        .await;
    let login = b.shown("#journal li[data-status='200']").await;
    assert!(login.text().await.unwrap().contains("POST /auth/login"));
    b.screenshot("dashboard-1-logged-in").await;
    // Tokens appear as fingerprints only, in the token list and in the
    // response body of the journal.
    login
        .find(fantoccini::Locator::Css("summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let body = b.shown("#journal pre.response").await.text().await.unwrap();
    assert!(body.contains("\"accessToken\": \"#"), "{body}");
    let source = b.client.source().await.unwrap();
    assert!(
        !source.contains(&token),
        "the token in full on the dashboard"
    );

    // Advance the clock an hour: the access token expires, the refresh
    // token lives on.
    let seconds = b.shown("#advance-seconds").await;
    seconds.clear().await.unwrap();
    seconds.send_keys("3600").await.unwrap();
    b.click("#advance").await;
    b.shown("#clock-panel[data-offset='3600']").await;
    let expired = b
        .shown("#tokens tr[data-kind='access'][data-status='expired']")
        .await;
    let why = expired.text().await.unwrap();
    assert!(why.contains("expired ") && why.contains(" s ago"), "{why}");
    b.shown("#tokens tr[data-kind='refresh'][data-status='live']")
        .await;
    b.screenshot("dashboard-2-expired").await;
    assert_eq!(mock.clock().offset, 3600);

    // Freeze and resume; then reset (after the confirmation).
    b.click("#freeze").await;
    b.shown("#clock-panel[data-frozen='true']").await;
    assert!(mock.clock().frozen);
    b.click("#resume").await;
    b.shown("#clock-panel[data-frozen='false']").await;
    b.click("#reset").await;
    b.client.accept_alert().await.unwrap();
    b.shown("#sessions .empty").await;
    assert!(mock.sessions().is_empty());
    b.screenshot("dashboard-3-reset").await;
    b.close().await;
}

/// With `--admin-token`, the dashboard asks for the token once, then
/// shows the mock live (its event stream read with the token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_asks_for_the_admin_token() {
    let (Some(chromium), Some(driver)) = (chromium(), chromedriver()) else {
        return;
    };
    let token = "dashboard-admin-token";
    let mock = MockServer::builder()
        .admin_token(token)
        .start()
        .await
        .unwrap();
    let b = Browser::start(&chromium, &driver).await;
    b.client
        .goto(&format!("{}/__mock/ui", mock.uri()))
        .await
        .unwrap();
    // The page's first calls are refused: it asks (waiting on the page,
    // bounded only against a broken page).
    let asked = async {
        loop {
            if let Ok(text) = b.client.get_alert_text().await {
                return text;
            }
        }
    };
    let text = tokio::time::timeout(Duration::from_secs(30), asked)
        .await
        .expect("the dashboard asks for the token");
    assert!(text.contains("--admin-token"), "{text}");
    b.client.send_alert_text(token).await.unwrap();
    b.client.accept_alert().await.unwrap();
    b.shown("#connection.live").await;
    b.shown("#sessions .empty").await;
    // A login elsewhere shows up live.
    let login = reqwest::Client::new()
        .post(format!("{}/auth/login", mock.uri()))
        .json(&serde_json::json!({"username": "demo", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    b.shown("#sessions tr[data-session='0'][data-live='true']")
        .await;
    b.screenshot("dashboard-token").await;
    b.close().await;
}

/// Swagger UI of the spec served: "Try it out" on login reaches the mock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_docs_try_it_out_calls_the_mock() {
    let (Some(chromium), Some(driver)) = (chromium(), chromedriver()) else {
        return;
    };
    let mock = MockServer::start().await;
    let b = Browser::start(&chromium, &driver).await;
    b.client
        .goto(&format!("{}/__mock/api-docs/", mock.uri()))
        .await
        .unwrap();
    b.click(".opblock-post .opblock-summary-path[data-path='/auth/login']")
        .await;
    b.click(".opblock.is-open .try-out__btn").await;
    b.click(".opblock.is-open .execute").await;
    let status = b
        .shown(".opblock.is-open .live-responses-table tbody .response-col_status")
        .await;
    assert_eq!(status.text().await.unwrap().trim(), "200");
    b.screenshot("api-docs-try-it-out").await;
    let journal = mock.journal(10);
    assert!(
        journal
            .iter()
            .any(|e| e.uri == "/auth/login" && e.status == 200),
        "the mock did not see the call: {journal:?}"
    );
    b.close().await;
}

/// A single-page app on another origin logs in the way SPAs do against an
/// OpenID provider (fixtures/oidc.yaml): it redirects to the authorize
/// endpoint with PKCE, a person picks an account on the mock's page, the
/// app gets code and state back, exchanges the code with `fetch` (CORS),
/// decodes the ID token and calls the userinfo endpoint; the code is good
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_page_app_logs_in_with_the_authorization_code_flow_and_pkce() {
    let (Some(chromium), Some(driver)) = (chromium(), chromedriver()) else {
        return;
    };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/oidc.yaml");
    let spec = openapi::Spec::from_path(path.as_ref()).unwrap();
    let mock = MockServer::builder().spec(spec).start().await.unwrap();
    let app = serve_page(OIDC_PAGE).await;
    let b = Browser::start(&chromium, &driver).await;
    b.client
        .goto(&format!("{app}/?api={}", mock.uri()))
        .await
        .unwrap();
    b.click("#login").await;
    // The mock's account picker: names, no passwords.
    let alice = b.shown("button[data-account='alice']").await;
    let page = b.client.source().await.unwrap();
    assert!(!page.contains("alice-secret"), "a password on the picker");
    b.screenshot("oidc-1-picker").await;
    alice.click().await.unwrap();
    let result = b
        .shown("#result[data-status='done'], #result[data-status='error']")
        .await;
    let text = result.text().await.unwrap();
    b.screenshot("oidc-2-logged-in").await;
    let r: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(
        result.attr("data-status").await.unwrap().as_deref(),
        Some("done"),
        "{r}"
    );
    assert_eq!(r["origin"], app.as_str());
    assert_eq!(r["tokenStatus"], 200, "{r}");
    assert_eq!(r["tokenType"], "Bearer");
    assert_eq!(r["nonceMatches"], true, "{r}");
    assert_eq!(r["claims"]["sub"], "alice");
    assert_eq!(r["claims"]["aud"], "spa");
    assert_eq!(r["userinfoStatus"], 200, "{r}");
    assert_eq!(r["userinfo"]["sub"], "alice");
    assert_eq!(r["againStatus"], 400, "{r}");
    assert_eq!(r["again"]["error"], "invalid_grant");
    // What the mock saw: the picker's POST, the exchange twice, the
    // preflighted userinfo call.
    let journal = mock.journal(100);
    let seen = |method: &str, path: &str| {
        journal
            .iter()
            .any(|e| e.method == method && e.uri.starts_with(path))
    };
    assert!(seen("POST", "/authorize"), "{journal:?}");
    assert!(seen("OPTIONS", "/userinfo"), "{journal:?}");
    b.close().await;
}
