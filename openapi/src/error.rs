//! Errors of loading a spec.

/// Why a document could not be loaded. Every variant that concerns a place
/// in the document names it as a JSON pointer (`#/paths/~1auth~1login/post`).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The path as given.
        path: String,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// Neither YAML nor JSON.
    #[error("the document is neither valid YAML nor JSON: {0}")]
    Parse(String),
    /// No `openapi` field.
    #[error("not an OpenAPI document: no `openapi` version field")]
    NotOpenApi,
    /// A version other than 3.0.x or 3.1.x.
    #[error("unsupported OpenAPI version {0}: only 3.0.x and 3.1.x are supported")]
    Version(String),
    /// A `$ref` to another file or URL.
    #[error("#{at}: external reference `{target}` is not supported (bundle the document first)")]
    ExternalRef {
        /// Where the `$ref` is.
        at: String,
        /// What it names.
        target: String,
    },
    /// A `$ref` that names nothing in the document.
    #[error("#{at}: `$ref` `{target}` points at nothing in the document")]
    UnresolvedRef {
        /// Where the `$ref` is.
        at: String,
        /// What it names.
        target: String,
    },
    /// `$ref`s that only lead to each other.
    #[error("#{at}: `$ref` chain loops")]
    RefCycle {
        /// Where the loop was noticed.
        at: String,
    },
    /// A structural error in the document.
    #[error("#{at}: {message}")]
    Invalid {
        /// Where.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A behaviour binding that does not fit the document.
    #[error("#{at}: {message}")]
    Binding {
        /// Where (inside an `x-token-lifecycle` extension).
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A schema the validator cannot compile.
    #[error("#{at}: invalid schema: {message}")]
    Schema {
        /// Where.
        at: String,
        /// What the validator said.
        message: String,
    },
}
