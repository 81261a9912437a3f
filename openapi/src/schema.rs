//! Schemas: validation with the `jsonschema` crate, and values generated from
//! schemas when a spec has no example.
//!
//! OpenAPI 3.1 schemas are JSON Schema 2020-12 and are validated as they are.
//! OpenAPI 3.0 schemas are translated first (`nullable`, boolean
//! `exclusiveMinimum`/`exclusiveMaximum`). The whole translated document is
//! one registry resource (`urn:spec`), so a schema is validated in place by
//! its pointer and its local `$ref`s resolve as written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, Validator};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{json, Map, Value};

use crate::doc::{self, Version};
use crate::error::LoadError;

const BASE: &str = "urn:spec";

/// Characters escaped in the URI fragment that carries a JSON pointer.
const FRAGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'%')
    .add(b'[')
    .add(b']')
    .add(b'#');

/// One way an instance breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// JSON pointer into the instance (`/refreshToken`, empty for the root).
    pub path: String,
    /// What the validator said.
    pub message: String,
}

/// The validators of one document, compiled on first use.
pub struct Schemas {
    registry: Registry<'static>,
    cache: Mutex<HashMap<String, Arc<Validator>>>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas").finish_non_exhaustive()
    }
}

impl Schemas {
    /// Prepare the validators of `doc`.
    pub fn new(doc: &Value, version: Version) -> Result<Schemas, LoadError> {
        let mut translated = doc.clone();
        if version == Version::V30 {
            translate_document(&mut translated);
        } else {
            bound_integer_formats(&mut translated);
        }
        let resource = Draft::Draft202012.create_resource(translated);
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(BASE, resource)
            .and_then(|b| b.prepare())
            .map_err(|e| LoadError::Schema {
                at: String::new(),
                message: e.to_string(),
            })?;
        Ok(Schemas {
            registry,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The validator of the schema at `pointer` (compiled once).
    pub fn validator(&self, pointer: &str) -> Result<Arc<Validator>, LoadError> {
        if let Some(v) = self.lock().get(pointer) {
            return Ok(v.clone());
        }
        let reference = format!("{BASE}#{}", utf8_percent_encode(pointer, FRAGMENT));
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .should_validate_formats(true)
            .build(&json!({ "$ref": reference }))
            .map_err(|e| LoadError::Schema {
                at: pointer.to_owned(),
                message: e.to_string(),
            })?;
        let validator = Arc::new(validator);
        self.lock().insert(pointer.to_owned(), validator.clone());
        Ok(validator)
    }

    /// Every violation of the schema at `pointer` by `instance`.
    pub fn validate(&self, pointer: &str, instance: &Value) -> Result<Vec<Violation>, LoadError> {
        let v = self.validator(pointer)?;
        let mut out = Vec::new();
        for e in v.iter_errors(instance) {
            let path = e.instance_path().to_string();
            let message = e.to_string();
            // Name the field itself, not its parent, where the error is
            // about a field that is missing or not allowed.
            match e.kind() {
                ValidationErrorKind::Required { property } => {
                    let name = property.as_str().unwrap_or_default();
                    out.push(Violation {
                        path: child(&path, name),
                        message,
                    });
                }
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for name in unexpected {
                        out.push(Violation {
                            path: child(&path, name),
                            message: format!("unknown field `{name}` is not allowed"),
                        });
                    }
                }
                _ => out.push(Violation { path, message }),
            }
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Validator>>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn child(path: &str, name: &str) -> String {
    format!("{path}/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// Translate every schema of an OpenAPI 3.0 document to JSON Schema 2020-12
/// in place.
pub fn translate_document(doc: &mut Value) {
    every_schema(doc, translate_node);
}

/// Give the integer schemas of any document the range their OpenAPI
/// `format` implies (`int32`, `int64`), which JSON Schema's `format`
/// (about strings) does not check.
pub fn bound_integer_formats(doc: &mut Value) {
    every_schema(doc, integer_format_bounds);
}

/// Apply `node` to every schema of `doc` (components and every `schema`
/// field) and their subschemas.
fn every_schema(doc: &mut Value, node: fn(&mut Map<String, Value>) -> bool) {
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for s in schemas.values_mut() {
            each_subschema(s, node);
        }
    }
    find_schemas(doc, 0, node);
}

fn find_schemas(v: &mut Value, depth: usize, node: fn(&mut Map<String, Value>) -> bool) {
    if depth > 32 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if k == "schema" {
                    each_subschema(child, node);
                } else if k != "example" && k != "examples" && k != "schemas" {
                    find_schemas(child, depth + 1, node);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| find_schemas(c, depth + 1, node)),
        _ => {}
    }
}

/// Translate one OpenAPI 3.0 schema (and its subschemas) to 2020-12.
pub fn translate_schema(s: &mut Value) {
    each_subschema(s, translate_node);
}

/// Apply `node` to `s` and, where it says to go on, to its subschemas.
fn each_subschema(s: &mut Value, node: fn(&mut Map<String, Value>) -> bool) {
    let Value::Object(m) = s else { return };
    if !node(m) {
        return;
    }
    for key in ["properties", "patternProperties", "$defs", "definitions"] {
        if let Some(Value::Object(props)) = m.get_mut(key) {
            props.values_mut().for_each(|c| each_subschema(c, node));
        }
    }
    for key in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        if let Some(Value::Array(list)) = m.get_mut(key) {
            list.iter_mut().for_each(|c| each_subschema(c, node));
        }
    }
    for key in ["items", "additionalProperties", "not", "contains"] {
        if let Some(child @ Value::Object(_)) = m.get_mut(key) {
            each_subschema(child, node);
        }
    }
}

/// One 3.0 schema node in 2020-12 terms; false where its subschemas are
/// not to be visited (a `$ref`).
fn translate_node(m: &mut Map<String, Value>) -> bool {
    if m.contains_key("$ref") {
        // 3.0 ignores the siblings of `$ref`.
        m.retain(|k, _| k == "$ref");
        return false;
    }
    if m.remove("nullable") == Some(Value::Bool(true)) {
        match m.get_mut("type") {
            Some(Value::String(t)) => {
                let t = std::mem::take(t);
                m.insert("type".into(), json!([t, "null"]));
            }
            Some(Value::Array(ts)) if !ts.contains(&json!("null")) => ts.push(json!("null")),
            _ => {}
        }
        if let Some(Value::Array(e)) = m.get_mut("enum") {
            if !e.contains(&Value::Null) {
                e.push(Value::Null);
            }
        }
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(b)) = m.get(flag).cloned() {
            m.remove(flag);
            if b {
                if let Some(n) = m.remove(bound) {
                    m.insert(flag.into(), n);
                }
            }
        }
    }
    integer_format_bounds(m)
}

/// `format: int32` or `int64` on an integer schema as `minimum` and
/// `maximum` (the tighter of the format's and the schema's own).
fn integer_format_bounds(m: &mut Map<String, Value>) -> bool {
    let is_integer = match m.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
        _ => false,
    };
    let range = match m.get("format").and_then(Value::as_str) {
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        Some("int64") => (i64::MIN, i64::MAX),
        _ => return true,
    };
    if !is_integer {
        return true;
    }
    let own_min = m.get("minimum").and_then(Value::as_f64);
    if own_min.is_none_or(|n| n < range.0 as f64) {
        m.insert("minimum".into(), json!(range.0));
    }
    let own_max = m.get("maximum").and_then(Value::as_f64);
    if own_max.is_none_or(|n| n > range.1 as f64) {
        m.insert("maximum".into(), json!(range.1));
    }
    true
}

/// A value for `schema`, deterministic: the schema's own `example`,
/// `default`, `const` or first `enum` value where it has one, otherwise a
/// value built from its type and bounds. `variant` picks other values for
/// the same schema (0 gives the canonical one).
pub fn generate(doc: &Value, schema: &Value, variant: u64) -> Value {
    Generator {
        doc,
        variant,
        depth: 0,
        refs: Vec::new(),
        nodes: 0,
    }
    .value(schema)
}

/// Values generated for one schema before optional properties are left out
/// and arrays shrink to `minItems`: wide, deep documents (Microsoft Graph)
/// would otherwise yield bodies of billions of nodes.
const NODE_BUDGET: usize = 10_000;

struct Generator<'d> {
    doc: &'d Value,
    variant: u64,
    depth: usize,
    /// The `$ref`s being expanded, outermost first: a schema that refers
    /// back to one of them is recursive.
    refs: Vec<String>,
    /// Values generated so far.
    nodes: usize,
}

impl Generator<'_> {
    fn value(&mut self, schema: &Value) -> Value {
        if self.depth > 12 {
            return Value::Null;
        }
        self.nodes += 1;
        let target = schema
            .get("$ref")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let schema = match doc::resolve(self.doc, String::new(), schema) {
            Ok((_, s)) => s,
            Err(_) => return Value::Null,
        };
        let Some(m) = schema.as_object() else {
            return Value::Null;
        };
        if self.variant == 0 {
            if let Some(v) = m.get("example").or_else(|| m.get("default")) {
                return v.clone();
            }
            if let Some(Value::Array(ex)) = m.get("examples") {
                if let Some(v) = ex.first() {
                    return v.clone();
                }
            }
        }
        if let Some(v) = m.get("const") {
            return v.clone();
        }
        if let Some(Value::Array(e)) = m.get("enum") {
            if !e.is_empty() {
                return e[(self.variant as usize) % e.len()].clone();
            }
        }
        self.depth += 1;
        let pushed = target.map(|t| self.refs.push(t)).is_some();
        let v = self.by_type(m);
        if pushed {
            self.refs.pop();
        }
        self.depth -= 1;
        v
    }

    /// Whether `s` (or the items of `s`) refers back to a schema being
    /// expanded.
    fn recursive(&self, s: &Value) -> bool {
        s.get("$ref")
            .and_then(Value::as_str)
            .is_some_and(|r| self.refs.iter().any(|x| x == r))
            || s.get("items").is_some_and(|i| self.recursive(i))
    }

    fn over_budget(&self) -> bool {
        self.nodes > NODE_BUDGET
    }

    fn by_type(&mut self, m: &Map<String, Value>) -> Value {
        if let Some(Value::Array(all)) = m.get("allOf") {
            let mut merged = Map::new();
            for s in all {
                match self.value(s) {
                    Value::Object(o) => merged.extend(o),
                    other if all.len() == 1 => return other,
                    _ => {}
                }
            }
            self.object_into(m, &mut merged);
            return Value::Object(merged);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(list)) = m.get(key) {
                if !list.is_empty() {
                    let i = (self.variant as usize) % list.len();
                    return self.value(&list[i]);
                }
            }
        }
        let ty = match m.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null"),
            _ if m.contains_key("properties") => "object",
            _ if m.contains_key("items") => "array",
            _ => "string",
        };
        match ty {
            "object" => {
                let mut out = Map::new();
                self.object_into(m, &mut out);
                Value::Object(out)
            }
            "array" => {
                let min = m.get("minItems").and_then(Value::as_u64).unwrap_or(1);
                let max = m
                    .get("maxItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(u64::MAX);
                let item = m.get("items").cloned().unwrap_or(json!({}));
                // Recursive items, or past the budget: only what minItems
                // demands.
                let n = if self.recursive(&item) || self.over_budget() {
                    min.min(max)
                } else {
                    min.max(1).min(max).max(min)
                };
                let unique = m
                    .get("uniqueItems")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let saved = self.variant;
                let mut items: Vec<Value> = Vec::new();
                let mut i = 0;
                while (items.len() as u64) < n && i < n + 32 {
                    // Each item its own variant, so that unique items differ.
                    self.variant = saved + i;
                    let v = self.value(&item);
                    if !(unique && items.contains(&v)) {
                        items.push(v);
                    }
                    i += 1;
                }
                self.variant = saved;
                Value::Array(items)
            }
            "integer" => {
                let v = self.number(m, true);
                json!(v as i64)
            }
            "number" => json!(self.number(m, false)),
            "boolean" => json!(self.variant % 2 == 0),
            "null" => Value::Null,
            _ => json!(self.string(m)),
        }
    }

    fn object_into(&mut self, m: &Map<String, Value>, out: &mut Map<String, Value>) {
        let Some(Value::Object(props)) = m.get("properties") else {
            return;
        };
        let required = |name: &str| {
            m.get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|n| n == name))
        };
        for (name, s) in props {
            if is_read_write_only(self.doc, s) {
                continue;
            }
            // An optional property that recurses, or any optional property
            // once the budget is spent, is left out.
            if !required(name) && (self.recursive(s) || self.over_budget()) {
                continue;
            }
            let v = self.value(s);
            out.insert(name.clone(), v);
        }
    }

    /// A number within the bounds (3.0 boolean and 3.1 numeric exclusive
    /// forms both), `variant` steps above the lowest, never on an excluded
    /// bound; integers are whole.
    fn number(&self, m: &Map<String, Value>, integer: bool) -> f64 {
        let f = |k: &str| m.get(k).and_then(Value::as_f64);
        let flag = |k: &str| m.get(k).and_then(Value::as_bool).unwrap_or(false);
        let (mut lo, mut lo_open) = (f("minimum"), flag("exclusiveMinimum"));
        if let Some(x) = f("exclusiveMinimum") {
            (lo, lo_open) = (Some(lo.map_or(x, |l: f64| l.max(x))), true);
        }
        let (mut hi, mut hi_open) = (f("maximum"), flag("exclusiveMaximum"));
        if let Some(x) = f("exclusiveMaximum") {
            (hi, hi_open) = (Some(hi.map_or(x, |h: f64| h.min(x))), true);
        }
        let step: f64 = 1.0;
        let mut low = match lo {
            Some(l) if integer => {
                if lo_open {
                    l.floor() + 1.0
                } else {
                    l.ceil()
                }
            }
            Some(l) if lo_open => l + step.min(hi.map_or(step, |h| (h - l) / 2.0)),
            Some(l) => l,
            None => 1.0_f64.min(hi.map_or(1.0, |h| h - 1.0)),
        };
        let high = match hi {
            Some(h) if integer => {
                if hi_open {
                    h.ceil() - 1.0
                } else {
                    h.floor()
                }
            }
            Some(h) if hi_open => h - step.min(lo.map_or(step, |l| (h - l) / 2.0)),
            Some(h) => h,
            None => f64::MAX,
        };
        if let Some(mult) = f("multipleOf").filter(|m| *m > 0.0) {
            low = (low / mult).ceil() * mult;
        }
        let v = low + self.variant as f64;
        if v > high {
            low.min(high)
        } else {
            v
        }
    }

    fn string(&self, m: &Map<String, Value>) -> String {
        let min = m.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = m
            .get("maxLength")
            .and_then(Value::as_u64)
            .map(|n| n as usize);
        if let Some(s) = m
            .get("pattern")
            .and_then(Value::as_str)
            .and_then(|p| from_pattern(p, self.variant, min, max))
        {
            return s;
        }
        let format = m.get("format").and_then(Value::as_str).unwrap_or("");
        let s = match format {
            "date-time" => "2026-01-01T00:00:00Z".to_owned(),
            "date" => "2026-01-01".to_owned(),
            "time" => "00:00:00Z".to_owned(),
            "email" => "user@example.com".to_owned(),
            "uuid" => "00000000-0000-4000-8000-000000000000".to_owned(),
            "uri" | "url" => "https://example.com/".to_owned(),
            "hostname" => "example.com".to_owned(),
            "ipv4" => "192.0.2.1".to_owned(),
            "ipv6" => "2001:db8::1".to_owned(),
            "byte" => "c3RyaW5n".to_owned(),
            _ => format!(
                "string{}",
                if self.variant == 0 {
                    String::new()
                } else {
                    self.variant.to_string()
                }
            ),
        };
        let mut s = s;
        while s.chars().count() < min {
            s.push('x');
        }
        if let Some(max) = max {
            s = s.chars().take(max).collect();
        }
        s
    }
}

/// A string matching `pattern` (JSON Schema: found anywhere in the string)
/// within the length bounds, deterministic for `variant`; `None` when the
/// pattern is beyond the generator (lookaround, backreferences, anchors
/// inside) or no sample fits.
fn from_pattern(pattern: &str, variant: u64, min: usize, max: Option<usize>) -> Option<String> {
    use rand::{RngExt, SeedableRng};
    let check = regex::Regex::new(pattern).ok()?;
    // Leading `^` and trailing `$` only say "the whole string": generate the
    // body, which then matches whole.
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let body = match body.strip_suffix('$') {
        Some(b) if !b.ends_with('\\') => b,
        _ => body,
    };
    let generator = rand_regex::Regex::compile(body, 8).ok()?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(variant);
    (0..32).find_map(|_| {
        let s: String = rng.sample(&generator);
        let n = s.chars().count();
        (n >= min && max.is_none_or(|m| n <= m) && check.is_match(&s)).then_some(s)
    })
}

fn is_read_write_only(doc: &Value, s: &Value) -> bool {
    let s = doc::resolve(doc, String::new(), s)
        .map(|(_, s)| s)
        .unwrap_or(s);
    s.get("writeOnly").and_then(Value::as_bool).unwrap_or(false)
}
