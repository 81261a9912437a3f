//! Whether a response is one the spec documents: status, content type,
//! body schema, required headers, no body where HTTP forbids one.

use openapi::media::{essence, media_matches};
use openapi::spec::Operation;
use openapi::wire::bodiless_status;
use openapi::Spec;

use crate::target::HttpResponse;

/// Every way `resp` departs from what `op` documents.
pub fn response_problems(spec: &Spec, op: &Operation, resp: &HttpResponse) -> Vec<String> {
    let mut problems = Vec::new();
    if resp.status >= 500 {
        problems.push(format!("server error {}", resp.status));
    }
    let Some(doc) = op.response(resp.status) else {
        let documented: Vec<&str> = op.responses.iter().map(|r| r.status.as_str()).collect();
        problems.push(format!(
            "status {} is not documented (documented: {})",
            resp.status,
            documented.join(", ")
        ));
        return problems;
    };
    if bodiless_status(resp.status) {
        if !resp.body.is_empty() {
            problems.push(format!(
                "a {} response must have no body, got {} bytes",
                resp.status,
                resp.body.len()
            ));
        }
        return problems;
    }
    for h in doc.headers.iter().filter(|h| h.required) {
        if resp.header(&h.name).is_none() {
            problems.push(format!("required header `{}` is missing", h.name));
        }
    }
    if doc.content.is_empty() || resp.body.is_empty() && resp.header("content-type").is_none() {
        if !doc.content.is_empty() && resp.body.is_empty() {
            let required_body = doc.content.iter().any(|m| m.schema.is_some());
            if required_body {
                problems.push("the documented body is missing".into());
            }
        }
        return problems;
    }
    let sent = resp.header("content-type").unwrap_or("");
    let Some(media) = doc.content.iter().find(|m| media_matches(&m.name, sent)) else {
        let documented: Vec<&str> = doc.content.iter().map(|m| m.name.as_str()).collect();
        problems.push(format!(
            "content type `{sent}` is not documented for {} (documented: {})",
            resp.status,
            documented.join(", ")
        ));
        return problems;
    };
    let json_like = essence(sent).ends_with("json");
    if let (Some(schema), true) = (&media.schema, json_like) {
        match resp.json() {
            None => problems.push(format!(
                "the body is not valid JSON: {}",
                resp.body_text(120)
            )),
            Some(body) => match spec.schemas().validate(&schema.pointer, &body) {
                Ok(violations) => problems.extend(
                    violations
                        .into_iter()
                        .take(5)
                        .map(|v| format!("body{}: {}", v.path, v.message)),
                ),
                Err(e) => tracing::warn!("schema not checked: {e}"),
            },
        }
    }
    problems
}
