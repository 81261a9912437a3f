//! Security requirements and security schemes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Pair;
use crate::doc::{Doc, Node, Operation};
use crate::finding::{Finding, Severity};

/// One alternative of a security requirement: scheme name to sorted scopes.
pub(crate) type Alternative = BTreeMap<String, BTreeSet<String>>;

/// The effective requirement of an operation (its own `security`, else the
/// root one) and the pointer it comes from.
pub(crate) fn effective<'a>(
    doc: Doc<'a>,
    op: &Operation<'a>,
) -> (Vec<Alternative>, Option<String>) {
    let node = op
        .node
        .get("security")
        .or_else(|| doc.node().get("security"));
    let Some(node) = node else {
        return (Vec::new(), None);
    };
    let mut alts = Vec::new();
    if let Value::Array(items) = node.v {
        for item in items {
            let mut alt = Alternative::new();
            if let Value::Object(m) = item {
                for (name, scopes) in m {
                    let scopes = scopes
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default();
                    alt.insert(name.clone(), scopes);
                }
            }
            if !alts.contains(&alt) {
                alts.push(alt);
            }
        }
    }
    (alts, Some(node.ptr))
}

/// Does the requirement let anonymous callers in?
fn anonymous(alts: &[Alternative]) -> bool {
    alts.is_empty() || alts.iter().any(BTreeMap::is_empty)
}

fn show(alt: &Alternative) -> String {
    alt.iter()
        .map(|(name, scopes)| {
            if scopes.is_empty() {
                name.clone()
            } else {
                format!(
                    "{name}[{}]",
                    scopes.iter().cloned().collect::<Vec<_>>().join(",")
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Compares the security requirements of two matched operations.
pub(crate) fn requirements(pair: &Pair<'_, '_>, out: &mut Vec<Finding>) {
    let (olds, optr) = effective(pair.old, pair.o);
    let (news, nptr) = effective(pair.new, pair.n);
    let (op, np) = (optr.as_deref(), nptr.as_deref());
    let (was_anon, is_anon) = (anonymous(&olds), anonymous(&news));
    if was_anon && !is_anon {
        let all = news.iter().map(show).collect::<Vec<_>>().join(" or ");
        let msg = format!("operation now requires authentication ({all})");
        out.push(pair.finding("security-added", Severity::Breaking, msg, op, np));
    } else {
        for alt in news.iter().filter(|a| !a.is_empty() && !olds.contains(a)) {
            let msg = format!("security requirement {} added as an alternative", show(alt));
            out.push(pair.finding("security-added", Severity::Info, msg, op, np));
        }
    }
    if !was_anon && is_anon {
        let msg = "operation no longer requires authentication".to_owned();
        out.push(pair.finding("security-removed", Severity::Info, msg, op, np));
    } else {
        for alt in olds.iter().filter(|a| !a.is_empty() && !news.contains(a)) {
            let msg = format!("security requirement {} removed", show(alt));
            out.push(pair.finding("security-removed", Severity::Breaking, msg, op, np));
        }
    }
}

/// The fields of a security scheme that clients depend on.
fn scheme_identity(node: &Node<'_>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for key in ["type", "in", "name", "scheme"] {
        if let Some(v) = node.str(key) {
            let v = if key == "name" && node.str("in") != Some("header") {
                v.to_owned()
            } else {
                v.to_ascii_lowercase()
            };
            out.push((key, v));
        }
    }
    out
}

fn find(doc: Doc<'_>) -> Option<Node<'_>> {
    doc.node()
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
}

/// Compares the security schemes both documents declare.
pub(crate) fn schemes(old: Doc<'_>, new: Doc<'_>, out: &mut Vec<Finding>) {
    let (Some(os), Some(ns)) = (find(old), find(new)) else {
        return;
    };
    let news: BTreeMap<_, _> = ns.children().into_iter().collect();
    for (name, o) in os.children() {
        let Some(n) = news.get(name).cloned() else {
            continue;
        };
        let (o, n) = (old.resolve(o).0, new.resolve(n).0);
        let (oi, ni) = (scheme_identity(&o), scheme_identity(&n));
        if oi != ni {
            let fmt = |i: &[(&str, String)]| {
                i.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            out.push(
                Finding::new(
                    "security-scheme-changed",
                    Severity::Breaking,
                    format!(
                        "security scheme `{name}` changed from {} to {}",
                        fmt(&oi),
                        fmt(&ni)
                    ),
                )
                .at(Some(&o.ptr), Some(&n.ptr)),
            );
        }
    }
}
