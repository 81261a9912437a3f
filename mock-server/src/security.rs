//! The credential checks of unbound operations: one of the operation's
//! security alternatives must be met, and a token it carries where a
//! `protected` binding reads its access token (the guard rule,
//! [`Spec::guards_of`]) must be alive in the model. A refusal is the
//! operation's documented 401 (or 403) with a challenge.

use openapi::model::{Action, Outcome};
use openapi::spec::{Location, Operation, SecurityScheme};
use openapi::Spec;

use crate::read::Sent;
use crate::respond::{self, Choice, Reply};
use crate::state::{State, StateError};

/// The refusal of `op`, if the request does not pass its credential
/// checks.
pub(crate) fn refusal(spec: &Spec, state: &State, op: &Operation, sent: Sent<'_>) -> Option<Reply> {
    if !requirements_met(op, sent) {
        return Some(unauthorized(
            spec,
            op,
            "this operation requires credentials",
        ));
    }
    let rejection = match guard(spec, state, op, sent) {
        Ok(rejection) => rejection?,
        Err(e) => return Some(crate::bound::unavailable(&e).reply),
    };
    Some(unauthorized(
        spec,
        op,
        &format!("the access token is {}", rejection.name()),
    ))
}

/// Whether some security alternative of `op` is met (each of its schemes
/// carries a non-empty credential). Only presence is checked here.
fn requirements_met(op: &Operation, sent: Sent<'_>) -> bool {
    if !op.requires_credentials() {
        return true;
    }
    let authorization = |scheme: &str| {
        sent.header("authorization")
            .and_then(|v| v.split_once(' '))
            .is_some_and(|(w, rest)| w.eq_ignore_ascii_case(scheme) && !rest.trim().is_empty())
    };
    let met = |s: &SecurityScheme| match s {
        SecurityScheme::Http { scheme } => authorization(scheme),
        SecurityScheme::OAuth => authorization("bearer"),
        SecurityScheme::ApiKey { location, name } => match location {
            Location::Header => sent.header(name).is_some_and(|v| !v.is_empty()),
            Location::Query => sent
                .parsed
                .query
                .iter()
                .any(|(k, v)| k == name && !v.is_empty()),
            Location::Cookie => sent
                .parsed
                .cookies
                .iter()
                .any(|(k, v)| k == name && !v.is_empty()),
            Location::Path => true,
        },
        SecurityScheme::Unchecked => true,
    };
    op.security.iter().any(|alt| alt.0.iter().all(met))
}

/// Why the model refuses the token `op` carries where a `protected`
/// binding reads its access token, if it does.
fn guard(
    spec: &Spec,
    state: &State,
    op: &Operation,
    sent: Sent<'_>,
) -> Result<Option<openapi::model::Rejection>, StateError> {
    let Some(token) = spec.guards_of(op).find_map(|source| sent.source(source)) else {
        return Ok(None);
    };
    Ok(
        match state.apply(Action::Protected {
            access_token: Some(&token),
        })? {
            Outcome::Rejected(r) => Some(r),
            _ => None,
        },
    )
}

/// The 401 (or the documented 403) of an operation, with a challenge.
pub(crate) fn unauthorized(spec: &Spec, op: &Operation, detail: &str) -> Reply {
    let status = op.refusal_status();
    let reply = if op.response(status).is_some() {
        respond::documented(spec, op, status, Choice::default(), &[])
    } else {
        Reply::from(respond::problem(status, detail))
    };
    let challenge = op.security.iter().flat_map(|a| &a.0).find_map(|s| match s {
        SecurityScheme::Http { scheme } => Some(capitalize(scheme)),
        SecurityScheme::OAuth => Some("Bearer".to_owned()),
        SecurityScheme::ApiKey { location, name } => Some(format!(
            "ApiKey in=\"{}\", name=\"{name}\"",
            location.as_str()
        )),
        SecurityScheme::Unchecked => None,
    });
    let has = reply.headers.iter().any(|(n, _)| n == "www-authenticate");
    match challenge {
        Some(c) if status == 401 && !has => reply.header("www-authenticate", c),
        _ => reply,
    }
}

fn capitalize(word: &str) -> String {
    let mut c = word.chars();
    c.next().map_or_else(String::new, |f| {
        f.to_ascii_uppercase().to_string() + c.as_str()
    })
}
