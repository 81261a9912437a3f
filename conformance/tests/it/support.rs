use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_server::MockServer;
use openapi::Spec;
use serde_json::{json, Value};

/// A mock serving `spec` from a runtime of its own, so that the blocking
/// conformance client can run on the test thread.
pub struct Served {
    pub server: MockServer,
    _runtime: tokio::runtime::Runtime,
}

impl Served {
    pub fn start(spec: Spec) -> Served {
        Served::from_builder(MockServer::builder().spec(spec))
    }

    /// A mock replica keeping its state in the Redis at `url`.
    pub fn start_replica(spec: Spec, url: &str) -> Served {
        Served::from_builder(MockServer::builder().spec(spec).state_redis(url))
    }

    pub fn from_builder(builder: mock_server::MockServerBuilder) -> Served {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(builder.start()).unwrap();
        Served {
            server,
            _runtime: runtime,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `doc` plus a guarded operation (the guard rule of docs/bindings.md): an
/// unbound copy of its first `protected` operation under `/unbound` (its
/// path prefixed), secured like it. No spec of the repository has one.
/// Returns the copy's path too; `doc` unchanged when nothing is protected.
pub fn with_guarded_operation(mut doc: Value) -> (Value, Option<String>) {
    let protected = doc["paths"].as_object().and_then(|paths| {
        paths.iter().find_map(|(path, item)| {
            let (method, op) = item
                .as_object()?
                .iter()
                .find(|(_, op)| op["x-token-lifecycle"]["action"] == json!("protected"))?;
            Some((path.clone(), method.clone(), op.clone()))
        })
    });
    let Some((path, method, mut op)) = protected else {
        return (doc, None);
    };
    let copy = op.as_object_mut().expect("an operation is an object");
    copy.shift_remove("x-token-lifecycle");
    if let Some(id) = copy.get("operationId").and_then(Value::as_str) {
        let id = format!("{id}Unbound");
        copy.insert("operationId".into(), Value::String(id));
    }
    let path = format!("/unbound{path}");
    doc["paths"][&path] = json!({ method: op });
    (doc, Some(path))
}

/// Every spec in the repository (the reference and the fixtures), and each
/// with a guarded operation.
pub fn specs() -> Vec<(String, Value)> {
    let mut out = vec![("reference".to_owned(), openapi::reference::reference_json())];
    let mut files: Vec<_> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let value: Value = serde_norway::from_str(&text).unwrap();
        out.push((f.file_name().unwrap().to_string_lossy().into_owned(), value));
    }
    let guarded: Vec<(String, Value)> = out
        .iter()
        .filter_map(|(name, doc)| {
            let (doc, path) = with_guarded_operation(doc.clone());
            Some((format!("{name} with {}", path?), doc))
        })
        .collect();
    out.extend(guarded);
    out
}

/// `fixtures/oauth2.yaml`.
pub fn oauth2() -> Value {
    let text = std::fs::read_to_string(root().join("fixtures/oauth2.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

pub fn spec(value: Value) -> Spec {
    Spec::from_value(value).unwrap()
}

pub fn config(target: &str, checked: Value, cases: u32, seed: u64) -> conformance::Config {
    let mut c = conformance::Config::new(target);
    // A spec that logs in through the authorization-code flow only is
    // logged in with the worked example's command (docs/oauth.md).
    let checked = spec(checked);
    let code_flow = checked.operations().iter().any(|op| {
        op.bindings
            .iter()
            .any(|b| b.action == openapi::binding::ActionKind::ExchangeCode)
    });
    if code_flow {
        c.login_command = Some(login_command());
    }
    c.spec = Some(Arc::new(checked));
    c.cases = cases;
    c.seed = seed;
    c.concurrency = 2;
    c
}

/// The worked example's login command: the authorization-code flow with
/// PKCE and `login_hint` (scripts/oauth/authcode-login.py).
pub fn login_command() -> conformance::LoginCommand {
    let script = root().join("scripts/oauth/authcode-login.py");
    conformance::LoginCommand::new(&format!("python3 '{}'", script.display()))
}

/// Set a policy key of a document's root `x-token-lifecycle`.
pub fn policy(doc: &mut Value, key: &str, value: Value) {
    doc["x-token-lifecycle"]["policy"][key] = value;
}

/// The reference spec with one policy key changed.
pub fn reference_with(key: &str, value: Value) -> Value {
    let mut doc = openapi::reference::reference_json();
    policy(&mut doc, key, value);
    doc
}

/// Assert that the race property found a fork, and says so.
#[track_caller]
pub fn assert_forked(report: &conformance::Report) {
    let fork = report
        .checks
        .iter()
        .find(|c| c.name == conformance::Property::RaceNoFork.name())
        .unwrap();
    let message = fork.message.as_deref().unwrap_or("");
    assert!(
        fork.status == conformance::Status::Failed && message.contains("the session forked"),
        "{}",
        report.to_text()
    );
}

/// The names of the checks that failed in `report`.
pub fn failed_checks(report: &conformance::Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| c.status == conformance::Status::Failed)
        .map(|c| c.name.clone())
        .collect()
}

/// The one failed check of `report`, which must be `property`'s.
#[track_caller]
pub fn only_failure(
    report: &conformance::Report,
    property: conformance::Property,
) -> &conformance::CheckResult {
    assert_eq!(
        failed_checks(report),
        [property.name()],
        "{}",
        report.to_text()
    );
    report
        .checks
        .iter()
        .find(|c| c.status == conformance::Status::Failed)
        .expect("a failed check")
}

/// What a [`Faulty`] target does to the requests its predicate picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Never answers (the handler awaits a future that never resolves).
    Hang,
    /// Answers 200 with a body that never ends.
    EndlessBody,
    /// Breaks the connection off: the body fails before the answer is
    /// complete.
    Drop,
}

type Picks = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// The mock behind a fault: requests whose method and path `picks` gets
/// `fault`, the others the mock's answer. Counts every request.
struct FaultyEndpoint {
    app: mock_server::App,
    picks: Picks,
    fault: Fault,
    requests: Arc<AtomicU64>,
    entered: std::sync::Mutex<std::sync::mpsc::Sender<()>>,
    conns: Kills,
    api_keys: Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>,
}

impl poem::Endpoint for FaultyEndpoint {
    type Output = poem::Response;

    async fn call(&self, req: poem::Request) -> poem::Result<poem::Response> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        if let Some(key) = req.header("x-api-key") {
            if let Ok(mut keys) = self.api_keys.lock() {
                keys.insert(key.to_owned());
            }
        }
        if !(self.picks)(req.method().as_str(), req.uri().path()) {
            return poem::Endpoint::call(&self.app, req).await;
        }
        if let Ok(tx) = self.entered.lock() {
            let _ = tx.send(());
        }
        match self.fault {
            Fault::Hang => std::future::pending().await,
            Fault::EndlessBody => {
                let chunks =
                    futures::stream::repeat_with(|| Ok::<_, std::io::Error>(vec![b' '; 1 << 16]));
                Ok(poem::Response::builder()
                    .content_type("application/json")
                    .body(poem::Body::from_bytes_stream(chunks)))
            }
            Fault::Drop => {
                // The connection is reset: its next write fails, and the
                // socket closes with an RST.
                let peer = req.remote_addr().as_socket_addr().copied();
                let kill = peer.and_then(|p| self.conns.lock().ok()?.get(&p).cloned());
                if let Some(kill) = kill {
                    kill.store(true, Ordering::SeqCst);
                }
                Ok(poem::Response::builder().body("never sent"))
            }
        }
    }
}

type Kills =
    Arc<std::sync::Mutex<std::collections::HashMap<std::net::SocketAddr, Arc<AtomicBool>>>>;

/// A served connection: TCP, or TLS over it.
enum Conn {
    Plain(tokio::net::TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<tokio::net::TcpStream>>),
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// A connection the endpoint can reset.
struct Killable {
    conn: Conn,
    killed: Arc<AtomicBool>,
}

impl Killable {
    fn io(&mut self) -> std::pin::Pin<&mut dyn Io> {
        match &mut self.conn {
            Conn::Plain(t) => std::pin::Pin::new(t),
            Conn::Tls(t) => std::pin::Pin::new(t.as_mut()),
        }
    }

    fn tcp(&self) -> &tokio::net::TcpStream {
        match &self.conn {
            Conn::Plain(t) => t,
            Conn::Tls(t) => t.get_ref().0,
        }
    }
}

impl tokio::io::AsyncRead for Killable {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.io().poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Killable {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            // A zero linger does not block: the close sends an RST.
            #[allow(deprecated)]
            let _ = self.tcp().set_linger(Some(std::time::Duration::ZERO));
            return std::task::Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()));
        }
        self.io().poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.io().poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.io().poll_shutdown(cx)
    }
}

/// TCP, then TLS when configured (a failed handshake is an error poem's
/// server skips); each connection registered so that the endpoint can
/// reset it.
struct TestAcceptor {
    tcp: poem::listener::TcpAcceptor,
    tls: Option<tokio_rustls::TlsAcceptor>,
    conns: Kills,
}

impl TestAcceptor {
    /// Bound to 127.0.0.1, port 0, in `runtime`; with its address.
    fn bind(
        runtime: &tokio::runtime::Runtime,
        tls: Option<tokio_rustls::TlsAcceptor>,
        conns: Kills,
    ) -> (TestAcceptor, std::net::SocketAddr) {
        use poem::listener::{Acceptor as _, Listener as _};
        let tcp = runtime
            .block_on(poem::listener::TcpListener::bind("127.0.0.1:0").into_acceptor())
            .unwrap();
        let addr = *tcp.local_addr()[0].as_socket_addr().unwrap();
        (TestAcceptor { tcp, tls, conns }, addr)
    }
}

impl poem::listener::Acceptor for TestAcceptor {
    type Io = Killable;

    fn local_addr(&self) -> Vec<poem::web::LocalAddr> {
        self.tcp.local_addr()
    }

    async fn accept(
        &mut self,
    ) -> std::io::Result<(
        Self::Io,
        poem::web::LocalAddr,
        poem::web::RemoteAddr,
        poem::http::uri::Scheme,
    )> {
        let (io, local, remote, scheme) = self.tcp.accept().await?;
        let killed = Arc::new(AtomicBool::new(false));
        if let (Some(peer), Ok(mut conns)) = (remote.as_socket_addr(), self.conns.lock()) {
            conns.insert(*peer, killed.clone());
        }
        let (conn, scheme) = match &self.tls {
            Some(tls) => (
                Conn::Tls(Box::new(tls.accept(io).await?)),
                poem::http::uri::Scheme::HTTPS,
            ),
            None => (Conn::Plain(io), scheme),
        };
        Ok((Killable { conn, killed }, local, remote, scheme))
    }
}

/// A target with a fault, served on 127.0.0.1 from a runtime of its own.
pub struct Faulty {
    pub uri: String,
    /// Every request it received.
    pub requests: Arc<AtomicU64>,
    /// One message each time a faulty request arrives.
    pub entered: std::sync::mpsc::Receiver<()>,
    /// Every `x-api-key` header value received.
    pub api_keys: Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Faulty {
    fn drop(&mut self) {
        // Hanging handlers never end: do not wait for them.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Faulty {
    /// The reference mock with `fault` on the requests `picks` chooses
    /// (method, path).
    pub fn start(
        fault: Fault,
        picks: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
    ) -> Faulty {
        let runtime = runtime();
        let (tx, entered) = std::sync::mpsc::channel();
        let requests = Arc::new(AtomicU64::new(0));
        let conns = Kills::default();
        let api_keys = Arc::default();
        let endpoint = FaultyEndpoint {
            app: MockServer::builder().build(),
            picks: Arc::new(picks),
            fault,
            requests: requests.clone(),
            entered: std::sync::Mutex::new(tx),
            conns: conns.clone(),
            api_keys: Arc::clone(&api_keys),
        };
        let (acceptor, addr) = TestAcceptor::bind(&runtime, None, conns);
        runtime.spawn(poem::Server::new_with_acceptor(acceptor).run(endpoint));
        Faulty {
            uri: format!("http://{addr}"),
            requests,
            entered,
            api_keys,
            runtime: Some(runtime),
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A test PKI made with rcgen: a CA, a server certificate for 127.0.0.1
/// and localhost, and a client certificate, written as PEM files.
pub struct Pki {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    server_cert: rustls::pki_types::CertificateDer<'static>,
    server_key: Vec<u8>,
    ca_der: rustls::pki_types::CertificateDer<'static>,
}

use tokio_rustls::rustls;

impl Pki {
    pub fn new(name: &str) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let dir =
            std::env::temp_dir().join(format!("conformance-pki-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "tokenmock test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let server_key = KeyPair::generate().unwrap();
        let server_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
        let client_key = KeyPair::generate().unwrap();
        let mut client_params = CertificateParams::new(vec!["qa-client".to_owned()]).unwrap();
        client_params
            .distinguished_name
            .push(DnType::CommonName, "qa client");
        let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();
        let write = |file: &str, text: String| {
            let path = dir.join(file);
            std::fs::write(&path, text).unwrap();
            path
        };
        Pki {
            ca: write("ca.pem", ca_cert.pem()),
            client_cert: write("client.pem", client_cert.pem()),
            client_key: write("client-key.pem", client_key.serialize_pem()),
            server_cert: server_cert.der().clone(),
            server_key: server_key.serialize_der(),
            ca_der: ca_cert.der().clone(),
            dir,
        }
    }

    fn server_config(&self, client_auth: bool) -> rustls::ServerConfig {
        let builder = rustls::ServerConfig::builder();
        let builder = if client_auth {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca_der.clone()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.server_key.clone().into());
        builder
            .with_single_cert(vec![self.server_cert.clone()], key)
            .unwrap()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The reference mock over https, its certificate issued by `pki`'s CA;
/// with `client_auth`, a client certificate of that CA is required.
pub struct TlsServed {
    pub uri: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for TlsServed {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl TlsServed {
    pub fn start(pki: &Pki, client_auth: bool) -> TlsServed {
        let runtime = runtime();
        let tls = tokio_rustls::TlsAcceptor::from(Arc::new(pki.server_config(client_auth)));
        let (acceptor, addr) = TestAcceptor::bind(&runtime, Some(tls), Kills::default());
        let app = MockServer::builder().build();
        runtime.spawn(poem::Server::new_with_acceptor(acceptor).run(app));
        TlsServed {
            uri: format!("https://127.0.0.1:{}", addr.port()),
            runtime: Some(runtime),
        }
    }
}

/// A scratch directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("conformance-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `conformance` binary run in the repository's root: exit code,
/// stdout, stderr.
pub fn conformance(args: &[&str]) -> (i32, String, String) {
    conformance_in(&root(), args, &[])
}

/// The `conformance` binary run in `dir` with `env` set: exit code,
/// stdout, stderr.
pub fn conformance_in(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The Django server; killed when dropped.
pub struct Django {
    child: Child,
    pub url: String,
}

impl Drop for Django {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start djangorestframework-simplejwt (`scripts/simplejwt/run.sh`: a
/// venv with pinned Django, DRF and simplejwt; users demo and alice) on a
/// free port, or `None` (with the reason printed) where Python is missing;
/// its log on stderr when `log`.
pub fn simplejwt(blacklist: bool, log: bool) -> Option<Django> {
    let blacklist = if blacklist { "1" } else { "0" };
    django(
        "simplejwt",
        &[("SIMPLEJWT_BLACKLIST", blacklist)],
        "SIMPLEJWT_DB",
        log,
    )
}

/// Start django-oauth-toolkit (`scripts/dot/run.sh`: a venv with pinned
/// Django, DRF and DOT 3; users demo and alice, confidential clients
/// web-app and mobile-app) on a free port, with `env` (DOT_REUSE_PROTECTION,
/// DOT_GRACE_SECONDS), or `None` (with the reason printed) where Python is
/// missing and CI is not set.
pub fn dot(env: &[(&str, &str)], log: bool) -> Option<Django> {
    django("dot", env, "DOT_DB", log)
}

/// Start `scripts/NAME/run.sh PORT` with `env` and a fresh SQLite file in
/// `db_var`, and poll `/api/me/` until it answers: the first start creates
/// the venv (pip install), so it is allowed minutes. Under CI=true a
/// missing Python fails rather than skips.
fn django(name: &str, env: &[(&str, &str)], db_var: &str, log: bool) -> Option<Django> {
    if Command::new("python3").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "python3 is not installed, and CI must run the {name} tests"
        );
        println!("skipped: python3 is not installed");
        return None;
    }
    // A free port can be taken by another test while the first start
    // makes the venv: a start that exits before serving is tried again on
    // a new port.
    for attempt in 1..=3 {
        let port = free_port();
        let db = std::env::temp_dir().join(format!("{name}-{}-{port}.sqlite3", std::process::id()));
        let child = Command::new("bash")
            .arg(root().join(format!("scripts/{name}/run.sh")))
            .arg(port.to_string())
            .envs(env.iter().copied())
            .env(db_var, &db)
            .stdout(Stdio::null())
            .stderr(if log { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .unwrap();
        let mut django = Django {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        if wait_until_serving(&mut django, name) {
            return Some(django);
        }
        println!("{name}: run.sh exited before serving (attempt {attempt} of 3)");
    }
    panic!("scripts/{name}/run.sh exited before serving three times");
}

/// Poll `/api/me/` until `django` answers (true) or its process exits
/// (false); fails after 10 minutes (the first start creates the venv).
fn wait_until_serving(django: &mut Django, name: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(600);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    loop {
        // Only Django's own answer counts (DRF refuses an anonymous
        // `/api/me/` with a `detail`): another test's server may hold the
        // port, and then Django exits without serving.
        if let Ok(resp) = client.get(format!("{}/api/me/", django.url)).send() {
            let refused = matches!(resp.status().as_u16(), 401 | 403);
            if refused && resp.text().is_ok_and(|t| t.contains("\"detail\"")) {
                return true;
            }
        }
        if let Ok(Some(_)) = django.child.try_wait() {
            return false;
        }
        assert!(
            Instant::now() < deadline,
            "{name} did not start within 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A poem endpoint served on 127.0.0.1 (a free port) from a runtime of its
/// own, so that blocking clients can run on the test thread; stops when
/// dropped.
pub struct Background {
    uri: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Background {
    pub fn serve(endpoint: impl poem::Endpoint + 'static) -> Background {
        use poem::listener::{Acceptor, Listener, TcpListener};
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let uri = runtime.block_on(async {
            let acceptor = TcpListener::bind("127.0.0.1:0")
                .into_acceptor()
                .await
                .unwrap();
            let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
            tokio::spawn(async move {
                let stop = async {
                    let _ = rx.await;
                };
                let _ = poem::Server::new_with_acceptor(acceptor)
                    .run_with_graceful_shutdown(endpoint, stop, None)
                    .await;
            });
            format!("http://{addr}")
        });
        Background {
            uri,
            stop: Some(tx),
            runtime: Some(runtime),
        }
    }

    /// Its base URL.
    pub fn uri(&self) -> String {
        self.uri.clone()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A load balancer for tests: every request goes to the next of
/// `upstreams` in turn (method, path, query, headers but `Host`, body),
/// and its answer comes back as it was; so a suite run through it sends
/// consecutive requests to different replicas.
pub struct RoundRobin {
    server: Background,
    /// How many requests went to each upstream.
    counts: Arc<Vec<AtomicU64>>,
}

impl RoundRobin {
    pub fn start(upstreams: Vec<String>) -> RoundRobin {
        assert!(!upstreams.is_empty());
        let counts: Arc<Vec<AtomicU64>> =
            Arc::new(upstreams.iter().map(|_| AtomicU64::new(0)).collect());
        let next = Arc::new(AtomicU64::new(0));
        let upstreams = Arc::new(upstreams);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let shared = (counts.clone(), next, upstreams, client);
        let endpoint = poem::endpoint::make(move |req: poem::Request| {
            let (counts, next, upstreams, client) = shared.clone();
            async move {
                let i = (next.fetch_add(1, Ordering::SeqCst) as usize) % upstreams.len();
                counts[i].fetch_add(1, Ordering::SeqCst);
                Ok::<poem::Response, poem::Error>(forward(&client, &upstreams[i], req).await)
            }
        });
        RoundRobin {
            server: Background::serve(endpoint),
            counts,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// How many requests each upstream got.
    pub fn sent(&self) -> Vec<u64> {
        self.counts
            .iter()
            .map(|c| c.load(Ordering::SeqCst))
            .collect()
    }
}

pub async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    req: poem::Request,
) -> poem::Response {
    let target = format!(
        "{upstream}{}",
        req.uri().path_and_query().map_or("/", |p| p.as_str())
    );
    let method = req.method().clone();
    let mut headers = req.headers().clone();
    headers.remove("host");
    let body = req.into_body().into_bytes().await.unwrap_or_default();
    match client
        .request(method, target)
        .headers(headers)
        .body(body)
        .send()
        .await
    {
        Ok(resp) => {
            let mut out = poem::Response::builder().status(resp.status());
            for (name, value) in resp.headers() {
                out = out.header(name, value);
            }
            let bytes = resp.bytes().await.unwrap_or_default();
            out.body(bytes)
        }
        Err(e) => poem::Response::builder()
            .status(poem::http::StatusCode::BAD_GATEWAY)
            .body(format!("round robin: {e}")),
    }
}

/// The reference spec with JWT access tokens (issuer and audience set).
pub fn reference_with_jwt() -> serde_json::Value {
    let mut doc = openapi::reference::reference_json();
    doc["x-token-lifecycle"]["tokens"] = serde_json::json!(
        {"format": "jwt", "issuer": "https://issuer.example", "audience": "api"}
    );
    doc
}

/// [`reference_with_jwt`] as a defect serves it: its answers say the
/// example's `expiresIn: 60` (no `expiresIn` bound), while its JWTs live
/// 3600 s.
pub fn jwt_lifetime_off_by_3540_s() -> serde_json::Value {
    let mut served = reference_with_jwt();
    for path in ["/auth/login", "/auth/refresh"] {
        let op = &mut served["paths"][path]["post"];
        op["x-token-lifecycle"]["issue"]
            .as_object_mut()
            .expect("an issue map")
            .shift_remove("expiresIn");
        op["responses"]["200"]["content"]["application/json"]["example"]["expiresIn"] =
            serde_json::json!(60);
    }
    served
}
