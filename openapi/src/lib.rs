//! The contract: OpenAPI documents, behaviour bindings and the behaviour
//! model.
//!
//! One OpenAPI document drives both the stateful mock server and the
//! conformance suite of this workspace. This crate is what both read:
//!
//! - [`spec`]: load any OpenAPI 3.0/3.1 or Swagger 2.0 document (YAML or
//!   JSON, local `$ref`s) and index its operations;
//! - [`swagger2`]: the one conversion of Swagger 2.0 documents to OpenAPI
//!   3.0, with the map of every pointer back to the document as written;
//! - [`vocabulary`]: the one reader of the `x-token-lifecycle` extension
//!   (see `docs/bindings.md`), which collects every problem of a document;
//! - [`binding`]: what it says an operation *does* (login, refresh, logout,
//!   revoke, revoke-all, protected) and where its tokens sit;
//! - [`model`]: the pure token-lifecycle state machine (no IO, explicit
//!   clock) that the mock serves and the conformance suite uses as its
//!   oracle;
//! - [`schema`]: validation with the `jsonschema` crate and values generated
//!   from schemas;
//! - [`problem`]: the RFC 9457 problem document the mock refuses requests
//!   with, and the reference spec documents;
//! - [`reference`](mod@reference): the reference API, authored with utoipa, which is the
//!   embedded default spec;
//! - [`wire`]: how values travel in requests, built (parameter styles,
//!   percent-encoding, JSON, form and multipart bodies) and parsed back.
//!
//! ```
//! use openapi::model::{Action, Model, Outcome, Symbolic};
//! use openapi::spec::Spec;
//!
//! let spec = Spec::from_value(openapi::reference::reference_json()).unwrap();
//! let lifecycle = spec.lifecycle();
//! let mut model = Model::new(lifecycle.policy.clone(), lifecycle.accounts.clone());
//! // Tokens name what they are (`R.1`, `A.2`); the codec reads them back.
//! let mut codec = Symbolic::new();
//! let login = Action::Login { username: Some("demo"), password: Some("demo") };
//! let Outcome::Issued(tokens) = model.apply(login, 0, &mut codec) else { panic!() };
//! let refresh = Action::Refresh { refresh_token: Some(&tokens.refresh_token) };
//! assert!(matches!(model.apply(refresh.clone(), 1, &mut codec), Outcome::Issued(_)));
//! // A refresh token works once; its reuse ends the session.
//! assert_eq!(model.apply(refresh, 2, &mut codec).name().as_str(), "invalid");
//! ```
#![deny(missing_docs)]

pub mod authcode;
pub mod binding;
mod doc;
pub mod error;
pub mod expr;
mod index;
pub mod media;
pub mod model;
mod operation;
pub mod problem;
pub mod reference;
pub mod request;
pub mod router;
pub mod schema;
pub mod spec;
pub mod swagger2;
pub mod vocabulary;
pub mod wire;

pub use error::{BindingProblem, LoadError, Rule};
pub use spec::Spec;

/// The embedded default spec: the reference API, loaded.
pub fn reference_spec() -> Spec {
    Spec::from_value(reference::reference_json())
        .expect("the reference spec is checked by the test suite")
}
