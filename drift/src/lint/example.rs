//! Examples must match their schemas (validated with `jsonschema`).

use std::collections::HashMap;

use jsonschema::{Draft, Validator};
use serde_json::{Map, Value};

use crate::diff::request::{media, params};
use crate::doc::{Doc, Node, Operation};
use crate::finding::{Finding, Severity};

/// How deep a schema is converted; deeper parts accept anything.
const MAX_DEPTH: usize = 64;

/// Keywords whose values are data, not schemas: never rewritten.
const DATA_KEYWORDS: [&str; 5] = ["enum", "const", "default", "example", "examples"];

/// Rewrites an OpenAPI schema as a JSON Schema 2020-12 one: 3.0's
/// `nullable: true` becomes a type union, boolean `exclusiveMinimum` a number;
/// refs outside `#/components/` and `$id`/`$schema` are dropped.
fn convert(v: &Value, v31: bool, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Bool(true);
    }
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, val) in m {
                if k == "$id" || k == "$schema" {
                    continue;
                }
                if k == "$ref" && !val.as_str().is_some_and(|r| r.starts_with("#/components/")) {
                    continue;
                }
                let val = if DATA_KEYWORDS.contains(&k.as_str()) {
                    val.clone()
                } else {
                    convert(val, v31, depth + 1)
                };
                out.insert(k.clone(), val);
            }
            if !v31 {
                openapi30(&mut out);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| convert(x, v31, depth + 1)).collect()),
        other => other.clone(),
    }
}

fn openapi30(out: &mut Map<String, Value>) {
    if out.get("nullable") == Some(&Value::Bool(true)) {
        match out.get_mut("type") {
            Some(Value::String(t)) => {
                let t = std::mem::take(t);
                out.insert(
                    "type".to_owned(),
                    Value::Array(vec![Value::String(t), "null".into()]),
                );
            }
            Some(Value::Array(ts)) if !ts.contains(&Value::from("null")) => ts.push("null".into()),
            _ => {}
        }
        if let Some(Value::Array(e)) = out.get_mut("enum") {
            if !e.contains(&Value::Null) {
                e.push(Value::Null);
            }
        }
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(b)) = out.get(flag) {
            let b = *b;
            out.remove(flag);
            if b {
                if let Some(x) = out.remove(bound) {
                    out.insert(flag.to_owned(), x);
                }
            }
        }
    }
}

/// Validators by schema pointer, compiled once.
struct Checker<'a> {
    doc: Doc<'a>,
    v31: bool,
    components: Value,
    cache: HashMap<String, Result<Validator, String>>,
    out: Vec<Finding>,
}

impl<'a> Checker<'a> {
    fn validator(&mut self, schema: &Node<'a>) -> &Result<Validator, String> {
        let (v31, components) = (self.v31, &self.components);
        self.cache.entry(schema.ptr.clone()).or_insert_with(|| {
            let mut root = match convert(schema.v, v31, 0) {
                Value::Object(m) => m,
                Value::Bool(true) => Map::new(),
                Value::Bool(false) => {
                    let mut m = Map::new();
                    m.insert("not".to_owned(), Value::Object(Map::new()));
                    m
                }
                other => return Err(format!("a schema must be an object, not {other}")),
            };
            root.insert("components".to_owned(), components.clone());
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .build(&Value::Object(root))
                .map_err(|e| e.to_string())
        })
    }

    /// Checks `example` and `default` inside a schema (its properties,
    /// items, branches, not through `$ref`s) against the subschema that
    /// holds them; at depth 0 only `default` (the top-level example is the
    /// holder's business).
    fn nested(&mut self, op: Option<&Operation<'_>>, schema: &Node<'a>, depth: usize) {
        if depth > 32 || !schema.v.is_object() || schema.get("$ref").is_some() {
            return;
        }
        let keys: &[&str] = if depth == 0 {
            &["default"]
        } else {
            &["example", "default"]
        };
        for key in keys {
            if let Some(v) = schema.get(key) {
                self.one(op, &format!("schema {key}"), &v, schema);
            }
        }
        let mut subs: Vec<Node<'a>> = Vec::new();
        for key in ["properties", "patternProperties"] {
            subs.extend(schema.entries(key).into_iter().map(|(_, n)| n));
        }
        for key in ["items", "additionalProperties", "not"] {
            subs.extend(schema.get(key).filter(|n| n.v.is_object()));
        }
        for key in ["allOf", "anyOf", "oneOf", "prefixItems"] {
            subs.extend(schema.items(key));
        }
        for sub in subs {
            self.nested(op, &sub, depth + 1);
        }
    }

    /// Checks the examples of a holder (media type, parameter, header)
    /// against `schema`.
    fn holder(&mut self, op: Option<&Operation<'_>>, holder: &Node<'a>, schema: &Node<'a>) {
        let mut found = Vec::new();
        if let Some(e) = holder.get("example") {
            found.push(("example".to_owned(), e));
        }
        for (name, ex) in holder.entries("examples") {
            let (ex, _) = self.doc.resolve(ex);
            if let Some(value) = ex.get("value") {
                found.push((format!("example `{name}`"), value));
            }
        }
        for (name, value) in found {
            self.one(op, &name, &value, schema);
        }
        self.nested(op, schema, 0);
    }

    fn one(&mut self, op: Option<&Operation<'_>>, name: &str, value: &Node<'a>, schema: &Node<'a>) {
        let label = op.map(Operation::label);
        let finding = match self.validator(schema) {
            Err(e) => Finding::new(
                "schema-invalid",
                Severity::Warning,
                format!("cannot check {name}: the schema does not compile: {e}"),
            )
            .at(None, Some(&schema.ptr)),
            Ok(v) => {
                let Some(err) = v.iter_errors(value.v).next() else {
                    return;
                };
                let at = err.instance_path().as_str();
                let at = if at.is_empty() {
                    String::new()
                } else {
                    format!(" at `{at}`")
                };
                Finding::new(
                    "example-schema-mismatch",
                    Severity::Breaking,
                    format!("{name} does not match its schema{at}: {err}"),
                )
                .at(None, Some(&value.ptr))
            }
        };
        self.out.push(match label {
            Some(l) => finding.operation(l),
            None => finding,
        });
    }
}

/// Checks every example of the document against its schema.
pub(crate) fn examples(doc: Doc<'_>, ops: &[Operation<'_>], out: &mut Vec<Finding>) {
    let v31 = doc
        .root
        .get("openapi")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("3.1"));
    let components = doc
        .root
        .get("components")
        .filter(|c| c.is_object())
        .map_or_else(|| Value::Object(Map::new()), |c| convert(c, v31, 0));
    let mut ck = Checker {
        doc,
        v31,
        components,
        cache: HashMap::new(),
        out: Vec::new(),
    };
    for op in ops {
        for p in params(doc, op).into_values() {
            if let Some(schema) = p.node.get("schema") {
                ck.holder(Some(op), &p.node, &schema);
            }
            for m in media(&p.node).into_values() {
                if let Some(schema) = m.get("schema") {
                    ck.holder(Some(op), &m, &schema);
                }
            }
        }
        if let Some(body) = op.node.get("requestBody") {
            for m in media(&doc.resolve(body).0).into_values() {
                if let Some(schema) = m.get("schema") {
                    ck.holder(Some(op), &m, &schema);
                }
            }
        }
        for (_, resp) in op.node.entries("responses") {
            let (resp, _) = doc.resolve(resp);
            for m in media(&resp).into_values() {
                if let Some(schema) = m.get("schema") {
                    ck.holder(Some(op), &m, &schema);
                }
            }
            for (_, header) in resp.entries("headers") {
                let (header, _) = doc.resolve(header);
                if let Some(schema) = header.get("schema") {
                    ck.holder(Some(op), &header, &schema);
                }
            }
        }
    }
    let schemas = doc.node().get("components").and_then(|c| c.get("schemas"));
    for (_, schema) in schemas.map(|s| s.children()).unwrap_or_default() {
        if let Some(e) = schema.get("example") {
            ck.one(None, "example", &e, &schema);
        }
        ck.nested(None, &schema, 0);
    }
    out.append(&mut ck.out);
}
