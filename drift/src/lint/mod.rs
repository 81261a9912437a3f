//! `lint`: problems inside one document.

mod binding;
mod example;

use serde_json::Value;

use crate::diff::response::statuses;
use crate::diff::security::effective;
use crate::doc::{is_success, join, operations, path_params, Doc, Operation};
use crate::finding::{Finding, Report, Severity};

/// How deep the `$ref` walk descends (garbage documents can nest deeply).
const MAX_WALK: usize = 512;

/// Every problem found in `spec`, most severe first.
///
/// Rules: `no-body-status-has-content`, `example-schema-mismatch`,
/// `schema-invalid`, `ref-unresolvable`, `security-scheme-undeclared`,
/// `operation-no-success-response`, `path-parameter-undeclared`, and the
/// `lifecycle-*` binding checks of [`openapi::spec::binding_problems`] (the
/// rules of [`openapi::Rule`]): a document loads if and only if lint
/// reports none of them.
///
/// A Swagger 2.0 document is linted in its conversion
/// ([`openapi::swagger2`], the loader's), and every pointer names the
/// place of the 2.0 document it came from.
pub fn lint(spec: &Value) -> Report {
    let report = match openapi::swagger2::normalize(spec) {
        Some(c) => lint_openapi(&c.document).relocated(&c.origins, &c.origins),
        None => lint_openapi(spec),
    };
    report.once_per_place()
}

fn lint_openapi(spec: &Value) -> Report {
    let doc = Doc::new(spec);
    let mut out = Vec::new();
    refs(doc, &mut out);
    let ops = operations(doc);
    for op in &ops {
        no_body(doc, op, &mut out);
        success(doc, op, &mut out);
        security(doc, op, &mut out);
        path_templates(doc, op, &mut out);
    }
    binding::bindings(spec, &mut out);
    example::examples(doc, &ops, &mut out);
    Report::from_findings(out)
}

fn finding(op: &Operation<'_>, rule: &str, sev: Severity, msg: String, ptr: &str) -> Finding {
    Finding::new(rule, sev, msg)
        .operation(op.label())
        .at(None, Some(ptr))
}

/// Every local `$ref` must point at something.
fn refs(doc: Doc<'_>, out: &mut Vec<Finding>) {
    let mut stack = vec![(doc.node(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_WALK {
            continue;
        }
        match node.v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    if r.starts_with('#') && doc.lookup(r).is_none() {
                        out.push(
                            Finding::new(
                                "ref-unresolvable",
                                Severity::Breaking,
                                format!("`$ref: {r}` points at nothing"),
                            )
                            .at(None, Some(&join(&node.ptr, "$ref"))),
                        );
                    }
                }
                for (k, _) in m.iter().rev() {
                    if let Some(child) = node.get(k) {
                        stack.push((child, depth + 1));
                    }
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate().rev() {
                    stack.push((
                        crate::doc::Node::new(v, format!("{}/{i}", node.ptr)),
                        depth + 1,
                    ));
                }
            }
            _ => {}
        }
    }
}

/// A bodiless status (1xx, 204, 304: `openapi::wire::bodiless_status`)
/// never has a body.
fn no_body(doc: Doc<'_>, op: &Operation<'_>, out: &mut Vec<Finding>) {
    for (status, resp) in statuses(doc, op) {
        if !status
            .parse::<u16>()
            .is_ok_and(openapi::wire::bodiless_status)
        {
            continue;
        }
        if let Some(content) = resp.get("content") {
            if content.v.as_object().is_some_and(|m| !m.is_empty()) {
                let msg =
                    format!("response {status} declares a body, but a {status} never has one");
                out.push(finding(
                    op,
                    "no-body-status-has-content",
                    Severity::Breaking,
                    msg,
                    &content.ptr,
                ));
            }
        }
    }
}

/// An operation needs a success response (2xx, 3xx or `default`).
fn success(doc: Doc<'_>, op: &Operation<'_>, out: &mut Vec<Finding>) {
    let keys = statuses(doc, op);
    if !keys.keys().any(|k| is_success(k) || k == "DEFAULT") {
        let ptr = op
            .node
            .get("responses")
            .map_or_else(|| op.node.ptr.clone(), |r| r.ptr);
        let msg = format!("operation {} documents no success response", op.label());
        out.push(finding(
            op,
            "operation-no-success-response",
            Severity::Warning,
            msg,
            &ptr,
        ));
    }
}

/// Security requirements must name declared schemes.
fn security(doc: Doc<'_>, op: &Operation<'_>, out: &mut Vec<Finding>) {
    let (alts, ptr) = effective(doc, op);
    let Some(ptr) = ptr else {
        return;
    };
    let schemes = doc
        .node()
        .get("components")
        .and_then(|c| c.get("securitySchemes"));
    for name in alts.iter().flat_map(|a| a.keys()) {
        if schemes.as_ref().and_then(|s| s.get(name)).is_none() {
            let msg =
                format!("security requirement names `{name}`, which no security scheme declares");
            out.push(finding(
                op,
                "security-scheme-undeclared",
                Severity::Breaking,
                msg,
                &ptr,
            ));
        }
    }
}

/// Every `{name}` of the path template needs a path parameter.
fn path_templates(doc: Doc<'_>, op: &Operation<'_>, out: &mut Vec<Finding>) {
    let declared = crate::diff::request::params(doc, op);
    for name in path_params(op.path) {
        if !declared.contains_key(&("path".to_owned(), name.clone())) {
            let msg = format!("path parameter `{name}` of {} is not declared", op.path);
            out.push(finding(
                op,
                "path-parameter-undeclared",
                Severity::Breaking,
                msg,
                &op.node.ptr,
            ));
        }
    }
}
