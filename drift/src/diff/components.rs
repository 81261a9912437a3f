//! Components renamed: the diff follows refs, so a renamed schema is no
//! change on the wire; generated clients rename the type, though.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::doc::{escape, ref_name, Doc};
use crate::finding::{Finding, Severity};

/// How deep the walk for refs goes.
const MAX_WALK: usize = 256;

/// `(kind, name)` of a `#/components/KIND/NAME` ref.
fn target(reference: &str) -> Option<(&str, String)> {
    let rest = reference.strip_prefix("#/components/")?;
    let (kind, name) = rest.split_once('/')?;
    (!name.contains('/')).then(|| (kind, ref_name(name)))
}

/// Every place that refs one of the components `wanted`: the pointer of
/// the object holding the `$ref`, and the component. Pointers are built
/// only for those places.
fn sites<'v>(
    root: &'v Value,
    wanted: &HashSet<(&str, &str)>,
) -> HashMap<String, (&'v str, String)> {
    fn walk<'v>(
        v: &'v Value,
        path: &mut Vec<String>,
        wanted: &HashSet<(&str, &str)>,
        out: &mut HashMap<String, (&'v str, String)>,
    ) {
        if path.len() > MAX_WALK {
            return;
        }
        match v {
            Value::Object(m) => {
                if let Some((kind, name)) = m.get("$ref").and_then(Value::as_str).and_then(target) {
                    if wanted.contains(&(kind, name.as_str())) {
                        out.insert(format!("#{}", path.concat()), (kind, name));
                    }
                }
                for (k, child) in m {
                    if child.is_object() || child.is_array() {
                        path.push(format!("/{}", escape(k)));
                        walk(child, path, wanted, out);
                        path.pop();
                    }
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    if child.is_object() || child.is_array() {
                        path.push(format!("/{i}"));
                        walk(child, path, wanted, out);
                        path.pop();
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    walk(root, &mut Vec::new(), wanted, &mut out);
    out
}

fn declared<'v>(doc: Doc<'v>) -> HashSet<(&'v str, &'v str)> {
    let mut out = HashSet::new();
    if let Some(Value::Object(kinds)) = doc.root.get("components") {
        for (kind, items) in kinds {
            if let Value::Object(items) = items {
                for name in items.keys() {
                    out.insert((kind.as_str(), name.as_str()));
                }
            }
        }
    }
    out
}

/// Components the old document has and the new one lacks, whose refs now
/// point at a component the new document added: renamed.
pub(crate) fn renames(old: Doc<'_>, new: Doc<'_>, out: &mut Vec<Finding>) {
    let (od, nd) = (declared(old), declared(new));
    let gone: HashSet<(&str, &str)> = od.difference(&nd).copied().collect();
    let came: HashSet<(&str, &str)> = nd.difference(&od).copied().collect();
    if gone.is_empty() || came.is_empty() {
        return;
    }
    let (os, ns) = (sites(old.root, &gone), sites(new.root, &came));
    // Votes: old component -> new component -> places that moved.
    let mut votes: BTreeMap<(String, String), BTreeMap<String, usize>> = BTreeMap::new();
    for (ptr, (kind, a)) in &os {
        let Some((k2, b)) = ns.get(ptr) else {
            continue;
        };
        if kind != k2 || a == b {
            continue;
        }
        *votes
            .entry(((*kind).to_owned(), a.clone()))
            .or_default()
            .entry(b.clone())
            .or_default() += 1;
    }
    let mut taken = HashSet::new();
    for ((kind, a), to) in votes {
        let Some((b, _)) = to
            .iter()
            .filter(|(b, _)| !taken.contains(&(kind.clone(), (*b).clone())))
            .max_by(|x, y| x.1.cmp(y.1).then_with(|| y.0.cmp(x.0)))
        else {
            continue;
        };
        taken.insert((kind.clone(), b.clone()));
        let msg = format!(
            "component `{a}` renamed to `{b}` ({kind}): the same on the wire, but generated clients rename the type"
        );
        let (op, np) = (
            format!("#/components/{}/{}", escape(&kind), escape(&a)),
            format!("#/components/{}/{}", escape(&kind), escape(b)),
        );
        out.push(Finding::new("component-renamed", Severity::Info, msg).at(Some(&op), Some(&np)));
    }
}
