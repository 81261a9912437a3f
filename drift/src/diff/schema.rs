//! Comparing two schemas in a direction: requests break when they narrow,
//! responses break when they widen.

use serde_json::Value;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use super::shape::{
    accepts, covers, flag, implies, intersect_types, similarity, types_label, Shape, Sub, LOWER,
    SCHEMA_KEYWORDS, UPPER,
};
use crate::doc::{Doc, Node};
use crate::finding::{Finding, Severity};

/// How deep schema comparison goes (a guard besides ref-cycle detection).
const MAX_STACK: usize = 64;

/// Which way data flows through the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Dir {
    /// Sent by the client: narrowing breaks.
    Request,
    /// Sent by the server: widening breaks.
    Response,
}

impl Dir {
    /// The severity of a change that narrows the set of values.
    fn narrowing(self) -> Severity {
        match self {
            Dir::Request => Severity::Breaking,
            Dir::Response => Severity::Info,
        }
    }

    /// The severity of a change that widens the set of values (for soft
    /// widenings of a response, like a new enum value, `soft` is used).
    fn widening(self, soft: Severity) -> Severity {
        match self {
            Dir::Request => Severity::Info,
            Dir::Response => soft,
        }
    }
}

/// What one comparison of two schemas found, by direction, prefix,
/// pointers and label.
type MemoKey = (Dir, &'static str, String, String, String);

/// The comparisons of one diff, shared by every operation: a component
/// used by many operations is compared once, and its findings are told
/// again, under each operation, for the others.
///
/// Only comparisons that are the same wherever they happen are kept: one
/// whose walk was cut short by a ref cycle through a schema compared
/// above it (or by the depth guard) depends on where it was reached.
#[derive(Default)]
pub(crate) struct Memo {
    found: RefCell<HashMap<MemoKey, Rc<[Finding]>>>,
}

/// One schema comparison: collects findings whose rule ids start with
/// `prefix` (`request-body`, `response`, `request-parameter`).
pub(crate) struct SchemaDiff<'a, 'm> {
    old: Doc<'a>,
    new: Doc<'a>,
    dir: Dir,
    prefix: &'static str,
    op: String,
    stack: Vec<(String, String)>,
    /// The lowest index of the stack a cut reached since the comparison
    /// being made began (`usize::MAX`: none).
    low: Cell<usize>,
    memo: &'m Memo,
    /// The findings so far.
    pub findings: Vec<Finding>,
}

impl<'a, 'm> SchemaDiff<'a, 'm> {
    pub fn new(
        old: Doc<'a>,
        new: Doc<'a>,
        dir: Dir,
        prefix: &'static str,
        op: String,
        memo: &'m Memo,
    ) -> Self {
        SchemaDiff {
            old,
            new,
            dir,
            prefix,
            op,
            stack: Vec::new(),
            low: Cell::new(usize::MAX),
            memo,
            findings: Vec::new(),
        }
    }

    /// A walk stopped at stack index `at` (0 for the depth guard).
    fn cut(&self, at: usize) {
        self.low.set(self.low.get().min(at));
    }

    /// Was `key` being compared above? Then the walk stops here.
    fn on_stack(&self, key: &(String, String)) -> bool {
        match self.stack.iter().position(|k| k == key) {
            Some(at) => {
                self.cut(at);
                true
            }
            None => false,
        }
    }

    fn emit(&mut self, rule: &str, severity: Severity, message: String, old: &str, new: &str) {
        self.findings.push(
            Finding::new(format!("{}-{rule}", self.prefix), severity, message)
                .operation(self.op.clone())
                .at(Some(old), Some(new)),
        );
    }

    /// Compares two schema nodes; `label` names the place (`body`, a
    /// parameter name); it restarts at a component's name when a ref is followed.
    pub fn compare(&mut self, old: Node<'a>, new: Node<'a>, label: &str) {
        if self.stack.len() >= MAX_STACK {
            self.cut(0);
            return;
        }
        let (o, oname) = self.old.resolve(old);
        let (n, nname) = self.new.resolve(new);
        let key = (o.ptr.clone(), n.ptr.clone());
        if self.on_stack(&key) {
            return;
        }
        let label = nname.or(oname).unwrap_or_else(|| label.to_owned());
        let memo_key = (
            self.dir,
            self.prefix,
            key.0.clone(),
            key.1.clone(),
            label.clone(),
        );
        if let Some(found) = self.memo.found.borrow().get(&memo_key) {
            for f in found.iter() {
                let mut f = f.clone();
                f.operation = Some(self.op.clone());
                self.findings.push(f);
            }
            return;
        }
        let depth = self.stack.len();
        let (start, outer) = (self.findings.len(), self.low.replace(usize::MAX));
        self.stack.push(key);
        let os = Shape::of(self.old, o.clone());
        let ns = Shape::of(self.new, n.clone());
        self.shapes(&os, &ns, &o, &n, &label);
        self.stack.pop();
        // Cuts at this comparison or below it only: the same anywhere.
        if self.low.get() >= depth {
            let found: Rc<[Finding]> = self.findings[start..].into();
            self.memo.found.borrow_mut().insert(memo_key, found);
        }
        self.cut(outer);
    }

    /// Compares two sub-schemas (a property, `items`...), each one node or
    /// several that hold at once.
    fn compare_sub(&mut self, old: &Sub<'a>, new: &Sub<'a>, label: &str) {
        if old.nodes().len() == 1 && new.nodes().len() == 1 {
            self.compare(old.node().clone(), new.node().clone(), label);
            return;
        }
        if self.stack.len() >= MAX_STACK {
            self.cut(0);
            return;
        }
        let ptrs = |s: &Sub<'_>| {
            s.nodes()
                .iter()
                .map(|n| n.ptr.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let key = (ptrs(old), ptrs(new));
        if self.on_stack(&key) {
            return;
        }
        self.stack.push(key);
        let (o, _) = self.old.resolve(old.node().clone());
        let (n, _) = self.new.resolve(new.node().clone());
        let os = Shape::of_sub(self.old, old);
        let ns = Shape::of_sub(self.new, new);
        self.shapes(&os, &ns, &o, &n, label);
        self.stack.pop();
    }

    /// Compares two alternatives (a `oneOf`/`anyOf` branch combined with its
    /// parent's keywords, or a whole schema without branches).
    fn compare_alt(
        &mut self,
        o: &Alt<'a>,
        os: &Shape<'a>,
        n: &Alt<'a>,
        ns: &Shape<'a>,
        label: &str,
    ) {
        if self.stack.len() >= MAX_STACK {
            self.cut(0);
            return;
        }
        let key = (o.node.ptr.clone(), n.node.ptr.clone());
        if self.on_stack(&key) {
            return;
        }
        let label = n
            .name
            .clone()
            .or_else(|| o.name.clone())
            .unwrap_or_else(|| label.to_owned());
        self.stack.push(key);
        self.shapes(os, ns, &o.node, &n.node, &label);
        self.stack.pop();
    }

    fn nullability(&mut self, was: bool, is: bool, op: &str, np: &str, label: &str) {
        if was && !is {
            let sev = self.dir.narrowing();
            let msg = format!("`{label}` is no longer nullable");
            self.emit("nullable-removed", sev, msg, op, np);
        } else if !was && is {
            let sev = self.dir.widening(Severity::Breaking);
            let msg = format!("`{label}` became nullable");
            self.emit("nullable-added", sev, msg, op, np);
        }
    }

    fn shapes(&mut self, os: &Shape<'a>, ns: &Shape<'a>, o: &Node<'a>, n: &Node<'a>, label: &str) {
        let (op, np) = (o.ptr.as_str(), n.ptr.as_str());
        self.discriminator(os, ns, op, np, label);
        if !os.variants.is_empty() || !ns.variants.is_empty() {
            // Alternatives on either side: compare the alternatives, each
            // with its parent's own keywords, and nullability once.
            let (ov, onull) = alternatives(self.old, os, o);
            let (nv, nnull) = alternatives(self.new, ns, n);
            self.nullability(onull, nnull, op, np, label);
            self.variants(&ov, &nv, op, np, label);
            return;
        }
        // Types with nothing in common (an object became an array): the
        // type change is the finding; the old type's keywords (its
        // properties, bounds, enum) are not compared one by one.
        let (oi, ni) = (os.implied_types(), ns.implied_types());
        let disjoint = matches!((&oi, &ni), (Some(a), Some(b)) if intersect_types(a, b).is_empty());
        if os.types != ns.types || disjoint {
            let (from, to) = if os.types != ns.types {
                (&os.types, &ns.types)
            } else {
                (&oi, &ni)
            };
            let sev = if disjoint {
                Severity::Breaking
            } else if covers(to, from) {
                self.dir.widening(Severity::Breaking)
            } else if covers(from, to) {
                self.dir.narrowing()
            } else {
                Severity::Breaking
            };
            let msg = format!(
                "`{label}` type changed from {} to {}",
                types_label(from),
                types_label(to)
            );
            self.emit("type-changed", sev, msg, op, np);
        }
        self.nullability(os.nullable, ns.nullable, op, np, label);
        if disjoint {
            return;
        }
        self.enums(os, ns, op, np, label);
        self.bounds(os, ns, op, np, label);
        self.defaults(os, ns, op, np, label);
        self.keywords(os, ns, op, np, label);
        self.properties(os, ns, op, np, label);
        if let (Some(oi), Some(ni)) = (&os.items, &ns.items) {
            self.compare_sub(oi, ni, &format!("{label}[]"));
        }
        if let (Some(oa), Some(na)) = (&os.additional, &ns.additional) {
            self.compare_sub(oa, na, &format!("{label}{{}}"));
        }
        if !os.closed && ns.closed {
            let sev = self.dir.narrowing();
            let msg = format!("`{label}` no longer allows additional properties");
            self.emit("additional-properties-disallowed", sev, msg, op, np);
        } else if os.closed && !ns.closed {
            let sev = self.dir.widening(Severity::Warning);
            let msg = format!("`{label}` now allows additional properties");
            self.emit("additional-properties-allowed", sev, msg, op, np);
        }
    }

    fn enums(&mut self, os: &Shape<'a>, ns: &Shape<'a>, op: &str, np: &str, label: &str) {
        if os.extensible.is_some() || ns.extensible.is_some() {
            self.extensible(os, ns, op, np, label);
            return;
        }
        match (&os.enumv, &ns.enumv) {
            (Some(ov), Some(nv)) => {
                let added = self.dir.widening(Severity::Warning);
                self.values((ov, nv), ("enum", "enum"), added, (op, np, label));
            }
            (None, Some(nv)) => {
                let msg = format!("`{label}` restricted to the values {}", list(nv));
                let sev = self.dir.narrowing();
                self.emit("enum-constraint-added", sev, msg, op, np);
            }
            (Some(_), None) => {
                let msg = format!("`{label}` is no longer restricted to an enum");
                let sev = self.dir.widening(Severity::Warning);
                self.emit("enum-constraint-removed", sev, msg, op, np);
            }
            (None, None) => {}
        }
    }

    /// The values removed from and added to a list (`what`, named `rule` in
    /// rule ids): a value removed narrows, one added has severity `added`.
    fn values(
        &mut self,
        (ov, nv): (&[Value], &[Value]),
        (what, rule): (&str, &str),
        added: Severity,
        (op, np, label): (&str, &str, &str),
    ) {
        for v in ov.iter().filter(|v| !nv.contains(v)) {
            let msg = format!("`{label}` {what} value {} removed", show(v));
            let sev = self.dir.narrowing();
            self.emit(&format!("{rule}-value-removed"), sev, msg, op, np);
        }
        for v in nv.iter().filter(|v| !ov.contains(v)) {
            let msg = format!("`{label}` {what} value {} added", show(v));
            self.emit(&format!("{rule}-value-added"), added, msg, op, np);
        }
    }

    /// `x-extensible-enum` on either side: an open set of values, whose
    /// growth breaks no one (clients must accept values they do not know).
    fn extensible(&mut self, os: &Shape<'a>, ns: &Shape<'a>, op: &str, np: &str, label: &str) {
        match (&os.extensible, &ns.extensible) {
            (Some(ov), Some(nv)) => {
                let what = ("extensible enum", "extensible-enum");
                self.values((ov, nv), what, Severity::Info, (op, np, label));
            }
            (None, Some(nv)) => {
                // Closed (or unrestricted) before, open now: in a response,
                // values beyond the list are announced.
                let msg = format!(
                    "`{label}` is now an extensible enum ({}): values beyond the list may come",
                    list(nv)
                );
                let sev = if os.enumv.is_some() {
                    self.dir.widening(Severity::Warning)
                } else {
                    self.dir.narrowing()
                };
                self.emit("enum-made-extensible", sev, msg, op, np);
            }
            (Some(ov), None) => {
                let msg = match &ns.enumv {
                    Some(nv) => format!(
                        "`{label}` is no longer an extensible enum: only {} now",
                        list(nv)
                    ),
                    None => format!(
                        "`{label}` is no longer an extensible enum (it listed {})",
                        list(ov)
                    ),
                };
                let sev = if ns.enumv.is_some() {
                    self.dir.narrowing()
                } else {
                    self.dir.widening(Severity::Warning)
                };
                self.emit("enum-no-longer-extensible", sev, msg, op, np);
            }
            (None, None) => {}
        }
    }

    /// `default`: what the server assumes when a client leaves the value out
    /// (request), or what it documents filling in (response).
    fn defaults(&mut self, os: &Shape<'a>, ns: &Shape<'a>, op: &str, np: &str, label: &str) {
        let soft = match self.dir {
            Dir::Request => Severity::Warning,
            Dir::Response => Severity::Info,
        };
        match (&os.default, &ns.default) {
            (Some(a), Some(b)) if a != b => {
                let msg = match self.dir {
                    Dir::Request => format!(
                        "`{label}` default changed from {} to {}: clients that leave it out get the new value",
                        show(a),
                        show(b)
                    ),
                    Dir::Response => {
                        format!("`{label}` default changed from {} to {}", show(a), show(b))
                    }
                };
                self.emit("default-changed", soft, msg, op, np);
            }
            (None, Some(b)) => {
                let msg = format!("`{label}` default {} added", show(b));
                self.emit("default-added", Severity::Info, msg, op, np);
            }
            (Some(a), None) => {
                let msg = format!("`{label}` default {} removed", show(a));
                self.emit("default-removed", soft, msg, op, np);
            }
            _ => {}
        }
    }

    /// `discriminator`: the property a client reads (response) or the
    /// server reads (request) to tell the alternatives apart.
    fn discriminator(&mut self, os: &Shape<'a>, ns: &Shape<'a>, op: &str, np: &str, label: &str) {
        let (Some(od), Some(nd)) = (&os.discriminator, &ns.discriminator) else {
            match (&os.discriminator, &ns.discriminator) {
                (None, Some(d)) => {
                    let sev = match self.dir {
                        Dir::Request => Severity::Warning,
                        Dir::Response => Severity::Info,
                    };
                    let msg = format!("`{label}` gained a discriminator on `{}`", d.property);
                    self.emit("discriminator-added", sev, msg, op, np);
                }
                (Some(d), None) => {
                    let sev = match self.dir {
                        Dir::Request => Severity::Info,
                        Dir::Response => Severity::Warning,
                    };
                    let msg = format!("`{label}` lost its discriminator on `{}`", d.property);
                    self.emit("discriminator-removed", sev, msg, op, np);
                }
                _ => {}
            }
            return;
        };
        if od.property != nd.property {
            let msg = format!(
                "`{label}` discriminator property changed from `{}` to `{}`",
                od.property, nd.property
            );
            self.emit(
                "discriminator-property-changed",
                Severity::Breaking,
                msg,
                op,
                np,
            );
        }
        for (value, target) in &od.mapping {
            match nd.mapping.get(value) {
                Some(t) if t != target => {
                    let msg = format!(
                        "`{label}` discriminator value `{value}` now maps to `{t}` instead of `{target}`"
                    );
                    self.emit(
                        "discriminator-mapping-changed",
                        Severity::Breaking,
                        msg,
                        op,
                        np,
                    );
                }
                Some(_) => {}
                None => {
                    let msg =
                        format!("`{label}` discriminator value `{value}` (`{target}`) removed");
                    let sev = self.dir.narrowing();
                    self.emit("discriminator-mapping-removed", sev, msg, op, np);
                }
            }
        }
        for (value, target) in &nd.mapping {
            if !od.mapping.contains_key(value) {
                let msg = format!("`{label}` discriminator value `{value}` (`{target}`) added");
                let sev = self.dir.widening(Severity::Warning);
                self.emit("discriminator-mapping-added", sev, msg, op, np);
            }
        }
    }

    /// A constraint that narrows (`tightened`) or widens the values.
    fn constraint(&mut self, tightened: bool, msg: String, op: &str, np: &str) {
        if tightened {
            let sev = self.dir.narrowing();
            self.emit("constraint-tightened", sev, msg, op, np);
        } else {
            let sev = self.dir.widening(Severity::Warning);
            self.emit("constraint-relaxed", sev, msg, op, np);
        }
    }

    /// `multipleOf`, `uniqueItems` and the JSON Schema 2020-12 keywords:
    /// a keyword added is a constraint tightened, removed is one relaxed,
    /// and the schemas they hold are compared like properties.
    fn keywords(&mut self, os: &Shape<'a>, ns: &Shape<'a>, op: &str, np: &str, label: &str) {
        match (os.multiple_of, ns.multiple_of) {
            (Some(a), Some(b)) if a == b => {}
            (None, None) => {}
            (a, b) => {
                let msg = format!(
                    "`{label}` multipleOf changed from {} to {}",
                    num(a.as_ref()),
                    num(b.as_ref())
                );
                match (a, b) {
                    (Some(a), Some(b)) if (b / a).fract() != 0.0 && (a / b).fract() != 0.0 => {
                        // Neither divides the other: some values leave, others come.
                        let sev = self
                            .dir
                            .narrowing()
                            .max(self.dir.widening(Severity::Warning));
                        self.emit("constraint-tightened", sev, msg, op, np);
                    }
                    (Some(a), Some(b)) => self.constraint((b / a).fract() == 0.0, msg, op, np),
                    (a, _) => self.constraint(a.is_none(), msg, op, np),
                }
            }
        }
        if os.unique != ns.unique {
            let msg = format!(
                "`{label}` uniqueItems changed from {} to {}",
                os.unique, ns.unique
            );
            self.constraint(ns.unique, msg, op, np);
        }
        if os.items_closed != ns.items_closed {
            let msg = format!(
                "`{label}` unevaluatedItems: false {}",
                if ns.items_closed { "added" } else { "removed" }
            );
            self.constraint(ns.items_closed, msg, op, np);
        }
        for (rule, key, a, b) in [
            (
                "content-media-type-changed",
                "contentMediaType",
                &os.content_media_type,
                &ns.content_media_type,
            ),
            (
                "content-encoding-changed",
                "contentEncoding",
                &os.content_encoding,
                &ns.content_encoding,
            ),
        ] {
            if a != b {
                let msg = format!(
                    "`{label}` {key} changed from {} to {}: both ends must read the string the same way",
                    a.as_deref().unwrap_or("none"),
                    b.as_deref().unwrap_or("none")
                );
                self.emit(rule, Severity::Breaking, msg, op, np);
            }
        }
        let at = (op, np, label);
        for key in SCHEMA_KEYWORDS {
            let sub = Keyword {
                what: format!("`{key}`"),
                label: format!("{label}{{{key}}}"),
                opens: false,
            };
            self.keyword_sub(os.keyed.get(key), ns.keyed.get(key), &sub, at);
        }
        let longest = os.prefix_items.len().max(ns.prefix_items.len());
        for i in 0..longest {
            let sub = Keyword {
                what: format!("`prefixItems` item {i}"),
                label: format!("{label}[{i}]"),
                opens: false,
            };
            self.keyword_sub(os.prefix_items.get(i), ns.prefix_items.get(i), &sub, at);
        }
        // In a closed object a pattern lets properties in; in an open one
        // it constrains the properties it matches.
        let opens = os.closed && ns.closed;
        let maps = (&os.pattern_props, &ns.pattern_props);
        self.keyword_map(maps, "patternProperties", opens, at);
        let maps = (&os.dependent_schemas, &ns.dependent_schemas);
        self.keyword_map(maps, "dependentSchemas", false, at);
        let props: BTreeSet<&String> = os
            .dependent_required
            .keys()
            .chain(ns.dependent_required.keys())
            .collect();
        let none = BTreeSet::new();
        for p in props {
            let a = os.dependent_required.get(p).unwrap_or(&none);
            let b = ns.dependent_required.get(p).unwrap_or(&none);
            for x in b.difference(a) {
                let msg = format!("`{label}`: `{p}` now requires `{x}` (dependentRequired)");
                self.constraint(true, msg, op, np);
            }
            for x in a.difference(b) {
                let msg = format!("`{label}`: `{p}` no longer requires `{x}` (dependentRequired)");
                self.constraint(false, msg, op, np);
            }
        }
    }

    /// A keyword holding schemas by name (`patternProperties`,
    /// `dependentSchemas`): each compared as [`Self::keyword_sub`] does.
    fn keyword_map(
        &mut self,
        (om, nm): (&BTreeMap<String, Sub<'a>>, &BTreeMap<String, Sub<'a>>),
        keyword: &str,
        opens: bool,
        at: (&str, &str, &str),
    ) {
        let names: BTreeSet<&String> = om.keys().chain(nm.keys()).collect();
        for name in names {
            let sub = Keyword {
                what: format!("`{keyword}` `{name}`"),
                label: format!("{}{{{keyword} {name}}}", at.2),
                opens,
            };
            self.keyword_sub(om.get(name), nm.get(name), &sub, at);
        }
    }

    /// A keyword holding a schema: compared when on both sides; added is a
    /// constraint tightened, removed one relaxed (the reverse for a
    /// keyword that `opens`, such as a pattern of a closed object). `at`
    /// is the parent's pointers and label.
    fn keyword_sub(
        &mut self,
        old: Option<&Sub<'a>>,
        new: Option<&Sub<'a>>,
        k: &Keyword,
        (op, np, parent): (&str, &str, &str),
    ) {
        match (old, new) {
            (Some(o), Some(n)) => self.compare_sub(o, n, &k.label),
            (None, Some(n)) => {
                let msg = format!("`{parent}` gained a {} constraint", k.what);
                let at = n.node().ptr.clone();
                self.constraint(!k.opens, msg, op, &at);
            }
            (Some(o), None) => {
                let msg = format!("`{parent}` lost its {} constraint", k.what);
                let at = o.node().ptr.clone();
                self.constraint(k.opens, msg, &at, np);
            }
            (None, None) => {}
        }
    }

    fn bounds(&mut self, os: &Shape<'a>, ns: &Shape<'a>, op: &str, np: &str, label: &str) {
        for (keys, lower) in [(&LOWER[..], true), (&UPPER[..], false)] {
            for &key in keys {
                let (ob, nb) = if lower {
                    (os.lower.get(key), ns.lower.get(key))
                } else {
                    (os.upper.get(key), ns.upper.get(key))
                };
                let tightened = match (ob, nb) {
                    (Some(a), Some(b)) if a == b => continue,
                    (Some(a), Some(b)) => (b > a) == lower,
                    (None, Some(_)) => true,
                    (Some(_), None) => false,
                    (None, None) => continue,
                };
                let msg = format!("`{label}` {key} changed from {} to {}", num(ob), num(nb));
                self.constraint(tightened, msg, op, np);
            }
        }
        if os.pattern != ns.pattern {
            let sev = match (&os.pattern, &ns.pattern, self.dir) {
                (Some(_), None, Dir::Request) | (None, Some(_), Dir::Response) => Severity::Info,
                _ => Severity::Warning,
            };
            let msg = format!(
                "`{label}` pattern changed from {} to {}",
                os.pattern.as_deref().unwrap_or("none"),
                ns.pattern.as_deref().unwrap_or("none")
            );
            self.emit("pattern-changed", sev, msg, op, np);
        }
        if os.format != ns.format {
            let msg = format!(
                "`{label}` format changed from {} to {}",
                os.format.as_deref().unwrap_or("none"),
                ns.format.as_deref().unwrap_or("none")
            );
            self.emit("format-changed", Severity::Warning, msg, op, np);
        }
    }

    fn properties(&mut self, os: &Shape<'a>, ns: &Shape<'a>, op: &str, np: &str, label: &str) {
        let skip_flag = match self.dir {
            Dir::Request => "readOnly",
            Dir::Response => "writeOnly",
        };
        let (oreq, nreq) = (os.always_required(), ns.always_required());
        // Whether a per-property finding already tells that the `required`
        // constraint narrowed or widened.
        let (mut narrowed, mut widened) = (false, false);
        for (name, oprop) in &os.props {
            let path = format!("{label}.{name}");
            match ns.props.get(name) {
                Some(nprop) => {
                    let was = oreq.contains(name);
                    let is = nreq.contains(name);
                    let hidden =
                        flag(self.old, oprop, skip_flag) || flag(self.new, nprop, skip_flag);
                    self.flips(oprop, nprop, &path);
                    if was != is && !hidden {
                        let (rule, sev, what) = match (is, self.dir) {
                            (true, Dir::Request) => {
                                ("property-made-required", Severity::Breaking, "required")
                            }
                            (true, Dir::Response) => {
                                ("property-made-required", Severity::Info, "required")
                            }
                            (false, Dir::Request) => {
                                ("property-made-optional", Severity::Info, "optional")
                            }
                            (false, Dir::Response) => {
                                ("property-made-optional", Severity::Breaking, "optional")
                            }
                        };
                        narrowed |= is;
                        widened |= !is;
                        let msg = format!("property `{path}` made {what}");
                        self.emit(rule, sev, msg, &oprop.node().ptr, &nprop.node().ptr);
                    }
                    self.compare_sub(oprop, nprop, &path);
                }
                None => {
                    if flag(self.old, oprop, skip_flag) {
                        continue;
                    }
                    let sev = match self.dir {
                        Dir::Request => Severity::Warning,
                        Dir::Response => Severity::Breaking,
                    };
                    let msg = format!("property `{path}` removed");
                    self.emit("property-removed", sev, msg, &oprop.node().ptr, np);
                }
            }
        }
        for (name, nprop) in &ns.props {
            if os.props.contains_key(name) || flag(self.new, nprop, skip_flag) {
                continue;
            }
            let path = format!("{label}.{name}");
            let ptr = &nprop.node().ptr;
            if self.dir == Dir::Request && nreq.contains(name) {
                narrowed = true;
                let msg = format!("required property `{path}` added");
                self.emit("property-added-required", Severity::Breaking, msg, op, ptr);
            } else {
                let msg = format!("property `{path}` added");
                self.emit("property-added", Severity::Info, msg, op, ptr);
            }
        }
        if !os.required_any.is_empty() || !ns.required_any.is_empty() {
            self.required_alternatives(os, ns, (narrowed, widened), op, np, label);
        }
    }

    /// A property's `readOnly`/`writeOnly`/`deprecated` changed: in a
    /// request a property turned read-only may no longer be sent; in a
    /// response one turned write-only is no longer returned.
    fn flips(&mut self, o: &Sub<'a>, n: &Sub<'a>, path: &str) {
        let (op, np) = (o.node().ptr.clone(), n.node().ptr.clone());
        let key = match self.dir {
            Dir::Request => "readOnly",
            Dir::Response => "writeOnly",
        };
        let (was, is) = (flag(self.old, o, key), flag(self.new, n, key));
        let what = match self.dir {
            Dir::Request => "read-only",
            Dir::Response => "write-only",
        };
        if !was && is {
            let (sev, why) = match self.dir {
                Dir::Request => (
                    Severity::Warning,
                    "clients sending it may be refused or ignored",
                ),
                Dir::Response => (Severity::Breaking, "it is no longer returned"),
            };
            let msg = format!("property `{path}` became {what}: {why}");
            self.emit(&format!("property-became-{what}"), sev, msg, &op, &np);
        } else if was && !is {
            let msg = format!("property `{path}` is no longer {what}");
            self.emit(
                &format!("property-no-longer-{what}"),
                Severity::Info,
                msg,
                &op,
                &np,
            );
        }
        let (was, is) = (
            flag(self.old, o, "deprecated"),
            flag(self.new, n, "deprecated"),
        );
        if !was && is {
            let msg = format!("property `{path}` deprecated");
            self.emit("property-deprecated", Severity::Info, msg, &op, &np);
        } else if was && !is {
            let msg = format!("property `{path}` no longer deprecated");
            self.emit("property-undeprecated", Severity::Info, msg, &op, &np);
        }
    }

    /// `anyOf: [{required: [a]}, {required: [b, c]}]`: reports a change of
    /// which property sets must be present that no per-property finding
    /// already told.
    fn required_alternatives(
        &mut self,
        os: &Shape<'a>,
        ns: &Shape<'a>,
        told: (bool, bool),
        op: &str,
        np: &str,
        label: &str,
    ) {
        let (ot, nt) = (os.required_terms(), ns.required_terms());
        let narrowed = !implies(&ot, &nt) && !told.0;
        let widened = !implies(&nt, &ot) && !told.1;
        let sev = match (narrowed, widened) {
            (false, false) => return,
            (true, true) => Severity::Breaking,
            (true, false) => self.dir.narrowing(),
            (false, true) => self.dir.widening(Severity::Breaking),
        };
        let msg = format!(
            "`{label}` required properties changed from {} to {}",
            terms(&ot),
            terms(&nt)
        );
        self.emit("required-alternatives-changed", sev, msg, op, np);
    }

    /// Would these two alternatives compare without a single finding?
    fn equivalent(&self, o: &Alt<'a>, n: &Alt<'a>) -> bool {
        let mut sub = SchemaDiff::new(
            self.old,
            self.new,
            self.dir,
            self.prefix,
            String::new(),
            self.memo,
        );
        sub.stack = self.stack.clone();
        sub.compare_alt(o, &o.shape, n, &n.shape, "");
        // What the answer depended on, this comparison depends on too.
        self.cut(sub.low.get());
        sub.findings.is_empty()
    }

    /// Matches `oneOf`/`anyOf` alternatives, never by position: by ref name,
    /// then by meaning (no finding between them), then by inclusion (an
    /// alternative kept when one on the other side accepts everything it
    /// did: several may merge into one wider alternative, or one split into
    /// narrower ones), then the changed ones by likeness. What is left is
    /// added or removed.
    fn variants(&mut self, ov: &[Alt<'a>], nv: &[Alt<'a>], op: &str, np: &str, label: &str) {
        let mut o_done = vec![false; ov.len()];
        let mut n_done = vec![false; nv.len()];
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for (i, o) in ov.iter().enumerate() {
            let Some(name) = direct_ref(&o.raw) else {
                continue;
            };
            if let Some(j) =
                (0..nv.len()).find(|&j| !n_done[j] && direct_ref(&nv[j].raw) == Some(name))
            {
                n_done[j] = true;
                o_done[i] = true;
                pairs.push((i, j));
            }
        }
        for i in 0..ov.len() {
            if o_done[i] {
                continue;
            }
            if let Some(j) = (0..nv.len()).find(|&j| !n_done[j] && self.equivalent(&ov[i], &nv[j]))
            {
                n_done[j] = true;
                o_done[i] = true;
            }
        }
        // Inclusion: old alternatives merged into a wider new one, new
        // alternatives split from a wider old one.
        let mut merged: Vec<Vec<usize>> = vec![Vec::new(); nv.len()];
        let mut split: Vec<Vec<usize>> = vec![Vec::new(); ov.len()];
        for i in 0..ov.len() {
            if o_done[i] {
                continue;
            }
            let wider = |j: usize| accepts(self.new, &nv[j].shape, self.old, &ov[i].shape);
            let hit = (0..nv.len())
                .find(|&j| !n_done[j] && wider(j))
                .or_else(|| (0..nv.len()).find(|&j| !merged[j].is_empty() && wider(j)));
            if let Some(j) = hit {
                o_done[i] = true;
                merged[j].push(i);
            }
        }
        for j in 0..nv.len() {
            if n_done[j] || !merged[j].is_empty() {
                continue;
            }
            let narrower = |i: usize| accepts(self.old, &ov[i].shape, self.new, &nv[j].shape);
            let hit = (0..ov.len())
                .find(|&i| !o_done[i] && narrower(i))
                .or_else(|| (0..ov.len()).find(|&i| !split[i].is_empty() && narrower(i)));
            if let Some(i) = hit {
                n_done[j] = true;
                split[i].push(j);
            }
        }
        for (j, olds) in merged.iter().enumerate() {
            n_done[j] |= !olds.is_empty();
        }
        for (i, news) in split.iter().enumerate() {
            o_done[i] |= !news.is_empty();
        }
        // The changed ones, most alike first; a lone pair is always paired.
        let olds: Vec<usize> = (0..ov.len()).filter(|&i| !o_done[i]).collect();
        let news: Vec<usize> = (0..nv.len()).filter(|&j| !n_done[j]).collect();
        if olds.len() == 1 && news.len() == 1 {
            pairs.push((olds[0], news[0]));
            o_done[olds[0]] = true;
            n_done[news[0]] = true;
        } else {
            let mut scored: Vec<(f64, usize, usize)> = Vec::new();
            for &i in &olds {
                for &j in &news {
                    if let Some(x) = similarity(&ov[i].shape, &nv[j].shape) {
                        scored.push((x, i, j));
                    }
                }
            }
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            for (_, i, j) in scored {
                if !o_done[i] && !n_done[j] {
                    o_done[i] = true;
                    n_done[j] = true;
                    pairs.push((i, j));
                }
            }
        }
        let start = self.findings.len();
        let mut compared: Vec<(&str, &str)> = Vec::new();
        for (i, news) in split.iter().enumerate() {
            for &j in news {
                compared.push((&ov[i].node.ptr, &nv[j].node.ptr));
            }
        }
        for (j, olds) in merged.iter().enumerate() {
            for &i in olds {
                compared.push((&ov[i].node.ptr, &nv[j].node.ptr));
            }
        }
        for &(i, j) in &pairs {
            compared.push((&ov[i].node.ptr, &nv[j].node.ptr));
        }
        for (i, j) in pairs {
            self.compare_alt(&ov[i], &ov[i].shape, &nv[j], &nv[j].shape, label);
        }
        for (j, olds) in merged.iter().enumerate() {
            match olds.as_slice() {
                [] => {}
                [i] => self.compare_alt(&ov[*i], &ov[*i].shape, &nv[j], &nv[j].shape, label),
                _ => self.merged(olds.iter().map(|&i| &ov[i]), &nv[j], true, op, label),
            }
        }
        for (i, news) in split.iter().enumerate() {
            match news.as_slice() {
                [] => {}
                [j] => self.compare_alt(&ov[i], &ov[i].shape, &nv[*j], &nv[*j].shape, label),
                _ => self.merged(news.iter().map(|&j| &nv[j]), &ov[i], false, op, label),
            }
        }
        self.hoist(start, &compared, op, np);
        for i in (0..ov.len()).filter(|&i| !o_done[i]) {
            let msg = format!(
                "`{label}` alternative {} removed",
                variant_name(&ov[i].raw, i)
            );
            let sev = self.dir.narrowing();
            self.emit("variant-removed", sev, msg, &ov[i].raw.ptr, np);
        }
        for j in (0..nv.len()).filter(|&j| !n_done[j]) {
            let msg = format!(
                "`{label}` alternative {} added",
                variant_name(&nv[j].raw, j)
            );
            let sev = self.dir.widening(Severity::Warning);
            self.emit("variant-added", sev, msg, op, &nv[j].raw.ptr);
        }
    }

    /// A change of the parent's own keywords (`additionalProperties: false`
    /// beside a `oneOf`...) shows in every pair of alternatives compared
    /// since `start`, at the alternatives' own pointers: told once, at the
    /// parent's pointers `op`/`np`.
    fn hoist(&mut self, start: usize, compared: &[(&str, &str)], op: &str, np: &str) {
        if compared.len() < 2 {
            return;
        }
        let at_alt = |f: &Finding| {
            compared
                .iter()
                .position(|(o, n)| f.old.as_deref() == Some(*o) && f.new.as_deref() == Some(*n))
        };
        let mut seen: Vec<(String, String, Vec<usize>)> = Vec::new();
        for f in &self.findings[start..] {
            if let Some(k) = at_alt(f) {
                match seen
                    .iter_mut()
                    .find(|(r, m, _)| *r == f.rule && *m == f.message)
                {
                    Some((_, _, ks)) if !ks.contains(&k) => ks.push(k),
                    Some(_) => {}
                    None => seen.push((f.rule.clone(), f.message.clone(), vec![k])),
                }
            }
        }
        let everywhere: Vec<(String, String)> = seen
            .into_iter()
            .filter(|(_, _, ks)| ks.len() == compared.len())
            .map(|(r, m, _)| (r, m))
            .collect();
        if everywhere.is_empty() {
            return;
        }
        let mut kept = Vec::new();
        let mut hoisted: Vec<Finding> = Vec::new();
        for f in self.findings.drain(start..) {
            let common = everywhere
                .iter()
                .any(|(r, m)| *r == f.rule && *m == f.message);
            if common && at_alt(&f).is_some() {
                if !hoisted
                    .iter()
                    .any(|h| h.rule == f.rule && h.message == f.message)
                {
                    hoisted.push(f.at(Some(op), Some(np)));
                }
            } else {
                kept.push(f);
            }
        }
        self.findings.extend(kept);
        self.findings.extend(hoisted);
    }

    /// Several alternatives `parts` merged into the one wider alternative
    /// `whole` (`merge`: old parts, new whole), or split from it (new parts,
    /// old whole). Each part is compared with the whole cut down to the part's
    /// types; what the whole has beyond all its parts' types is a type change.
    fn merged<'p>(
        &mut self,
        parts: impl Iterator<Item = &'p Alt<'a>>,
        whole: &Alt<'a>,
        merge: bool,
        op: &str,
        label: &str,
    ) where
        'a: 'p,
    {
        let mut union: Option<BTreeSet<String>> = Some(BTreeSet::new());
        for part in parts {
            let cut = match &part.shape.types {
                Some(t) => whole.shape.restricted(t),
                None => whole.shape.clone(),
            };
            union = match (union, &part.shape.types) {
                (Some(mut u), Some(t)) => {
                    u.extend(t.iter().cloned());
                    Some(u)
                }
                _ => None,
            };
            if merge {
                self.compare_alt(part, &part.shape, whole, &cut, label);
            } else {
                self.compare_alt(whole, &cut, part, &part.shape, label);
            }
        }
        if union != whole.shape.types && !covers(&union, &whole.shape.types) {
            let (from, to) = if merge {
                (&union, &whole.shape.types)
            } else {
                (&whole.shape.types, &union)
            };
            let sev = if merge {
                self.dir.widening(Severity::Breaking)
            } else {
                self.dir.narrowing()
            };
            let msg = format!(
                "`{label}` type changed from {} to {}",
                types_label(from),
                types_label(to)
            );
            let (o, n) = if merge {
                (op.to_owned(), whole.raw.ptr.clone())
            } else {
                (whole.raw.ptr.clone(), op.to_owned())
            };
            self.emit("type-changed", sev, msg, &o, &n);
        }
    }
}

/// A keyword that holds a schema, as findings name it.
struct Keyword {
    /// How a message names it: `` `contains` ``, `` `patternProperties` `^x-` ``.
    what: String,
    /// The label of the schema it holds (`body.tags{contains}`).
    label: String,
    /// Adding it lets more values in (a pattern of a closed object).
    opens: bool,
}

/// One alternative of a schema: a `oneOf`/`anyOf` branch combined with the
/// parent's own keywords, or the whole schema when it has no branches.
pub(crate) struct Alt<'a> {
    /// The branch as written (a `$ref` is matched by name).
    raw: Node<'a>,
    /// The branch with refs followed.
    node: Node<'a>,
    /// The component name, when the branch is a ref.
    name: Option<String>,
    shape: Shape<'a>,
}

/// The alternatives of a schema `shape` at `node`, and whether it allows `null`.
fn alternatives<'a>(doc: Doc<'a>, shape: &Shape<'a>, node: &Node<'a>) -> (Vec<Alt<'a>>, bool) {
    let (shapes, nullable) = shape.alternatives(doc);
    if shape.variants.is_empty() {
        let alts = shapes
            .into_iter()
            .map(|s| Alt {
                raw: node.clone(),
                node: node.clone(),
                name: None,
                shape: s,
            })
            .collect();
        return (alts, nullable);
    }
    let alts = shape
        .variants
        .iter()
        .zip(shapes)
        .map(|(raw, s)| {
            let (node, name) = doc.resolve(raw.clone());
            Alt {
                raw: raw.clone(),
                node,
                name,
                shape: s,
            }
        })
        .collect();
    (alts, nullable)
}

fn terms(ts: &[BTreeSet<String>]) -> String {
    ts.iter()
        .map(|t| format!("[{}]", t.iter().cloned().collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The component name of a node that is a bare `$ref`.
fn direct_ref<'v>(node: &Node<'v>) -> Option<&'v str> {
    let r = node.v.get("$ref")?.as_str()?;
    Some(r.rsplit('/').next().unwrap_or(r))
}

fn variant_name(node: &Node<'_>, index: usize) -> String {
    match direct_ref(node) {
        Some(name) => format!("`{name}`"),
        None => match node.v.get("type").and_then(Value::as_str) {
            Some(t) => format!("#{index} ({t})"),
            None => format!("#{index}"),
        },
    }
}

fn show(v: &Value) -> String {
    v.to_string()
}

fn list(values: &[Value]) -> String {
    values.iter().map(show).collect::<Vec<_>>().join(", ")
}

fn num(x: Option<&f64>) -> String {
    match x {
        None => "none".to_owned(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        Some(x) => x.to_string(),
    }
}
