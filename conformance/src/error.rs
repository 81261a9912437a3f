//! Errors that stop a run (as opposed to check failures, which are results).

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The target is not an http(s) URL.
    #[error("target `{0}` is not an http:// or https:// URL")]
    BadTarget(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The target did not answer.
    #[error("target {target} is unreachable: {message}")]
    Unreachable {
        /// The base URL.
        target: String,
        /// What the client said.
        message: String,
    },
    /// The mock's admin API refused a call.
    #[error("the mock's admin API answered {status} to {path}")]
    Admin {
        /// The admin path.
        path: String,
        /// Its status.
        status: u16,
    },
    /// The spec could not be loaded.
    #[error("cannot load the spec")]
    Spec(#[source] openapi::LoadError),
}
