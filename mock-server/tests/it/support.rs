use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use mock_server::{MockServer, MockServerBuilder, TokenView};
use openapi::problem::Problem;
use reqwest::header::HeaderValue;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

/// The challenge every 401 of the reference spec carries.
pub const CHALLENGE: &str = "Bearer error=\"invalid_token\"";

/// A running mock and a client for it.
pub struct Api {
    pub server: MockServer,
    pub client: reqwest::Client,
}

/// An access and a refresh token.
#[derive(Debug, Clone)]
pub struct Pair {
    pub access: String,
    pub refresh: String,
}

impl Api {
    /// The reference spec on a random port.
    pub async fn start() -> Api {
        Api::from(MockServer::start().await)
    }

    /// A server from a builder.
    pub async fn with(builder: MockServerBuilder) -> Api {
        Api::from(builder.start().await.expect("the mock starts"))
    }

    fn from(server: MockServer) -> Api {
        Api {
            server,
            client: reqwest::Client::new(),
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.uri())
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn head(&self, path: &str) -> RequestBuilder {
        self.client.head(self.url(path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.url(path))
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.client.delete(self.url(path))
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.post(path).json(body).send().await.unwrap()
    }

    /// `GET path`, which must answer 200; its JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let resp = self.get(path).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        resp.json().await.unwrap()
    }

    /// Stop the mock clock: from now on it only moves when advanced, so TTL
    /// boundaries are exact.
    pub fn freeze_clock(&self) {
        self.server.freeze_clock();
        assert!(self.server.clock().frozen);
    }

    /// `POST /auth/login` with any JSON body.
    pub async fn login_raw(&self, body: Value) -> Response {
        self.post_json("/auth/login", &body).await
    }

    /// A successful login.
    pub async fn login(&self, username: &str, password: &str) -> Pair {
        let resp = self
            .login_raw(json!({"username": username, "password": password}))
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "login {username}");
        pair(resp).await
    }

    /// `POST /auth/refresh` with `refreshToken`.
    pub async fn refresh_raw(&self, refresh: &str) -> Response {
        self.post_json("/auth/refresh", &json!({"refreshToken": refresh}))
            .await
    }

    /// A successful refresh.
    pub async fn refresh(&self, refresh: &str) -> Pair {
        let resp = self.refresh_raw(refresh).await;
        assert_eq!(resp.status(), StatusCode::OK, "refresh");
        pair(resp).await
    }

    /// A refresh with `refresh` must be the reference spec's 401 saying
    /// `response`.
    pub async fn refresh_refused(&self, refresh: &str, response: &str) {
        expect_401(self.refresh_raw(refresh).await, response).await;
    }

    /// `GET /me` with a bearer token.
    pub async fn me(&self, access: &str) -> Response {
        self.get("/me").bearer_auth(access).send().await.unwrap()
    }

    /// `GET /me` must answer 200 with `username`.
    pub async fn me_ok(&self, access: &str, username: &str) {
        let resp = self.me(access).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body, json!({"username": username}));
    }

    /// `POST /auth/logout` with a bearer token.
    pub async fn logout(&self, access: &str) -> Response {
        self.post("/auth/logout")
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
    }

    /// `GET /me` with this `Authorization` header.
    pub async fn me_with(&self, authorization: HeaderValue) -> Response {
        let req = self.get("/me").header("authorization", authorization);
        req.send().await.unwrap()
    }

    /// `POST /auth/logout` with this `Authorization` header.
    pub async fn logout_with(&self, authorization: HeaderValue) -> Response {
        let req = self
            .post("/auth/logout")
            .header("authorization", authorization);
        req.send().await.unwrap()
    }

    /// `DELETE /refresh-tokens/mine` with this `Authorization` header, if
    /// any.
    pub async fn revoke_mine(&self, authorization: Option<HeaderValue>) -> Response {
        let req = self.delete("/refresh-tokens/mine");
        match authorization {
            Some(value) => req.header("authorization", value),
            None => req,
        }
        .send()
        .await
        .unwrap()
    }

    /// `DELETE /refresh-tokens/{raw}` (`raw` is put in the path as it is).
    pub async fn revoke(&self, raw: &str) -> Response {
        self.delete(&format!("/refresh-tokens/{raw}"))
            .send()
            .await
            .unwrap()
    }
}

/// The tokens of a 200 TokenPair answer, after checking its shape.
pub async fn pair(resp: Response) -> Pair {
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = content_type(&resp);
    assert_eq!(ct, "application/json");
    let body: Value = resp.json().await.unwrap();
    let obj = body.as_object().expect("a TokenPair object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["accessToken", "expiresIn", "refreshToken", "tokenType"]
    );
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 3600);
    let access = body["accessToken"].as_str().unwrap().to_owned();
    let refresh = body["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(access, refresh);
    Pair { access, refresh }
}

/// A header value of any bytes, as a client might send them.
pub fn raw(value: &str) -> HeaderValue {
    HeaderValue::from_bytes(value.as_bytes()).unwrap()
}

/// An `Authorization: Bearer` header value.
pub fn bearer(token: &str) -> HeaderValue {
    raw(&format!("Bearer {token}"))
}

/// The entry of `token` in a token list.
pub fn token<'t>(tokens: &'t [TokenView], token: &str) -> &'t TokenView {
    tokens
        .iter()
        .find(|t| t.token == token)
        .unwrap_or_else(|| panic!("{token} is not in {tokens:?}"))
}

/// A response's JSON body.
pub async fn json(resp: Response) -> Value {
    resp.json().await.unwrap()
}

/// The response must be a problem document (RFC 9457, the one type the
/// reference spec documents) with this status; returns it.
pub async fn expect_problem(resp: Response, status: u16) -> Problem {
    assert_eq!(resp.status().as_u16(), status, "{resp:?}");
    assert_eq!(content_type(&resp), "application/problem+json");
    let text = resp.text().await.unwrap();
    let problem: Problem =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not a Problem ({e}): {text}"));
    assert_eq!(problem.status, status, "{text}");
    assert!(
        !problem.title.is_empty() && !problem.detail.is_empty(),
        "{text}"
    );
    problem
}

/// The response's content type, or "".
pub fn content_type(resp: &Response) -> String {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The response must be the reference spec's 401: the Bearer challenge and
/// `{"code": "401", "response": <response>}`.
pub async fn expect_401(resp: Response, response: &str) {
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "expected a 401");
    assert_eq!(
        resp.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some(CHALLENGE),
        "every 401 carries the Bearer challenge"
    );
    assert_eq!(content_type(&resp), "application/json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"code": "401", "response": response}));
}

/// The response must be a 400 problem document with an error at each of
/// `locations`; returns the body.
pub async fn expect_400(resp: Response, locations: &[&str]) -> Value {
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(content_type(&resp), "application/problem+json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["title"], "Bad Request");
    assert_eq!(body["status"], 400);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    let errors = body["errors"].as_array().expect("errors[]");
    assert!(!errors.is_empty());
    for e in errors {
        assert!(e["location"].is_string() && e["message"].is_string(), "{e}");
    }
    for loc in locations {
        assert!(
            errors.iter().any(|e| e["location"] == *loc),
            "no error at {loc}: {body}"
        );
    }
    body
}

/// Wall-clock seconds: the mock clock is wall time plus an offset, so a test
/// that lands exactly one second before an expiry must not straddle a
/// wall-clock second. See [`same_second`].
pub fn wall_second() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Run `attempt` until one run starts and ends within one wall-clock second
/// (at most 20 tries) and return what that run observed, so that "one second
/// before expiry" is exact. The server is reset (clock included) before each
/// try. Assert on the result, not inside `attempt`.
pub async fn same_second<T, F, Fut>(api: &Api, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    for _ in 0..20 {
        api.server.reset();
        let start = wall_second();
        let seen = attempt().await;
        if wall_second() == start {
            return seen;
        }
    }
    panic!("20 attempts each straddled a wall-clock second");
}

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `mock-server` binary this test run built.
pub fn mock_binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mock-server"))
}

/// A started mock (`command`), the URL its banner names, and what it logs.
pub struct Started {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stderr: std::thread::JoinHandle<String>,
}

impl Started {
    /// Start `command` (a mock) and read its banner.
    pub fn new(mut command: Command) -> Started {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the mock starts");
        // Both pipes are drained to the end, so that the mock never blocks
        // or fails writing to them.
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // The banner is printed once the socket is bound: read until it
        // names the address (no waiting on time; a mock that exits ends
        // the lines).
        let mut banner = String::new();
        let url = rx.iter().find_map(|line| {
            banner.push_str(&line);
            banner.push('\n');
            Some(line.trim().strip_prefix("listening on")?.trim().to_owned())
        });
        let mut started = Started {
            child,
            url: String::new(),
            stderr,
        };
        match url {
            Some(url) => started.url = url,
            None => panic!(
                "no listening line in the banner:\n{banner}\nstderr:\n{}",
                started.stop()
            ),
        }
        started
    }

    /// Stop it; what it logged.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr.join().unwrap_or_default()
    }
}

/// A raw TCP connection to the mock, for what an HTTP client would not
/// send (half a head, a slow body).
pub async fn connect(server: &MockServer) -> tokio::net::TcpStream {
    tokio::net::TcpStream::connect(server.address())
        .await
        .unwrap()
}

/// Write `bytes` on a raw connection.
pub async fn send(stream: &mut tokio::net::TcpStream, bytes: &[u8]) {
    use tokio::io::AsyncWriteExt;
    stream.write_all(bytes).await.unwrap();
}

/// Everything the mock sends on `stream` until it closes the connection
/// (a reset counts as closed). Not a timing assertion: the generous bound
/// only turns a connection that is never closed into a failure instead of
/// a hung test.
pub async fn until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the mock never closed the connection; it sent: {}",
        String::from_utf8_lossy(&got)
    );
    String::from_utf8_lossy(&got).into_owned()
}

/// Read from `stream` until `text` has arrived (what came so far).
pub async fn until_seen(stream: &mut tokio::net::TcpStream, text: &str) -> String {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(text) {
        let n = tokio::time::timeout(std::time::Duration::from_secs(60), stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("`{text}` never came: {}", String::from_utf8_lossy(&got)))
            .unwrap();
        assert!(
            n > 0,
            "closed before `{text}`: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// A server-sent event stream, read event by event.
pub struct Events {
    resp: reqwest::Response,
    buf: String,
}

impl Events {
    pub async fn open(api: &Api) -> Events {
        let resp = api.get("/__mock/events").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(content_type(&resp).starts_with("text/event-stream"));
        let mut events = Events {
            resp,
            buf: String::new(),
        };
        assert_eq!(events.next().await.0, "hello");
        events
    }

    /// The next event's type and data. The bound only keeps a mock that
    /// never answers from hanging the test.
    pub async fn next(&mut self) -> (String, String) {
        let read = async {
            loop {
                if let Some(end) = self.buf.find("\n\n") {
                    let raw: String = self.buf.drain(..end + 2).collect();
                    let field = |name: &str| {
                        raw.lines()
                            .filter_map(|l| l.strip_prefix(name))
                            .map(str::trim_start)
                            .collect::<Vec<_>>()
                            .join("\n")
                    };
                    let kind = field("event:");
                    if kind.is_empty() {
                        continue; // a keep-alive comment
                    }
                    return (kind, field("data:"));
                }
                let chunk = self
                    .resp
                    .chunk()
                    .await
                    .unwrap()
                    .expect("the stream goes on");
                self.buf.push_str(&String::from_utf8_lossy(&chunk));
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), read)
            .await
            .expect("an event")
    }

    /// Skip to the next event of type `kind`; its data.
    pub async fn until(&mut self, kind: &str) -> String {
        loop {
            let (k, data) = self.next().await;
            if k == kind {
                return data;
            }
        }
    }
}

static DIRS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A fresh directory under target/tmp.
pub fn scratch() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "reload-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Replace `path` as editors do: a new file renamed over the old.
pub fn save(path: &std::path::Path, doc: &Value) {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}
