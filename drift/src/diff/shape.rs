//! The normalised meaning of a schema: what `diff/schema.rs` compares.
//!
//! `allOf` branches are merged whatever their order (a property declared by
//! several branches is all of its schemas at once), a `oneOf`/`anyOf` with a
//! single non-null branch is the branch itself, `nullable: true`,
//! `type: [.., "null"]` and a `{type: "null"}` branch all mean "nullable",
//! `const` is a one-value enum, branches that are only enums are one enum,
//! and branches that only say `required` are alternative `required` sets of
//! the parent. So two schemas written differently with the same meaning give
//! equal shapes. [`accepts`] tells whether one shape includes another.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::doc::{join, ref_name, Doc, Node};

/// How deep `allOf`/`oneOf` nesting is followed while building a shape.
const MAX_DEPTH: usize = 24;

/// Lower-bound keywords: raising one narrows.
pub(crate) const LOWER: [&str; 6] = [
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
    "minContains",
];
/// Upper-bound keywords: lowering one narrows.
pub(crate) const UPPER: [&str; 6] = [
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
    "maxContains",
];

/// The JSON Schema keywords whose value is one schema, by the name findings
/// give it: `contains`, `propertyNames`, `if`/`then`/`else`,
/// `unevaluatedItems` (as a schema), `contentSchema`.
pub(crate) const SCHEMA_KEYWORDS: [&str; 7] = [
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "contentSchema",
];

/// A sub-schema (a property, `items`, `additionalProperties`): one node,
/// or several when `allOf` branches declare the same property. Several
/// nodes mean all of them at once; they are kept sorted by pointer so that
/// the order of the `allOf` branches never matters.
#[derive(Debug, Clone)]
pub(crate) struct Sub<'a> {
    nodes: Vec<Node<'a>>,
}

impl<'a> Sub<'a> {
    pub fn one(node: Node<'a>) -> Self {
        Sub { nodes: vec![node] }
    }

    /// The node that names the sub-schema in findings (the first by pointer).
    pub fn node(&self) -> &Node<'a> {
        &self.nodes[0]
    }

    /// Every node, sorted by pointer.
    pub fn nodes(&self) -> &[Node<'a>] {
        &self.nodes
    }

    /// Both at once.
    fn join(&mut self, other: Sub<'a>) {
        for n in other.nodes {
            if !self.nodes.iter().any(|m| m.ptr == n.ptr) {
                self.nodes.push(n);
            }
        }
        self.nodes.sort_by(|a, b| a.ptr.cmp(&b.ptr));
    }
}

/// At most this many alternative `required` sets are kept (a guard against
/// the cross product of many required-only `anyOf`s).
const MAX_TERMS: usize = 64;

/// A schema's meaning, flattened.
#[derive(Debug, Default, Clone)]
pub(crate) struct Shape<'a> {
    /// Allowed types without `null`; `None` is any type.
    pub types: Option<BTreeSet<String>>,
    /// `null` is allowed.
    pub nullable: bool,
    /// Allowed values without `null`, if restricted.
    pub enumv: Option<Vec<Value>>,
    /// Properties by name (unresolved nodes).
    pub props: BTreeMap<String, Sub<'a>>,
    /// Required property names.
    pub required: BTreeSet<String>,
    /// Required-only `oneOf`/`anyOf` branches (`anyOf: [{required: [a]},
    /// {required: [b]}]`): one of these sets must be present too. Empty
    /// when there is no such constraint.
    pub required_any: BTreeSet<BTreeSet<String>>,
    /// The `items` schema.
    pub items: Option<Sub<'a>>,
    /// The `additionalProperties` schema, when it is one.
    pub additional: Option<Sub<'a>>,
    /// `additionalProperties: false`.
    pub closed: bool,
    /// `oneOf`/`anyOf` branches that stay alternatives.
    pub variants: Vec<Node<'a>>,
    /// Lower bounds by keyword.
    pub lower: BTreeMap<&'static str, f64>,
    /// Upper bounds by keyword.
    pub upper: BTreeMap<&'static str, f64>,
    /// `pattern` (several joined with ` and ` when `allOf` branches disagree).
    pub pattern: Option<String>,
    /// `format` (likewise).
    pub format: Option<String>,
    /// `default`.
    pub default: Option<Value>,
    /// `discriminator` (beside `oneOf`/`anyOf`; never copied into the
    /// alternatives).
    pub discriminator: Option<Discriminator>,
    /// `multipleOf`.
    pub multiple_of: Option<f64>,
    /// `uniqueItems: true`.
    pub unique: bool,
    /// `x-extensible-enum`: the documented values of an open set.
    pub extensible: Option<Vec<Value>>,
    /// `prefixItems`, by position.
    pub prefix_items: Vec<Sub<'a>>,
    /// The one-schema keywords ([`SCHEMA_KEYWORDS`]) by name.
    pub keyed: BTreeMap<&'static str, Sub<'a>>,
    /// `patternProperties` by pattern.
    pub pattern_props: BTreeMap<String, Sub<'a>>,
    /// `dependentSchemas` by property.
    pub dependent_schemas: BTreeMap<String, Sub<'a>>,
    /// `dependentRequired`: a property to the ones it requires.
    pub dependent_required: BTreeMap<String, BTreeSet<String>>,
    /// `unevaluatedItems: false`.
    pub items_closed: bool,
    /// `contentMediaType`.
    pub content_media_type: Option<String>,
    /// `contentEncoding`.
    pub content_encoding: Option<String>,
}

/// A `discriminator`: the property that names the alternative, and the
/// explicit mapping of its values to schema names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Discriminator {
    /// `propertyName`.
    pub property: String,
    /// `mapping`, each value reduced to the component it names.
    pub mapping: BTreeMap<String, String>,
}

impl Discriminator {
    fn read(v: &Value) -> Option<Self> {
        let property = v.get("propertyName")?.as_str()?.to_owned();
        let mapping = v
            .get("mapping")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), ref_name(v.as_str()?))))
                    .collect()
            })
            .unwrap_or_default();
        Some(Discriminator { property, mapping })
    }
}

impl<'a> Shape<'a> {
    /// Builds the shape of a schema node (refs are followed).
    pub fn of(doc: Doc<'a>, node: Node<'a>) -> Self {
        Self::build(doc, node, 0)
    }

    /// The shape of a sub-schema: several nodes are intersected, so `null`
    /// is allowed only when every one of them allows it.
    pub fn of_sub(doc: Doc<'a>, sub: &Sub<'a>) -> Self {
        let mut nodes = sub.nodes.iter();
        let first = nodes.next().expect("a sub-schema has a node");
        let mut s = Shape::of(doc, first.clone());
        let mut nullable = s.nullable;
        for n in nodes {
            let b = Shape::of(doc, n.clone());
            nullable &= b.nullable;
            s.merge(b);
        }
        s.nullable = nullable;
        s
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
        // One pass over the keywords (a schema has few; looking each
        // keyword up would hash every name the shape knows).
        let (mut enum_v, mut const_v, mut unevaluated) = (None, None, None);
        let at = |k: &str| join(&n.ptr, k);
        for (k, v) in m {
            match k.as_str() {
                "type" => match v {
                    Value::String(t) => s.set_types([t.as_str()]),
                    Value::Array(ts) => s.set_types(ts.iter().filter_map(Value::as_str)),
                    _ => {}
                },
                "nullable" => s.nullable |= v == &Value::Bool(true),
                "enum" => enum_v = Some(v),
                "const" => const_v = Some(v),
                "properties" => {
                    if let Value::Object(props) = v {
                        let base = at(k);
                        for (name, prop) in props {
                            s.props
                                .insert(name.clone(), Sub::one(Node::new(prop, join(&base, name))));
                        }
                    }
                }
                "required" => {
                    if let Value::Array(req) = v {
                        s.required
                            .extend(req.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                }
                "items" if v.is_object() => s.items = Some(Sub::one(Node::new(v, at(k)))),
                "additionalProperties" => {
                    if v == &Value::Bool(false) {
                        s.closed = true;
                    } else if v.is_object() {
                        s.additional = Some(Sub::one(Node::new(v, at(k))));
                    }
                }
                "pattern" => s.pattern = v.as_str().map(str::to_owned),
                "format" => s.format = v.as_str().map(str::to_owned),
                "default" => s.default = Some(v.clone()),
                "discriminator" => s.discriminator = Discriminator::read(v),
                "multipleOf" => s.multiple_of = v.as_f64().filter(|x| *x > 0.0),
                "uniqueItems" => s.unique = v == &Value::Bool(true),
                "x-extensible-enum" => {
                    if let Value::Array(values) = v {
                        s.extensible =
                            Some(values.iter().filter(|v| !v.is_null()).cloned().collect());
                    }
                }
                "prefixItems" => {
                    if let Value::Array(items) = v {
                        let base = at(k);
                        s.prefix_items = items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| Sub::one(Node::new(item, format!("{base}/{i}"))))
                            .collect();
                    }
                }
                "patternProperties" | "dependentSchemas" => {
                    if let Value::Object(subs) = v {
                        let base = at(k);
                        let map = if k == "patternProperties" {
                            &mut s.pattern_props
                        } else {
                            &mut s.dependent_schemas
                        };
                        for (name, sub) in subs {
                            map.insert(name.clone(), Sub::one(Node::new(sub, join(&base, name))));
                        }
                    }
                }
                "dependentRequired" => {
                    if let Value::Object(deps) = v {
                        for (name, req) in deps {
                            let names = req
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str);
                            s.dependent_required
                                .insert(name.clone(), names.map(str::to_owned).collect());
                        }
                    }
                }
                "unevaluatedProperties" => unevaluated = Some(v),
                "unevaluatedItems" if v == &Value::Bool(false) => s.items_closed = true,
                "contentMediaType" => s.content_media_type = v.as_str().map(str::to_owned),
                "contentEncoding" => s.content_encoding = v.as_str().map(str::to_owned),
                key => {
                    if let Some(&bound) = LOWER.iter().find(|b| **b == key) {
                        if let Some(x) = v.as_f64() {
                            s.lower.insert(bound, x);
                        }
                    } else if let Some(&bound) = UPPER.iter().find(|b| **b == key) {
                        if let Some(x) = v.as_f64() {
                            s.upper.insert(bound, x);
                        }
                    } else if let Some(&kw) = SCHEMA_KEYWORDS.iter().find(|w| **w == key) {
                        if v.is_object() {
                            s.keyed.insert(kw, Sub::one(Node::new(v, at(k))));
                        }
                    }
                }
            }
        }
        if let Some(Value::Array(values)) = enum_v {
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
        if let Some(c) = const_v {
            if c.is_null() {
                s.nullable = true;
                s.enumv = Some(Vec::new());
            } else {
                s.enumv = Some(vec![c.clone()]);
            }
        }
        match unevaluated {
            Some(Value::Bool(false)) => s.closed = true,
            Some(u) if u.is_object() && s.additional.is_none() => {
                s.additional = Some(Sub::one(Node::new(u, at("unevaluatedProperties"))));
            }
            _ => {}
        }
        if !m.contains_key("allOf") && !m.contains_key("oneOf") && !m.contains_key("anyOf") {
            return s;
        }
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
            } else if let Some(sets) = required_only(doc, &rest) {
                // `anyOf: [{required: [a]}, {required: [b]}]` beside the
                // properties: a constraint of this object, not alternatives.
                s.required_any = cross(&s.required_any, &sets);
            } else if let Some(e) = enum_only(doc, &rest, depth) {
                // `oneOf: [{const: A}, {const: B}]` is `enum: [A, B]`.
                s.merge(e);
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

    /// Merges an `allOf` branch (or a lone `oneOf` branch) into this shape:
    /// both must hold. Order-independent: a property (or `items`,
    /// `additionalProperties`) declared by both becomes both schemas at once.
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
            match self.props.get_mut(&k) {
                Some(mine) => mine.join(v),
                None => {
                    self.props.insert(k, v);
                }
            }
        }
        self.required.extend(b.required);
        self.required_any = cross(&self.required_any, &b.required_any);
        join_sub(&mut self.items, b.items);
        join_sub(&mut self.additional, b.additional);
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
        self.pattern = join_text(self.pattern.take(), b.pattern);
        self.format = join_text(self.format.take(), b.format);
        self.default = self.default.take().or(b.default);
        self.discriminator = self.discriminator.take().or(b.discriminator);
        self.multiple_of = match (self.multiple_of, b.multiple_of) {
            // Both hold: keep the stricter when one divides the other.
            (Some(x), Some(y)) if (y / x).fract() == 0.0 => Some(y),
            (x, y) => x.or(y),
        };
        self.unique |= b.unique;
        self.extensible = self.extensible.take().or(b.extensible);
        for (i, sub) in b.prefix_items.into_iter().enumerate() {
            match self.prefix_items.get_mut(i) {
                Some(mine) => mine.join(sub),
                None => self.prefix_items.push(sub),
            }
        }
        for (mine, theirs) in [
            (&mut self.pattern_props, b.pattern_props),
            (&mut self.dependent_schemas, b.dependent_schemas),
        ] {
            join_subs(mine, theirs);
        }
        join_subs(&mut self.keyed, b.keyed);
        for (k, v) in b.dependent_required {
            self.dependent_required.entry(k).or_default().extend(v);
        }
        self.items_closed |= b.items_closed;
        self.content_media_type = join_text(self.content_media_type.take(), b.content_media_type);
        self.content_encoding = join_text(self.content_encoding.take(), b.content_encoding);
    }

    /// The alternatives this shape stands for, and whether `null` is one of
    /// them. Without `oneOf`/`anyOf` branches it is the shape itself; with
    /// them, each branch combined with the parent's own keywords (an object's
    /// `properties`, `additionalProperties: false`... hold in every branch).
    /// The alternatives never allow `null`: nullability is the returned flag.
    pub fn alternatives(&self, doc: Doc<'a>) -> (Vec<Shape<'a>>, bool) {
        let mut own = self.clone();
        own.variants.clear();
        own.discriminator = None;
        let mut nullable = own.nullable;
        own.nullable = false;
        if self.variants.is_empty() {
            return (vec![own], nullable);
        }
        let mut out = Vec::with_capacity(self.variants.len());
        for v in &self.variants {
            let mut alt = own.clone();
            alt.merge(Shape::of(doc, v.clone()));
            nullable |= alt.nullable;
            alt.nullable = false;
            out.push(alt);
        }
        (out, nullable)
    }

    /// The `required` constraint as alternative sets of names (one of them
    /// must be present), minimal: no set contains another.
    pub fn required_terms(&self) -> Vec<BTreeSet<String>> {
        if self.required_any.is_empty() {
            return vec![self.required.clone()];
        }
        let all: Vec<BTreeSet<String>> = self
            .required_any
            .iter()
            .map(|t| t.union(&self.required).cloned().collect())
            .collect();
        let mut out: Vec<BTreeSet<String>> = Vec::new();
        for t in &all {
            if !all.iter().any(|u| u != t && u.is_subset(t)) && !out.contains(t) {
                out.push(t.clone());
            }
        }
        out
    }

    /// The names required whichever alternative `required` set is used.
    pub fn always_required(&self) -> BTreeSet<String> {
        let mut terms = self.required_terms().into_iter();
        let first = terms.next().unwrap_or_default();
        terms.fold(first, |acc, t| acc.intersection(&t).cloned().collect())
    }

    /// The types, with `object` implied by object keywords and `array` by
    /// `items` when `type` is not given.
    pub fn implied_types(&self) -> Option<BTreeSet<String>> {
        if self.types.is_some() {
            return self.types.clone();
        }
        let object = !self.props.is_empty()
            || !self.required.is_empty()
            || self.closed
            || self.additional.is_some();
        match (object, self.items.is_some()) {
            (true, false) => Some(BTreeSet::from(["object".to_owned()])),
            (false, true) => Some(BTreeSet::from(["array".to_owned()])),
            _ => None,
        }
    }

    /// This shape with its types narrowed to `types`, without the keywords
    /// that only apply to the types left out (an object's properties when
    /// only `string` is left...).
    pub fn restricted(&self, types: &BTreeSet<String>) -> Shape<'a> {
        let mut s = self.clone();
        let kept = match &self.types {
            None => types.clone(),
            Some(t) => intersect_types(t, types),
        };
        let has = |t: &str| kept.contains(t);
        let number = has("number") || has("integer");
        if !has("object") {
            s.props.clear();
            s.required.clear();
            s.required_any.clear();
            s.additional = None;
            s.closed = false;
        }
        if !has("array") {
            s.items = None;
        }
        if !has("string") {
            s.pattern = None;
        }
        if !has("string") && !number {
            s.format = None;
        }
        if !number {
            s.multiple_of = None;
        }
        if !has("array") {
            s.unique = false;
            s.prefix_items.clear();
            s.items_closed = false;
            s.keyed.remove("contains");
            s.keyed.remove("unevaluatedItems");
        }
        if !has("object") {
            s.pattern_props.clear();
            s.dependent_schemas.clear();
            s.dependent_required.clear();
            s.keyed.remove("propertyNames");
        }
        if !has("string") {
            s.content_media_type = None;
            s.content_encoding = None;
            s.keyed.remove("contentSchema");
        }
        let applies = |key: &str| match key {
            "minProperties" | "maxProperties" => has("object"),
            "minItems" | "maxItems" | "minContains" | "maxContains" => has("array"),
            "minLength" | "maxLength" => has("string"),
            _ => number,
        };
        s.lower.retain(|k, _| applies(k));
        s.upper.retain(|k, _| applies(k));
        if let Some(e) = &mut s.enumv {
            e.retain(|v| value_type(v).is_some_and(|t| covers(&Some(kept.clone()), &Some(t))));
        }
        s.types = Some(kept);
        s
    }
}

/// The JSON type of a value, as a one-type set.
fn value_type(v: &Value) -> Option<BTreeSet<String>> {
    let t = match v {
        Value::Null => return None,
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    Some(BTreeSet::from([t.to_owned()]))
}

/// Both maps of sub-schemas at once: a key in both is both schemas.
fn join_subs<'a, K: Ord>(mine: &mut BTreeMap<K, Sub<'a>>, other: BTreeMap<K, Sub<'a>>) {
    for (k, v) in other {
        match mine.get_mut(&k) {
            Some(m) => m.join(v),
            None => {
                mine.insert(k, v);
            }
        }
    }
}

fn join_sub<'a>(mine: &mut Option<Sub<'a>>, other: Option<Sub<'a>>) {
    match (mine.as_mut(), other) {
        (Some(m), Some(o)) => m.join(o),
        (None, o) => *mine = o,
        (Some(_), None) => {}
    }
}

/// Two values of a keyword that must both hold, in a stable order.
fn join_text(a: Option<String>, b: Option<String>) -> Option<String> {
    const SEP: &str = " and ";
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) if x == y => Some(x),
        (Some(x), Some(y)) => {
            let all: BTreeSet<&str> = x.split(SEP).chain(y.split(SEP)).collect();
            Some(all.into_iter().collect::<Vec<_>>().join(SEP))
        }
    }
}

/// Both alternative-`required` constraints at once (every pair of sets).
fn cross(
    a: &BTreeSet<BTreeSet<String>>,
    b: &BTreeSet<BTreeSet<String>>,
) -> BTreeSet<BTreeSet<String>> {
    if a.is_empty() {
        return b.clone();
    }
    if b.is_empty() {
        return a.clone();
    }
    let mut out = BTreeSet::new();
    for x in a {
        for y in b {
            if out.len() >= MAX_TERMS {
                return out;
            }
            out.insert(x.union(y).cloned().collect());
        }
    }
    out
}

/// The `required` sets of `oneOf`/`anyOf` branches that say nothing else
/// (`{required: [state]}`), when every branch is one.
fn required_only(doc: Doc<'_>, branches: &[Node<'_>]) -> Option<BTreeSet<BTreeSet<String>>> {
    let mut out = BTreeSet::new();
    for b in branches {
        let (b, _) = doc.resolve(b.clone());
        let m = b.v.as_object()?;
        let ok = m.iter().all(|(k, v)| match k.as_str() {
            "required" => v.is_array(),
            "type" => v == "object",
            "description" | "title" | "$comment" => true,
            _ => false,
        });
        let req = m.get("required")?.as_array()?;
        if !ok {
            return None;
        }
        out.insert(
            req.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        );
    }
    Some(out)
}

/// `oneOf`/`anyOf` branches that are each only an `enum` or a `const`
/// (with a type), as one shape: the union of their values.
fn enum_only<'a>(doc: Doc<'a>, branches: &[Node<'a>], depth: usize) -> Option<Shape<'a>> {
    let mut out = Shape {
        types: Some(BTreeSet::new()),
        enumv: Some(Vec::new()),
        ..Shape::default()
    };
    for b in branches {
        let (r, _) = doc.resolve(b.clone());
        if !(r.v.get("enum").is_some() || r.v.get("const").is_some()) {
            return None;
        }
        let s = Shape::build(doc, b.clone(), depth + 1);
        let bare = s.props.is_empty()
            && s.required.is_empty()
            && s.required_any.is_empty()
            && s.items.is_none()
            && s.additional.is_none()
            && !s.closed
            && s.variants.is_empty()
            && s.lower.is_empty()
            && s.upper.is_empty()
            && s.pattern.is_none()
            && s.format.is_none();
        let values = s.enumv?;
        if !bare {
            return None;
        }
        out.nullable |= s.nullable;
        out.types = match (out.types, s.types) {
            (Some(mut all), Some(t)) => {
                all.extend(t);
                Some(all)
            }
            _ => None,
        };
        let e = out.enumv.as_mut().expect("set above");
        for v in values {
            if !e.contains(&v) {
                e.push(v);
            }
        }
    }
    Some(out)
}

/// How deep [`accepts`] looks into properties and items.
const ACCEPTS_DEPTH: usize = 6;

/// Does `a` (of document `ad`) accept every value that `b` (of `bd`)
/// accepts? Conservative where it is cheap to be (types, enums, bounds,
/// `required`, closed objects, items), lenient about properties that one
/// side does not declare (they are not sent). Properties and items are
/// followed a few levels deep; past that, the answer is no.
pub(crate) fn accepts<'a>(ad: Doc<'a>, a: &Shape<'a>, bd: Doc<'a>, b: &Shape<'a>) -> bool {
    accepts_at(ad, a, bd, b, 0)
}

fn accepts_at<'a>(ad: Doc<'a>, a: &Shape<'a>, bd: Doc<'a>, b: &Shape<'a>, depth: usize) -> bool {
    if depth > ACCEPTS_DEPTH {
        return false;
    }
    if b.nullable && !a.nullable {
        return false;
    }
    if !a.variants.is_empty() || !b.variants.is_empty() {
        let (aalts, _) = a.alternatives(ad);
        let (balts, _) = b.alternatives(bd);
        return balts
            .iter()
            .all(|bb| aalts.iter().any(|aa| accepts_at(ad, aa, bd, bb, depth + 1)));
    }
    let btypes = b.implied_types();
    if !covers(&a.types, &btypes) {
        return false;
    }
    // Keywords of `a` for types that `b` never has do not apply (`required`
    // says nothing about strings).
    let cut;
    let a = match &btypes {
        Some(t) => {
            cut = a.restricted(t);
            &cut
        }
        None => a,
    };
    if let Some(av) = &a.enumv {
        match &b.enumv {
            Some(bv) if bv.iter().all(|v| av.contains(v)) => {}
            _ => return false,
        }
    }
    for (k, x) in &a.lower {
        if !b.lower.get(k).is_some_and(|y| y >= x) {
            return false;
        }
    }
    for (k, x) in &a.upper {
        if !b.upper.get(k).is_some_and(|y| y <= x) {
            return false;
        }
    }
    if a.pattern.is_some() && a.pattern != b.pattern {
        return false;
    }
    if a.format.is_some() && a.format != b.format && b.enumv.is_none() {
        return false;
    }
    if let Some(x) = a.multiple_of {
        if !b.multiple_of.is_some_and(|y| (y / x).fract() == 0.0) {
            return false;
        }
    }
    if a.unique && !b.unique {
        return false;
    }
    let (aterms, bterms) = (a.required_terms(), b.required_terms());
    if !implies(&bterms, &aterms) {
        return false;
    }
    if a.closed && !(b.closed && b.props.keys().all(|k| a.props.contains_key(k))) {
        return false;
    }
    let sub = |x: &Sub<'a>, y: &Sub<'a>| {
        accepts_at(
            ad,
            &Shape::of_sub(ad, x),
            bd,
            &Shape::of_sub(bd, y),
            depth + 1,
        )
    };
    for (k, ap) in &a.props {
        if let Some(bp) = b.props.get(k) {
            if !sub(ap, bp) {
                return false;
            }
        }
    }
    if let Some(aa) = &a.additional {
        for (k, bp) in &b.props {
            if !a.props.contains_key(k) && !sub(aa, bp) {
                return false;
            }
        }
    }
    match (&a.items, &b.items) {
        (Some(ai), Some(bi)) if !sub(ai, bi) => return false,
        (Some(_), None) => return false,
        _ => {}
    }
    match (&a.additional, &b.additional) {
        (Some(aa), Some(ba)) if !sub(aa, ba) => return false,
        (Some(_), None) if !b.closed => return false,
        _ => {}
    }
    true
}

/// Does satisfying one of the `required` sets `a` always satisfy one of `b`?
pub(crate) fn implies(a: &[BTreeSet<String>], b: &[BTreeSet<String>]) -> bool {
    a.iter().all(|x| b.iter().any(|y| y.is_subset(x)))
}

/// How alike two alternatives look, for pairing changed ones: `None` when
/// their types cannot overlap, else higher for more shared property names
/// and enum values.
pub(crate) fn similarity(a: &Shape<'_>, b: &Shape<'_>) -> Option<f64> {
    let (at, bt) = (a.implied_types(), b.implied_types());
    if let (Some(x), Some(y)) = (&at, &bt) {
        if intersect_types(x, y).is_empty() && intersect_types(y, x).is_empty() {
            return None;
        }
    }
    let mut score = 1.0;
    let shared = a.props.keys().filter(|k| b.props.contains_key(*k)).count();
    let all = a.props.len() + b.props.len() - shared;
    if all > 0 {
        if shared == 0 {
            return None;
        }
        score += shared as f64 / all as f64;
    }
    if let (Some(x), Some(y)) = (&a.items, &b.items) {
        let name = |s: &Sub<'_>| s.node().v.get("$ref").and_then(Value::as_str).map(ref_name);
        if name(x).is_some() && name(x) == name(y) {
            score += 1.0;
        }
    }
    if let (Some(x), Some(y)) = (&a.enumv, &b.enumv) {
        let shared = x.iter().filter(|v| y.contains(v)).count();
        let all = x.len() + y.len() - shared;
        if all > 0 {
            score += shared as f64 / all as f64;
        }
    }
    Some(score)
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

pub(crate) fn intersect_types(x: &BTreeSet<String>, y: &BTreeSet<String>) -> BTreeSet<String> {
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
pub(crate) fn flag(doc: Doc<'_>, sub: &Sub<'_>, key: &str) -> bool {
    sub.nodes().iter().any(|node| {
        let (n, _) = doc.resolve(node.clone());
        n.v.get(key) == Some(&Value::Bool(true))
    })
}
