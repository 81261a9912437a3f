//! Values that break a schema, one way each.

use std::sync::Arc;

use openapi::spec::Version;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Just, Union, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{json, Map, Value};

use super::check::{is_read_only, Checked};
use super::merge::{is_annotation, merge_all};
use super::scalar::{any_value, bad_format, bounds, has_type, int_range, json_eq, plain_string};
use super::{usize_of, Ctx, Gen, TRIES};

/// How many samples decide whether a breaker actually breaks the schema.
const SAMPLES: usize = 4;

pub(crate) fn invalid(g: &Gen<'_>, schema: &Value) -> Option<BoxedStrategy<Value>> {
    let validator = g.checker().validator(schema)?;
    let candidates = g.breakers(schema, &Ctx::default(), 0);
    // Keep the breakers that do break the schema (some keywords are not
    // checked: unknown formats, `readOnly` for requests...).
    let mut runner = TestRunner::deterministic();
    let kept: Vec<BoxedStrategy<Value>> = candidates
        .into_iter()
        .filter(|c| {
            (0..SAMPLES).any(|_| {
                c.new_tree(&mut runner)
                    .is_ok_and(|t| !validator.is_valid(&t.current()))
            })
        })
        .collect();
    if kept.is_empty() {
        return None;
    }
    let v = validator.clone();
    Some(g.checked(
        Union::new(kept).boxed(),
        Arc::new(move |x| !v.is_valid(x)),
        schema,
    ))
}

/// A value of none of the types `ts`.
fn wrong_type(ts: &[String]) -> Option<BoxedStrategy<Value>> {
    let samples = [
        json!("not of this type"),
        json!(7),
        json!(1.5),
        json!(true),
        Value::Null,
        json!({}),
        json!([]),
    ];
    let wrong: Vec<Value> = samples
        .into_iter()
        .filter(|v| !ts.iter().any(|t| has_type(v, t)))
        .collect();
    (!wrong.is_empty()).then(|| select(wrong).boxed())
}

/// A value in none of `values`, of an allowed type where possible.
fn miss(values: &[Value], types: Option<&[String]>) -> Option<BoxedStrategy<Value>> {
    let mut cands = vec![
        json!("not-in-enum"),
        json!(""),
        json!(987_654_321),
        json!(-1),
        json!(0.5),
        json!(true),
        json!(false),
        Value::Null,
        json!({}),
        json!([]),
    ];
    for v in values {
        if let Some(s) = v.as_str() {
            cands.push(json!(format!("{s}_x")));
            cands.push(json!(s.to_uppercase()));
        }
    }
    cands.retain(|c| !values.iter().any(|v| json_eq(v, c)));
    if let Some(ts) = types {
        let typed: Vec<Value> = cands
            .iter()
            .filter(|c| ts.iter().any(|t| has_type(c, t)))
            .cloned()
            .collect();
        if !typed.is_empty() {
            cands = typed;
        }
    }
    (!cands.is_empty()).then(|| select(cands).boxed())
}

fn int_value(x: f64) -> Value {
    if x.abs() < 9e15 {
        json!(x as i64)
    } else {
        super::scalar::num(x)
    }
}

impl Gen<'_> {
    /// Strategies that each break `schema` one way (most of the time: the
    /// caller samples and filters them).
    pub(crate) fn breakers(
        &self,
        schema: &Value,
        cx: &Ctx,
        depth: usize,
    ) -> Vec<BoxedStrategy<Value>> {
        if depth > 3 || cx.stack.len() > 8 {
            return Vec::new();
        }
        let m = match schema {
            Value::Bool(false) => return vec![any_value(false)],
            Value::Object(m) => m,
            _ => return Vec::new(),
        };
        if let Some(r) = m.get("$ref").and_then(Value::as_str) {
            if self.version == Version::V31 && m.keys().any(|k| k != "$ref" && !is_annotation(k)) {
                let mut rest = m.clone();
                rest.remove("$ref");
                let synthetic = json!({ "allOf": [{ "$ref": r }, rest] });
                return self.breakers(&synthetic, cx, depth);
            }
            let Some((ptr, target)) = super::merge::step(self.doc, r) else {
                return Vec::new();
            };
            let mut inner = cx.clone();
            inner.stack.push(ptr);
            return self.breakers(target, &inner, depth);
        }
        if matches!(m.get("allOf"), Some(Value::Array(a)) if !a.is_empty()) {
            let merged = Value::Object(merge_all(self.doc, self.version, m, cx.stack.len()));
            return self.breakers(&merged, cx, depth);
        }
        let mut out = Vec::new();
        for key in ["oneOf", "anyOf"] {
            let Some(Value::Array(branches)) = m.get(key) else {
                continue;
            };
            let mut base = m.clone();
            base.remove(key);
            out.extend(self.breakers(&Value::Object(base), cx, depth));
            let mut all_types: Option<Vec<String>> = Some(Vec::new());
            for b in branches {
                let resolved = openapi::spec::resolve(self.doc, String::new(), b)
                    .ok()
                    .and_then(|(_, t)| t.as_object())
                    .and_then(|t| t.contains_key("type").then(|| self.types(t)).flatten());
                match (resolved, all_types.as_mut()) {
                    (Some(ts), Some(acc)) => acc.extend(ts),
                    _ => all_types = None,
                }
            }
            if let Some(ts) = all_types {
                out.extend(wrong_type(&ts));
            }
            for b in branches.iter().take(4) {
                out.extend(self.breakers(b, cx, depth + 1).into_iter().take(6));
            }
            return out;
        }
        if let Some(not) = m.get("not") {
            out.push(self.node(not, cx));
            let mut base = m.clone();
            base.remove("not");
            out.extend(self.breakers(&Value::Object(base), cx, depth));
            return out;
        }
        let explicit = if m.contains_key("type") {
            self.types(m)
        } else {
            None
        };
        if let Some(ts) = &explicit {
            out.extend(wrong_type(ts));
        }
        if let Some(c) = m.get("const") {
            out.extend(miss(std::slice::from_ref(c), explicit.as_deref()));
        }
        if let Some(Value::Array(e)) = m.get("enum") {
            let mut e = e.clone();
            if self.version == Version::V30 && m.get("nullable") == Some(&Value::Bool(true)) {
                e.push(Value::Null);
            }
            out.extend(miss(&e, explicit.as_deref()));
        }
        for t in self.types(m).unwrap_or_default() {
            match t.as_str() {
                "string" => self.string_breakers(m, &mut out),
                "integer" => self.number_breakers(m, true, &mut out),
                "number" => self.number_breakers(m, false, &mut out),
                "object" => self.object_breakers(m, cx, depth, &mut out),
                "array" => self.array_breakers(m, cx, depth, &mut out),
                _ => {}
            }
        }
        out
    }

    fn string_breakers(&self, m: &Map<String, Value>, out: &mut Vec<BoxedStrategy<Value>>) {
        if let Some(min) = usize_of(m, "minLength").filter(|n| (1..=10_000).contains(n)) {
            out.push(
                plain_string(min - 1, min - 1, false)
                    .prop_map(Value::String)
                    .boxed(),
            );
        }
        if let Some(max) = usize_of(m, "maxLength").filter(|n| *n < 10_000) {
            out.push(
                plain_string(max + 1, max + 1, false)
                    .prop_map(Value::String)
                    .boxed(),
            );
        }
        if let Some(p) = m.get("pattern").and_then(Value::as_str) {
            if let Ok(re) = regex::Regex::new(&super::scalar::rewrite_pattern(p, false)) {
                let fixed = vec![
                    json!(""),
                    json!("!"),
                    json!(" "),
                    json!("0"),
                    json!("a"),
                    json!("~~~"),
                    json!("not matching"),
                ];
                let s = Union::new(vec![
                    select(fixed).boxed(),
                    plain_string(0, 12, false).prop_map(Value::String).boxed(),
                ])
                .boxed();
                let pred = move |v: &Value| v.as_str().is_some_and(|s| !re.is_match(s));
                out.push(
                    Checked::new(s, Arc::new(pred), TRIES, &self.notes, format!("not /{p}/"))
                        .boxed(),
                );
            }
        }
        if let Some(bad) = m.get("format").and_then(Value::as_str).and_then(bad_format) {
            out.push(Just(json!(bad)).boxed());
        }
    }

    fn number_breakers(
        &self,
        m: &Map<String, Value>,
        integer: bool,
        out: &mut Vec<BoxedStrategy<Value>>,
    ) {
        let (lo, hi) = bounds(m);
        let below = |v: f64, excl: bool| -> Value {
            if integer {
                int_value(if excl && v.fract() == 0.0 {
                    v
                } else {
                    v.ceil() - 1.0
                })
            } else if excl {
                super::scalar::num(v)
            } else {
                super::scalar::num(v - 1.0)
            }
        };
        let above = |v: f64, excl: bool| -> Value {
            if integer {
                int_value(if excl && v.fract() == 0.0 {
                    v
                } else {
                    v.floor() + 1.0
                })
            } else if excl {
                super::scalar::num(v)
            } else {
                super::scalar::num(v + 1.0)
            }
        };
        if let Some((v, e)) = lo {
            out.push(Just(below(v, e)).boxed());
        }
        if let Some((v, e)) = hi {
            out.push(Just(above(v, e)).boxed());
        }
        if let Some(step) = m
            .get("multipleOf")
            .and_then(Value::as_f64)
            .filter(|s| *s > 0.0)
        {
            let r = int_range(m);
            let base = if r.lo <= 0 && 0 <= r.hi {
                0.0
            } else {
                (r.lo as f64 / step).ceil() * step
            };
            if integer && step > 1.0 && step.fract() == 0.0 {
                out.push(Just(int_value(base + 1.0)).boxed());
            } else if !integer {
                out.push(Just(super::scalar::num(base + step / 2.0)).boxed());
            }
        }
    }

    fn object_breakers(
        &self,
        m: &Map<String, Value>,
        cx: &Ctx,
        depth: usize,
        out: &mut Vec<BoxedStrategy<Value>>,
    ) {
        let base = self.object(m, cx);
        let empty = Map::new();
        let props = m
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let skip = |ps: &Value| self.requests && is_read_only(self.doc, ps, 0);
        for r in m
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .take(6)
        {
            if props.get(r).is_some_and(skip) {
                continue;
            }
            let r = r.to_owned();
            out.push(
                base.clone()
                    .prop_map(move |mut v| {
                        if let Value::Object(o) = &mut v {
                            o.shift_remove(&r);
                        }
                        v
                    })
                    .boxed(),
            );
        }
        let mut unexpected = "unexpectedProperty".to_owned();
        while props.contains_key(&unexpected) {
            unexpected.push('_');
        }
        let insert = |base: BoxedStrategy<Value>, name: String, v: BoxedStrategy<Value>| {
            (base, v)
                .prop_map(move |(mut o, v)| {
                    if let Value::Object(o) = &mut o {
                        o.insert(name.clone(), v);
                    }
                    o
                })
                .boxed()
        };
        match m.get("additionalProperties") {
            Some(Value::Bool(false)) => {
                out.push(insert(
                    base.clone(),
                    unexpected.clone(),
                    Just(json!("unexpected")).boxed(),
                ));
            }
            Some(ap @ Value::Object(_)) => {
                for b in self.breakers(ap, cx, depth + 1).into_iter().take(3) {
                    out.push(insert(base.clone(), unexpected.clone(), b));
                }
            }
            _ => {}
        }
        for (name, ps) in props.iter().take(8) {
            if skip(ps) {
                continue;
            }
            for b in self.breakers(ps, cx, depth + 1).into_iter().take(3) {
                out.push(insert(base.clone(), name.clone(), b));
            }
        }
        if let Some(min) = usize_of(m, "minProperties").filter(|n| *n > 0) {
            out.push(
                base.clone()
                    .prop_map(move |mut v| {
                        if let Value::Object(o) = &mut v {
                            while o.len() >= min {
                                let Some(k) = o.keys().next_back().cloned() else {
                                    break;
                                };
                                o.shift_remove(&k);
                            }
                        }
                        v
                    })
                    .boxed(),
            );
        }
        if let Some(max) = usize_of(m, "maxProperties").filter(|n| *n < 64) {
            out.push(
                base.prop_map(move |mut v| {
                    if let Value::Object(o) = &mut v {
                        let mut i = 0;
                        while o.len() <= max {
                            o.entry(format!("extra{i}")).or_insert(json!("x"));
                            i += 1;
                        }
                    }
                    v
                })
                .boxed(),
            );
        }
    }

    fn array_breakers(
        &self,
        m: &Map<String, Value>,
        cx: &Ctx,
        depth: usize,
        out: &mut Vec<BoxedStrategy<Value>>,
    ) {
        let base = self.array(m, cx);
        let items = m.get("items").filter(|i| i.is_object());
        let item = match items {
            Some(s) => self.node(s, cx),
            None => any_value(false),
        };
        if let Some(min) = usize_of(m, "minItems").filter(|n| *n > 0) {
            out.push(
                base.clone()
                    .prop_map(move |mut v| {
                        if let Value::Array(a) = &mut v {
                            a.truncate(min - 1);
                        }
                        v
                    })
                    .boxed(),
            );
        }
        if let Some(max) = usize_of(m, "maxItems").filter(|n| *n < 64) {
            out.push(vec(item.clone(), max + 1).prop_map(Value::Array).boxed());
        }
        if let Some(items) = items {
            for b in self.breakers(items, cx, depth + 1).into_iter().take(4) {
                out.push(
                    (base.clone(), b)
                        .prop_map(|(mut a, v)| {
                            if let Value::Array(a) = &mut a {
                                match a.first_mut() {
                                    Some(first) => *first = v,
                                    None => a.push(v),
                                }
                            }
                            a
                        })
                        .boxed(),
                );
            }
        }
        if m.get("uniqueItems") == Some(&Value::Bool(true)) {
            out.push(
                (base, item)
                    .prop_map(|(mut a, x)| {
                        if let Value::Array(a) = &mut a {
                            let x = a.first().cloned().unwrap_or(x);
                            a.push(x.clone());
                            if a.len() < 2 {
                                a.push(x);
                            }
                        }
                        a
                    })
                    .boxed(),
            );
        }
    }
}
