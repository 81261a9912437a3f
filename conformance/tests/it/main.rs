//! Integration tests of the conformance suite.

/// Shared helpers: the mock in a background runtime, specs.
mod support;

/// The suite passes against the mock for every spec in the repository.
mod selftest;

/// The suite catches a mock whose behaviour differs from the checked spec.
mod defects;

/// The report formats (insta snapshots).
mod report;

/// The library surface: `HttpTarget` as a proptest-state-machine test.
mod library;

/// The `conformance` binary: exit codes and messages.
mod cli;

/// https, mTLS, and targets that hang, send endless bodies or drop
/// connections.
mod transport;

/// Staging manners: budget, selection, secrets, the config file.
mod manners;

/// The staging guide's commands, run as written.
mod docs;

/// Runs against the mock keep to a namespace of their own.
mod namespaces;
/// A real third-party implementation: djangorestframework-simplejwt.
mod simplejwt;
