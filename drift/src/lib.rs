//! Spec drift: what changed between two OpenAPI documents, and what is wrong
//! inside one.
//!
//! Both entry points take documents as [`serde_json::Value`] (load YAML or
//! JSON yourself), never fail and never panic on malformed input: a broken
//! document yields findings, not errors. A Swagger 2.0 document is read in
//! its conversion to OpenAPI 3.0 ([`openapi::swagger2`], the one the loader
//! uses), and every pointer of a finding names the place of the document
//! as written.
//!
//! - [`diff`] lists every change from an old to a new document, each with a
//!   stable rule id, a [`Severity`] and JSON pointers into both documents.
//!   Requests break when they narrow, responses when they widen; refs are
//!   followed, `allOf` is merged, `oneOf`/`anyOf` branches are matched by
//!   name or meaning, and reordering is never a change. Behaviour changes of
//!   the `x-token-lifecycle` extension (`docs/bindings.md`) are rules too:
//!   `lifecycle-refresh-no-longer-single-use`, `lifecycle-access-token-ttl-decreased`...
//! - [`diff_with`] judges the same changes with [`Options`]: a
//!   [`BreakingPolicy`] for the changes that break only exhaustive matches
//!   (a new enum value in a response...), a [`Config`] read from a
//!   `drift.toml` (per-rule severities, ignores with a reason and an expiry
//!   date), and the version policy (a breaking change needs a major bump of
//!   `info.version`). A change to a shared component is one finding per
//!   operation it reaches, with its [`Finding::component`]; [`rules`] lists
//!   every rule with its severity and direction.
//! - [`lint`] checks one document: bodies under 204/304, examples against
//!   their schemas, bindings pointing at nothing, undeclared security
//!   schemes, dangling refs...
//! - A [`Report`] renders as text, JSON, JUnit XML, GitHub annotations or
//!   Markdown ([`Report::render`]) and tells a CI job whether to fail
//!   ([`Report::exceeds`]).
//!
//! ```
//! use drift::{diff, FailOn, Format, Severity};
//! use serde_json::json;
//!
//! let old = json!({"openapi": "3.0.3", "paths": {"/pets": {
//!     "get": {"responses": {"200": {"description": "ok"}}},
//!     "delete": {"responses": {"204": {"description": "gone"}}}
//! }}});
//! let new = json!({"openapi": "3.0.3", "paths": {"/pets": {
//!     "get": {"responses": {"200": {"description": "ok"}}}
//! }}});
//!
//! let report = diff(&old, &new);
//! assert_eq!(report.findings[0].rule, "operation-removed");
//! assert_eq!(report.findings[0].severity, Severity::Breaking);
//! assert!(report.exceeds(FailOn::Breaking));
//! println!("{}", report.render(Format::Markdown, "spec drift"));
//!
//! let lint = drift::lint(&new);
//! assert!(lint.is_empty());
//! ```
#![deny(missing_docs)]

mod binding;
mod config;
mod diff;
mod doc;
mod error;
mod finding;
mod lint;
mod options;
mod render;
mod rules;

pub use config::{Config, Ignore, Ignored, Level, CONFIG_FILE, IGNORE_EXPIRED, IGNORE_UNUSED};
pub use diff::{diff, diff_with};
pub use error::Error;
pub use finding::{FailOn, Finding, Report, Severity};
pub use lint::lint;
pub use options::{today_utc, BreakingPolicy, Date, Options};
pub use render::Format;
pub use rules::{rules, Direction, RuleInfo, EXHAUSTIVE_MATCH_CHANGES};
