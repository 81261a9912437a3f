//! Integration tests of the `drift` crate: one old/new pair per diff rule,
//! one spec per lint rule, no-false-positive pairs, renderers, garbage input.

mod agreement;
mod api;
mod fixtures;
mod garbage;
mod gate;
mod github;
mod lint;
mod pairs;
mod render;
mod rules;
mod same;

use std::path::Path;

use serde_json::Value;

/// Loads a YAML (or JSON) test document.
pub fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The directory name of a test case, and the rule it names (the part
/// before `--`).
pub fn case(path: &Path) -> (String, String) {
    let dir = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let rule = dir.split("--").next().unwrap_or(dir);
    (dir.to_owned(), rule.to_owned())
}
