//! The invariant of the one vocabulary reader: **a document loads if and
//! only if lint reports no binding error** (its warnings aside), and where the loader refuses a
//! document for its bindings, lint names exactly the same places. Checked
//! over every fixture, every lint and diff case of this crate, the reference
//! spec, and a table of broken documents (the disagreements found in the
//! past among them).

use std::path::{Path, PathBuf};

use openapi::{LoadError, Spec};
use serde_json::{json, Value};

use crate::load;

/// The places of the `lifecycle-*` findings of `lint`, sorted.
fn lint_places(doc: &Value) -> Vec<String> {
    let report = drift::lint(doc);
    let mut places: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("lifecycle-") && f.severity == drift::Severity::Breaking)
        .map(|f| f.new.clone().unwrap_or_default())
        .collect();
    places.sort();
    places
}

/// Checks the invariant on `doc`; returns whether it loaded.
fn agree(name: &str, doc: &Value) -> bool {
    let lint = lint_places(doc);
    match Spec::from_value(doc.clone()) {
        Ok(_) => {
            assert!(lint.is_empty(), "{name} loads, yet lint reports {lint:?}");
            true
        }
        Err(LoadError::Bindings(problems)) => {
            let mut loader: Vec<String> = problems.iter().map(|p| format!("#{}", p.at)).collect();
            loader.sort();
            assert_eq!(loader, lint, "{name}: loader and lint disagree");
            false
        }
        // Refused for something else (a broken `$ref`, a bad parameter):
        // no binding verdict to compare, but lint must not be silent.
        Err(e) => {
            assert!(
                !drift::lint(doc).is_empty(),
                "{name} is refused ({e}) and lint finds nothing"
            );
            false
        }
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
}

#[test]
fn over_every_fixture_and_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in [
        "../fixtures",
        "tests/it/lints",
        "tests/it/pairs",
        "tests/it/same",
    ] {
        files(&root.join(dir), &mut all);
    }
    assert!(all.len() > 100, "found only {} documents", all.len());
    let mut loaded = 0;
    for path in &all {
        if agree(&path.display().to_string(), &load(path)) {
            loaded += 1;
        }
    }
    assert!(agree(
        "the reference spec",
        &openapi::reference::reference_json()
    ));
    // Both sides of the invariant are exercised.
    assert!(
        loaded > 50 && loaded < all.len(),
        "{loaded} of {} loaded",
        all.len()
    );
}

/// The reference spec with the value at `pointer` replaced (`Value::Null`:
/// removed).
fn patched(pointer: &str, value: Value) -> Value {
    let mut doc = openapi::reference::reference_json();
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let key = key.replace("~1", "/").replace("~0", "~");
    let map = doc
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent}"));
    if value.is_null() {
        map.remove(&key);
    } else {
        map.insert(key, value);
    }
    doc
}

const LOGIN: &str = "/paths/~1auth~1login/post";
const LOGOUT: &str = "/paths/~1auth~1logout/post";
const REVOKE_ALL: &str = "/paths/~1refresh-tokens~1mine/delete";
const ME: &str = "/paths/~1me/get";

#[test]
fn over_a_table_of_broken_documents() {
    let lc = "x-token-lifecycle";
    let cases: Vec<(&str, Value, bool)> = vec![
        // The four disagreements of the past, each now refused by both.
        (
            "revoke-all without accessToken",
            patched(&format!("{REVOKE_ALL}/{lc}/accessToken"), Value::Null),
            false,
        ),
        (
            "login without issue",
            patched(&format!("{LOGIN}/{lc}/issue"), Value::Null),
            false,
        ),
        (
            "only success response 2XX",
            patched(
                &format!("{LOGOUT}/responses"),
                json!({"2XX": {"description": "ok"}, "401": {"description": "no"}}),
            ),
            false,
        ),
        // ...and the dotted header name, now accepted by both.
        (
            "a header name with a dot",
            {
                let mut d = patched(
                    &format!("{ME}/{lc}/accessToken"),
                    json!("$request.header.x.token"),
                );
                d.pointer_mut(ME).unwrap()["parameters"] =
                    json!([{"name": "x.token", "in": "header", "schema": {"type": "string"}}]);
                d
            },
            true,
        ),
        (
            "unknown policy field",
            patched(&format!("/{lc}/policy/accessTtl"), json!(5)),
            false,
        ),
        (
            "zero ttl",
            patched(&format!("/{lc}/policy/accessTokenTtl"), json!(0)),
            false,
        ),
        (
            "account declared twice",
            patched(
                &format!("/{lc}/accounts"),
                json!([{"username": "a", "password": "1"}, {"username": "a", "password": "2"}]),
            ),
            false,
        ),
        (
            "accounts not a list",
            patched(&format!("/{lc}/accounts"), json!("demo:demo")),
            false,
        ),
        (
            "binding not an object",
            patched(&format!("{ME}/{lc}"), json!("protected")),
            false,
        ),
        (
            "unknown outcome",
            patched(&format!("{ME}/{lc}/outcomes"), json!({"gone": 401})),
            false,
        ),
        (
            "outcome example unknown",
            patched(
                &format!("{LOGOUT}/{lc}/outcomes"),
                json!({"expired": {"status": 401, "example": "nope"}}),
            ),
            false,
        ),
        (
            "several problems at once",
            {
                let d = patched(&format!("{LOGIN}/{lc}/action"), json!("signin"));
                let mut d2 = d.clone();
                d2[lc]["policy"]["logoutEnds"] = json!("everything");
                d2.pointer_mut(&format!("{ME}/{lc}")).unwrap()["accessToken"] =
                    json!("$request.header.nope");
                d2
            },
            false,
        ),
        (
            "a client declared twice",
            patched(
                &format!("/{lc}/clients"),
                json!([{"id": "web"}, {"id": "web", "secret": "s"}]),
            ),
            false,
        ),
        (
            "client_secret_basic without a basic scheme",
            patched(
                &format!("{LOGIN}/{lc}/client"),
                json!({"auth": "client_secret_basic"}),
            ),
            false,
        ),
        (
            "an unknown client authentication",
            patched(&format!("{LOGIN}/{lc}/client"), json!({"auth": "mtls"})),
            false,
        ),
        (
            "client_secret_post reading fields the body lacks",
            patched(
                &format!("{LOGIN}/{lc}/client"),
                json!({"auth": "client_secret_post"}),
            ),
            false,
        ),
        (
            "clients and a public client's id in the body",
            {
                let mut d = patched(&format!("/{lc}/clients"), json!([{"id": "spa"}]));
                d.pointer_mut(&format!("{LOGIN}/{lc}")).unwrap()["client"] =
                    json!({"auth": "none", "id": "$request.body#/username"});
                d
            },
            true,
        ),
        (
            "free-form object body",
            {
                let mut d = openapi::reference::reference_json();
                let login = d.pointer_mut(LOGIN).unwrap();
                login["requestBody"]["content"]["application/json"]["schema"] =
                    json!({"type": "object"});
                d
            },
            true,
        ),
        (
            "an old policy name (a warning, not an error)",
            {
                let mut d = openapi::reference::reference_json();
                let policy = d[lc]["policy"].as_object_mut().unwrap();
                policy.shift_remove("revokeIgnoresInvalidTokens");
                policy.insert("revokeAlwaysSucceeds".into(), json!(true));
                d
            },
            true,
        ),
        (
            "the old and the new policy name",
            patched(&format!("/{lc}/policy/revokeAlwaysSucceeds"), json!(true)),
            false,
        ),
        (
            "two bindings of the token endpoint for one grant",
            oauth2(
                "/0/when",
                json!({"$request.body#/grant_type": "refresh_token"}),
            ),
            false,
        ),
        (
            "a binding after an unconditional one",
            oauth2("/0", {
                let mut b = oauth2_binding(0);
                b.as_object_mut().unwrap().shift_remove("when");
                b
            }),
            false,
        ),
        (
            "a condition on a place the operation lacks",
            oauth2(
                "/1/when",
                json!({"$request.header.x-grant": "refresh_token"}),
            ),
            false,
        ),
        (
            "conditions on two places",
            oauth2(
                "/1/when",
                json!({"$request.body#/grant_type": "refresh_token", "$request.body#/scope": "offline"}),
            ),
            true,
        ),
    ];
    for (name, doc, loads) in &cases {
        assert_eq!(agree(name, doc), *loads, "{name}");
    }
    // The warning is lint's too, as a warning.
    let (_, old_name, _) = &cases[cases.len() - 6];
    let report = drift::lint(old_name);
    let warnings: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.severity == drift::Severity::Warning)
        .map(|f| f.rule.as_str())
        .collect();
    assert_eq!(warnings, ["lifecycle-deprecated-name"]);
}

/// `fixtures/oauth2.yaml`.
fn oauth2_doc() -> Value {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/oauth2.yaml"))
}

/// Binding `i` of the token endpoint of `fixtures/oauth2.yaml`.
fn oauth2_binding(i: usize) -> Value {
    oauth2_doc()["paths"]["/oauth/token"]["post"]["x-token-lifecycle"][i].clone()
}

/// `fixtures/oauth2.yaml` with the value at `pointer` under its token
/// endpoint's extension replaced.
fn oauth2(pointer: &str, value: Value) -> Value {
    let mut doc = oauth2_doc();
    let at = format!("/paths/~1oauth~1token/post/x-token-lifecycle{pointer}");
    *doc.pointer_mut(&at).unwrap_or_else(|| panic!("no {at}")) = value;
    doc
}

#[test]
fn the_loader_lists_every_problem() {
    let mut doc = patched(
        &format!("{LOGIN}/x-token-lifecycle/action"),
        json!("signin"),
    );
    doc["x-token-lifecycle"]["policy"]["logoutEnds"] = json!("everything");
    let err = Spec::from_value(doc).unwrap_err();
    let LoadError::Bindings(problems) = &err else {
        panic!("not a binding error: {err}")
    };
    assert_eq!(problems.len(), 2, "{err}");
    insta::assert_snapshot!(err.to_string());
}
