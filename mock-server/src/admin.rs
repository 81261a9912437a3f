//! The admin API under `/__mock`, with its own OpenAPI document
//! (`/__mock/openapi.json`) and Swagger UI (`/__mock/docs`).

use std::sync::Arc;

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService};

use crate::handler::Mock;
use crate::state::{JournalEntry, JOURNAL_CAPACITY};

/// The admin API's prefix.
pub const PREFIX: &str = "/__mock";

/// The longest single clock advance: ten years.
const MAX_ADVANCE: u64 = 10 * 365 * 24 * 3600;

/// The admin endpoints.
pub struct Admin {
    mock: Arc<Mock>,
}

/// The mock clock.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ClockView {
    /// The mock's now, Unix seconds.
    pub now: u64,
    /// Seconds the clock has been advanced past wall time.
    pub offset: u64,
    /// Whether the clock only moves when advanced.
    pub frozen: bool,
}

/// How far to move the clock.
#[derive(Debug, Object)]
pub struct Advance {
    /// Seconds to add (at most ten years at once).
    #[oai(validator(minimum(value = "0"), maximum(value = "315360000")))]
    pub seconds: u64,
}

/// A session of the behaviour model.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SessionOut {
    /// Its id.
    pub id: u32,
    /// Its user.
    pub username: String,
    /// Whether it has not ended.
    pub live: bool,
    /// When it started (mock clock, Unix seconds).
    pub started_at: u64,
}

/// A token of the behaviour model.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct TokenOut {
    /// The token.
    pub token: String,
    /// `access` or `refresh`.
    pub kind: String,
    /// `live`, `spent` or `revoked` (expiry and session end are apart).
    pub state: String,
    /// Its session.
    pub session: u32,
    /// When it expires (mock clock, Unix seconds).
    pub expires_at: u64,
    /// Whether the mock would accept it now.
    pub usable: bool,
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
        Json(self.clock_view())
    }

    /// Move the mock clock forward, so that tokens expire without waiting.
    #[oai(path = "/clock/advance", method = "post")]
    async fn advance(&self, body: Json<Advance>) -> Json<ClockView> {
        self.mock
            .state
            .clock
            .advance(body.0.seconds.min(MAX_ADVANCE));
        Json(self.clock_view())
    }

    /// Stop the clock: from now on it only moves when advanced, so that
    /// expiry can be tested to the second.
    #[oai(path = "/clock/freeze", method = "post")]
    async fn freeze(&self) -> Json<ClockView> {
        self.mock.state.clock.freeze();
        Json(self.clock_view())
    }

    /// Let a frozen clock run again.
    #[oai(path = "/clock/resume", method = "post")]
    async fn resume(&self) -> Json<ClockView> {
        self.mock.state.clock.resume();
        Json(self.clock_view())
    }

    /// Every session, oldest first.
    #[oai(path = "/sessions", method = "get")]
    async fn sessions(&self) -> Json<Vec<SessionOut>> {
        let list = self.mock.state.with_model(|m| {
            m.sessions()
                .map(|s| SessionOut {
                    id: s.id,
                    username: s.username,
                    live: s.live,
                    started_at: s.started_at,
                })
                .collect()
        });
        Json(list)
    }

    /// Every token issued since the last reset.
    #[oai(path = "/tokens", method = "get")]
    async fn tokens(&self) -> Json<Vec<TokenOut>> {
        let now = self.mock.state.clock.now();
        let mut list: Vec<TokenOut> = self.mock.state.with_model(|m| {
            m.tokens(now)
                .map(|t| TokenOut {
                    token: t.token.to_string(),
                    kind: word(&t.kind),
                    state: word(&t.state),
                    session: t.session,
                    expires_at: t.expires_at,
                    usable: t.usable,
                })
                .collect()
        });
        list.sort_by(|a, b| (a.session, &a.kind, &a.token).cmp(&(b.session, &b.kind, &b.token)));
        Json(list)
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

impl Admin {
    fn clock_view(&self) -> ClockView {
        ClockView {
            now: self.mock.state.clock.now(),
            offset: self.mock.state.clock.offset(),
            frozen: self.mock.state.clock.is_frozen(),
        }
    }
}

/// The admin API as a poem-openapi service mounted at [`PREFIX`].
pub fn service(mock: Arc<Mock>) -> OpenApiService<Admin, ()> {
    OpenApiService::new(Admin { mock }, "Mock admin API", env!("CARGO_PKG_VERSION"))
        .description(
            "Control the stateful mock: reset it, move its clock, look at its \
             sessions, tokens and request journal.",
        )
        .server(PREFIX)
}
