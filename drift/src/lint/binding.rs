//! Checks of `x-token-lifecycle` bindings against the document.

use super::finding;
use crate::binding::{
    locations, needed, outcome_status, Expr, ACTIONS, BINDING_FIELDS, ISSUE_FIELDS, KEY, OUTCOMES,
    POLICY_FIELDS, ROOT_FIELDS,
};
use crate::diff::request::{media, params};
use crate::diff::response::statuses;
use crate::diff::security::effective;
use crate::diff::shape::Shape;
use crate::doc::{Doc, Node, Operation};
use crate::finding::{Finding, Severity};

/// How deep a body pointer is followed through schemas.
const MAX_DEPTH: usize = 32;

/// Unknown fields of an object node, as findings.
fn unknown_fields(node: &Node<'_>, known: &[&str], what: &str) -> Vec<(String, String)> {
    node.children()
        .into_iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, n)| (format!("unknown {what} field `{k}`"), n.ptr))
        .collect()
}

/// The root extension: known fields and sane policy values.
pub(crate) fn root(doc: Doc<'_>, out: &mut Vec<Finding>) {
    let Some(root) = doc.node().get(KEY) else {
        return;
    };
    let mut push = |rule: &str, msg: String, ptr: &str| {
        out.push(Finding::new(rule, Severity::Breaking, msg).at(None, Some(ptr)));
    };
    if !root.v.is_object() {
        push(
            "lifecycle-policy-invalid",
            format!("`{KEY}` must be an object"),
            &root.ptr,
        );
        return;
    }
    for (msg, ptr) in unknown_fields(&root, &ROOT_FIELDS, KEY) {
        push("lifecycle-unknown-field", msg, &ptr);
    }
    let Some(policy) = root.get("policy") else {
        return;
    };
    for (msg, ptr) in unknown_fields(&policy, &POLICY_FIELDS, "policy") {
        push("lifecycle-unknown-field", msg, &ptr);
    }
    for (field, n) in policy.children() {
        let ok = match field.as_str() {
            "accessTokenTtl" | "refreshTokenTtl" => n.v.as_u64().is_some_and(|x| x > 0),
            "logoutEnds" => matches!(n.v.as_str(), Some("session" | "access-token")),
            f if POLICY_FIELDS.contains(&f) => n.v.is_boolean(),
            _ => true,
        };
        if !ok {
            push(
                "lifecycle-policy-invalid",
                format!("policy `{field}` has an invalid value {}", n.v),
                &n.ptr,
            );
        }
    }
}

/// An operation's binding: its action, fields, expressions and outcomes.
pub(crate) fn operation(doc: Doc<'_>, op: &Operation<'_>, out: &mut Vec<Finding>) {
    let Some(b) = op.node.get(KEY) else {
        return;
    };
    let mut push = |rule: &str, msg: String, ptr: &str| {
        out.push(finding(op, rule, Severity::Breaking, msg, ptr));
    };
    let action = b.str("action");
    match action {
        Some(a) if ACTIONS.contains(&a) => {}
        Some(a) => {
            let msg = format!(
                "unknown lifecycle action `{a}` (expected one of {})",
                ACTIONS.join(", ")
            );
            push(
                "lifecycle-unknown-action",
                msg,
                &format!("{}/action", b.ptr),
            );
        }
        None => push(
            "lifecycle-binding-missing-field",
            "lifecycle binding has no `action`".to_owned(),
            &b.ptr,
        ),
    }
    for (msg, ptr) in unknown_fields(&b, &BINDING_FIELDS, "binding") {
        push("lifecycle-unknown-field", msg, &ptr);
    }
    if let Some(issue) = b.get("issue") {
        for (msg, ptr) in unknown_fields(&issue, &ISSUE_FIELDS, "issue") {
            push("lifecycle-unknown-field", msg, &ptr);
        }
    }
    if let Some(outcomes) = b.get("outcomes") {
        for (msg, ptr) in unknown_fields(&outcomes, &OUTCOMES, "outcome") {
            push("lifecycle-unknown-field", msg, &ptr);
        }
    }
    if let Some(a) = action {
        for field in needed(a) {
            if b.get(field).is_none() {
                let msg = format!("`{a}` binding needs `{field}`");
                push("lifecycle-binding-missing-field", msg, &b.ptr);
            }
        }
    }
    let documented: Vec<String> = statuses(doc, op).into_keys().collect();
    for outcome in OUTCOMES {
        let Some(o) = b.get("outcomes").and_then(|o| o.get(outcome)) else {
            continue;
        };
        match outcome_status(&b, &documented, outcome) {
            Some(s) if documented.contains(&s) => {}
            Some(s) => push(
                "lifecycle-outcome-undocumented",
                format!(
                    "outcome `{outcome}` maps to status {s}, which the operation does not document"
                ),
                &o.ptr,
            ),
            None => push(
                "lifecycle-expression-invalid",
                format!("outcome `{outcome}` has no status"),
                &o.ptr,
            ),
        }
    }
    let success = outcome_status(&b, &documented, "success");
    for (field, (loc, ptr)) in locations(&b) {
        let Some(expr) = Expr::parse(&loc.from) else {
            push(
                "lifecycle-expression-invalid",
                format!("{field}: `{}` is not a runtime expression", loc.from),
                &ptr,
            );
            continue;
        };
        let request_side = !field.contains('.') && field != "subject";
        let problem = match (&expr, request_side) {
            (Expr::RequestBody(_) | Expr::RequestParam(..), false)
            | (Expr::ResponseBody(_) | Expr::ResponseHeader(_), true) => Some(format!(
                "{field} must be a {} location, not `{}`",
                if request_side { "request" } else { "response" },
                loc.from
            )),
            (Expr::RequestBody(p), true) => (!request_body_has(doc, op, p)).then(|| {
                format!(
                    "{field}: `{}` points outside the request body schema",
                    loc.from
                )
            }),
            (Expr::RequestParam(l, name), true) => (!param_declared(doc, op, l, name))
                .then(|| format!("{field}: the operation declares no {l} parameter `{name}`")),
            (Expr::ResponseBody(p), false) => (!response_body_has(doc, op, success.as_deref(), p))
                .then(|| {
                    format!(
                        "{field}: `{}` points outside the success response schema",
                        loc.from
                    )
                }),
            (Expr::ResponseHeader(name), false) => {
                (!response_header(doc, op, success.as_deref(), name))
                    .then(|| format!("{field}: the success response declares no header `{name}`"))
            }
        };
        if let Some(msg) = problem {
            push("lifecycle-binding-unresolved", msg, &ptr);
        }
    }
}

fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Does some schema of the content hold the pointer's path?
fn content_has(doc: Doc<'_>, holder: &Node<'_>, pointer: &str) -> bool {
    let toks = tokens(pointer);
    media(holder)
        .values()
        .filter_map(|m| m.get("schema"))
        .any(|s| schema_has(doc, s, &toks, 0))
}

fn request_body_has(doc: Doc<'_>, op: &Operation<'_>, pointer: &str) -> bool {
    let Some(body) = op.node.get("requestBody") else {
        return false;
    };
    content_has(doc, &doc.resolve(body).0, pointer)
}

fn response_body_has(
    doc: Doc<'_>,
    op: &Operation<'_>,
    status: Option<&str>,
    pointer: &str,
) -> bool {
    let all = statuses(doc, op);
    match status.and_then(|s| all.get(s)) {
        Some(resp) => content_has(doc, resp, pointer),
        None => false,
    }
}

fn response_header(doc: Doc<'_>, op: &Operation<'_>, status: Option<&str>, name: &str) -> bool {
    let all = statuses(doc, op);
    status.and_then(|s| all.get(s)).is_some_and(|r| {
        r.entries("headers")
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    })
}

/// Does the schema have the path `toks` (through properties, items,
/// alternatives or free-form objects)?
fn schema_has(doc: Doc<'_>, node: Node<'_>, toks: &[String], depth: usize) -> bool {
    let Some((first, rest)) = toks.split_first() else {
        return true;
    };
    if depth > MAX_DEPTH {
        return true;
    }
    let shape = Shape::of(doc, node);
    if let Some(p) = shape.props.get(first) {
        return schema_has(doc, p.node().clone(), rest, depth + 1);
    }
    if let Some(items) = &shape.items {
        if first.parse::<usize>().is_ok() {
            return schema_has(doc, items.node().clone(), rest, depth + 1);
        }
    }
    if shape
        .variants
        .iter()
        .any(|v| schema_has(doc, v.clone(), toks, depth + 1))
    {
        return true;
    }
    if let Some(ap) = &shape.additional {
        return schema_has(doc, ap.node().clone(), rest, depth + 1);
    }
    let object_like = shape.types.as_ref().is_none_or(|t| t.contains("object"));
    shape.props.is_empty()
        && shape.variants.is_empty()
        && shape.items.is_none()
        && !shape.closed
        && object_like
}

/// Is a request parameter declared (or implied by a security scheme)?
fn param_declared(doc: Doc<'_>, op: &Operation<'_>, loc: &str, name: &str) -> bool {
    let declared = params(doc, op);
    let key_name = if loc == "header" {
        name.to_ascii_lowercase()
    } else {
        name.to_owned()
    };
    if declared.contains_key(&(loc.to_owned(), key_name)) {
        return true;
    }
    let (alts, _) = effective(doc, op);
    let schemes = doc
        .node()
        .get("components")
        .and_then(|c| c.get("securitySchemes"));
    alts.iter().flat_map(|a| a.keys()).any(|scheme| {
        let Some(s) = schemes.as_ref().and_then(|s| s.get(scheme)) else {
            return false;
        };
        let (s, _) = doc.resolve(s);
        match s.str("type") {
            Some("http" | "oauth2" | "openIdConnect") => {
                loc == "header" && name.eq_ignore_ascii_case("authorization")
            }
            Some("apiKey") => {
                s.str("in") == Some(loc)
                    && s.str("name").is_some_and(|n| {
                        if loc == "header" {
                            n.eq_ignore_ascii_case(name)
                        } else {
                            n == name
                        }
                    })
                    || (loc == "header"
                        && s.str("in") == Some("header")
                        && name.eq_ignore_ascii_case("authorization"))
            }
            _ => false,
        }
    })
}
