//! OpenAPI 3.1 `webhooks`: requests the API sends to its subscribers. The
//! directions are the other way round: the request body is written by the
//! API (it breaks subscribers when it widens), the responses by the
//! subscriber (they break when the API accepts less).

use std::collections::BTreeMap;

use super::request::media;
use super::{operation, schema::Memo, Dir, Pair};
use crate::doc::{Doc, Node, Operation, METHODS};
use crate::finding::{Finding, Severity};

/// The webhooks of a document, keyed by name and method.
fn webhooks<'a>(doc: Doc<'a>) -> BTreeMap<(&'a str, &'static str), Operation<'a>> {
    let mut out = BTreeMap::new();
    for (name, item) in doc.node().entries("webhooks") {
        let (item, _) = doc.resolve(item);
        for method in METHODS {
            if let Some(node) = item.get(method).filter(|n| n.v.is_object()) {
                out.insert(
                    (name.as_str(), method),
                    Operation {
                        path: name,
                        method,
                        node,
                        item: item.clone(),
                    },
                );
            }
        }
    }
    out
}

fn label(op: &Operation<'_>) -> String {
    format!("webhook {} {}", op.method.to_ascii_uppercase(), op.path)
}

/// Compares the webhooks of two documents.
pub(crate) fn webhooks_diff(old: Doc<'_>, new: Doc<'_>, memo: &Memo, out: &mut Vec<Finding>) {
    let (olds, news) = (webhooks(old), webhooks(new));
    for (key, o) in &olds {
        let Some(n) = news.get(key) else {
            let msg = format!("{} removed: subscribers no longer receive it", label(o));
            out.push(
                Finding::new("webhook-removed", Severity::Warning, msg)
                    .operation(label(o))
                    .at(Some(&o.node.ptr), None),
            );
            continue;
        };
        let pair = Pair {
            old,
            new,
            o,
            n,
            label: label(n),
            memo,
        };
        operation::deprecation(&pair, out);
        body(&pair, out);
        responses(&pair, out);
    }
    for (key, n) in &news {
        if !olds.contains_key(key) {
            let msg = format!("{} added", label(n));
            out.push(
                Finding::new("webhook-added", Severity::Info, msg)
                    .operation(label(n))
                    .at(None, Some(&n.node.ptr)),
            );
        }
    }
}

/// The request body the API sends.
fn body(pair: &Pair<'_, '_>, out: &mut Vec<Finding>) {
    fn read<'a>(doc: Doc<'a>, op: &Operation<'a>) -> Option<BTreeMap<String, Node<'a>>> {
        op.node
            .get("requestBody")
            .map(|b| doc.resolve(b).0)
            .map(|b| media(&b))
    }
    let Some(om) = read(pair.old, pair.o) else {
        if let Some(nb) = pair.n.node.get("requestBody") {
            let msg = "webhook request body added".to_owned();
            out.push(pair.finding(
                "webhook-request-body-added",
                Severity::Info,
                msg,
                None,
                Some(&nb.ptr),
            ));
        }
        return;
    };
    let Some(nm) = read(pair.new, pair.n) else {
        let msg = "webhook request body removed: subscribers reading it get none".to_owned();
        let op = pair.o.node.get("requestBody").map(|b| b.ptr);
        out.push(pair.finding(
            "webhook-request-body-removed",
            Severity::Breaking,
            msg,
            op.as_deref(),
            None,
        ));
        return;
    };
    let at = |op: &Operation<'_>| op.node.get("requestBody").map(|b| b.ptr);
    let (op, np) = (at(pair.o), at(pair.n));
    let told = |ct: &str, added: bool| {
        if added {
            let msg = format!(
                "webhook content type `{ct}` may now be sent: subscribers that cannot read it break"
            );
            (
                "webhook-request-body-content-type-added",
                Severity::Warning,
                msg,
            )
        } else {
            let msg = format!("webhook content type `{ct}` no longer sent");
            (
                "webhook-request-body-content-type-removed",
                Severity::Info,
                msg,
            )
        }
    };
    let dir = (Dir::Response, "webhook-request-body");
    pair.media_types((&om, &nm), dir, (op.as_deref(), np.as_deref()), told, out);
}

/// The responses subscribers answer with: what the API accepts.
fn responses(pair: &Pair<'_, '_>, out: &mut Vec<Finding>) {
    let olds = super::response::statuses(pair.old, pair.o);
    let news = super::response::statuses(pair.new, pair.n);
    for (status, o) in &olds {
        let Some(n) = news.get(status) else {
            continue;
        };
        let (om, nm) = (media(o), media(n));
        // What a subscriber may answer is its own: only the schemas of the
        // media types on both sides are compared.
        for (ct, omt) in &om {
            let schemas = nm
                .get(ct)
                .and_then(|nmt| Some((omt.get("schema")?, nmt.get("schema")?)));
            if let Some(pair_of) = schemas {
                pair.schemas(Dir::Request, "webhook-response", pair_of, "body", out);
            }
        }
    }
}
