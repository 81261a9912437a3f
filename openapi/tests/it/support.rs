//! Helpers of the integration tests: documents on disk, and the npm
//! `swagger2openapi` the differential tests compare with.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A YAML or JSON document.
pub fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files of `dir` with one of these extensions, sorted.
pub fn files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
        })
        .collect();
    out.sort();
    out
}

/// Where `scripts/swagger2/install.sh` puts the npm tools.
pub fn tools() -> PathBuf {
    std::env::var_os("SWAGGER2_TOOLS").map_or_else(|| root().join("target/swagger2"), PathBuf::from)
}

/// The hand-written Swagger 2.0 documents of `openapi/tests/swagger2/`.
pub fn hand_written() -> Vec<PathBuf> {
    files(&root().join("openapi/tests/swagger2"), &["yaml"])
}

/// The Swagger 2.0 documents of npm `@readme/oas-examples`, once installed.
pub fn oas_examples() -> Vec<PathBuf> {
    let base = tools().join("node_modules/@readme/oas-examples/2.0");
    let mut out = Vec::new();
    for sub in ["json", "yaml"] {
        if base.join(sub).is_dir() {
            out.extend(files(&base.join(sub), &["json", "yaml"]));
        }
    }
    out
}

/// Installs the npm tools (`scripts/swagger2/install.sh`, which does
/// nothing when they are there). `Err` says why they cannot be had: no
/// node or npm, or the install failed; the caller skips with it.
pub fn install_tools() -> Result<(), String> {
    let out = Command::new("bash")
        .arg(root().join("scripts/swagger2/install.sh"))
        .output()
        .map_err(|e| format!("cannot run scripts/swagger2/install.sh: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// `swagger2openapi`'s conversion of each file (`{"error": ...}` where it
/// refuses one).
pub fn their_conversions(files: &[PathBuf]) -> Vec<Value> {
    let out = Command::new("node")
        .arg(root().join("scripts/swagger2/convert.js"))
        .args(files)
        .env("SWAGGER2_TOOLS", tools())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "convert.js: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Value = serde_json::from_slice(&out.stdout).expect("convert.js prints JSON");
    files
        .iter()
        .map(|f| all[f.to_string_lossy().as_ref()].clone())
        .collect()
}
