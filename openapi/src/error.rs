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
    /// A version other than 3.0.x, 3.1.x or Swagger 2.0.
    #[error("unsupported OpenAPI version {0}: only 3.0.x, 3.1.x and Swagger 2.0 are supported")]
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
    /// Behaviour bindings that do not fit the document: every problem the
    /// vocabulary's reader found (warnings aside), one a line.
    #[error("{}", BindingProblems(.0))]
    Bindings(Vec<BindingProblem>),
    /// A schema the validator cannot compile.
    #[error("#{at}: invalid schema: {message}")]
    Schema {
        /// Where.
        at: String,
        /// What the validator said.
        message: String,
    },
}

impl LoadError {
    /// The same error with every pointer it names passed through `place`
    /// (a converted document's pointers mapped back to the document as
    /// written: [`crate::swagger2::Origins::original`]).
    pub fn relocate(mut self, place: impl Fn(&str) -> String) -> LoadError {
        match &mut self {
            LoadError::ExternalRef { at, .. }
            | LoadError::UnresolvedRef { at, .. }
            | LoadError::RefCycle { at }
            | LoadError::Invalid { at, .. }
            | LoadError::Schema { at, .. } => *at = place(at),
            LoadError::Bindings(problems) => {
                for p in problems {
                    p.at = place(&p.at);
                }
            }
            LoadError::Read { .. }
            | LoadError::Parse(_)
            | LoadError::NotOpenApi
            | LoadError::Version(_) => {}
        }
        self
    }
}

/// What a check of the `x-token-lifecycle` vocabulary found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// A field the vocabulary does not have.
    UnknownField,
    /// An action the vocabulary does not have.
    UnknownAction,
    /// A field the action cannot do without (or no `action`).
    MissingField,
    /// Not a runtime expression, or one on the wrong side (request/response),
    /// or an outcome that is not a status.
    ExpressionInvalid,
    /// An expression that points at nothing the operation declares.
    Unresolved,
    /// An outcome mapped to a status or example the operation lacks.
    OutcomeUndocumented,
    /// A policy value out of its range.
    PolicyInvalid,
    /// A malformed account list or account.
    AccountInvalid,
    /// A bound operation with no numeric 2xx response.
    NoSuccessResponse,
    /// A value of the wrong JSON type where the vocabulary wants an object
    /// or a string.
    Malformed,
    /// Two bindings of one operation that can both match a request.
    Overlap,
    /// A binding no request can reach: a `when` value its place's schema
    /// forbids, or a binding after an unconditional one.
    Unreachable,
    /// `unsupported` mapped to different responses by bindings of one
    /// operation.
    OutcomeConflict,
    /// An old name of a field, still read (a warning: the document loads).
    DeprecatedName,
}

impl Rule {
    /// Every rule, in documentation order.
    pub const ALL: [Rule; 14] = [
        Rule::UnknownField,
        Rule::UnknownAction,
        Rule::MissingField,
        Rule::ExpressionInvalid,
        Rule::Unresolved,
        Rule::OutcomeUndocumented,
        Rule::PolicyInvalid,
        Rule::AccountInvalid,
        Rule::NoSuccessResponse,
        Rule::Malformed,
        Rule::Overlap,
        Rule::Unreachable,
        Rule::OutcomeConflict,
        Rule::DeprecatedName,
    ];

    /// The rule's id, as lint findings name it (`lifecycle-unknown-field`).
    pub fn id(self) -> &'static str {
        match self {
            Rule::UnknownField => "lifecycle-unknown-field",
            Rule::UnknownAction => "lifecycle-unknown-action",
            Rule::MissingField => "lifecycle-binding-missing-field",
            Rule::ExpressionInvalid => "lifecycle-expression-invalid",
            Rule::Unresolved => "lifecycle-binding-unresolved",
            Rule::OutcomeUndocumented => "lifecycle-outcome-undocumented",
            Rule::PolicyInvalid => "lifecycle-policy-invalid",
            Rule::AccountInvalid => "lifecycle-account-invalid",
            Rule::NoSuccessResponse => "lifecycle-no-success-response",
            Rule::Malformed => "lifecycle-binding-malformed",
            Rule::Overlap => "lifecycle-binding-overlap",
            Rule::Unreachable => "lifecycle-binding-unreachable",
            Rule::OutcomeConflict => "lifecycle-outcome-conflict",
            Rule::DeprecatedName => "lifecycle-deprecated-name",
        }
    }

    /// Whether a problem of this rule is only a warning: the document
    /// still loads (and lint reports it as a warning, not breaking).
    pub fn is_warning(self) -> bool {
        matches!(self, Rule::DeprecatedName)
    }
}

/// One problem of the vocabulary, at its place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BindingProblem {
    /// The JSON pointer of the offending value (without `#`).
    pub at: String,
    /// Which rule it breaks.
    pub rule: Rule,
    /// What is wrong, in words.
    pub message: String,
    /// The operation (`POST /auth/login`), for problems of an operation's
    /// binding.
    pub operation: Option<String>,
}

impl std::fmt::Display for BindingProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}: {}", self.at, self.message)
    }
}

/// Problems shown one a line.
struct BindingProblems<'p>(&'p [BindingProblem]);

impl std::fmt::Display for BindingProblems<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}
