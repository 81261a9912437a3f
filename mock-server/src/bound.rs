//! Answers of bound operations: what the binding reads becomes the model's
//! `Action` (`ActionKind::action`), the model (under its lock) gives the outcome, and the
//! binding says which documented response it gets, with the issued tokens,
//! the user's name or what introspection says filled in. A request that no
//! binding of the operation matches gets the operation's `unsupported`.

use serde_json::Value;

use openapi::authcode::Grant;
use openapi::binding::{ActionKind, Binding, Source};
use openapi::expr::Expr;
use openapi::model::{
    ClientAuth, Introspection, Invalidity, Outcome, OutcomeName, Presented, Rejection,
};
use openapi::spec::Operation;
use openapi::Spec;

use crate::jwt::{IdToken, Signer};
use crate::read::Sent;
use crate::respond::{self, Choice, Reply};
use crate::state::{State, StateError};

/// What the request carries where the binding looks.
struct Read {
    username: Option<String>,
    password: Option<String>,
    access_token: Option<String>,
    refresh_token: Option<String>,
    token: Option<String>,
    token_type_hint: Option<String>,
    /// The client's id and secret, where the binding authenticates one.
    client: Option<(Option<String>, Option<String>)>,
}

impl Read {
    fn of(b: &Binding, sent: Sent<'_>) -> Read {
        let at = |s: &Option<Source>| s.as_ref().and_then(|s| sent.source(s));
        let client = b
            .client
            .as_ref()
            .map(|c| openapi::request::client_credentials(c, |e| sent.text(e)));
        Read {
            username: at(&b.username),
            password: at(&b.password),
            access_token: at(&b.access_token),
            refresh_token: at(&b.refresh_token),
            token: at(&b.token),
            token_type_hint: at(&b.token_type_hint),
            client,
        }
    }

    fn client(&self) -> Option<ClientAuth<'_>> {
        self.client.as_ref().map(|(id, secret)| ClientAuth {
            id: id.as_deref(),
            secret: secret.as_deref(),
        })
    }

    fn presented(&self) -> Presented<'_> {
        Presented {
            username: self.username.as_deref(),
            password: self.password.as_deref(),
            access_token: self.access_token.as_deref(),
            refresh_token: self.refresh_token.as_deref(),
            token: self.token.as_deref(),
            token_type_hint: self.token_type_hint.as_deref(),
        }
    }
}

/// The answer of a bound operation.
pub(crate) struct Told {
    /// The response.
    pub(crate) reply: Reply,
    /// The outcome's name (`success`, `invalid (spent)`).
    pub(crate) outcome: String,
    /// What happened, for a person (`invalid: spent by a refresh 4 s ago,
    /// session ended`).
    pub(crate) words: String,
}

/// The answer of `op`, bound by `b`: a 503 problem when the shared state
/// cannot be read or written (`--state redis://…`), never a guess.
pub(crate) fn answer(
    spec: &Spec,
    signer: Option<&Signer>,
    state: &State,
    op: &Operation,
    b: &Binding,
    sent: Sent<'_>,
) -> Told {
    decide(spec, signer, state, op, b, sent).unwrap_or_else(|e| unavailable(&e))
}

/// The 503 of a request the shared state could not serve.
pub(crate) fn unavailable(e: &StateError) -> Told {
    let words = e.to_string();
    tracing::warn!(error = %words, "answered 503");
    Told {
        reply: Reply::from(respond::problem(503, words.clone())).header("retry-after", "1"),
        outcome: "unavailable".into(),
        words,
    }
}

fn decide(
    spec: &Spec,
    signer: Option<&Signer>,
    state: &State,
    op: &Operation,
    b: &Binding,
    sent: Sent<'_>,
) -> Result<Told, StateError> {
    if b.action == ActionKind::Authorize {
        return crate::authorize::answer(spec, state, op, sent);
    }
    let read = Read::of(b, sent);
    let client_id = read.client().and_then(|c| c.id).map(str::to_owned);
    // The code exchange is no single model action (`ActionKind::action`).
    let (outcome, detail, token, grant, code_why) = match b.action.action(read.presented()) {
        Some(action) => {
            let token = action.token().map(str::to_owned);
            let (outcome, detail) = state.apply_explained(read.client(), action)?;
            (outcome, detail, token, None, None)
        }
        None => {
            let e = crate::exchange::apply(state, b, sent, read.client())?;
            (e.outcome, e.detail, None, e.grant, e.why)
        }
    };
    let name = outcome.name();
    let (target, hints) = b.respond_to(name, detail);
    // RFC 7662 section 2.2: an inactive token's answer says nothing more.
    let silent = match &outcome {
        Outcome::Introspected(i) if !i.active => silent_places(b),
        _ => Vec::new(),
    };
    let reply = if op.response(target.status).is_some() {
        let choice = Choice {
            example: target.example.as_deref(),
            outcome: &hints,
            accept: sent.header("accept"),
            clear: &silent,
            ..Choice::default()
        };
        respond::documented(
            spec,
            op,
            target.status,
            choice,
            &fills(
                b,
                &outcome,
                signer,
                state,
                client_id.as_deref(),
                grant.as_ref(),
            )?,
        )
    } else {
        Reply::from(respond::problem(
            target.status,
            format!("token lifecycle outcome: {name}"),
        ))
        .header("www-authenticate", "Bearer error=\"invalid_token\"")
    };
    let detail = detail.filter(|_| name == OutcomeName::Invalid);
    let journaled = match detail {
        Some(d) => format!("invalid ({})", d.name()),
        None => name.to_string(),
    };
    let why = match (&outcome, detail) {
        (Outcome::Issued(t), _) => format!("session {}", t.session),
        (Outcome::Introspected(i), _) => introspected_words(i),
        (Outcome::Authorized { username }, _) => username.clone(),
        (Outcome::Rejected(Rejection::Invalid), Some(d)) => {
            let died = token.as_deref().and_then(|t| state.death_of(t));
            let mut why = died.unwrap_or_else(|| d.name().to_string());
            if d == Invalidity::Spent && spec.lifecycle().policy.reuse_ends_session {
                why.push_str(", session ended");
            }
            why
        }
        _ => code_why.unwrap_or_default(),
    };
    let words = match why.as_str() {
        "" => name.to_string(),
        _ => format!("{name}: {why}"),
    };
    Ok(Told {
        reply,
        outcome: journaled,
        words,
    })
}

/// The values a bound response carries at the binding's places: the
/// issued tokens and lifetimes (and an ID token where tokens are JWTs: for
/// a code exchange only where the scope has `openid`, with its `nonce`),
/// the user's name.
fn fills<'b>(
    b: &'b Binding,
    outcome: &Outcome,
    signer: Option<&Signer>,
    state: &State,
    client: Option<&str>,
    grant: Option<&Grant>,
) -> Result<Vec<(&'b Expr, Value)>, StateError> {
    match outcome {
        Outcome::Issued(t) => {
            let i = &b.issue;
            let wanted = i.id_token.is_some() && grant.is_none_or(Grant::openid);
            let id_token = signer.filter(|_| wanted).map(|s| {
                let (now, started) = state
                    .with_model(|m, now, _| (now, m.session(t.session).map(|s| s.started_at)))?;
                let token = s.id_token(&IdToken {
                    username: &t.username,
                    client,
                    now,
                    expires_at: now + t.expires_in,
                    auth_time: grant.map_or(started.unwrap_or(now), |g| g.issued_at),
                    access_token: &t.access_token,
                    nonce: grant.and_then(|g| g.nonce.as_deref()),
                });
                Ok::<_, StateError>(Value::from(token.as_str()))
            });
            let id_token = id_token.transpose()?;
            Ok([
                (&i.access_token, Some(Value::from(t.access_token.as_str()))),
                (
                    &i.refresh_token,
                    Some(Value::from(t.refresh_token.as_str())),
                ),
                (&i.expires_in, Some(Value::from(t.expires_in))),
                (
                    &i.refresh_expires_in,
                    Some(Value::from(t.refresh_expires_in)),
                ),
                (&i.id_token, id_token),
            ]
            .into_iter()
            .filter_map(|(e, v)| Some((e.as_ref()?, v?)))
            .collect())
        }
        Outcome::Authorized { username } => Ok(b
            .subject
            .iter()
            .map(|e| (e, Value::from(username.as_str())))
            .collect()),
        Outcome::Introspected(i) => Ok(introspection_fills(b, i)),
        Outcome::Done | Outcome::Rejected(_) => Ok(Vec::new()),
    }
}

/// What introspection says, at the binding's places: `active`, and for
/// an active token its `exp`, `sub`, `client_id` and `token_type`.
fn introspection_fills<'b>(b: &'b Binding, i: &Introspection) -> Vec<(&'b Expr, Value)> {
    let p = &b.introspection;
    [
        (&p.active, Some(Value::Bool(i.active))),
        (&p.exp, i.exp.map(Value::from)),
        (&p.sub, i.sub.as_deref().map(Value::from)),
        (&p.client_id, i.client_id.as_deref().map(Value::from)),
        (&p.token_type, i.token_type.map(|t| Value::from(t.as_str()))),
    ]
    .into_iter()
    .filter_map(|(e, v)| Some((e.as_ref()?, v?)))
    .collect()
}

/// The places an inactive token's introspection leaves out: all but
/// `active`.
fn silent_places(b: &Binding) -> Vec<&Expr> {
    let p = &b.introspection;
    [&p.exp, &p.sub, &p.client_id, &p.token_type]
        .into_iter()
        .flatten()
        .collect()
}

fn introspected_words(i: &Introspection) -> String {
    match (&i.sub, i.token_type) {
        (Some(sub), Some(kind)) if i.active => format!("active {} of {sub}", kind.as_str()),
        _ if i.active => "active".to_owned(),
        _ => "inactive".to_owned(),
    }
}

/// The answer of a request no binding of `op` matches: the operation's
/// `unsupported` response (RFC 6749's `unsupported_grant_type`), or a
/// problem document where it documents none.
pub(crate) fn unsupported(spec: &Spec, op: &Operation, sent: Sent<'_>) -> Told {
    let target = op.unsupported.clone().unwrap_or(respond_400());
    let conditions: Vec<String> = op
        .bindings
        .iter()
        .map(Binding::label)
        .filter(|l| !l.is_empty())
        .collect();
    let words = format!(
        "unsupported: the request meets no binding's condition ({})",
        conditions.join("; ")
    );
    let reply = if op.response(target.status).is_some() {
        let choice = Choice {
            example: target.example.as_deref(),
            outcome: &[OutcomeName::Unsupported],
            accept: sent.header("accept"),
            ..Choice::default()
        };
        respond::documented(spec, op, target.status, choice, &[])
    } else {
        Reply::from(respond::problem(target.status, words.clone()))
    };
    Told {
        reply,
        outcome: OutcomeName::Unsupported.to_string(),
        words,
    }
}

fn respond_400() -> openapi::binding::OutcomeResponse {
    openapi::binding::OutcomeResponse {
        status: 400,
        example: None,
    }
}
