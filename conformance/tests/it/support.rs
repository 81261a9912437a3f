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
