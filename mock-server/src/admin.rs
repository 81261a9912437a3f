//! The admin API under `/__mock`, with its own OpenAPI document
//! (`/__mock/openapi.json`) and Swagger UI (`/__mock/docs`). Every endpoint
//! but `/namespaces` acts on one namespace: the one the `x-mock-namespace`
//! header (or a `namespace` query parameter, for pages' `EventSource`)
//! names, else the default one.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService};

use crate::events::Change;
use crate::handler::Mock;
use crate::namespace::DEFAULT_NAMESPACE;
use crate::page::{self, Listing, DEFAULT_LIMIT};
use crate::redact;
use crate::state::{Clock, ClockView, JournalEntry, State, StateError, TokenStatus};

/// The shared state's failures are 503 problem documents (the app makes
/// every admin error one).
impl From<StateError> for poem::Error {
    fn from(e: StateError) -> poem::Error {
        tracing::warn!(error = %e, "admin request answered 503");
        poem::Error::from_string(e.to_string(), StatusCode::SERVICE_UNAVAILABLE)
    }
}

/// The admin API's prefix.
pub(crate) const PREFIX: &str = "/__mock";

/// The longest single clock advance: ten years.
const MAX_ADVANCE: u64 = 10 * 365 * 24 * 3600;

/// The admin endpoints.
pub(crate) struct Admin {
    mock: Arc<Mock>,
}

/// The namespace an admin request acts on (put in the request's extensions
/// by the app).
#[derive(Debug, Clone)]
pub(crate) struct Space(pub(crate) Arc<State>);

/// A namespace, as `/namespaces` lists it.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
struct NamespaceOut {
    /// Its name (`default` is the developer's).
    name: String,
    /// Sessions started since its last reset.
    sessions: u32,
    /// Sessions not ended (and not forgotten: a session every token of
    /// which has expired is).
    live_sessions: u32,
    /// Requests in its journal.
    requests: u32,
    /// Its clock.
    clock: ClockView,
}

/// Every namespace, and the bound.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
struct Namespaces {
    /// The most namespaces the mock keeps (`--max-namespaces`).
    max: u32,
    /// The namespaces, by name.
    namespaces: Vec<NamespaceOut>,
}

/// How far to move the clock.
#[derive(Debug, Object)]
struct Advance {
    /// Seconds to add (at most ten years at once).
    #[oai(validator(minimum(value = "0"), maximum(value = "315360000")))]
    seconds: u64,
}

/// A session of the behaviour model.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
struct SessionOut {
    /// Its id.
    id: u32,
    /// Its user.
    username: String,
    /// Whether it has not ended.
    live: bool,
    /// When it started (mock clock, Unix seconds).
    started_at: u64,
}

/// A token of the behaviour model.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
struct TokenOut {
    /// The token.
    token: String,
    /// `access` or `refresh`.
    kind: String,
    /// `live`, `spent` or `revoked` (expiry and session end are apart).
    state: String,
    /// Its session.
    session: u32,
    /// When it expires (mock clock, Unix seconds).
    expires_at: u64,
    /// Whether the mock would accept it now.
    usable: bool,
    /// What a person reads: `live`, `spent`, `revoked`, `expired` or
    /// `ended` (expiry first, as the model checks it).
    status: TokenStatus,
    /// Why, in words (`spent by a refresh 4 s ago`, `expired 20 s ago`).
    why: String,
    /// A short stand-in for the token (`#a1b2c3`), as the journal and the
    /// log show it.
    fingerprint: String,
}

#[derive(ApiResponse)]
enum Reset {
    /// State cleared.
    #[oai(status = 204)]
    Done,
}

fn word<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[OpenApi]
impl Admin {
    /// Forget every session, token and journal entry of the namespace; put
    /// its clock back to wall time. Accounts stay.
    #[oai(path = "/reset", method = "post")]
    async fn reset(&self, space: Data<&Space>) -> poem::Result<Reset> {
        space.0 .0.reset()?;
        self.changed(&space);
        Ok(Reset::Done)
    }

    /// The namespace's clock.
    #[oai(path = "/clock", method = "get")]
    async fn clock(&self, space: Data<&Space>) -> poem::Result<Json<ClockView>> {
        Ok(Json(space.0 .0.clock()?))
    }

    /// Move the namespace's clock forward, so that tokens expire without
    /// waiting.
    #[oai(path = "/clock/advance", method = "post")]
    async fn advance(
        &self,
        space: Data<&Space>,
        body: Json<Advance>,
    ) -> poem::Result<Json<ClockView>> {
        let seconds = body.0.seconds.min(MAX_ADVANCE);
        self.clock_moved(&space, |c| c.advance(seconds))
    }

    /// Stop the namespace's clock: from now on it only moves when
    /// advanced, so that expiry can be tested to the second.
    #[oai(path = "/clock/freeze", method = "post")]
    async fn freeze(&self, space: Data<&Space>) -> poem::Result<Json<ClockView>> {
        self.clock_moved(&space, Clock::freeze)
    }

    /// Let a frozen clock run again.
    #[oai(path = "/clock/resume", method = "post")]
    async fn resume(&self, space: Data<&Space>) -> poem::Result<Json<ClockView>> {
        self.clock_moved(&space, Clock::resume)
    }

    /// The namespace's stored sessions, oldest first, a page at a time: those
    /// with a token not yet expired (a session every token of which has
    /// expired is forgotten).
    #[oai(path = "/sessions", method = "get")]
    async fn sessions(
        &self,
        space: Data<&Space>,
        /// Sessions of the page (1 to 1000).
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "1000"))
        )]
        limit: Query<u32>,
        /// The `next` of the page before; none for the first page.
        cursor: Query<Option<String>>,
    ) -> poem::Result<Json<Listing<SessionOut>>> {
        let after = page::after::<1>("sessions", cursor.0.as_deref())?;
        let after = after.map(|[a]| u32::try_from(a).unwrap_or(u32::MAX));
        let found = space.0 .0.sessions_page(after, limit.0 as usize)?;
        let items = found.items.into_iter().map(|s| SessionOut {
            id: s.id,
            username: s.username,
            live: s.live,
            started_at: s.started_at,
        });
        Ok(Json(Listing {
            items: items.collect(),
            next: found
                .next
                .map(|id| page::cursor("sessions", &[u64::from(id)])),
        }))
    }

    /// The tokens of the namespace's stored sessions, a page at a time, by
    /// session, access tokens first: each session's newest access token
    /// and its newest refresh token (and, under single use, an older one a
    /// retry within the grace period left live). Tokens a session
    /// superseded are still judged when presented, but not listed.
    #[oai(path = "/tokens", method = "get")]
    async fn tokens(
        &self,
        space: Data<&Space>,
        /// Tokens of the page (1 to 1000).
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "1000"))
        )]
        limit: Query<u32>,
        /// The `next` of the page before; none for the first page.
        cursor: Query<Option<String>>,
    ) -> poem::Result<Json<Listing<TokenOut>>> {
        let after = page::after::<3>("tokens", cursor.0.as_deref())?;
        let after = after.map(|[session, refresh, serial]| {
            let session = u32::try_from(session).unwrap_or(u32::MAX);
            (session, refresh != 0, serial)
        });
        let found = space.0 .0.tokens_page(after, limit.0 as usize)?;
        let items = found.items.into_iter().map(|(t, status, why)| TokenOut {
            fingerprint: redact::fingerprint(&t.token),
            token: t.token.to_string(),
            kind: word(&t.kind),
            state: word(&t.state),
            session: t.session,
            expires_at: t.expires_at,
            usable: t.usable,
            status,
            why,
        });
        let next = found.next.map(|(session, refresh, serial)| {
            page::cursor("tokens", &[u64::from(session), u64::from(refresh), serial])
        });
        Ok(Json(Listing {
            items: items.collect(),
            next,
        }))
    }

    /// The namespace's newest requests, a page at a time, oldest first
    /// within a page; `next` leads to older ones. Secrets are shown as
    /// fingerprints.
    #[oai(path = "/journal", method = "get")]
    async fn journal(
        &self,
        space: Data<&Space>,
        /// Entries of the page (1 to 1000).
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "1000"))
        )]
        limit: Query<u32>,
        /// The `next` of the page before; none for the newest entries.
        cursor: Query<Option<String>>,
    ) -> poem::Result<Json<Listing<JournalEntry>>> {
        let before = page::after::<1>("journal", cursor.0.as_deref())?.map(|[seq]| seq);
        let found = space.0 .0.journal_page(before, limit.0 as usize)?;
        Ok(Json(Listing {
            items: found.items,
            next: found.next.map(|seq| page::cursor("journal", &[seq])),
        }))
    }

    /// Forget the namespace's journal.
    #[oai(path = "/journal", method = "delete")]
    async fn clear_journal(&self, space: Data<&Space>) -> poem::Result<Reset> {
        space.0 .0.clear_journal()?;
        self.changed(&space);
        Ok(Reset::Done)
    }

    /// Every namespace: `default` (requests without `x-mock-namespace`)
    /// and those made by requests naming one.
    #[oai(path = "/namespaces", method = "get")]
    async fn namespaces(&self) -> poem::Result<Json<Namespaces>> {
        let spaces = &self.mock.spaces;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let namespaces = spaces
            .list_shared()?
            .into_iter()
            .map(|s| {
                let (started, live) = s.session_counts()?;
                Ok(NamespaceOut {
                    name: s.name.clone(),
                    sessions: count(started),
                    live_sessions: count(live),
                    requests: count(s.journal_len()?),
                    clock: s.clock()?,
                })
            })
            .collect::<Result<_, StateError>>()?;
        Ok(Json(Namespaces {
            max: count(spaces.max()),
            namespaces,
        }))
    }

    /// Forget a namespace and all its state (a finished test run's).
    #[oai(path = "/namespaces/:name", method = "delete")]
    async fn delete_namespace(&self, name: Path<String>) -> poem::Result<Reset> {
        let refuse = |status: StatusCode, detail: String| poem::Error::from_string(detail, status);
        if name.0 == DEFAULT_NAMESPACE {
            let detail = "the default namespace cannot be deleted; reset it (POST /__mock/reset)";
            return Err(refuse(StatusCode::CONFLICT, detail.into()));
        }
        if self.mock.spaces.remove(&name.0)? {
            self.mock.changed(Change::Namespaces);
            Ok(Reset::Done)
        } else {
            let detail = format!("no namespace `{}`", redact::text(&name.0));
            Err(refuse(StatusCode::NOT_FOUND, detail))
        }
    }

    /// The OpenAPI document the mock serves.
    #[oai(path = "/spec", method = "get")]
    async fn spec(&self) -> Json<serde_json::Value> {
        Json(self.mock.served().spec.document().clone())
    }
}

impl Admin {
    fn changed(&self, space: &Space) {
        self.mock.changed(Change::State(space.0.name.clone()));
    }

    fn clock_moved(&self, space: &Space, f: impl Fn(&mut Clock)) -> poem::Result<Json<ClockView>> {
        let view = space.0.move_clock(f)?;
        self.changed(space);
        Ok(Json(view))
    }
}

fn default_limit() -> u32 {
    DEFAULT_LIMIT
}

/// The admin API as a poem-openapi service mounted at [`PREFIX`].
pub(crate) fn service(mock: Arc<Mock>) -> OpenApiService<Admin, ()> {
    OpenApiService::new(Admin { mock }, "Mock admin API", env!("CARGO_PKG_VERSION"))
        .description(
            "Control the stateful mock: reset it, move its clock, look at its \
             sessions, tokens and request journal. Each endpoint but /namespaces acts on \
             the namespace named by the `x-mock-namespace` header (or a `namespace` query \
             parameter), else on the default namespace.",
        )
        .server(PREFIX)
}
