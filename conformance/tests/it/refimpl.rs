//! A reference implementation of the contract of `openapi/reference.yaml`,
//! written by hand (not the mock, not the model), to prove the suite
//! against a server it does not share code with. Defects are switched on
//! one at a time ([`Defects`]); with none it is correct.
//!
//! Besides the API it answers the mock's clock hooks (`/__mock/reset`,
//! `/__mock/clock`, `/__mock/clock/freeze`, `/__mock/clock/advance`): a
//! test double with an injectable clock, so that expiry is checked to the
//! second without waiting. Its reset clears accounts' sessions and tokens,
//! not its token counter (a real server's counter is not reset either).
//!
//! Also used by `benches/detection.rs` (`#[path]`), so it depends only on
//! crates both have.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::support::Background;
use base64::Engine as _;
use poem::http::{Method, StatusCode};
use poem::{Body, Request, Response};
use rand::RngCore;
use serde_json::{json, Map, Value};

const ACCESS_TTL: u64 = 3600;
const REFRESH_TTL: u64 = 86400;
const ACCOUNTS: [(&str, &str); 2] = [("demo", "demo"), ("alice", "alice-secret")];

/// Defects to switch on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defects {
    /// A body that is not JSON at all gets a 500 (a parser error left
    /// unhandled), not a 400.
    pub malformed_500: bool,
    /// Tokens are the user name and a counter: `demo-1`, `demo-2`, ...
    pub counter_tokens: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Live,
    Spent,
    Revoked,
}

#[derive(Debug)]
struct Token {
    kind: Kind,
    session: usize,
    expires_at: u64,
    state: State,
}

#[derive(Debug, Default)]
struct Store {
    /// `(user, live)` per session.
    sessions: Vec<(String, bool)>,
    tokens: HashMap<String, Token>,
    /// The clock: frozen at a value, or real seconds plus an offset.
    frozen: Option<u64>,
    offset: u64,
}

struct Server {
    defects: Defects,
    hooks: bool,
    store: Mutex<Store>,
    counter: AtomicU64,
    started: std::time::Instant,
}

/// Why a token is refused.
enum Refusal {
    Missing,
    Expired,
    Invalid,
}

impl Server {
    fn now(&self, s: &Store) -> u64 {
        s.frozen
            .unwrap_or_else(|| self.started.elapsed().as_secs() + s.offset)
    }

    fn mint(&self, user: &str) -> String {
        if self.defects.counter_tokens {
            let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
            return format!("{user}-{n}");
        }
        let mut bytes = [0u8; 18];
        rand::rng().fill_bytes(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn issue(&self, s: &mut Store, session: usize) -> Value {
        let now = self.now(s);
        let user = s.sessions[session].0.clone();
        let refresh = self.mint(&user);
        let access = self.mint(&user);
        for (token, kind, ttl) in [
            (&refresh, Kind::Refresh, REFRESH_TTL),
            (&access, Kind::Access, ACCESS_TTL),
        ] {
            s.tokens.insert(
                token.clone(),
                Token {
                    kind,
                    session,
                    expires_at: now + ttl,
                    state: State::Live,
                },
            );
        }
        json!({"accessToken": access, "refreshToken": refresh, "tokenType": "Bearer", "expiresIn": ACCESS_TTL})
    }

    /// A token of `kind` that may be used now: expiry first, then the
    /// rest.
    fn check(&self, s: &Store, token: &str, kind: Kind) -> Result<usize, Refusal> {
        if token.is_empty() {
            return Err(Refusal::Missing);
        }
        let t = s.tokens.get(token).ok_or(Refusal::Invalid)?;
        if t.kind != kind {
            return Err(Refusal::Invalid);
        }
        if self.now(s) >= t.expires_at {
            return Err(Refusal::Expired);
        }
        if t.state != State::Live || !s.sessions[t.session].1 {
            return Err(Refusal::Invalid);
        }
        Ok(t.session)
    }

    fn handle(
        &self,
        method: &Method,
        path: &str,
        bearer: Option<&str>,
        body: Result<Value, Reply>,
    ) -> Reply {
        let mut s = self.store.lock().unwrap();
        let post = method == Method::POST;
        let delete = method == Method::DELETE;
        match path {
            "/auth/login" if post => {
                let body = match body.and_then(|b| fields(b, &["username", "password"])) {
                    Ok(b) => b,
                    Err(r) => return r,
                };
                let ok = ACCOUNTS
                    .iter()
                    .any(|(u, p)| *u == body["username"] && *p == body["password"]);
                if !ok {
                    return unauthorized("Invalid credentials");
                }
                s.sessions.push((body["username"].clone(), true));
                let session = s.sessions.len() - 1;
                json_reply(StatusCode::OK, self.issue(&mut s, session))
            }
            "/auth/refresh" if post => {
                let body = match body.and_then(|b| fields(b, &["refreshToken"])) {
                    Ok(b) => b,
                    Err(r) => return r,
                };
                let token = &body["refreshToken"];
                // Reuse of a spent token ends its session.
                if let Some(t) = s.tokens.get(token) {
                    if t.kind == Kind::Refresh
                        && t.state == State::Spent
                        && self.now(&s) < t.expires_at
                    {
                        let session = t.session;
                        s.sessions[session].1 = false;
                    }
                }
                match self.check(&s, token, Kind::Refresh) {
                    Ok(session) => {
                        if let Some(t) = s.tokens.get_mut(token) {
                            t.state = State::Spent;
                        }
                        json_reply(StatusCode::OK, self.issue(&mut s, session))
                    }
                    Err(Refusal::Expired) => unauthorized("RefreshToken Expired"),
                    Err(_) => unauthorized("RefreshToken Invalid"),
                }
            }
            "/auth/logout" if post => match self.check(&s, bearer.unwrap_or(""), Kind::Access) {
                Ok(session) => {
                    s.sessions[session].1 = false;
                    empty(StatusCode::NO_CONTENT)
                }
                Err(r) => refused(r),
            },
            "/me" if method == Method::GET => {
                match self.check(&s, bearer.unwrap_or(""), Kind::Access) {
                    Ok(session) => {
                        json_reply(StatusCode::OK, json!({"username": s.sessions[session].0}))
                    }
                    Err(r) => refused(r),
                }
            }
            "/refresh-tokens/mine" if delete => {
                if let Ok(session) = self.check(&s, bearer.unwrap_or(""), Kind::Access) {
                    let user = s.sessions[session].0.clone();
                    let sessions: Vec<usize> = (0..s.sessions.len())
                        .filter(|i| s.sessions[*i].0 == user)
                        .collect();
                    for t in s.tokens.values_mut() {
                        if t.kind == Kind::Refresh
                            && t.state == State::Live
                            && sessions.contains(&t.session)
                        {
                            t.state = State::Revoked;
                        }
                    }
                }
                empty(StatusCode::NO_CONTENT)
            }
            _ if delete && path.starts_with("/refresh-tokens/") => {
                let raw = &path["/refresh-tokens/".len()..];
                let token = percent_decode(raw);
                if self.check(&s, &token, Kind::Refresh).is_ok() {
                    if let Some(t) = s.tokens.get_mut(&token) {
                        t.state = State::Revoked;
                    }
                }
                empty(StatusCode::NO_CONTENT)
            }
            _ if path.starts_with("/__mock") && !self.hooks => empty(StatusCode::NOT_FOUND),
            "/__mock/reset" if post => {
                let frozen = s.frozen;
                let offset = s.offset;
                *s = Store {
                    frozen,
                    offset,
                    ..Store::default()
                };
                empty(StatusCode::NO_CONTENT)
            }
            "/__mock/clock" if method == Method::GET => {
                let now = self.now(&s);
                json_reply(
                    StatusCode::OK,
                    json!({"now": now, "frozen": s.frozen.is_some()}),
                )
            }
            "/__mock/clock/freeze" if post => {
                s.frozen = Some(self.now(&s));
                empty(StatusCode::NO_CONTENT)
            }
            "/__mock/clock/advance" if post => {
                let seconds = body.ok().and_then(|b| b["seconds"].as_u64()).unwrap_or(0);
                match &mut s.frozen {
                    Some(f) => *f += seconds,
                    None => s.offset += seconds,
                }
                empty(StatusCode::NO_CONTENT)
            }
            "/auth/login" | "/auth/refresh" | "/auth/logout" | "/me" | "/refresh-tokens/mine" => {
                empty(StatusCode::METHOD_NOT_ALLOWED)
            }
            _ if path.starts_with("/refresh-tokens/") => empty(StatusCode::METHOD_NOT_ALLOWED),
            _ => empty(StatusCode::NOT_FOUND),
        }
    }
}

/// An answer, before it is a poem response.
pub struct Reply {
    status: StatusCode,
    media: &'static str,
    body: Vec<u8>,
    challenge: bool,
}

fn json_reply(status: StatusCode, v: Value) -> Reply {
    Reply {
        status,
        media: "application/json",
        body: v.to_string().into_bytes(),
        challenge: false,
    }
}

fn empty(status: StatusCode) -> Reply {
    Reply {
        status,
        media: "",
        body: Vec::new(),
        challenge: false,
    }
}

fn unauthorized(why: &str) -> Reply {
    Reply {
        challenge: true,
        ..json_reply(
            StatusCode::UNAUTHORIZED,
            json!({"code": "401", "response": why}),
        )
    }
}

fn refused(r: Refusal) -> Reply {
    unauthorized(match r {
        Refusal::Missing => "Missing token",
        Refusal::Expired => "Token expired",
        Refusal::Invalid => "Invalid token",
    })
}

fn problem(status: StatusCode, detail: &str, location: Option<&str>) -> Reply {
    let errors: Vec<Value> = location
        .map(|l| json!({"location": l, "message": detail}))
        .into_iter()
        .collect();
    let title = status.canonical_reason().unwrap_or("Error");
    Reply {
        status,
        media: "application/problem+json",
        body: json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail, "errors": errors})
            .to_string()
            .into_bytes(),
        challenge: false,
    }
}

/// The body's string fields, exactly `names`, each non-empty.
fn fields(body: Value, names: &[&str]) -> Result<HashMap<&'static str, String>, Reply> {
    let bad = |detail: String, at: &str| {
        Err(problem(
            StatusCode::BAD_REQUEST,
            &detail,
            Some(&format!("$request.body#{at}")),
        ))
    };
    let Value::Object(m) = body else {
        return bad("the body must be an object".into(), "");
    };
    let m: Map<String, Value> = m;
    if let Some(extra) = m.keys().find(|k| !names.contains(&k.as_str())) {
        return bad(format!("unknown field `{extra}`"), &format!("/{extra}"));
    }
    let mut out = HashMap::new();
    for name in names {
        match m.get(*name) {
            Some(Value::String(v)) if !v.is_empty() => {
                let key: &'static str = match *name {
                    "username" => "username",
                    "password" => "password",
                    _ => "refreshToken",
                };
                out.insert(key, v.clone());
            }
            Some(Value::String(_)) => {
                return bad(format!("`{name}` is empty"), &format!("/{name}"))
            }
            Some(_) => return bad(format!("`{name}` must be a string"), &format!("/{name}")),
            None => return bad(format!("`{name}` is required"), &format!("/{name}")),
        }
    }
    Ok(out)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Read a request's JSON body as the contract says: present, sent as JSON,
/// parseable, or the matching refusal.
fn read_json(defects: Defects, content_type: Option<&str>, bytes: &[u8]) -> Result<Value, Reply> {
    if bytes.is_empty() {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "a request body is required",
            Some("$request.body"),
        ));
    }
    let json = content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send application/json",
            None,
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        if defects.malformed_500 {
            Reply {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                media: "text/plain",
                body: format!("Traceback: {e}").into_bytes(),
                challenge: false,
            }
        } else {
            problem(
                StatusCode::BAD_REQUEST,
                &format!("the body is not JSON: {e}"),
                Some("$request.body"),
            )
        }
    })
}

/// A served reference implementation; stops when dropped.
pub struct RefImpl {
    server: Background,
}

impl RefImpl {
    /// Serve on 127.0.0.1 (a free port) with `defects`, and the mock's
    /// clock hooks.
    pub fn start(defects: Defects) -> RefImpl {
        RefImpl::serve(defects, true)
    }

    /// Serve without the clock hooks, as a real server: the suite cannot
    /// tell it from staging.
    pub fn start_without_hooks(defects: Defects) -> RefImpl {
        RefImpl::serve(defects, false)
    }

    fn serve(defects: Defects, hooks: bool) -> RefImpl {
        let server = Arc::new(Server {
            defects,
            hooks,
            store: Mutex::default(),
            counter: AtomicU64::new(0),
            started: std::time::Instant::now(),
        });
        let endpoint = poem::endpoint::make(move |req: Request| {
            let server = server.clone();
            async move { Ok::<Response, poem::Error>(serve(&server, req).await) }
        });
        RefImpl {
            server: Background::serve(endpoint),
        }
    }

    /// Its base URL.
    pub fn uri(&self) -> String {
        self.server.uri()
    }
}

async fn serve(server: &Server, mut req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let bytes = req.take_body().into_vec().await.unwrap_or_default();
    let body = read_json(server.defects, content_type.as_deref(), &bytes);
    let reply = server.handle(&method, &path, bearer.as_deref(), body);
    let mut resp = Response::builder().status(reply.status);
    if !reply.media.is_empty() {
        resp = resp.content_type(reply.media);
    }
    if reply.challenge {
        resp = resp.header("www-authenticate", "Bearer error=\"invalid_token\"");
    }
    resp.body(Body::from(reply.body))
}
