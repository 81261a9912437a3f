//! Proptest strategies that generate JSON values from OpenAPI 3.0/3.1
//! schemas.
//!
//! [`Gen`] reads schemas in place in a document (following local `$ref`s)
//! and builds `'static` strategies:
//!
//! - [`Gen::valid`]: values the schema accepts. Values are built from the
//!   schema (types, bounds, formats, patterns, properties, items, `allOf`
//!   merged, one `oneOf`/`anyOf` branch at a time) and, where construction
//!   is not exact (`oneOf`, `not`, `uniqueItems`, conflicting `allOf`
//!   branches...), checked with a compiled `jsonschema` validator; every
//!   value is checked against the whole schema at the end, with a bounded
//!   number of retries.
//! - [`Gen::invalid`]: values that break the schema in one way each.
//! - [`Gen::header_value`]: header-safe strings.
//!
//! Sizes stay small so that requests stay small and shrinking is good:
//! strings of at most 24 characters (unless `minLength` says more), arrays
//! of at most 4 items, objects with their required properties and a random
//! subset of the optional ones. Recursive `$ref`s are cut off: after a
//! schema has been entered [`RECURSION`] times within itself, values are the
//! smallest the schema allows (no optional properties, `minItems` items).
//!
//! When a value cannot be generated exactly (an unsupported `pattern`,
//! contradictory keywords, a filter that ran out of tries), the strategy
//! still yields a value and notes which schema may get invalid
//! values.
//!
//! `tests::a_pattern_value_from_a_ref` shows a whole use.

use std::sync::{Arc, OnceLock};

use openapi::spec::Version;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Just, Union};
use serde_json::{json, Map, Value};

mod check;
mod invalid;
mod merge;
mod scalar;
#[cfg(test)]
mod tests;

use check::{is_read_only, short, Checked, Checker, Notes};
use merge::{is_annotation, merge_all, type_list};
use scalar::{
    any_value, format_strategy, header_ok, int_range, json_eq, pattern_strategy, plain_string,
    to_header, MAX_STR,
};

/// How many times a schema may be entered within itself before its values
/// become minimal.
pub const RECURSION: usize = 4;
/// Arrays have at most this many items unless `minItems` demands more.
pub const MAX_ITEMS: usize = 4;
/// Nesting of `$ref`s beyond which generation gives up (with a note).
const HARD_DEPTH: usize = 32;
/// Tries of a filter before it gives up (with a note).
const TRIES: usize = 32;

/// Keywords whose constraints are not built into values but checked with a
/// validator afterwards.
const CHECKED_KEYWORDS: [&str; 12] = [
    "uniqueItems",
    "contains",
    "patternProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "if",
    "unevaluatedProperties",
    "unevaluatedItems",
    "minContains",
    "maxContains",
];

/// Generates strategies for the schemas of one OpenAPI document.
pub struct Gen<'d> {
    doc: &'d Value,
    version: Version,
    requests: bool,
    /// Built on first use (it copies and translates the document), so that
    /// `Gen::new(..).for_requests(true)` builds one, not two.
    checker: OnceLock<Checker>,
    notes: Notes,
    /// Whether [`Gen::valid`] checks every value against the whole schema
    /// (off in tests, to test construction alone).
    safety_net: bool,
}

impl std::fmt::Debug for Gen<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gen")
            .field("version", &self.version)
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

/// Where generation is in the schema.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ctx {
    /// Pointers of the `$ref`s followed to get here.
    stack: Vec<String>,
    /// Generate the smallest values (recursion cut-off).
    minimal: bool,
    /// Generate header-safe strings.
    header: bool,
}

impl<'d> Gen<'d> {
    /// A generator for the schemas of `doc`, an OpenAPI document of
    /// `version`. Values are response-style: `readOnly` properties are
    /// generated (see [`Gen::for_requests`]).
    pub fn new(doc: &'d Value, version: Version) -> Self {
        Gen {
            doc,
            version,
            requests: false,
            checker: OnceLock::new(),
            notes: Notes::default(),
            safety_net: true,
        }
    }

    /// Whether values are for requests: then `readOnly` properties are never
    /// generated, and are not required (OpenAPI: `required` applies to them
    /// in responses only). `writeOnly` is ignored either way.
    pub fn for_requests(mut self, yes: bool) -> Self {
        if yes != self.requests {
            self.requests = yes;
            self.checker = OnceLock::new();
        }
        self
    }

    /// The validators, as this generator sees the schemas.
    pub(crate) fn checker(&self) -> &Checker {
        self.checker
            .get_or_init(|| Checker::new(self.doc, self.version, self.requests))
    }

    /// Values valid against `schema` (a schema value found in the document,
    /// possibly a `$ref`).
    pub fn valid(&self, schema: &Value) -> BoxedStrategy<Value> {
        let s = self.node(schema, &Ctx::default());
        if !self.safety_net {
            return s;
        }
        match self.checker().validator(schema) {
            Some(v) => self.checked(s, Arc::new(move |x| v.is_valid(x)), schema),
            None => {
                self.notes
                    .add(format!("schema does not compile: {}", short(schema)));
                s
            }
        }
    }

    /// Values that break `schema` in one way each (wrong type, out of range,
    /// missing required property, enum miss, too long or short, pattern
    /// miss, unexpected property...), or `None` when the schema accepts
    /// anything (or nothing found breaks it).
    pub fn invalid(&self, schema: &Value) -> Option<BoxedStrategy<Value>> {
        invalid::invalid(self, schema)
    }

    /// Header values (visible ASCII, no surrounding whitespace, not empty)
    /// satisfying `schema`, serialized in the `simple` style: arrays and
    /// objects comma-separated.
    pub fn header_value(&self, schema: &Value) -> BoxedStrategy<String> {
        let cx = Ctx {
            header: true,
            ..Ctx::default()
        };
        let s = self.node(schema, &cx);
        let v = self.checker().validator(schema);
        let pred =
            move |x: &Value| header_ok(&to_header(x)) && v.as_ref().is_none_or(|v| v.is_valid(x));
        self.checked(s, Arc::new(pred), schema)
            .prop_map(|v| to_header(&v))
            .boxed()
    }

    /// Whether `value` is valid against `schema` (as this generator sees
    /// it: request values do not need `readOnly` properties); `None` when
    /// the schema does not compile.
    #[cfg(test)]
    pub fn check(&self, schema: &Value, value: &Value) -> Option<bool> {
        self.checker().validator(schema).map(|v| v.is_valid(value))
    }

    /// Notes about schemas for which generated values may be invalid
    /// (unsupported patterns, contradictions, filters that gave up), so far.
    #[cfg(test)]
    pub fn notes(&self) -> Vec<String> {
        self.notes.list()
    }

    fn note(&self, note: impl Into<String>) {
        self.notes.add(note);
    }

    fn checked(
        &self,
        s: BoxedStrategy<Value>,
        pred: check::Pred<Value>,
        schema: &Value,
    ) -> BoxedStrategy<Value> {
        Checked::new(s, pred, TRIES, &self.notes, short(schema)).boxed()
    }

    /// `s` filtered with the validator of `schema`.
    fn filtered(&self, schema: &Value, s: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
        match self.checker().validator(schema) {
            Some(v) => self.checked(s, Arc::new(move |x| v.is_valid(x)), schema),
            None => s,
        }
    }

    /// The strategy of one schema node.
    fn node(&self, schema: &Value, cx: &Ctx) -> BoxedStrategy<Value> {
        if cx.stack.len() > HARD_DEPTH {
            self.note(format!("$ref nesting too deep at {:?}", cx.stack.last()));
            return Just(Value::Null).boxed();
        }
        let m = match schema {
            Value::Object(m) => m,
            Value::Bool(false) => {
                self.note("a `false` schema accepts nothing");
                return Just(Value::Null).boxed();
            }
            _ => return any_value(cx.header),
        };
        if m.contains_key("$ref") {
            return self.follow(m, cx);
        }
        let s = self.plain(schema, m, cx);
        self.with_examples(schema, m, s, cx)
    }

    fn follow(&self, m: &Map<String, Value>, cx: &Ctx) -> BoxedStrategy<Value> {
        let r = m.get("$ref").and_then(Value::as_str).unwrap_or("");
        if self.version == Version::V31 && m.keys().any(|k| k != "$ref" && !is_annotation(k)) {
            // 3.1: siblings of `$ref` apply too.
            let mut rest = m.clone();
            rest.remove("$ref");
            let synthetic = json!({ "allOf": [{ "$ref": r }, rest] });
            return self.node(&synthetic, cx);
        }
        let Some((ptr, target)) = merge::step(self.doc, r) else {
            self.note(format!("unresolved $ref {r}"));
            return any_value(cx.header);
        };
        let mut inner = cx.clone();
        let seen = cx.stack.iter().filter(|p| **p == ptr).count();
        if seen + 1 >= RECURSION {
            inner.minimal = true;
        }
        inner.stack.push(ptr);
        self.node(target, &inner)
    }

    /// Mix the schema's own `example`, `default` and `examples` in, when
    /// they are valid.
    fn with_examples(
        &self,
        schema: &Value,
        m: &Map<String, Value>,
        s: BoxedStrategy<Value>,
        cx: &Ctx,
    ) -> BoxedStrategy<Value> {
        if cx.minimal {
            return s;
        }
        let mut cands: Vec<Value> = ["example", "default"]
            .iter()
            .filter_map(|k| m.get(*k).cloned())
            .collect();
        if let Some(Value::Array(xs)) = m.get("examples") {
            cands.extend(xs.iter().cloned());
        }
        if self.requests {
            // Examples may show readOnly properties.
            cands.retain(|v| !v.is_object() && !v.is_array());
        }
        if cx.header {
            cands.retain(|v| header_ok(&to_header(v)));
        }
        if cands.is_empty() {
            return s;
        }
        let Some(validator) = self.checker().validator(schema) else {
            return s;
        };
        let mut kept: Vec<Value> = Vec::new();
        for c in cands {
            if validator.is_valid(&c) && !kept.iter().any(|k| json_eq(k, &c)) {
                kept.push(c);
            }
        }
        if kept.is_empty() {
            return s;
        }
        Union::new_weighted(vec![(9, s), (1, select(kept).boxed())]).boxed()
    }

    /// A schema object without `$ref`: combinators, then types.
    fn plain(&self, schema: &Value, m: &Map<String, Value>, cx: &Ctx) -> BoxedStrategy<Value> {
        if matches!(m.get("allOf"), Some(Value::Array(a)) if !a.is_empty()) {
            let merged = Value::Object(merge_all(self.doc, self.version, m, cx.stack.len()));
            let s = self.node(&merged, cx);
            return self.filtered(schema, s);
        }
        for key in ["oneOf", "anyOf"] {
            let Some(Value::Array(branches)) = m.get(key) else {
                continue;
            };
            if branches.is_empty() {
                continue;
            }
            let mut base = m.clone();
            base.remove(key);
            base.retain(|k, _| !is_annotation(k));
            let base_matters = !base.is_empty();
            let mut picked: Vec<&Value> = branches.iter().collect();
            if cx.minimal {
                // Prefer branches that do not recurse.
                let flat: Vec<&Value> = branches.iter().filter(|b| !self.recurses(b, cx)).collect();
                if !flat.is_empty() {
                    picked = flat;
                }
            }
            let strategies: Vec<BoxedStrategy<Value>> = picked
                .into_iter()
                .map(|b| {
                    if base_matters {
                        let merged = json!({ "allOf": [Value::Object(base.clone()), b] });
                        self.node(&merged, cx)
                    } else {
                        self.node(b, cx)
                    }
                })
                .collect();
            let s = Union::new(strategies).boxed();
            return self.filtered(schema, s);
        }
        if m.contains_key("not") {
            let mut base = m.clone();
            base.remove("not");
            let s = self.node(&Value::Object(base), cx);
            return self.filtered(schema, s);
        }
        let s = self.typed(m, cx);
        let hard = CHECKED_KEYWORDS.iter().any(|k| m.contains_key(*k))
            || (m.contains_key("pattern") && m.contains_key("format"))
            || m.get("multipleOf")
                .and_then(Value::as_f64)
                .is_some_and(|x| x.fract() != 0.0);
        if hard {
            self.filtered(schema, s)
        } else {
            s
        }
    }

    /// Whether `b` is a `$ref` to a schema already being generated.
    fn recurses(&self, b: &Value, cx: &Ctx) -> bool {
        b.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| merge::step(self.doc, r))
            .is_some_and(|(p, _)| cx.stack.contains(&p))
    }

    /// The types a schema allows: `type` (with 3.0 `nullable`), else those
    /// its keywords imply; `None` for any type.
    fn types(&self, m: &Map<String, Value>) -> Option<Vec<String>> {
        let mut ts = match type_list(m) {
            Some(ts) => ts,
            None => infer_types(m),
        };
        if ts.is_empty() {
            return None;
        }
        if self.version == Version::V30
            && m.get("nullable") == Some(&Value::Bool(true))
            && m.contains_key("type")
            && !ts.iter().any(|t| t == "null")
        {
            ts.push("null".into());
        }
        Some(ts)
    }

    fn typed(&self, m: &Map<String, Value>, cx: &Ctx) -> BoxedStrategy<Value> {
        let types = self.types(m);
        if let Some(c) = m.get("const") {
            return Just(c.clone()).boxed();
        }
        if let Some(Value::Array(e)) = m.get("enum") {
            let mut vals: Vec<Value> = e
                .iter()
                .filter(|v| {
                    types
                        .as_ref()
                        .is_none_or(|ts| ts.iter().any(|t| scalar::has_type(v, t)))
                })
                .cloned()
                .collect();
            if self.version == Version::V30
                && m.get("nullable") == Some(&Value::Bool(true))
                && !vals.contains(&Value::Null)
            {
                vals.push(Value::Null);
            }
            if cx.header {
                vals.retain(|v| header_ok(&to_header(v)));
            }
            if vals.is_empty() {
                self.note(format!(
                    "no enum value fits: {}",
                    short(&Value::Object(m.clone()))
                ));
                return Just(e.first().cloned().unwrap_or(Value::Null)).boxed();
            }
            return select(vals).boxed();
        }
        let Some(types) = types else {
            return any_value(cx.header);
        };
        let parts: Vec<(u32, BoxedStrategy<Value>)> = types
            .iter()
            .map(|t| {
                let s = match t.as_str() {
                    "object" => self.object(m, cx),
                    "array" => self.array(m, cx),
                    "string" => self.string(m, cx),
                    "integer" => scalar::integer(int_range(m), cx.minimal),
                    "number" => scalar::number(m, cx.minimal),
                    "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
                    "null" => Just(Value::Null).boxed(),
                    other => {
                        self.note(format!("unknown type {other}"));
                        any_value(cx.header)
                    }
                };
                (if t == "null" { 1 } else { 4 }, s)
            })
            .collect();
        if parts.is_empty() {
            self.note("`type: []` accepts nothing");
            return Just(Value::Null).boxed();
        }
        Union::new_weighted(parts).boxed()
    }

    fn string(&self, m: &Map<String, Value>, cx: &Ctx) -> BoxedStrategy<Value> {
        let min = usize_of(m, "minLength").unwrap_or(0);
        let max = usize_of(m, "maxLength");
        let cap = min.max(MAX_STR);
        let mut hi = max.map_or(cap, |x| x.min(cap));
        let mut lo = min;
        if cx.header && lo == 0 && hi > 0 {
            lo = 1;
        }
        if cx.minimal {
            hi = lo;
        }
        let hi = hi.max(lo);
        let len_ok = move |s: &str| {
            let n = s.chars().count();
            n >= min && max.is_none_or(|x| n <= x)
        };
        let what = short(&Value::Object(m.clone()));
        if let Some(p) = m.get("pattern").and_then(Value::as_str) {
            if let Some((s, re)) = pattern_strategy(p) {
                let pred = move |v: &Value| v.as_str().is_some_and(|s| re.is_match(s) && len_ok(s));
                return Checked::new(
                    s.prop_map(Value::String).boxed(),
                    Arc::new(pred),
                    TRIES,
                    &self.notes,
                    what,
                )
                .boxed();
            }
            let re = regex::Regex::new(&scalar::rewrite_pattern(p, false)).ok();
            let mut cands: Vec<Value> = ["example", "default"]
                .iter()
                .filter_map(|k| m.get(*k))
                .chain(
                    m.get("enum")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                )
                .chain(
                    m.get("examples")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                )
                .filter(|v| {
                    v.as_str()
                        .is_some_and(|s| len_ok(s) && re.as_ref().is_none_or(|re| re.is_match(s)))
                })
                .cloned()
                .collect();
            cands.dedup();
            self.note(format!(
                "pattern `{p}` is beyond the generator; values may not match it"
            ));
            return if cands.is_empty() {
                Just(json!("x".repeat(lo.max(1).min(hi.max(1))))).boxed()
            } else {
                select(cands).boxed()
            };
        }
        if let Some(fs) = m
            .get("format")
            .and_then(Value::as_str)
            .and_then(format_strategy)
        {
            let s = fs.prop_map(Value::String).boxed();
            if min > 0 || max.is_some() {
                let pred = move |v: &Value| v.as_str().is_some_and(len_ok);
                return Checked::new(s, Arc::new(pred), TRIES, &self.notes, what).boxed();
            }
            return s;
        }
        plain_string(lo, hi, cx.header)
            .prop_map(Value::String)
            .boxed()
    }

    fn array(&self, m: &Map<String, Value>, cx: &Ctx) -> BoxedStrategy<Value> {
        let lo = usize_of(m, "minItems").unwrap_or(0);
        let cap = lo.max(MAX_ITEMS);
        let mut hi = usize_of(m, "maxItems").map_or(cap, |x| x.min(cap));
        if cx.minimal {
            hi = lo;
        }
        let mut prefix_schemas: Vec<&Value> = m
            .get("prefixItems")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let mut items = m.get("items");
        if let Some(Value::Array(tuple)) = items {
            // Draft 4 tuples.
            prefix_schemas = tuple.iter().collect();
            items = m.get("additionalItems");
        }
        let item: Option<BoxedStrategy<Value>> = match items {
            Some(Value::Bool(false)) => None,
            Some(s) => Some(self.node(s, cx)),
            None => Some(any_value(cx.header)),
        };
        if item.is_none() {
            hi = hi.min(prefix_schemas.len());
        }
        let hi = hi.max(lo);
        let prefix: Vec<BoxedStrategy<Value>> =
            prefix_schemas.iter().map(|s| self.node(s, cx)).collect();
        let item = item.unwrap_or_else(|| any_value(cx.header));
        let mut s: BoxedStrategy<Vec<Value>> = if prefix.is_empty() {
            vec(item, lo..=hi).boxed()
        } else {
            (lo..=hi)
                .prop_flat_map(move |n| {
                    let p = n.min(prefix.len());
                    let head = prefix[..p].to_vec();
                    (head, vec(item.clone(), n - p)).prop_map(|(mut h, t)| {
                        h.extend(t);
                        h
                    })
                })
                .boxed()
        };
        let min_contains = usize_of(m, "minContains").unwrap_or(1);
        if let (Some(c), true, true) = (
            m.get("contains"),
            min_contains > 0,
            prefix_schemas.is_empty(),
        ) {
            let cs = self.node(c, cx);
            let max = hi.max(1);
            s = (cs, s)
                .prop_map(move |(c, mut v)| {
                    v.insert(0, c);
                    v.truncate(max);
                    v
                })
                .boxed();
        }
        if m.get("uniqueItems") == Some(&Value::Bool(true)) {
            s = s
                .prop_map(|v| {
                    let mut out: Vec<Value> = Vec::new();
                    for x in v {
                        if !out.iter().any(|o| json_eq(o, &x)) {
                            out.push(x);
                        }
                    }
                    out
                })
                .boxed();
        }
        let arr = s.prop_map(Value::Array).boxed();
        if m.get("uniqueItems") == Some(&Value::Bool(true)) && lo > 1 {
            let pred = move |v: &Value| v.as_array().is_some_and(|a| a.len() >= lo);
            return Checked::new(
                arr,
                Arc::new(pred),
                TRIES,
                &self.notes,
                short(&Value::Object(m.clone())),
            )
            .boxed();
        }
        arr
    }

    fn object(&self, m: &Map<String, Value>, cx: &Ctx) -> BoxedStrategy<Value> {
        let empty = Map::new();
        let props = m
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let skip = |ps: &Value| self.requests && is_read_only(self.doc, ps, 0);
        let mut required: Vec<String> = Vec::new();
        for r in m
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !required.iter().any(|x| x == r) && !props.get(r).is_some_and(skip) {
                required.push(r.to_owned());
            }
        }
        let ap = m.get("additionalProperties");
        let closed = ap == Some(&Value::Bool(false))
            || m.get("unevaluatedProperties") == Some(&Value::Bool(false));
        let extras_ok = !closed
            && !m.contains_key("patternProperties")
            && !m.contains_key("propertyNames")
            && !m.contains_key("unevaluatedProperties");
        let min_p = usize_of(m, "minProperties").unwrap_or(0);
        let max_p = usize_of(m, "maxProperties");
        let need = min_p.saturating_sub(required.len());

        let extra_value = |cx: &Ctx| -> BoxedStrategy<Value> {
            match ap {
                Some(s @ Value::Object(_)) => self.node(s, cx),
                _ => plain_string(0, 8, cx.header)
                    .prop_map(Value::String)
                    .boxed(),
            }
        };

        let mut fixed_names = Vec::new();
        let mut fixed = Vec::new();
        for r in &required {
            let s = match props.get(r) {
                Some(ps) => self.node(ps, cx),
                None => extra_value(cx),
            };
            fixed_names.push(r.clone());
            fixed.push(s);
        }
        let mut opt_names = Vec::new();
        let mut opt: Vec<BoxedStrategy<(bool, Option<Value>)>> = Vec::new();
        for (name, ps) in props {
            if required.contains(name) || skip(ps) {
                continue;
            }
            if cx.minimal && opt_names.len() >= need {
                break;
            }
            let s = self.node(ps, cx);
            let entry = if cx.minimal {
                s.prop_map(|v| (true, Some(v))).boxed()
            } else if need > 0 {
                (prop::bool::weighted(0.5), s)
                    .prop_map(|(b, v)| (b, Some(v)))
                    .boxed()
            } else {
                prop::option::weighted(0.5, s)
                    .prop_map(|o| (o.is_some(), o))
                    .boxed()
            };
            opt_names.push(name.clone());
            opt.push(entry);
        }
        let name = scalar::plain_string(1, 4, true)
            .prop_map(|s| format!("extra_{}", s.to_ascii_lowercase()));
        let extras: BoxedStrategy<Vec<(String, Value)>> = if !extras_ok || cx.minimal {
            Just(Vec::new()).boxed()
        } else if ap.is_some_and(Value::is_object) {
            vec((name, extra_value(cx)), 0..=2).boxed()
        } else {
            prop::option::weighted(0.15, (name, extra_value(cx)))
                .prop_map(|o| o.into_iter().collect())
                .boxed()
        };
        let pad: BoxedStrategy<Vec<Value>> = if need > 0 && extras_ok {
            vec(extra_value(cx), need).boxed()
        } else {
            Just(Vec::new()).boxed()
        };
        let declared: Vec<String> = props.keys().cloned().collect();
        (fixed, opt, extras, pad)
            .prop_map(move |(f, o, e, p)| {
                let mut out = Map::new();
                for (n, v) in fixed_names.iter().zip(f) {
                    out.insert(n.clone(), v);
                }
                let mut opt_keys = Vec::new();
                let mut unused = Vec::new();
                for (n, (flag, v)) in opt_names.iter().zip(o) {
                    match (flag, v) {
                        (true, Some(v)) => {
                            out.insert(n.clone(), v);
                            opt_keys.push(n.clone());
                        }
                        (false, Some(v)) => unused.push((n.clone(), v)),
                        _ => {}
                    }
                }
                for (n, v) in unused {
                    if out.len() >= min_p {
                        break;
                    }
                    out.insert(n.clone(), v);
                    opt_keys.push(n);
                }
                let mut extra_keys = Vec::new();
                for (k, v) in e {
                    if !declared.contains(&k) && !out.contains_key(&k) {
                        out.insert(k.clone(), v);
                        extra_keys.push(k);
                    }
                }
                for (i, v) in p.into_iter().enumerate() {
                    if out.len() >= min_p {
                        break;
                    }
                    let k = format!("extra{i}");
                    if !declared.contains(&k) && !out.contains_key(&k) {
                        out.insert(k.clone(), v);
                        extra_keys.push(k);
                    }
                }
                if let Some(max) = max_p {
                    while out.len() > max {
                        match extra_keys.pop().or_else(|| opt_keys.pop()) {
                            Some(k) => {
                                out.shift_remove(&k);
                            }
                            None => break,
                        }
                    }
                }
                Value::Object(out)
            })
            .boxed()
    }
}

fn usize_of(m: &Map<String, Value>, k: &str) -> Option<usize> {
    m.get(k)
        .and_then(Value::as_f64)
        .filter(|x| *x >= 0.0)
        .map(|x| x.min(1e6) as usize)
}

/// The types an untyped schema's keywords imply (empty: any).
fn infer_types(m: &Map<String, Value>) -> Vec<String> {
    let has = |keys: &[&str]| keys.iter().any(|k| m.contains_key(*k));
    let mut ts = Vec::new();
    if has(&[
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
        "maxProperties",
        "patternProperties",
        "propertyNames",
        "dependentRequired",
    ]) {
        ts.push("object");
    }
    if has(&[
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
    ]) {
        ts.push("array");
    }
    let format = m.get("format").and_then(Value::as_str);
    match format {
        Some("int32" | "int64") => ts.push("integer"),
        Some("float" | "double") => ts.push("number"),
        Some(_) => ts.push("string"),
        None => {}
    }
    if has(&["minLength", "maxLength", "pattern"]) && !ts.contains(&"string") {
        ts.push("string");
    }
    if has(&[
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]) && !ts.contains(&"integer")
        && !ts.contains(&"number")
    {
        ts.push("number");
    }
    ts.into_iter().map(str::to_owned).collect()
}
