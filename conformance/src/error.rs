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
    /// A TLS file could not be read.
    #[error("cannot read the {what} {}", path.display())]
    File {
        /// Which file.
        what: &'static str,
        /// Its path.
        path: std::path::PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A TLS file is not what it should be.
    #[error("the {what} {} is not valid PEM", path.display())]
    Pem {
        /// Which file.
        what: &'static str,
        /// Its path.
        path: std::path::PathBuf,
    },
    /// `--client-cert` without `--client-key`, or the reverse.
    #[error("--client-cert and --client-key go together")]
    ClientCertPair,
    /// A request got no answer (a timeout, a dropped connection, an
    /// oversized body): a finding is recorded, the caller goes on.
    #[error("no answer from {operation}: {failure}")]
    NoAnswer {
        /// The operation.
        operation: String,
        /// What happened.
        failure: String,
    },
    /// The run is over before its phases are (budget, duration, a failing
    /// target, Ctrl-C): what was checked is reported.
    #[error("the run stopped: {0}")]
    Stopped(crate::budget::Stop),
    /// The spec could not be loaded.
    #[error("cannot load the spec")]
    Spec(#[source] openapi::LoadError),
    /// `--login-command` failed: it could not start, exited non-zero,
    /// timed out, or printed no token response.
    #[error("the login command `{command}` {message}")]
    LoginCommand {
        /// The command as given.
        command: String,
        /// What went wrong (its standard error's end, passwords removed).
        message: String,
    },
    /// `--login-command` was given for a spec with no login it can stand
    /// for.
    #[error("--login-command: {0}")]
    LoginPlan(String),
}
