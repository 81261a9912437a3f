//! Flattening `allOf`: one schema with the union of properties and
//! `required`, intersected types and bounds. What cannot be merged keeps the
//! first branch's keyword; the caller filters against the whole schema.

use std::collections::BTreeSet;

use openapi::schema::translate_schema;
use openapi::spec::Version;
use serde_json::{json, Map, Value};

use super::scalar::json_eq;

/// Keywords that only annotate.
pub(crate) fn is_annotation(k: &str) -> bool {
    matches!(
        k,
        "description"
            | "title"
            | "summary"
            | "example"
            | "examples"
            | "default"
            | "deprecated"
            | "readOnly"
            | "writeOnly"
            | "$comment"
            | "discriminator"
            | "externalDocs"
            | "xml"
            | "$schema"
            | "$id"
            | "$anchor"
            | "contentMediaType"
            | "contentEncoding"
    ) || k.starts_with("x-")
}

/// `m` in 2020-12 form (3.0 `nullable` and boolean exclusive bounds
/// translated).
pub(crate) fn normalize(version: Version, m: &Map<String, Value>) -> Map<String, Value> {
    let mut v = Value::Object(m.clone());
    if version == Version::V30 {
        translate_schema(&mut v);
    }
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `m` with every `allOf` branch (and nested `allOf`) merged in.
pub(crate) fn merge_all(
    doc: &Value,
    version: Version,
    m: &Map<String, Value>,
    depth: usize,
) -> Map<String, Value> {
    let mut acc = normalize(version, m);
    let branches = acc.remove("allOf");
    let mut allowed = closed_keys(&acc);
    if let Some(Value::Array(all)) = branches {
        for b in &all {
            let Some(bm) = branch(doc, version, b, depth) else {
                continue;
            };
            if let Some(keys) = closed_keys(&bm) {
                allowed = Some(match allowed {
                    Some(a) => a.intersection(&keys).cloned().collect(),
                    None => keys,
                });
            }
            merge_into(&mut acc, &bm);
        }
    }
    if let Some(allowed) = allowed {
        acc.insert("additionalProperties".into(), Value::Bool(false));
        if let Some(Value::Object(props)) = acc.get_mut("properties") {
            props.retain(|k, _| allowed.contains(k));
        }
    }
    acc
}

/// The property names of a schema that forbids additional properties.
fn closed_keys(m: &Map<String, Value>) -> Option<BTreeSet<String>> {
    (m.get("additionalProperties") == Some(&Value::Bool(false))).then(|| {
        m.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    })
}

/// Follow one local `$ref`: the target's pointer and value.
pub(crate) fn step<'d>(doc: &'d Value, r: &str) -> Option<(String, &'d Value)> {
    let ptr = openapi::expr::Pointer::parse(r.strip_prefix('#')?)?;
    let target = ptr.get(doc)?;
    Some((ptr.to_string(), target))
}

/// One `allOf` branch, resolved and flattened.
fn branch(doc: &Value, version: Version, b: &Value, depth: usize) -> Option<Map<String, Value>> {
    if depth > 16 {
        return None;
    }
    let Some(r) = b.get("$ref").and_then(Value::as_str) else {
        return Some(merge_all(doc, version, b.as_object()?, depth + 1));
    };
    let (_, target) = step(doc, r)?;
    let mut merged = branch(doc, version, target, depth + 1)?;
    if version == Version::V31 {
        let mut siblings = b.as_object()?.clone();
        siblings.remove("$ref");
        if siblings.keys().any(|k| !is_annotation(k)) {
            let s = merge_all(doc, version, &siblings, depth + 1);
            merge_into(&mut merged, &s);
        }
    }
    Some(merged)
}

/// The types a schema allows, if it says.
pub(crate) fn type_list(m: &Map<String, Value>) -> Option<Vec<String>> {
    match m.get("type") {
        Some(Value::String(t)) => Some(vec![t.clone()]),
        Some(Value::Array(ts)) => Some(
            ts.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        _ => None,
    }
}

fn intersect_types(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for t in a {
        let keep = if b.contains(t) {
            Some(t.as_str())
        } else if (t == "number" && b.iter().any(|x| x == "integer"))
            || (t == "integer" && b.iter().any(|x| x == "number"))
        {
            Some("integer")
        } else {
            None
        };
        if let Some(k) = keep {
            if !out.iter().any(|o: &String| o == k) {
                out.push(k.to_owned());
            }
        }
    }
    out
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Merge the (flattened, normalized) schema `b` into `acc`.
pub(crate) fn merge_into(acc: &mut Map<String, Value>, b: &Map<String, Value>) {
    for (k, v) in b {
        if is_annotation(k) {
            continue;
        }
        let Some(old) = acc.get(k).cloned() else {
            acc.insert(k.clone(), v.clone());
            continue;
        };
        let merged = match k.as_str() {
            "type" => {
                let a = type_list(acc).unwrap_or_default();
                let b = type_list(b).unwrap_or_default();
                let t = intersect_types(&a, &b);
                match t.len() {
                    1 => json!(t[0]),
                    _ => json!(t),
                }
            }
            "properties" => {
                let mut props = old.as_object().cloned().unwrap_or_default();
                for (name, s) in v.as_object().into_iter().flatten() {
                    let merged = match props.get(name) {
                        Some(prev) if prev != s => json!({ "allOf": [prev, s] }),
                        _ => s.clone(),
                    };
                    props.insert(name.clone(), merged);
                }
                Value::Object(props)
            }
            "required" => {
                let mut req = old.as_array().cloned().unwrap_or_default();
                for r in v.as_array().into_iter().flatten() {
                    if !req.contains(r) {
                        req.push(r.clone());
                    }
                }
                Value::Array(req)
            }
            "minimum" | "exclusiveMinimum" | "minLength" | "minItems" | "minProperties" => {
                match (old.as_f64(), v.as_f64()) {
                    (Some(a), Some(b)) if b > a => v.clone(),
                    _ => old,
                }
            }
            "maximum" | "exclusiveMaximum" | "maxLength" | "maxItems" | "maxProperties" => {
                match (old.as_f64(), v.as_f64()) {
                    (Some(a), Some(b)) if b < a => v.clone(),
                    _ => old,
                }
            }
            "multipleOf" => match (old.as_u64(), v.as_u64()) {
                (Some(a), Some(b)) if a > 0 && b > 0 => json!(a / gcd(a, b) * b),
                _ => old,
            },
            "uniqueItems" => json!(old == json!(true) || v == &json!(true)),
            "enum" => {
                let a = old.as_array().cloned().unwrap_or_default();
                let b = v.as_array().cloned().unwrap_or_default();
                Value::Array(
                    a.into_iter()
                        .filter(|x| b.iter().any(|y| json_eq(x, y)))
                        .collect(),
                )
            }
            "items" | "additionalProperties" | "contains" | "propertyNames"
                if old.is_object() && v.is_object() && &old != v =>
            {
                json!({ "allOf": [old, v] })
            }
            "additionalProperties" if v == &Value::Bool(false) => Value::Bool(false),
            // pattern, format, const, oneOf, anyOf, not, ...: keep the first
            // (the caller filters against the whole schema).
            _ => old,
        };
        acc.insert(k.clone(), merged);
    }
}
