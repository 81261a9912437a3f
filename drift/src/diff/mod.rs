//! `diff`: the changes between two documents, with their severity.

mod lifecycle;
pub(crate) mod request;
pub(crate) mod response;
mod schema;
pub(crate) mod security;
pub(crate) mod shape;

use std::collections::HashMap;

use openapi::swagger2::Origins;
use serde_json::Value;

use crate::doc::{operations, path_key, Doc, Operation};
use crate::finding::{Finding, Report, Severity};

pub(crate) use schema::{Dir, SchemaDiff};

/// Two matched operations, one per document.
pub(crate) struct Pair<'p, 'a> {
    pub old: Doc<'a>,
    pub new: Doc<'a>,
    pub o: &'p Operation<'a>,
    pub n: &'p Operation<'a>,
    /// `METHOD /path` of the new document.
    pub label: String,
}

impl Pair<'_, '_> {
    /// A finding about this operation.
    pub fn finding(
        &self,
        rule: &str,
        severity: Severity,
        message: String,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Finding {
        Finding::new(rule, severity, message)
            .operation(self.label.clone())
            .at(old, new)
    }
}

/// Every change from `old` to `new`, most severe first.
///
/// Operations are matched by method and path template (parameter names do
/// not matter: `/pets/{id}` is `/pets/{petId}`). Schemas are compared by
/// meaning: refs are followed, `allOf` is merged, `oneOf`/`anyOf` branches are
/// matched by name or content, and order never matters.
///
/// A Swagger 2.0 document is compared in its conversion
/// ([`openapi::swagger2`], the loader's), so a 2.0 version and a 3.x
/// version of the same API differ only where the API does; every pointer
/// names the place of the document as written.
pub fn diff(old: &Value, new: &Value) -> Report {
    let (o, n) = (
        openapi::swagger2::normalize(old),
        openapi::swagger2::normalize(new),
    );
    if o.is_none() && n.is_none() {
        return diff_openapi(old, new);
    }
    let same = Origins::default();
    let report = diff_openapi(
        o.as_ref().map_or(old, |c| &c.document),
        n.as_ref().map_or(new, |c| &c.document),
    );
    report.relocated(
        o.as_ref().map_or(&same, |c| &c.origins),
        n.as_ref().map_or(&same, |c| &c.origins),
    )
}

fn diff_openapi(old: &Value, new: &Value) -> Report {
    let (od, nd) = (Doc::new(old), Doc::new(new));
    let olds = operations(od);
    let news = operations(nd);
    let mut index: HashMap<(String, &str), usize> = HashMap::new();
    for (i, op) in news.iter().enumerate() {
        index.entry((path_key(op.path), op.method)).or_insert(i);
    }
    let mut matched = vec![false; news.len()];
    let mut out = Vec::new();
    for o in &olds {
        match index.get(&(path_key(o.path), o.method)) {
            Some(&j) if !matched[j] => {
                matched[j] = true;
                let pair = Pair {
                    old: od,
                    new: nd,
                    o,
                    n: &news[j],
                    label: news[j].label(),
                };
                operation(&pair, &mut out);
            }
            _ => out.push(
                Finding::new(
                    "operation-removed",
                    Severity::Breaking,
                    format!("operation {} removed", o.label()),
                )
                .operation(o.label())
                .at(Some(&o.node.ptr), None),
            ),
        }
    }
    for (j, n) in news.iter().enumerate() {
        if !matched[j] {
            out.push(
                Finding::new(
                    "operation-added",
                    Severity::Info,
                    format!("operation {} added", n.label()),
                )
                .operation(n.label())
                .at(None, Some(&n.node.ptr)),
            );
        }
    }
    security::schemes(od, nd, &mut out);
    lifecycle::root(od, nd, &mut out);
    Report::from_findings(out)
}

fn operation(pair: &Pair<'_, '_>, out: &mut Vec<Finding>) {
    let was = pair.o.node.bool("deprecated").unwrap_or(false);
    let is = pair.n.node.bool("deprecated").unwrap_or(false);
    if !was && is {
        out.push(pair.finding(
            "operation-deprecated",
            Severity::Warning,
            format!("operation {} deprecated", pair.label),
            Some(&pair.o.node.ptr),
            Some(&pair.n.node.ptr),
        ));
    } else if was && !is {
        out.push(pair.finding(
            "operation-undeprecated",
            Severity::Info,
            format!("operation {} no longer deprecated", pair.label),
            Some(&pair.o.node.ptr),
            Some(&pair.n.node.ptr),
        ));
    }
    request::parameters(pair, out);
    request::body(pair, out);
    response::responses(pair, out);
    security::requirements(pair, out);
    lifecycle::operation(pair, out);
}
