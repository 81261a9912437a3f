//! Comparing two schemas in a direction: requests break when they narrow,
//! responses break when they widen.

use serde_json::Value;

use std::collections::BTreeSet;

use super::shape::{accepts, covers, flag, implies, similarity, types_label, Shape, Sub, LOWER, UPPER};
use crate::doc::{Doc, Node};
use crate::finding::{Finding, Severity};

/// How deep schema comparison goes (a guard besides ref-cycle detection).
const MAX_STACK: usize = 64;

/// Which way data flows through the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// One schema comparison: collects findings whose rule ids start with
/// `prefix` (`request-body`, `response`, `request-parameter`).
pub(crate) struct SchemaDiff<'a> {
    old: Doc<'a>,
    new: Doc<'a>,
    dir: Dir,
    prefix: &'static str,
    op: String,
    stack: Vec<(String, String)>,
    /// The findings so far.
    pub findings: Vec<Finding>,
}

impl<'a> SchemaDiff<'a> {
    pub fn new(old: Doc<'a>, new: Doc<'a>, dir: Dir, prefix: &'static str, op: String) -> Self {
        SchemaDiff {
            old,
            new,
            dir,
            prefix,
            op,
            stack: Vec::new(),
            findings: Vec::new(),
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
            return;
        }
        let (o, oname) = self.old.resolve(old);
        let (n, nname) = self.new.resolve(new);
        let key = (o.ptr.clone(), n.ptr.clone());
        if self.stack.contains(&key) {
            return;
        }
        let label = nname.or(oname).unwrap_or_else(|| label.to_owned());
        self.stack.push(key);
        let os = Shape::of(self.old, o.clone());
        let ns = Shape::of(self.new, n.clone());
        self.shapes(&os, &ns, &o, &n, &label);
        self.stack.pop();
    }

    /// Compares two sub-schemas (a property, `items`...), each one node or
    /// several that hold at once.
    fn compare_sub(&mut self, old: &Sub<'a>, new: &Sub<'a>, label: &str) {
        if old.nodes().len() == 1 && new.nodes().len() == 1 {
            self.compare(old.node().clone(), new.node().clone(), label);
            return;
        }
        if self.stack.len() >= MAX_STACK {
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
        if self.stack.contains(&key) {
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
    fn compare_alt(&mut self, o: &Alt<'a>, os: &Shape<'a>, n: &Alt<'a>, ns: &Shape<'a>, label: &str) {
        if self.stack.len() >= MAX_STACK {
            return;
        }
        let key = (o.node.ptr.clone(), n.node.ptr.clone());
        if self.stack.contains(&key) {
            return;
        }
        let label = n.name.clone().or_else(|| o.name.clone()).unwrap_or_else(|| label.to_owned());
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
        if !os.variants.is_empty() || !ns.variants.is_empty() {
            // Alternatives on either side: compare the alternatives, each
            // with its parent's own keywords, and nullability once.
            let (ov, onull) = alternatives(self.old, os, o);
            let (nv, nnull) = alternatives(self.new, ns, n);
            self.nullability(onull, nnull, op, np, label);
            self.variants(&ov, &nv, op, np, label);
            return;
        }
        if os.types != ns.types {
            let sev = if covers(&ns.types, &os.types) {
                self.dir.widening(Severity::Breaking)
            } else if covers(&os.types, &ns.types) {
                self.dir.narrowing()
            } else {
                Severity::Breaking
            };
            let msg = format!(
                "`{label}` type changed from {} to {}",
                types_label(&os.types),
                types_label(&ns.types)
            );
            self.emit("type-changed", sev, msg, op, np);
        }
        self.nullability(os.nullable, ns.nullable, op, np, label);
        self.enums(os, ns, op, np, label);
        self.bounds(os, ns, op, np, label);
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
        match (&os.enumv, &ns.enumv) {
            (Some(ov), Some(nv)) => {
                for v in ov.iter().filter(|v| !nv.contains(v)) {
                    let msg = format!("`{label}` enum value {} removed", show(v));
                    let sev = self.dir.narrowing();
                    self.emit("enum-value-removed", sev, msg, op, np);
                }
                for v in nv.iter().filter(|v| !ov.contains(v)) {
                    let msg = format!("`{label}` enum value {} added", show(v));
                    let sev = self.dir.widening(Severity::Warning);
                    self.emit("enum-value-added", sev, msg, op, np);
                }
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
                if tightened {
                    let sev = self.dir.narrowing();
                    self.emit("constraint-tightened", sev, msg, op, np);
                } else {
                    let sev = self.dir.widening(Severity::Warning);
                    self.emit("constraint-relaxed", sev, msg, op, np);
                }
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
        for (name, oprop) in &os.props {
            let path = format!("{label}.{name}");
            match ns.props.get(name) {
                Some(nprop) => {
                    let was = os.required.contains(name);
                    let is = ns.required.contains(name);
                    let hidden =
                        flag(self.old, oprop, skip_flag) || flag(self.new, nprop, skip_flag);
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
                        let msg = format!("property `{path}` made {what}");
                        self.emit(rule, sev, msg, &oprop.ptr, &nprop.ptr);
                    }
                    self.compare(oprop.clone(), nprop.clone(), &path);
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
                    self.emit("property-removed", sev, msg, &oprop.ptr, np);
                }
            }
        }
        for (name, nprop) in &ns.props {
            if os.props.contains_key(name) || flag(self.new, nprop, skip_flag) {
                continue;
            }
            let path = format!("{label}.{name}");
            if self.dir == Dir::Request && ns.required.contains(name) {
                let msg = format!("required property `{path}` added");
                self.emit(
                    "property-added-required",
                    Severity::Breaking,
                    msg,
                    op,
                    &nprop.ptr,
                );
            } else {
                let msg = format!("property `{path}` added");
                self.emit("property-added", Severity::Info, msg, op, &nprop.ptr);
            }
        }
    }

    /// Would these two schemas compare without a single finding?
    fn equivalent(&self, old: &Node<'a>, new: &Node<'a>) -> bool {
        let mut sub = SchemaDiff::new(self.old, self.new, self.dir, self.prefix, String::new());
        sub.stack = self.stack.clone();
        sub.compare(old.clone(), new.clone(), "");
        sub.findings.is_empty()
    }

    /// Matches `oneOf`/`anyOf` branches by ref name, then by meaning, never
    /// by position; unmatched branches are added or removed alternatives.
    fn variants(&mut self, ov: &[Node<'a>], nv: &[Node<'a>], op: &str, np: &str, label: &str) {
        let mut new_used = vec![false; nv.len()];
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut left: Vec<usize> = Vec::new();
        for (i, o) in ov.iter().enumerate() {
            let name = direct_ref(o);
            let hit = name.and_then(|name| {
                (0..nv.len()).find(|&j| !new_used[j] && direct_ref(&nv[j]) == Some(name))
            });
            match hit {
                Some(j) => {
                    new_used[j] = true;
                    pairs.push((i, j));
                }
                None => left.push(i),
            }
        }
        let mut still: Vec<usize> = Vec::new();
        for i in left {
            let hit = (0..nv.len()).find(|&j| !new_used[j] && self.equivalent(&ov[i], &nv[j]));
            match hit {
                Some(j) => new_used[j] = true,
                None => still.push(i),
            }
        }
        let free: Vec<usize> = (0..nv.len()).filter(|&j| !new_used[j]).collect();
        if still.len() == 1 && free.len() == 1 {
            pairs.push((still[0], free[0]));
            new_used[free[0]] = true;
            still.clear();
        }
        for (i, j) in pairs {
            self.compare(ov[i].clone(), nv[j].clone(), label);
        }
        for i in still {
            let msg = format!("`{label}` alternative {} removed", variant_name(&ov[i], i));
            let sev = self.dir.narrowing();
            self.emit("variant-removed", sev, msg, &ov[i].ptr, np);
        }
        for j in (0..nv.len()).filter(|&j| !new_used[j]) {
            let msg = format!("`{label}` alternative {} added", variant_name(&nv[j], j));
            let sev = self.dir.widening(Severity::Warning);
            self.emit("variant-added", sev, msg, op, &nv[j].ptr);
        }
    }
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
