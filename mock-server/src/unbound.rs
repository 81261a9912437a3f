//! Answers of unbound operations: after the credential checks, the
//! documented response `Prefer` asks for (or the operation's default),
//! from its examples or generated from its schema.

use openapi::spec::Operation;
use openapi::Spec;

use crate::prefer::Prefer;
use crate::read::Sent;
use crate::respond::{self, Reply};
use crate::security;
use crate::state::State;

/// The answer of the unbound operation `op`; `seed` varies generated
/// bodies.
pub(crate) fn answer(
    spec: &Spec,
    state: &State,
    seed: u64,
    op: &Operation,
    sent: Sent<'_>,
) -> Reply {
    if let Some(refusal) = security::refusal(spec, state, op, sent) {
        return refusal;
    }
    let accept = sent.header("accept");
    let prefer = Prefer::parse(sent.header("prefer").unwrap_or(""));
    let status = match prefer.status(op) {
        Ok(status) => status,
        Err(refusal) => return refusal,
    };
    if let Some(resp) = op.response(status) {
        if !respond::acceptable(resp, accept) {
            let offered: Vec<&str> = resp.content.iter().map(|m| m.name.as_str()).collect();
            let detail = format!("this operation answers {}", offered.join(", "));
            return respond::problem(406, detail).into();
        }
    }
    match prefer.choice(op, status, seed, accept) {
        Ok(choice) => respond::documented(spec, op, status, choice, &[]),
        Err(refusal) => refusal,
    }
}
