//! Examples must match their schemas (validated with `jsonschema`).

use std::sync::Arc;

use jsonschema::Validator;
use openapi::schema::Schemas;
use openapi::spec::Version;
use serde_json::Value;

use crate::diff::request::{media, params};
use crate::doc::{Doc, Node, Operation};
use crate::finding::{Finding, Severity};

/// Validators by schema pointer: the document's one
/// [`openapi::schema::Schemas`] (3.0 schemas translated once, validators
/// compiled on first use and shared), as the mock and the suite validate.
struct Checker<'a> {
    doc: Doc<'a>,
    schemas: Result<Schemas, String>,
    out: Vec<Finding>,
}

impl<'a> Checker<'a> {
    fn validator(&self, schema: &Node<'a>) -> Result<Arc<Validator>, String> {
        let schemas = self.schemas.as_ref().map_err(Clone::clone)?;
        let pointer = schema.ptr.strip_prefix('#').unwrap_or(&schema.ptr);
        schemas.validator(pointer).map_err(|e| match e {
            openapi::LoadError::Schema { message, .. } => message,
            other => other.to_string(),
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
    let version = match doc.root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.1") => Version::V31,
        _ => Version::V30,
    };
    let mut ck = Checker {
        doc,
        schemas: Schemas::new(doc.root, version).map_err(|e| e.to_string()),
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
