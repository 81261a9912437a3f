//! Integration tests of the contract crate.

/// The behaviour model, one test per sentence of the contract and per policy.
mod model;
/// Properties of the model over random action sequences and policies.
mod model_props;
/// The reference spec loads, and the committed YAML is current.
mod reference;
