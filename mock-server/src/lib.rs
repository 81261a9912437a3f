//! A stateful mock server driven by an OpenAPI document.
//!
//! The mock reads any OpenAPI 3.0/3.1 document and routes every operation in
//! it. Requests are validated against the spec (a clear 400 naming each bad
//! field). Operations bound with the `x-token-lifecycle` extension run the
//! behaviour model of the `openapi` crate, so that login issues tokens, a
//! refresh token works exactly once, logout kills the session and expired or
//! dead tokens get a 401, as the spec declares. Other operations answer from
//! the spec's examples or schemas.
//!
//! # Use in Rust tests
//!
//! [`MockServer::start`] serves the embedded reference spec on a random
//! loopback port, like wiremock's `MockServer::start()`; it stops when
//! dropped.
//!
//! ```no_run
//! # async fn demo() {
//! use mock_server::MockServer;
//!
//! let server = MockServer::start().await;
//! let client = reqwest::Client::new();
//! let tokens: serde_json::Value = client
//!     .post(format!("{}/auth/login", server.uri()))
//!     .json(&serde_json::json!({"username": "demo", "password": "demo"}))
//!     .send().await.unwrap()
//!     .json().await.unwrap();
//! assert_eq!(tokens["tokenType"], "Bearer");
//! // Make the access token expire without waiting:
//! server.advance_clock(3600);
//! # }
//! ```
//!
//! With your own spec and accounts:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let spec = openapi::Spec::from_path("fixtures/spryker-glue.yaml".as_ref())?;
//! let server = mock_server::MockServer::builder()
//!     .spec(spec)
//!     .user("carol", "secret")
//!     .start()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Tests read and move the mock's state through [`MockServer`] (sessions,
//! tokens, the journal, the clock) rather than the admin API:
//!
//! ```no_run
//! # async fn demo() {
//! let server = mock_server::MockServer::start().await;
//! // ... log in over HTTP ...
//! assert_eq!(server.sessions().len(), 1);
//! assert!(server.tokens().iter().all(|t| t.usable));
//! server.reset();
//! # }
//! ```
//!
//! The same state is served over HTTP by the admin API under `/__mock`
//! (reset, clock, sessions, tokens, journal, Swagger UI at `/__mock/docs`),
//! for browsers and other languages.
#![deny(missing_docs)]

mod admin;
mod app;
mod authorize;
mod body;
mod bound;
mod builder;
mod codec;
mod cors;
mod docs;
mod events;
mod exchange;
mod guard;
mod handler;
mod jwt;
mod namespace;
mod page;
mod prefer;
mod read;
mod redact;
mod reload;
mod request;
mod respond;
mod security;
mod serve;
mod served;
mod server;
mod state;
mod store;
mod unbound;

pub use app::App;
pub use body::DEFAULT_BODY_TIMEOUT;
pub use builder::{MockServerBuilder, StartError, DEFAULT_BODY_LIMIT};
pub use codec::{MockCodec, TOKEN_LEN};
pub use cors::Cors;
pub use namespace::{DEFAULT_MAX_NAMESPACES, DEFAULT_NAMESPACE, NAMESPACE_HEADER};
pub use openapi::model::{SessionView, TokenView};
pub use prefer::{Latency, MAX_DELAY_MS};
pub use serve::{
    DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_WRITE_TIMEOUT,
};
pub use server::{MockServer, Namespace};
pub use state::{ClockView, JournalEntry, TokenStatus, JOURNAL_CAPACITY};
pub use store::StateError;
