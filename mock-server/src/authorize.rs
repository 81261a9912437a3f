//! The authorization endpoint of the authorization-code flow (RFC 6749
//! section 4.1.1, OpenID Connect Core section 3.1.2, PKCE of RFC 7636),
//! for an operation bound to `authorize`.
//!
//! The client and its redirect URI are checked first: an unknown client
//! or a redirect URI it did not register is an error page, never a
//! redirect (RFC 6749 section 4.1.2.1: the user agent must not be sent to
//! an unchecked URI). Every later error is redirected to the client with
//! `error`, `error_description` and `state`. With a `login_hint` naming an
//! account the code is issued at once (what tests and scripts use);
//! without one, a page lists the accounts (no passwords) and choosing one
//! sends the same request with that `login_hint`.

use openapi::authcode::{self, Challenge, ChallengeMethod, Grant};
use openapi::binding::{ActionKind, Binding};
use openapi::model::{Instant, TokenKind};
use openapi::spec::Operation;
use openapi::vocabulary::AUTHORIZE_REDIRECTS;
use openapi::wire::Component;
use openapi::Spec;

use crate::bound::Told;
use crate::docs::escape;
use crate::read::Sent;
use crate::respond::Reply;
use crate::state::{random_token, State, StateError};

/// The parameters of an authorization request: from the query, or the
/// form body of a POST (OpenID Connect Core section 3.1.2.1 has both).
struct Params<'s>(&'s Sent<'s>);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<String> {
        let parsed = self.0.parsed;
        let from_body = parsed.body.as_ref().and_then(|b| match b.get(name)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        from_body
            .or_else(|| {
                parsed
                    .query
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
            .filter(|v| !v.is_empty())
    }

    /// Every parameter as sent, body first (for the picker's hidden
    /// fields).
    fn all(&self) -> Vec<(String, String)> {
        let parsed = self.0.parsed;
        let mut out: Vec<(String, String)> = parsed
            .body
            .as_ref()
            .and_then(|b| b.as_object())
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect();
        for (k, v) in &parsed.query {
            if !out.iter().any(|(n, _)| n == k) {
                out.push((k.clone(), v.clone()));
            }
        }
        out
    }
}

/// An error redirected to the client (RFC 6749 section 4.1.2.1).
struct Redirected {
    error: &'static str,
    description: String,
}

fn redirected(error: &'static str, description: impl Into<String>) -> Redirected {
    Redirected {
        error,
        description: description.into(),
    }
}

/// The answer of the authorize operation `op`.
pub(crate) fn answer(
    spec: &Spec,
    state: &State,
    op: &Operation,
    sent: Sent<'_>,
) -> Result<Told, StateError> {
    let params = Params(&sent);
    let redirect_uri = match checked_client(spec, &params) {
        Ok(uri) => uri,
        Err(why) => return Ok(page_error(&why)),
    };
    let status = redirect_status(op);
    let state_param = params.get("state");
    let back = |pairs: &[(&str, Option<String>)]| {
        let mut query = String::new();
        for (k, v) in pairs {
            if let Some(v) = v {
                let sep = if query.is_empty() { "" } else { "&" };
                query.push_str(&format!("{sep}{k}={}", Component::Query.encode(v)));
            }
        }
        let sep = if redirect_uri.contains('?') { '&' } else { '?' };
        Reply::empty(status).header("location", format!("{redirect_uri}{sep}{query}"))
    };
    let (accounts, now): (Vec<String>, _) =
        state.with_model(|m, now, _| (m.accounts().map(|(u, _)| u.to_owned()).collect(), now))?;
    Ok(
        match request(spec, op, &params, &redirect_uri, (&accounts, now)) {
            Ok(Chosen::Code(code, grant)) => {
                let words = format!("code issued for {}", grant.username);
                // Into the shared state: any replica exchanges it.
                state.transact(|s, _| s.codes.issue(code.clone(), grant.clone(), now))?;
                Told {
                    reply: back(&[("code", Some(code)), ("state", state_param)]),
                    outcome: "success".into(),
                    words,
                }
            }
            Ok(Chosen::Page(page)) => Told {
                reply: page,
                outcome: "success".into(),
                words: "the account picker".into(),
            },
            Err(e) => Told {
                reply: back(&[
                    ("error", Some(e.error.to_owned())),
                    ("error_description", Some(e.description.clone())),
                    ("state", state_param),
                ]),
                outcome: e.error.into(),
                words: format!("{}: {}", e.error, e.description),
            },
        },
    )
}

/// The redirect URI to answer at: the client is known and the URI is one
/// it registered (or its only one, where the request names none).
fn checked_client(spec: &Spec, params: &Params<'_>) -> Result<String, String> {
    let lifecycle = spec.lifecycle();
    let Some(client_id) = params.get("client_id") else {
        return Err("the request has no client_id".into());
    };
    if !lifecycle.clients.iter().any(|c| c.id == client_id) {
        return Err(format!("no client `{client_id}` is declared"));
    }
    let registered = lifecycle
        .redirect_uris
        .get(&client_id)
        .map_or(&[][..], Vec::as_slice);
    match params.get("redirect_uri") {
        Some(uri)
            if registered
                .iter()
                .any(|r| authcode::redirect_matches(r, &uri)) =>
        {
            Ok(uri)
        }
        Some(uri) => Err(format!(
            "`{uri}` is not a redirect URI of client `{client_id}` (it registers: {})",
            if registered.is_empty() {
                "none".to_owned()
            } else {
                registered.join(", ")
            }
        )),
        None if registered.len() == 1 => Ok(registered[0].clone()),
        None => Err(format!(
            "the request has no redirect_uri, and client `{client_id}` registers {} of them",
            registered.len()
        )),
    }
}

enum Chosen {
    /// A code to issue, and what it grants.
    Code(String, Grant),
    /// The account picker.
    Page(Reply),
}

/// The request checked (RFC 6749 section 4.1.1, RFC 7636 section 4.3), then
/// a code for the account `login_hint` names, or the picker.
fn request(
    spec: &Spec,
    op: &Operation,
    params: &Params<'_>,
    redirect_uri: &str,
    (accounts, now): (&[String], Instant),
) -> Result<Chosen, Redirected> {
    match params.get("response_type").as_deref() {
        Some("code") => {}
        Some(other) => {
            return Err(redirected(
                "unsupported_response_type",
                format!("only response_type=code is supported, not `{other}`"),
            ))
        }
        None => return Err(redirected("invalid_request", "response_type is missing")),
    }
    if params.get("error").as_deref() == Some("access_denied") {
        return Err(redirected("access_denied", "the user chose no account"));
    }
    let client_id = params.get("client_id").unwrap_or_default();
    let challenge = challenge(params)?;
    let public = spec
        .lifecycle()
        .clients
        .iter()
        .any(|c| c.id == client_id && c.secret.is_none());
    if public && challenge.is_none() {
        return Err(redirected(
            "invalid_request",
            "a public client must send a PKCE code_challenge",
        ));
    }

    let hint = params.get("login_hint");
    let Some(username) = hint.filter(|h| accounts.contains(h)) else {
        if params.get("prompt").as_deref() == Some("none") {
            return Err(redirected(
                "login_required",
                "prompt=none, and no login_hint names an account",
            ));
        }
        let note = params
            .get("login_hint")
            .map(|h| format!("No account is named `{h}`. "));
        return Ok(Chosen::Page(picker(spec, op, params, accounts, note)));
    };
    let code = random_token(TokenKind::Refresh).to_string();
    let grant = Grant {
        username: username.clone(),
        client_id,
        redirect_uri: redirect_uri.to_owned(),
        redirect_uri_sent: params.get("redirect_uri").is_some(),
        scope: params.get("scope"),
        nonce: params.get("nonce"),
        challenge,
        issued_at: now,
    };
    Ok(Chosen::Code(code, grant))
}

/// The PKCE challenge of the request, if any.
fn challenge(params: &Params<'_>) -> Result<Option<Challenge>, Redirected> {
    let method = params.get("code_challenge_method");
    let Some(value) = params.get("code_challenge") else {
        return match method {
            Some(_) => Err(redirected(
                "invalid_request",
                "code_challenge_method without code_challenge",
            )),
            None => Ok(None),
        };
    };
    let Some(method) = ChallengeMethod::parse(method.as_deref()) else {
        return Err(redirected(
            "invalid_request",
            "code_challenge_method must be S256 or plain",
        ));
    };
    if !authcode::well_formed(&value) {
        return Err(redirected(
            "invalid_request",
            "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
        ));
    }
    Ok(Some(Challenge { method, value }))
}

/// The status the operation redirects with: 302 where it documents it,
/// else 303.
fn redirect_status(op: &Operation) -> u16 {
    AUTHORIZE_REDIRECTS
        .into_iter()
        .find(|s| op.response(*s).is_some())
        .unwrap_or(302)
}

/// The error page: the request cannot be sent back to the client.
fn page_error(why: &str) -> Told {
    let page = html(
        "Authorization error",
        &format!(
            "<h1>This authorization request cannot be answered</h1>\
             <p id=\"error\">{}</p><p>The mock does not redirect to a client or URI it \
             cannot check (RFC 6749 section 4.1.2.1).</p>",
            escape(why)
        ),
    );
    Told {
        reply: html_reply(400, page),
        outcome: "invalid_request".into(),
        words: format!("error page: {why}"),
    }
}

/// The account picker: each account a button that sends the request
/// again with its `login_hint`; POST where the spec binds a POST
/// `authorize` operation at this path, else GET.
fn picker(
    spec: &Spec,
    op: &Operation,
    params: &Params<'_>,
    accounts: &[String],
    note: Option<String>,
) -> Reply {
    let post = spec.operations().iter().any(|o| {
        o.path == op.path
            && o.method == "POST"
            && o.bindings
                .iter()
                .any(|b: &Binding| b.action == ActionKind::Authorize)
    });
    let hidden: String = params
        .all()
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "login_hint" | "prompt" | "error"))
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(&k),
                escape(&v)
            )
        })
        .collect();
    let buttons: String = accounts
        .iter()
        .map(|a| {
            format!(
                "<li><button type=\"submit\" name=\"login_hint\" value=\"{a}\" \
                 data-account=\"{a}\">{a}</button></li>",
                a = escape(a)
            )
        })
        .collect();
    let client = params.get("client_id").unwrap_or_default();
    let body = format!(
        "<h1>Sign in to {title}</h1><p>{note}Choose an account for <code>{client}</code> \
         (this is the mock: no password is asked).</p>\
         <form id=\"accounts\" method=\"{method}\">{hidden}<ul>{buttons}</ul>\
         <button type=\"submit\" name=\"error\" value=\"access_denied\" id=\"cancel\">Cancel</button>\
         </form>",
        title = escape(spec.title()),
        note = escape(&note.unwrap_or_default()),
        client = escape(&client),
        method = if post { "post" } else { "get" },
    );
    html_reply(200, html("Choose an account", &body))
}

fn html(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\
         <title>{title}</title><style>body{{font:15px system-ui,sans-serif;margin:2em;max-width:40em}}\
         ul{{list-style:none;padding:0}} button{{font:inherit;padding:.4em 1em;margin:.2em 0}}\
         </style></head><body>{body}</body></html>"
    )
}

fn html_reply(status: u16, page: String) -> Reply {
    Reply {
        status,
        headers: vec![("cache-control".into(), "no-store".into())],
        body: Some(("text/html; charset=utf-8".into(), page.into_bytes())),
    }
}
