//! Parameters and request bodies.

use std::collections::BTreeMap;

use super::{Dir, Pair};
use crate::doc::{path_params, Doc, Node, Operation};
use crate::finding::{Finding, Severity};

/// A parameter with its effective settings.
pub(crate) struct Param<'a> {
    pub node: Node<'a>,
    pub name: String,
    pub loc: String,
    pub required: bool,
    pub style: String,
    pub explode: bool,
    pub schema: Option<Node<'a>>,
}

impl<'a> Param<'a> {
    fn read(doc: Doc<'a>, node: Node<'a>) -> Option<Self> {
        let (node, _) = doc.resolve(node);
        let name = node.str("name")?.to_owned();
        let loc = node.str("in")?.to_owned();
        let style = node
            .str("style")
            .map(str::to_owned)
            .unwrap_or_else(|| match loc.as_str() {
                "query" | "cookie" => "form".to_owned(),
                _ => "simple".to_owned(),
            });
        let explode = node.bool("explode").unwrap_or(style == "form");
        let required = loc == "path" || node.bool("required").unwrap_or(false);
        let schema = node.get("schema").or_else(|| {
            node.entries("content")
                .into_iter()
                .next()
                .and_then(|(_, media)| media.get("schema"))
        });
        Some(Param {
            node,
            name,
            loc,
            required,
            style,
            explode,
            schema,
        })
    }

    /// The matching key: header names are case-insensitive.
    fn key(&self) -> (String, String) {
        let name = if self.loc == "header" {
            self.name.to_ascii_lowercase()
        } else {
            self.name.clone()
        };
        (self.loc.clone(), name)
    }
}

/// The parameters of an operation (path-item ones overridden by the
/// operation's own), keyed by location and name.
pub(crate) fn params<'a>(
    doc: Doc<'a>,
    op: &Operation<'a>,
) -> BTreeMap<(String, String), Param<'a>> {
    let mut out = BTreeMap::new();
    for node in op
        .item
        .items("parameters")
        .into_iter()
        .chain(op.node.items("parameters"))
    {
        if let Some(p) = Param::read(doc, node) {
            out.insert(p.key(), p);
        }
    }
    out
}

/// Compares the parameters of two matched operations.
pub(crate) fn parameters(pair: &Pair<'_, '_>, out: &mut Vec<Finding>) {
    let olds = params(pair.old, pair.o);
    let mut news = params(pair.new, pair.n);
    // Path parameters are matched by position in the template, not by name.
    let (onames, nnames) = (path_params(pair.o.path), path_params(pair.n.path));
    let renamed = |key: &(String, String)| -> (String, String) {
        if key.0 == "path" {
            if let Some(i) = onames.iter().position(|n| *n == key.1) {
                if let Some(n) = nnames.get(i) {
                    return (key.0.clone(), n.clone());
                }
            }
        }
        key.clone()
    };
    let mut removed = Vec::new();
    for (key, o) in &olds {
        match news.remove(&renamed(key)) {
            Some(n) => one(pair, o, &n, out),
            None => removed.push(o),
        }
    }
    for o in removed {
        let moved = news
            .iter()
            .find(|(_, n)| n.name.eq_ignore_ascii_case(&o.name) && !olds.contains_key(&n.key()))
            .map(|(k, _)| k.clone());
        if let Some(key) = moved {
            let n = news.remove(&key).expect("key just found");
            out.push(pair.finding(
                "request-parameter-location-changed",
                Severity::Breaking,
                format!("parameter `{}` moved from {} to {}", o.name, o.loc, n.loc),
                Some(&o.node.ptr),
                Some(&n.node.ptr),
            ));
            continue;
        }
        out.push(pair.finding(
            "request-parameter-removed",
            Severity::Warning,
            format!("{} parameter `{}` removed", o.loc, o.name),
            Some(&o.node.ptr),
            None,
        ));
    }
    for n in news.values() {
        let (rule, sev, what) = if n.required {
            (
                "request-parameter-added-required",
                Severity::Breaking,
                "required",
            )
        } else {
            ("request-parameter-added", Severity::Info, "optional")
        };
        out.push(pair.finding(
            rule,
            sev,
            format!("{what} {} parameter `{}` added", n.loc, n.name),
            None,
            Some(&n.node.ptr),
        ));
    }
}

fn one(pair: &Pair<'_, '_>, o: &Param<'_>, n: &Param<'_>, out: &mut Vec<Finding>) {
    let (op, np) = (Some(o.node.ptr.as_str()), Some(n.node.ptr.as_str()));
    pair.flag((o.required, n.required), (op, np), out, |on| {
        if on {
            let msg = format!("{} parameter `{}` made required", n.loc, n.name);
            ("request-parameter-made-required", Severity::Breaking, msg)
        } else {
            let msg = format!("{} parameter `{}` made optional", n.loc, n.name);
            ("request-parameter-made-optional", Severity::Info, msg)
        }
    });
    let deprecated = |p: &Param<'_>| p.node.bool("deprecated").unwrap_or(false);
    pair.flag((deprecated(o), deprecated(n)), (op, np), out, |on| {
        if on {
            let msg = format!("{} parameter `{}` deprecated", n.loc, n.name);
            ("request-parameter-deprecated", Severity::Info, msg)
        } else {
            let msg = format!("{} parameter `{}` no longer deprecated", n.loc, n.name);
            ("request-parameter-undeprecated", Severity::Info, msg)
        }
    });
    if o.style != n.style {
        let msg = format!(
            "parameter `{}` style changed from {} to {}",
            n.name, o.style, n.style
        );
        out.push(pair.finding(
            "request-parameter-style-changed",
            Severity::Breaking,
            msg,
            op,
            np,
        ));
    }
    // The default of `explode` follows `style`: only compare it under one style.
    if o.style == n.style && o.explode != n.explode {
        let msg = format!(
            "parameter `{}` explode changed from {} to {}",
            n.name, o.explode, n.explode
        );
        out.push(pair.finding(
            "request-parameter-explode-changed",
            Severity::Breaking,
            msg,
            op,
            np,
        ));
    }
    if let (Some(os), Some(ns)) = (&o.schema, &n.schema) {
        pair.schemas(
            Dir::Request,
            "request-parameter",
            (os.clone(), ns.clone()),
            &n.name,
            out,
        );
    }
}

/// The media types of a `content` object, keyed by lowercase name.
pub(crate) fn media<'a>(node: &Node<'a>) -> BTreeMap<String, Node<'a>> {
    node.entries("content")
        .into_iter()
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v))
        .collect()
}

/// Compares the request bodies of two matched operations.
pub(crate) fn body(pair: &Pair<'_, '_>, out: &mut Vec<Finding>) {
    let ob = pair
        .o
        .node
        .get("requestBody")
        .map(|b| pair.old.resolve(b).0);
    let nb = pair
        .n
        .node
        .get("requestBody")
        .map(|b| pair.new.resolve(b).0);
    let (ob, nb) = match (ob, nb) {
        (None, None) => return,
        (Some(o), None) => {
            out.push(pair.finding(
                "request-body-removed",
                Severity::Warning,
                "request body removed".to_owned(),
                Some(&o.ptr),
                None,
            ));
            return;
        }
        (None, Some(n)) => {
            let (rule, sev, what) = if n.bool("required").unwrap_or(false) {
                (
                    "request-body-added-required",
                    Severity::Breaking,
                    "required",
                )
            } else {
                ("request-body-added", Severity::Info, "optional")
            };
            out.push(pair.finding(
                rule,
                sev,
                format!("{what} request body added"),
                None,
                Some(&n.ptr),
            ));
            return;
        }
        (Some(o), Some(n)) => (o, n),
    };
    let (op, np) = (Some(ob.ptr.as_str()), Some(nb.ptr.as_str()));
    let required = |b: &Node<'_>| b.bool("required").unwrap_or(false);
    pair.flag((required(&ob), required(&nb)), (op, np), out, |on| {
        if on {
            let msg = "request body made required".to_owned();
            ("request-body-made-required", Severity::Breaking, msg)
        } else {
            let msg = "request body made optional".to_owned();
            ("request-body-made-optional", Severity::Info, msg)
        }
    });
    let (om, nm) = (media(&ob), media(&nb));
    let told = |ct: &str, added: bool| {
        if added {
            let msg = format!("request content type `{ct}` added");
            ("request-body-content-type-added", Severity::Info, msg)
        } else {
            let msg = format!("request content type `{ct}` removed");
            ("request-body-content-type-removed", Severity::Breaking, msg)
        }
    };
    pair.media_types(
        (&om, &nm),
        (Dir::Request, "request-body"),
        (op, np),
        told,
        out,
    );
}
