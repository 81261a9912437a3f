//! The diff over a real pair: two releases of GitHub's OpenAPI description
//! (npm `@octokit/openapi`, ~12 MB of JSON each). Not in the default run:
//!
//! ```sh
//! scripts/drift/octokit.sh            # 22.0.0 and 23.0.2 into target/octokit/
//! cargo test -p drift -- --ignored
//! ```
//!
//! `DRIFT_GITHUB_OLD` / `DRIFT_GITHUB_NEW` point at other releases.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use drift::{Report, Severity};
use serde_json::{Map, Value};

fn path(var: &str, version: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/octokit")
            .join(version)
            .join("api.github.com.json")
    })
}

fn load_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nfetch the GitHub specs first: scripts/drift/octokit.sh",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pair() -> (Value, Value) {
    (
        load_json(&path("DRIFT_GITHUB_OLD", "22.0.0")),
        load_json(&path("DRIFT_GITHUB_NEW", "23.0.2")),
    )
}

/// The same document written differently: every object's keys and every
/// array reversed (`required`, `enum`, `parameters`, `oneOf`, `anyOf`,
/// `allOf`, tags...).
///
/// Reversing `allOf` matters: GitHub's `account: {allOf: [Simple User,
/// Enterprise]}` has `name` in both branches, nullable in one only; the
/// property is both schemas at once whatever their order.
fn reordered(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m.iter().rev() {
                out.insert(k.clone(), reordered(v));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().rev().map(reordered).collect()),
        other => other.clone(),
    }
}

/// `/repos/{owner}/{repo}` -> `/repos/{}/{}`.
fn path_key(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push('{');
            }
            '}' => {
                inside = false;
                out.push('}');
            }
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

fn operations(doc: &Value) -> HashSet<String> {
    let mut out = HashSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(k, _)| k) {
            out.insert(format!(
                "{} {}",
                method.to_ascii_uppercase(),
                path_key(path)
            ));
        }
    }
    out
}

fn resolves(doc: &Value, pointer: &str) -> bool {
    let Some(p) = pointer.strip_prefix('#') else {
        return false;
    };
    doc.pointer(p).is_some()
}

fn by_rule(report: &Report) -> BTreeMap<(String, Severity), usize> {
    let mut out = BTreeMap::new();
    for f in &report.findings {
        *out.entry((f.rule.clone(), f.severity)).or_default() += 1;
    }
    out
}

#[test]
#[ignore = "needs the two GitHub specs (~25 MB) fetched by scripts/drift/octokit.sh"]
fn github_release_pair() {
    let (old, new) = pair();
    let report = drift::diff(&old, &new);

    assert!(!report.is_empty());
    assert!(report.count(Severity::Breaking) > 0, "{}", report.to_text());
    for f in &report.findings {
        assert!(!f.rule.is_empty() && !f.message.is_empty(), "{f:?}");
        if let Some(p) = &f.old {
            assert!(resolves(&old, p), "old pointer does not resolve: {f:?}");
        }
        if let Some(p) = &f.new {
            assert!(resolves(&new, p), "new pointer does not resolve: {f:?}");
        }
    }

    // Added and removed operations are really added and removed (matched
    // by path template, whatever the parameter names).
    let (olds, news) = (operations(&old), operations(&new));
    for f in report.by_rule("operation-removed") {
        let op = f.operation.as_deref().expect("an operation");
        let (method, path) = op.split_once(' ').expect("METHOD /path");
        let key = format!("{method} {}", path_key(path));
        assert!(olds.contains(&key) && !news.contains(&key), "{f:?}");
    }
    for f in report.by_rule("operation-added") {
        let op = f.operation.as_deref().expect("an operation");
        let (method, path) = op.split_once(' ').expect("METHOD /path");
        let key = format!("{method} {}", path_key(path));
        assert!(news.contains(&key) && !olds.contains(&key), "{f:?}");
    }

    // With the 22.0.0 -> 23.0.2 pair, changes we checked by hand.
    if std::env::var_os("DRIFT_GITHUB_OLD").is_none() {
        let has = |rule: &str, op: &str, msg: &str| {
            report.by_rule(rule).any(|f| {
                f.operation.as_deref() == Some(op) && (msg.is_empty() || f.message.contains(msg))
            })
        };
        // Team discussions are gone.
        assert!(has(
            "operation-removed",
            "GET /teams/{team_id}/discussions",
            ""
        ));
        // `description` may now be null in a response.
        assert!(has(
            "response-nullable-added",
            "GET /enterprises/{enterprise}/code-security/configurations",
            "description"
        ));
        // A shared component's change is told for every operation it
        // reaches: `minimal-repository` is in the responses of dozens.
        let reached = report
            .by_rule("response-nullable-added")
            .filter(|f| f.message.contains("`minimal-repository.license.url`"))
            .count();
        assert!(reached > 10, "{reached} operations");
        // A request string got a maxLength.
        assert!(has(
            "request-body-constraint-tightened",
            "POST /orgs/{org}/artifacts/metadata/storage-record",
            "`body.name` maxLength"
        ));
    }
}

#[test]
#[ignore = "needs the two GitHub specs (~25 MB) fetched by scripts/drift/octokit.sh"]
fn github_reordering_is_never_a_change() {
    let (old, new) = pair();
    // A document against itself, and against itself reordered.
    assert!(drift::diff(&new, &new).is_empty());
    let shuffled = reordered(&new);
    let report = drift::diff(&new, &shuffled);
    assert!(report.is_empty(), "{}", report.to_text());
    let report = drift::diff(&reordered(&old), &new);
    // Reordering the old side changes nothing either: same rules, same counts.
    assert_eq!(by_rule(&report), by_rule(&drift::diff(&old, &new)));
}
