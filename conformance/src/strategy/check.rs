//! Validators for arbitrary schema values of a document, and a filter
//! strategy whose rejections are bounded.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::{Draft, Registry, Validator};
use openapi::schema::{translate_document, translate_schema};
use openapi::spec::Version;
use proptest::strategy::{BoxedStrategy, NewTree, Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value};

const BASE: &str = "urn:strategy";

/// Notes about schemas whose generated values may be invalid.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notes(Arc<Mutex<BTreeSet<String>>>);

impl Notes {
    pub(crate) fn add(&self, note: impl Into<String>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(note.into());
    }

    #[cfg(test)]
    pub(crate) fn list(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// A short rendering of a schema for notes.
pub(crate) fn short(schema: &Value) -> String {
    let s = schema.to_string();
    if s.chars().count() > 100 {
        let cut: String = s.chars().take(97).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// Compiles validators for schema values found in (or built from) a
/// document. The document is translated to 2020-12 once (3.0) and, for
/// request values, `readOnly` properties are dropped from `required` lists,
/// as OpenAPI says they only apply to responses.
pub(crate) struct Checker {
    doc: Value,
    version: Version,
    requests: bool,
    registry: OnceLock<Option<Registry<'static>>>,
    cache: Mutex<HashMap<String, Option<Arc<Validator>>>>,
}

impl fmt::Debug for Checker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checker")
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

impl Checker {
    pub(crate) fn new(doc: &Value, version: Version, requests: bool) -> Checker {
        let mut prepared = doc.clone();
        if version == Version::V30 {
            translate_document(&mut prepared);
        }
        if requests {
            let copy = prepared.clone();
            drop_read_only_required(&copy, &mut prepared, 0);
        }
        Checker {
            doc: prepared,
            version,
            requests,
            registry: OnceLock::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn registry(&self) -> Option<&Registry<'static>> {
        self.registry
            .get_or_init(|| {
                let resource = Draft::Draft202012.create_resource(self.doc.clone());
                Registry::new()
                    .draft(Draft::Draft202012)
                    .add(BASE, resource)
                    .and_then(|b| b.prepare())
                    .ok()
            })
            .as_ref()
    }

    /// The validator of `schema` (a schema value whose local `$ref`s point
    /// into the document), compiled once; `None` when it does not compile.
    pub(crate) fn validator(&self, schema: &Value) -> Option<Arc<Validator>> {
        let key = schema.to_string();
        if let Some(v) = self.lock().get(&key) {
            return v.clone();
        }
        let compiled = self.compile(schema).map(Arc::new);
        self.lock().insert(key, compiled.clone());
        compiled
    }

    fn compile(&self, schema: &Value) -> Option<Validator> {
        let registry = self.registry()?;
        let mut s = schema.clone();
        if self.version == Version::V30 {
            translate_schema(&mut s);
        }
        if self.requests {
            drop_read_only_required(&self.doc, &mut s, 0);
        }
        absolutize(&mut s, 0);
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(registry)
            .should_validate_formats(true)
            .build(&s)
            .ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<Arc<Validator>>>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Keywords whose value is one subschema.
const SCHEMA_KEYS: [&str; 12] = [
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
    "contentSchema",
];
/// Keywords whose value is a list of subschemas.
const LIST_KEYS: [&str; 5] = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/// Keywords whose value is a map of subschemas.
const MAP_KEYS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Calls `f` on every direct subschema of the schema object `m`.
fn subschemas_mut(m: &mut Map<String, Value>, mut f: impl FnMut(&mut Value)) {
    for (k, v) in m.iter_mut() {
        let k = k.as_str();
        if SCHEMA_KEYS.contains(&k) && v.is_object() {
            f(v);
        } else if LIST_KEYS.contains(&k) {
            if let Value::Array(list) = v {
                list.iter_mut().for_each(&mut f);
            }
        } else if MAP_KEYS.contains(&k) {
            if let Value::Object(map) = v {
                map.values_mut().for_each(&mut f);
            }
        }
    }
}

/// Rewrites local `$ref`s (`#/...`) to point into the registry resource.
fn absolutize(schema: &mut Value, depth: usize) {
    if depth > 64 {
        return;
    }
    let Value::Object(m) = schema else { return };
    if let Some(Value::String(r)) = m.get_mut("$ref") {
        if r.starts_with('#') {
            *r = format!("{BASE}{r}");
        }
    }
    subschemas_mut(m, |s| absolutize(s, depth + 1));
}

/// Whether the property schema `s` is `readOnly` (itself, through its
/// `$ref` or one of its `allOf` branches), looking `$ref`s up in `doc`.
pub(crate) fn is_read_only(doc: &Value, s: &Value, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    let Value::Object(m) = s else { return false };
    if m.get("readOnly") == Some(&Value::Bool(true)) {
        return true;
    }
    if m.contains_key("$ref") {
        if let Ok((_, target)) = openapi::spec::resolve(doc, String::new(), s) {
            if is_read_only(doc, target, depth + 1) {
                return true;
            }
        }
    }
    if let Some(Value::Array(all)) = m.get("allOf") {
        return all.iter().any(|b| is_read_only(doc, b, depth + 1));
    }
    false
}

/// Removes `readOnly` properties from every `required` list under `v`
/// (generic walk: the whole document or one schema).
fn drop_read_only_required(doc: &Value, v: &mut Value, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(m) => {
            if let (Some(Value::Object(props)), Some(Value::Array(req))) =
                (m.get("properties"), m.get("required"))
            {
                let keep: Vec<Value> = req
                    .iter()
                    .filter(|r| {
                        let ro = r
                            .as_str()
                            .and_then(|name| props.get(name))
                            .is_some_and(|p| is_read_only(doc, p, 0));
                        !ro
                    })
                    .cloned()
                    .collect();
                m.insert("required".into(), Value::Array(keep));
            }
            for (k, child) in m.iter_mut() {
                if k != "example" && k != "examples" && k != "enum" && k != "const" {
                    drop_read_only_required(doc, child, depth + 1);
                }
            }
        }
        Value::Array(a) => a
            .iter_mut()
            .for_each(|c| drop_read_only_required(doc, c, depth + 1)),
        _ => {}
    }
}

/// A predicate over generated values.
pub(crate) type Pred<T> = Arc<dyn Fn(&T) -> bool>;

/// Keeps the values of `inner` that satisfy `pred`, trying at most `tries`
/// times per value; when every try fails, the last value is used and a note
/// is recorded. Shrinking only ever moves to accepted values.
pub(crate) struct Checked<T> {
    inner: BoxedStrategy<T>,
    pred: Pred<T>,
    tries: usize,
    notes: Notes,
    what: Arc<str>,
}

impl<T> Checked<T> {
    pub(crate) fn new(
        inner: BoxedStrategy<T>,
        pred: Pred<T>,
        tries: usize,
        notes: &Notes,
        what: String,
    ) -> Self {
        Checked {
            inner,
            pred,
            tries: tries.max(1),
            notes: notes.clone(),
            what: what.into(),
        }
    }
}

impl<T> fmt::Debug for Checked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checked")
            .field("what", &self.what)
            .field("tries", &self.tries)
            .finish_non_exhaustive()
    }
}

impl<T: Clone + fmt::Debug + 'static> Strategy for Checked<T> {
    type Tree = CheckedTree<T>;
    type Value = T;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let mut last = None;
        for _ in 0..self.tries {
            let tree = self.inner.new_tree(runner)?;
            let value = tree.current();
            if (self.pred)(&value) {
                return Ok(CheckedTree {
                    tree,
                    current: value,
                    pred: self.pred.clone(),
                });
            }
            last = Some((tree, value));
        }
        self.notes.add(format!(
            "no acceptable value in {} tries: {}",
            self.tries, self.what
        ));
        let (tree, current) = last.expect("tries >= 1");
        Ok(CheckedTree {
            tree,
            current,
            pred: self.pred.clone(),
        })
    }
}

/// The value tree of [`Checked`].
pub(crate) struct CheckedTree<T> {
    tree: Box<dyn ValueTree<Value = T>>,
    current: T,
    pred: Pred<T>,
}

impl<T: fmt::Debug> fmt::Debug for CheckedTree<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckedTree")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl<T: fmt::Debug> CheckedTree<T> {
    /// Move the inner tree with `step` until it holds an accepted value (at
    /// most [`STEPS`] times); false when it cannot move or finds none.
    fn seek(&mut self, step: impl Fn(&mut dyn ValueTree<Value = T>) -> bool) -> bool {
        for _ in 0..STEPS {
            if !step(self.tree.as_mut()) {
                return false;
            }
            let v = self.tree.current();
            if (self.pred)(&v) {
                self.current = v;
                return true;
            }
        }
        false
    }
}

/// How many inner steps one shrinking step may take to find an accepted
/// value.
const STEPS: usize = 64;

impl<T: Clone + fmt::Debug> ValueTree for CheckedTree<T> {
    type Value = T;

    fn current(&self) -> T {
        self.current.clone()
    }

    fn simplify(&mut self) -> bool {
        self.seek(|t| t.simplify())
    }

    fn complicate(&mut self) -> bool {
        self.seek(|t| t.complicate())
    }
}
