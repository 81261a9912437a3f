//! `malformed requests rejected`: every operation with a JSON request body
//! is sent bodies no parser should take (truncated JSON, trailing garbage,
//! bytes that are not UTF-8) and, where the body is required, a wrong
//! content type, no content type and an empty body. Each must get a 4xx,
//! never a 5xx nor a success.

use openapi::binding::ActionKind;
use openapi::media::{essence, media_matches};
use openapi::spec::Operation;
use openapi::wire::preferred_media;

use crate::driver::Exchange;
use crate::error::RunError;
use crate::plan::{build, fills_for, with_conditions, Fill, Plan};
use crate::property::Property;
use crate::stateful::{Failure, Outcome};
use crate::target::HttpRequest;

/// Failing requests shown in a report.
const SHOWN: usize = 6;

/// A request that no correct server accepts, and its name.
#[derive(Debug, Clone)]
pub struct Malformed {
    /// What is wrong with it.
    pub what: &'static str,
    /// The request.
    pub request: HttpRequest,
}

/// The valid request of `op` the malformed ones are made from: canonical
/// values, good credentials for a login, a placeholder token elsewhere.
fn valid_request(plan: &Plan, op: &Operation) -> HttpRequest {
    let Some(b) = op.bindings.first() else {
        return build(&plan.spec, op, &[]).request;
    };
    let fills = if b.action == ActionKind::Login && !plan.accounts.is_empty() {
        let (u, p) = plan.credentials(0, false);
        fills_for(b, |s| {
            Fill::Value(if Some(s) == b.username.as_ref() {
                u.clone()
            } else {
                p.clone()
            })
        })
    } else {
        fills_for(b, |_| Fill::Value("probe-token-0123456789".into()))
    };
    build(&plan.spec, op, &with_conditions(b, fills)).request
}

/// The malformed requests of `op`; none when it takes no JSON body.
pub fn requests(plan: &Plan, op: &Operation) -> Vec<Malformed> {
    let Some(body) = &op.request_body else {
        return Vec::new();
    };
    let json = preferred_media(&body.content)
        .filter(|m| !m.name.contains('*') && essence(&m.name).contains("json"));
    if json.is_none() {
        return Vec::new();
    }
    let valid = valid_request(plan, op);
    let Some((media, bytes)) = valid.body.clone() else {
        return Vec::new();
    };
    let with = |what: &'static str, media: &str, bytes: Vec<u8>| {
        let mut request = valid.clone();
        request.body = Some((media.to_owned(), bytes));
        Malformed { what, request }
    };
    let mut cut = bytes[..bytes.len() / 2].to_vec();
    if serde_json::from_slice::<serde_json::Value>(&cut).is_ok() || cut.is_empty() {
        cut = b"{\"".to_vec();
    }
    let mut garbage = bytes.clone();
    garbage.extend_from_slice(b" }garbage");
    // A Latin-1 byte between two members: not UTF-8, and not JSON either
    // once a lenient reader has replaced it.
    let mut latin1 = bytes.clone();
    latin1.insert(usize::from(latin1.len() > 1), 0xE9);
    let mut out = vec![
        with("a truncated JSON body", &media, cut),
        with("a JSON body with trailing garbage", &media, garbage),
        with("a body that is not UTF-8", &media, latin1),
    ];
    if body.required {
        let documented = |m: &str| body.content.iter().any(|d| media_matches(&d.name, m));
        let wrong = ["text/plain", "application/octet-stream"]
            .into_iter()
            .find(|m| !documented(m));
        if let Some(wrong) = wrong {
            out.push(with(
                "a JSON body sent with another content type",
                wrong,
                bytes.clone(),
            ));
        }
        out.push(with("a JSON body without a content type", "", bytes));
        out.push(with("an empty body", &media, Vec::new()));
    }
    out
}

/// Send every malformed request of every operation and record what was
/// found under [`Property::MalformedRequestsRejected`].
pub fn run(plan: &Plan, out: &mut Outcome) -> Result<(), RunError> {
    let mut failed: Vec<(String, Exchange)> = Vec::new();
    let mut first_failure = None;
    for op in plan.spec.operations() {
        for m in requests(plan, op) {
            let resp = match plan.target.send_op(&op.name(), &m.request) {
                // No answer: a transport finding, nothing to judge here.
                Err(RunError::NoAnswer { .. }) => continue,
                r => r?,
            };
            let at = plan.target.budget().sent();
            out.exercise(Property::MalformedRequestsRejected, 1, at);
            if (400..500).contains(&resp.status) {
                continue;
            }
            first_failure.get_or_insert(at);
            failed.push((
                format!("{}: {} got {}", op.name(), m.what, resp.status),
                Exchange {
                    step: format!("{}: {}", op.name(), m.what),
                    curl: plan.target.curl(&m.request),
                    expected: "a 4xx".into(),
                    status: resp.status,
                    body: resp.body_text(400),
                },
            ));
        }
    }
    if let Some(detected_at) = first_failure {
        let mut message: Vec<String> = failed.iter().map(|(m, _)| m.clone()).collect();
        if message.len() > SHOWN {
            let more = message.len() - SHOWN;
            message.truncate(SHOWN);
            message.push(format!("and {more} more"));
        }
        out.fail(Failure {
            property: Property::MalformedRequestsRejected,
            message: format!("instead of a 4xx: {}", message.join("; ")),
            steps: failed.into_iter().take(SHOWN).map(|(_, e)| e).collect(),
            detected_at,
        });
    }
    Ok(())
}
