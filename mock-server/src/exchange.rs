//! The code exchange of the authorization-code flow: a token request
//! with `grant_type=authorization_code` (RFC 6749 section 4.1.3), for an
//! operation bound to `exchange-code`.
//!
//! The client authenticates first (`invalidClient`), then the code is
//! redeemed ([`openapi::authcode::Codes`]: once, by the client it was
//! issued to, with its redirect URI and PKCE verifier) and the model
//! starts a session for the account chosen at the authorize endpoint
//! ([`openapi::model::Model::grant`]). A code presented a second time is
//! refused and the session its first use started ends, so the tokens
//! issued with it die (RFC 6749 section 4.1.2). The whole exchange is one
//! [`State::transact`] of the namespace's shared state (codes and model
//! together): of concurrent exchanges of one code, on one replica or on
//! several sharing a Redis, one wins.

use openapi::authcode::{CodeError, Grant, Redemption};
use openapi::binding::Binding;
use openapi::model::{ClientAuth, Invalidity, Outcome, Rejection};

use crate::read::Sent;
use crate::state::{State, StateError};

/// What a code exchange came to.
pub(crate) struct Exchanged {
    /// The model's outcome (refusals included).
    pub(crate) outcome: Outcome,
    /// Why the code was `invalid`, in the words of the outcome details.
    pub(crate) detail: Option<Invalidity>,
    /// What the code granted, when it was redeemed.
    pub(crate) grant: Option<Grant>,
    /// Why it was refused, in words, for the log.
    pub(crate) why: Option<String>,
}

fn refused(rejection: Rejection, detail: Option<Invalidity>, why: String) -> Exchanged {
    Exchanged {
        outcome: Outcome::Rejected(rejection),
        detail,
        grant: None,
        why: Some(why),
    }
}

/// Exchange the code the request presents where `b` reads it.
pub(crate) fn apply(
    state: &State,
    b: &Binding,
    sent: Sent<'_>,
    client: Option<ClientAuth<'_>>,
) -> Result<Exchanged, StateError> {
    let Some(places) = &b.exchange else {
        return Ok(refused(Rejection::Missing, None, "no code places".into()));
    };
    let code = sent.source(&places.code).filter(|c| !c.is_empty());
    let Some(code) = code else {
        return Ok(refused(
            Rejection::Missing,
            None,
            CodeError::Missing.to_string(),
        ));
    };
    if let Some(auth) = client {
        if let Err(r) = state.with_model(|m, _, _| m.authenticate_client(auth))? {
            return Ok(refused(r, None, "the client did not authenticate".into()));
        }
    }
    let redirect_uri = sent.source(&places.redirect_uri);
    let verifier = sent.source(&places.verifier);
    let client_id = client.and_then(|c| c.id);
    // Redeeming the code, starting its session and recording it (or
    // ending the session of a replayed code) is one transaction, so that
    // of concurrent exchanges of one code on any replicas one wins and a
    // replay finds the session to end.
    let redeemed = state.transact(|s, codec| {
        let now = s.clock.now();
        let redemption = Redemption {
            code: Some(&code),
            client_id,
            redirect_uri: redirect_uri.as_deref(),
            verifier: verifier.as_deref(),
        };
        match s.codes.redeem(redemption, now) {
            Ok(grant) => {
                let outcome = s.model.grant(&grant.username, client_id, now, codec);
                if let Outcome::Issued(t) = &outcome {
                    s.codes.started(&code, t.session);
                }
                Ok((grant, outcome))
            }
            Err(e) => {
                if let CodeError::Reused {
                    session: Some(session),
                } = e
                {
                    s.model.end_session(session, now);
                }
                Err(e)
            }
        }
    })?;
    let (grant, outcome) = match redeemed {
        Ok(redeemed) => redeemed,
        Err(e) => {
            let why = e.to_string();
            return Ok(match e {
                CodeError::Missing => refused(Rejection::Missing, None, why),
                CodeError::Expired => refused(Rejection::Expired, None, why),
                CodeError::Unknown => refused(Rejection::Invalid, Some(Invalidity::Unknown), why),
                CodeError::Reused { session } => {
                    let why = match session {
                        Some(s) => format!("{why}: session {s} ended"),
                        None => why,
                    };
                    refused(Rejection::Invalid, Some(Invalidity::Spent), why)
                }
                _ => refused(Rejection::Invalid, None, why),
            });
        }
    };
    Ok(Exchanged {
        outcome,
        detail: None,
        grant: Some(grant),
        why: None,
    })
}
