//! Integration tests of the contract crate.

/// Authorization codes and PKCE, the code flow's vocabulary, sessions
/// granted without a password.
mod authcode;
/// Load errors of specs and bindings (snapshots), and the accepted forms.
mod bindings;
/// docs/bindings.md agrees with the reader of the vocabulary, table by table.
mod docs;
/// The crate's modules form layers (no cycle; the model imports nothing).
mod layers;
/// The behaviour model, one test per sentence of the contract and per policy.
mod model;
/// Properties of the model over random action sequences and policies.
mod model_props;
/// The reference spec loads, and the committed YAML is current.
mod reference;
/// Values generated from schemas validate against them.
mod schema;
/// Helpers: documents on disk, the npm tools of the differential tests.
mod support;
/// Swagger 2.0 documents: the conversion, its pointer maps, load errors
/// and bindings, and agreement with npm `swagger2openapi`.
mod swagger2;
/// Several bindings on one operation (`when`), the RFC 7009 and 7662
/// actions, the renamed revocation policy.
mod variants;
/// The wire codec: build a request from values, parse it back, same values.
mod wire;
