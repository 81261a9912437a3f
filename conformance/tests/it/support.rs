use std::path::PathBuf;
use std::sync::Arc;

use mock_server::MockServer;
use openapi::Spec;
use serde_json::Value;

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

/// Every spec in the repository: the reference and the fixtures.
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
