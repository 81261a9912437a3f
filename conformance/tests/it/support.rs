use std::path::PathBuf;
use std::sync::Arc;

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
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime
            .block_on(MockServer::builder().spec(spec).start())
            .unwrap();
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

/// `doc` plus an unbound operation secured like its `protected` one (the
/// guard rule of docs/bindings.md): `GET /orders`, bearer, 200 and a 401
/// documenting its challenge. No spec of the repository has one.
pub fn with_guarded_operation(mut doc: Value) -> Value {
    doc["paths"]["/orders"] = json!({
        "get": {
            "operationId": "orders",
            "security": [{"bearerAuth": []}],
            "responses": {
                "200": {
                    "description": "the user's orders",
                    "content": {"application/json": {"example": [{"id": 1}]}}
                },
                "401": {
                    "description": "no token, or a dead one",
                    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}
                }
            }
        }
    });
    doc
}

/// Every spec in the repository (the reference and the fixtures), and the
/// reference with a guarded operation.
pub fn specs() -> Vec<(String, Value)> {
    let reference = openapi::reference::reference_json();
    let mut out = vec![
        ("reference".to_owned(), reference.clone()),
        (
            "reference with a guarded operation".to_owned(),
            with_guarded_operation(reference),
        ),
    ];
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
    out
}

pub fn spec(value: Value) -> Spec {
    Spec::from_value(value).unwrap()
}

pub fn config(target: &str, checked: Value, cases: u32, seed: u64) -> conformance::Config {
    let mut c = conformance::Config::new(target);
    c.spec = Some(Arc::new(spec(checked)));
    c.cases = cases;
    c.seed = seed;
    c.concurrency = 2;
    c
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

/// The names of the checks that failed in `report`.
pub fn failed_checks(report: &conformance::Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| c.status == conformance::Status::Failed)
        .map(|c| c.name.clone())
        .collect()
}
