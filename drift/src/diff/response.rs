//! Responses: statuses, bodies, headers.

use std::collections::BTreeMap;

use super::request::media;
use super::{Dir, Pair};
use crate::doc::{is_success, Doc, Node, Operation};
use crate::finding::{Finding, Severity};

/// The responses of an operation by status key (refs resolved; `2xx` and
/// `2XX` are one key).
pub(crate) fn statuses<'a>(doc: Doc<'a>, op: &Operation<'a>) -> BTreeMap<String, Node<'a>> {
    op.node
        .entries("responses")
        .into_iter()
        .map(|(k, v)| (k.to_ascii_uppercase(), doc.resolve(v).0))
        .collect()
}

/// Compares the responses of two matched operations.
pub(crate) fn responses(pair: &Pair<'_, '_>, out: &mut Vec<Finding>) {
    let olds = statuses(pair.old, pair.o);
    let news = statuses(pair.new, pair.n);
    for (status, o) in &olds {
        let Some(n) = news.get(status) else {
            let sev = if is_success(status) {
                Severity::Breaking
            } else if status == "DEFAULT" {
                Severity::Warning
            } else {
                Severity::Info
            };
            out.push(pair.finding(
                "response-status-removed",
                sev,
                format!("response status {} removed", status.to_ascii_lowercase()),
                Some(&o.ptr),
                None,
            ));
            continue;
        };
        one(pair, status, o, n, out);
    }
    for (status, n) in &news {
        if !olds.contains_key(status) {
            let sev = if is_success(status) {
                Severity::Warning
            } else {
                Severity::Info
            };
            out.push(pair.finding(
                "response-status-added",
                sev,
                format!("response status {} added", status.to_ascii_lowercase()),
                None,
                Some(&n.ptr),
            ));
        }
    }
}

fn one<'a>(pair: &Pair<'_, 'a>, status: &str, o: &Node<'a>, n: &Node<'a>, out: &mut Vec<Finding>) {
    let status = status.to_ascii_lowercase();
    let (om, nm) = (media(o), media(n));
    let (op, np) = (Some(o.ptr.as_str()), Some(n.ptr.as_str()));
    if !om.is_empty() && nm.is_empty() {
        let msg = format!("response {status} no longer has a body");
        out.push(pair.finding("response-body-removed", Severity::Breaking, msg, op, np));
    } else if om.is_empty() && !nm.is_empty() {
        let msg = format!("response {status} now has a body");
        out.push(pair.finding("response-body-added", Severity::Info, msg, op, np));
    } else {
        let told = |ct: &str, added: bool| {
            if added {
                let msg = format!("response {status} content type `{ct}` added");
                ("response-content-type-added", Severity::Info, msg)
            } else {
                let msg = format!("response {status} content type `{ct}` removed");
                ("response-content-type-removed", Severity::Breaking, msg)
            }
        };
        pair.media_types((&om, &nm), (Dir::Response, "response"), (op, np), told, out);
    }
    let headers = |doc: Doc<'a>, node: &Node<'a>| -> BTreeMap<String, Node<'a>> {
        node.entries("headers")
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), doc.resolve(v).0))
            .collect()
    };
    let (oh, nh) = (headers(pair.old, o), headers(pair.new, n));
    for (name, oh_node) in &oh {
        let Some(nh_node) = nh.get(name) else {
            let msg = format!("response {status} header `{name}` removed");
            out.push(pair.finding(
                "response-header-removed",
                Severity::Warning,
                msg,
                Some(&oh_node.ptr),
                np,
            ));
            continue;
        };
        header(pair, &status, name, oh_node, nh_node, out);
    }
    for (name, nh_node) in &nh {
        if !oh.contains_key(name) {
            let msg = format!("response {status} header `{name}` added");
            out.push(pair.finding(
                "response-header-added",
                Severity::Info,
                msg,
                op,
                Some(&nh_node.ptr),
            ));
        }
    }
}

/// One response header on both sides: clients that read a header that was
/// required break when it becomes optional or changes its schema.
fn header<'a>(
    pair: &Pair<'_, 'a>,
    status: &str,
    name: &str,
    o: &Node<'a>,
    n: &Node<'a>,
    out: &mut Vec<Finding>,
) {
    let (op, np) = (Some(o.ptr.as_str()), Some(n.ptr.as_str()));
    let required = |h: &Node<'_>| h.bool("required").unwrap_or(false);
    pair.flag((required(o), required(n)), (op, np), out, |on| {
        if on {
            let msg = format!("response {status} header `{name}` made required");
            ("response-header-made-required", Severity::Info, msg)
        } else {
            let msg = format!(
                "response {status} header `{name}` made optional: clients reading it may find none"
            );
            ("response-header-made-optional", Severity::Breaking, msg)
        }
    });
    let schema = |h: &Node<'a>| {
        h.get("schema")
            .or_else(|| media(h).into_values().next().and_then(|m| m.get("schema")))
    };
    if let (Some(os), Some(ns)) = (schema(o), schema(n)) {
        pair.schemas(Dir::Response, "response-header", (os, ns), name, out);
    }
}
