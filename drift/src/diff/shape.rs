//! The normalised meaning of a schema: what `diff/schema.rs` compares.
//!
//! `allOf` branches are merged, a `oneOf`/`anyOf` with a single non-null
//! branch is the branch itself, `nullable: true`, `type: [.., "null"]` and a
//! `{type: "null"}` branch all mean "nullable", `const` is a one-value enum.
//! So two schemas written differently with the same meaning give equal shapes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::doc::{Doc, Node};

/// How deep `allOf`/`oneOf` nesting is followed while building a shape.
const MAX_DEPTH: usize = 24;

/// Lower-bound keywords: raising one narrows.
pub(crate) const LOWER: [&str; 5] = [
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
];
/// Upper-bound keywords: lowering one narrows.
pub(crate) const UPPER: [&str; 5] = [
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
];

/// A schema's meaning, flattened.
#[derive(Debug, Default)]
pub(crate) struct Shape<'a> {
    /// Allowed types without `null`; `None` is any type.
    pub types: Option<BTreeSet<String>>,
    /// `null` is allowed.
    pub nullable: bool,
    /// Allowed values without `null`, if restricted.
    pub enumv: Option<Vec<Value>>,
    /// Properties by name (unresolved nodes).
    pub props: BTreeMap<String, Node<'a>>,
    /// Required property names.
    pub required: BTreeSet<String>,
    /// The `items` schema.
    pub items: Option<Node<'a>>,
    /// The `additionalProperties` schema, when it is one.
    pub additional: Option<Node<'a>>,
    /// `additionalProperties: false`.
    pub closed: bool,
    /// `oneOf`/`anyOf` branches that stay alternatives.
    pub variants: Vec<Node<'a>>,
    /// Lower bounds by keyword.
    pub lower: BTreeMap<&'static str, f64>,
    /// Upper bounds by keyword.
    pub upper: BTreeMap<&'static str, f64>,
    /// `pattern`.
    pub pattern: Option<String>,
    /// `format`.
    pub format: Option<String>,
}

impl<'a> Shape<'a> {
    /// Builds the shape of a schema node (refs are followed).
    pub fn of(doc: Doc<'a>, node: Node<'a>) -> Self {
        Self::build(doc, node, 0)
    }

    fn build(doc: Doc<'a>, node: Node<'a>, depth: usize) -> Self {
        let (n, _) = doc.resolve(node);
        let mut s = Shape::default();
        let Some(m) = n.v.as_object() else {
            return s;
        };
        if depth > MAX_DEPTH {
            return s;
        }
        match m.get("type") {
            Some(Value::String(t)) => s.set_types([t.as_str()]),
            Some(Value::Array(ts)) => s.set_types(ts.iter().filter_map(Value::as_str)),
            _ => {}
        }
        if m.get("nullable") == Some(&Value::Bool(true)) {
            s.nullable = true;
        }
        if let Some(Value::Array(values)) = m.get("enum") {
            let mut kept = Vec::new();
            for v in values {
                if v.is_null() {
                    s.nullable = true;
                } else {
                    kept.push(v.clone());
                }
            }
            s.enumv = Some(kept);
        }
        if let Some(c) = m.get("const") {
            s.enumv = Some(vec![c.clone()]);
        }
        for (name, prop) in n.entries("properties") {
            s.props.insert(name.clone(), prop);
        }
        if let Some(Value::Array(req)) = m.get("required") {
            s.required
                .extend(req.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        if let Some(items) = n.get("items").filter(|i| i.v.is_object()) {
            s.items = Some(items);
        }
        match n.get("additionalProperties") {
            Some(ap) if ap.v == &Value::Bool(false) => s.closed = true,
            Some(ap) if ap.v.is_object() => s.additional = Some(ap),
            _ => {}
        }
        for key in LOWER {
            if let Some(x) = m.get(key).and_then(Value::as_f64) {
                s.lower.insert(key, x);
            }
        }
        for key in UPPER {
            if let Some(x) = m.get(key).and_then(Value::as_f64) {
                s.upper.insert(key, x);
            }
        }
        s.pattern = m.get("pattern").and_then(Value::as_str).map(str::to_owned);
        s.format = m.get("format").and_then(Value::as_str).map(str::to_owned);
        for branch in n.items("allOf") {
            let b = Shape::build(doc, branch, depth + 1);
            s.merge(b);
        }
        for key in ["oneOf", "anyOf"] {
            let mut rest = Vec::new();
            for branch in n.items(key) {
                if is_null_schema(doc, &branch) {
                    s.nullable = true;
                } else {
                    rest.push(branch);
                }
            }
            if rest.len() == 1 {
                let b = Shape::build(doc, rest.remove(0), depth + 1);
                s.merge(b);
            } else {
                s.variants.extend(rest);
            }
        }
        s
    }

    fn set_types<'s>(&mut self, types: impl IntoIterator<Item = &'s str>) {
        let mut set = BTreeSet::new();
        for t in types {
            if t == "null" {
                self.nullable = true;
            } else {
                set.insert(t.to_owned());
            }
        }
        if !set.is_empty() {
            self.types = Some(set);
        }
    }

    /// Merges an `allOf` branch (or a lone `oneOf` branch) into this shape.
    fn merge(&mut self, b: Shape<'a>) {
        self.types = match (self.types.take(), b.types) {
            (None, t) | (t, None) => t,
            (Some(x), Some(y)) => Some(intersect_types(&x, &y)),
        };
        self.nullable |= b.nullable;
        self.enumv = match (self.enumv.take(), b.enumv) {
            (None, e) | (e, None) => e,
            (Some(x), Some(y)) => Some(x.into_iter().filter(|v| y.contains(v)).collect()),
        };
        for (k, v) in b.props {
            self.props.entry(k).or_insert(v);
        }
        self.required.extend(b.required);
        if self.items.is_none() {
            self.items = b.items;
        }
        if self.additional.is_none() {
            self.additional = b.additional;
        }
        self.closed |= b.closed;
        self.variants.extend(b.variants);
        for (k, v) in b.lower {
            let e = self.lower.entry(k).or_insert(v);
            *e = e.max(v);
        }
        for (k, v) in b.upper {
            let e = self.upper.entry(k).or_insert(v);
            *e = e.min(v);
        }
        if self.pattern.is_none() {
            self.pattern = b.pattern;
        }
        if self.format.is_none() {
            self.format = b.format;
        }
    }
}

/// `{type: "null"}` (or `nullable` with `type: null` in 3.1 style).
fn is_null_schema(doc: Doc<'_>, node: &Node<'_>) -> bool {
    let (n, _) = doc.resolve(node.clone());
    match n.v.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => !ts.is_empty() && ts.iter().all(|t| t == "null"),
        _ => false,
    }
}

fn intersect_types(x: &BTreeSet<String>, y: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in x {
        if y.contains(t) || (t == "integer" && y.contains("number")) {
            out.insert(t.clone());
        }
    }
    for t in y {
        if t == "integer" && x.contains("number") {
            out.insert(t.clone());
        }
    }
    out
}

/// Does the type set `a` accept every value that `b` accepts?
pub(crate) fn covers(a: &Option<BTreeSet<String>>, b: &Option<BTreeSet<String>>) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) => b
            .iter()
            .all(|t| a.contains(t) || (t == "integer" && a.contains("number"))),
    }
}

/// `string|integer`, or `any`.
pub(crate) fn types_label(t: &Option<BTreeSet<String>>) -> String {
    match t {
        None => "any".to_owned(),
        Some(set) => set.iter().cloned().collect::<Vec<_>>().join("|"),
    }
}

/// Reads a boolean keyword of a schema (following refs), e.g. `readOnly`.
pub(crate) fn flag(doc: Doc<'_>, node: &Node<'_>, key: &str) -> bool {
    let (n, _) = doc.resolve(node.clone());
    n.v.get(key) == Some(&Value::Bool(true))
}
