//! Errors of the crate.

/// What can go wrong outside the analysis itself (which never fails: a
/// malformed document yields findings, not errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `--fail-on` value that is not `breaking`, `warning` or `info`.
    #[error("unknown fail-on threshold `{0}` (expected breaking, warning or info)")]
    UnknownFailOn(String),
    /// An output format name that is not known.
    #[error("unknown output format `{0}` (expected text, json, junit, github or markdown)")]
    UnknownFormat(String),
    /// A `--breaking-policy` value that is not `strict` or `lenient`.
    #[error("unknown breaking policy `{0}` (expected strict or lenient)")]
    UnknownPolicy(String),
    /// A `drift.toml` that cannot be read as one.
    #[error("invalid drift config: {0}")]
    Config(String),
    /// Serialising a report to JSON failed.
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
}
