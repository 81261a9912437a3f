//! The admin API under `/__mock`, with its own OpenAPI document
//! (`/__mock/openapi.json`) and Swagger UI (`/__mock/docs`).

use std::sync::Arc;

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService};

use crate::handler::Mock;
use crate::state::{ClockView, JournalEntry, JOURNAL_CAPACITY};

/// The admin API's prefix.
pub(crate) const PREFIX: &str = "/__mock";

/// The longest single clock advance: ten years.
const MAX_ADVANCE: u64 = 10 * 365 * 24 * 3600;

/// The admin endpoints.
pub(crate) struct Admin {
    mock: Arc<Mock>,
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
    /// Forget every session, token and journal entry; put the clock back to
    /// wall time. Accounts stay.
    #[oai(path = "/reset", method = "post")]
    async fn reset(&self) -> Reset {
        self.mock.state.reset();
        Reset::Done
    }

    /// The mock clock.
    #[oai(path = "/clock", method = "get")]
    async fn clock(&self) -> Json<ClockView> {
        Json(self.mock.state.clock.view())
    }

    /// Move the mock clock forward, so that tokens expire without waiting.
    #[oai(path = "/clock/advance", method = "post")]
    async fn advance(&self, body: Json<Advance>) -> Json<ClockView> {
        self.mock
            .state
            .clock
            .advance(body.0.seconds.min(MAX_ADVANCE));
        Json(self.mock.state.clock.view())
    }

    /// Stop the clock: from now on it only moves when advanced, so that
    /// expiry can be tested to the second.
    #[oai(path = "/clock/freeze", method = "post")]
    async fn freeze(&self) -> Json<ClockView> {
        self.mock.state.clock.freeze();
        Json(self.mock.state.clock.view())
    }

    /// Let a frozen clock run again.
    #[oai(path = "/clock/resume", method = "post")]
    async fn resume(&self) -> Json<ClockView> {
        self.mock.state.clock.resume();
        Json(self.mock.state.clock.view())
    }

    /// Every session, oldest first.
    #[oai(path = "/sessions", method = "get")]
    async fn sessions(&self) -> Json<Vec<SessionOut>> {
        let list = self.mock.state.sessions().into_iter();
        Json(
            list.map(|s| SessionOut {
                id: s.id,
                username: s.username,
                live: s.live,
                started_at: s.started_at,
            })
            .collect(),
        )
    }

    /// Every token issued since the last reset.
    #[oai(path = "/tokens", method = "get")]
    async fn tokens(&self) -> Json<Vec<TokenOut>> {
        let list = self.mock.state.tokens().into_iter();
        Json(
            list.map(|t| TokenOut {
                token: t.token.to_string(),
                kind: word(&t.kind),
                state: word(&t.state),
                session: t.session,
                expires_at: t.expires_at,
                usable: t.usable,
            })
            .collect(),
        )
    }

    /// The newest requests, oldest first.
    #[oai(path = "/journal", method = "get")]
    async fn journal(
        &self,
        /// How many entries (at most 1000).
        #[oai(default = "default_limit", validator(maximum(value = "1000")))]
        limit: Query<u32>,
    ) -> Json<Vec<JournalEntry>> {
        Json(self.mock.state.journal.lock().last(limit.0 as usize))
    }

    /// Forget the journal.
    #[oai(path = "/journal", method = "delete")]
    async fn clear_journal(&self) -> Reset {
        self.mock.state.journal.lock().clear();
        Reset::Done
    }

    /// The OpenAPI document the mock serves.
    #[oai(path = "/spec", method = "get")]
    async fn spec(&self) -> Json<serde_json::Value> {
        Json(self.mock.spec.document().clone())
    }
}

fn default_limit() -> u32 {
    JOURNAL_CAPACITY as u32
}

/// The admin API as a poem-openapi service mounted at [`PREFIX`].
pub(crate) fn service(mock: Arc<Mock>) -> OpenApiService<Admin, ()> {
    OpenApiService::new(Admin { mock }, "Mock admin API", env!("CARGO_PKG_VERSION"))
        .description(
            "Control the stateful mock: reset it, move its clock, look at its \
             sessions, tokens and request journal.",
        )
        .server(PREFIX)
}
