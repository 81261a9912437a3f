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
    let (olds, news) = scopes(pair, &olds, &news, (op, np), out);
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

/// Alternatives naming the same schemes on both sides whose scopes
/// changed: more scopes break clients whose tokens lack them, fewer break
/// no one. Returns the alternatives left to compare as wholes.
fn scopes(
    pair: &Pair<'_, '_>,
    olds: &[Alternative],
    news: &[Alternative],
    (op, np): (Option<&str>, Option<&str>),
    out: &mut Vec<Finding>,
) -> (Vec<Alternative>, Vec<Alternative>) {
    let names = |a: &Alternative| a.keys().cloned().collect::<Vec<_>>();
    let mut olds = olds.to_vec();
    let mut news = news.to_vec();
    let mut i = 0;
    while i < olds.len() {
        let o = &olds[i];
        let twin = (!news.contains(o))
            .then(|| {
                news.iter()
                    .position(|n| !olds.contains(n) && names(n) == names(o) && !o.is_empty())
            })
            .flatten();
        let Some(j) = twin else {
            i += 1;
            continue;
        };
        let n = news.remove(j);
        let o = olds.remove(i);
        for (scheme, os) in &o {
            let ns = &n[scheme];
            for s in ns.difference(os) {
                let msg = format!(
                    "`{scheme}` now needs scope `{s}` too: tokens granted without it are refused"
                );
                out.push(pair.finding("security-scope-added", Severity::Breaking, msg, op, np));
            }
            for s in os.difference(ns) {
                let msg = format!("`{scheme}` no longer needs scope `{s}`");
                out.push(pair.finding("security-scope-removed", Severity::Info, msg, op, np));
            }
        }
    }
    (olds, news)
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
        if oi == ni {
            flows(name, &o, &n, out);
        }
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

/// The URLs of an OAuth flow or an OpenID Connect scheme.
const URLS: [&str; 4] = [
    "authorizationUrl",
    "tokenUrl",
    "refreshUrl",
    "openIdConnectUrl",
];

/// OAuth 2 flows of one scheme on both sides: a flow removed breaks the
/// clients using it, a URL moved breaks clients configured with it, a
/// scope removed breaks clients asking for it.
fn flows(name: &str, o: &Node<'_>, n: &Node<'_>, out: &mut Vec<Finding>) {
    let mut push = |rule: &str, sev: Severity, msg: String, op: &str, np: &str| {
        out.push(Finding::new(rule, sev, msg).at(Some(op), Some(np)));
    };
    url_changes(name, "", o, n, &mut push);
    let (Some(of), Some(nf)) = (o.get("flows"), n.get("flows")) else {
        return;
    };
    let news: BTreeMap<_, _> = nf.children().into_iter().collect();
    for (flow, ofl) in of.children() {
        let Some(nfl) = news.get(flow) else {
            let msg = format!("OAuth flow `{flow}` of `{name}` removed");
            push(
                "security-oauth-flow-removed",
                Severity::Breaking,
                msg,
                &ofl.ptr,
                &nf.ptr,
            );
            continue;
        };
        url_changes(name, flow, &ofl, nfl, &mut push);
        let scopes = |f: &Node<'_>| -> BTreeSet<String> {
            f.v.get("scopes")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (os, ns) = (scopes(&ofl), scopes(nfl));
        for s in os.difference(&ns) {
            let msg = format!("scope `{s}` removed from the `{flow}` flow of `{name}`: clients asking for it are refused");
            push(
                "security-oauth-scope-removed",
                Severity::Breaking,
                msg,
                &ofl.ptr,
                &nfl.ptr,
            );
        }
        for s in ns.difference(&os) {
            let msg = format!("scope `{s}` added to the `{flow}` flow of `{name}`");
            push(
                "security-oauth-scope-added",
                Severity::Info,
                msg,
                &ofl.ptr,
                &nfl.ptr,
            );
        }
    }
    let olds: BTreeSet<&String> = of.children().into_iter().map(|(k, _)| k).collect();
    for (flow, nfl) in &news {
        if !olds.contains(flow) {
            let msg = format!("OAuth flow `{flow}` added to `{name}`");
            push(
                "security-oauth-flow-added",
                Severity::Info,
                msg,
                &of.ptr,
                &nfl.ptr,
            );
        }
    }
}

fn url_changes(
    name: &str,
    flow: &str,
    o: &Node<'_>,
    n: &Node<'_>,
    push: &mut impl FnMut(&str, Severity, String, &str, &str),
) {
    for key in URLS {
        let (a, b) = (o.str(key), n.str(key));
        if a != b {
            let whose = if flow.is_empty() {
                format!("`{name}`")
            } else {
                format!("the `{flow}` flow of `{name}`")
            };
            let msg = format!(
                "{key} of {whose} changed from {} to {}",
                a.unwrap_or("none"),
                b.unwrap_or("none")
            );
            push(
                "security-oauth-url-changed",
                Severity::Warning,
                msg,
                &o.ptr,
                &n.ptr,
            );
        }
    }
}
