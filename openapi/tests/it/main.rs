//! Integration tests of the contract crate.

/// The reference spec loads, and the committed YAML is current.
mod reference;
