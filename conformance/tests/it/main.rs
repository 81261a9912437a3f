//! Integration tests of the conformance suite.

/// Shared helpers: the mock in a background runtime, specs.
mod support;

/// A real redis-server on a free loopback port: the mock-server tests'
/// own starter, one for both crates (this crate does not kill or restart
/// it, hence the allowance).
#[allow(dead_code)]
#[path = "../../../mock-server/tests/it/support_redis.rs"]
mod support_redis;

/// A hand-written reference implementation of the contract, with defects
/// to switch on.
mod refimpl;

/// What the suite checks and its verdict, against the reference
/// implementation: the directed phase, not applicable and not exercised,
/// malformed requests, token quality, races.
mod verdict;

/// Two mock replicas on one Redis behind a round-robin balancer: the
/// verdicts of one mock.
mod replicas;
/// The suite passes against the mock for every spec in the repository.
mod selftest;

/// Mocks whose behaviour differs from the checked spec in one way each.
mod seeded;

/// The suite catches each of them, under the right property.
mod defects;

/// OpenID Connect: the JWT checks (and their defects: a foreign key set, a
/// lifetime that disagrees with `expiresIn`), `--login-command` and its
/// failures, fixtures/oidc.yaml through the authorization-code flow.
mod oidc;

/// fixtures/oauth2.yaml: variants, clients, RFC 7009, the introspection
/// oracle, client secrets never written out.
mod oauth;

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

/// A real OAuth 2.0 server: django-oauth-toolkit 3, rotation and reuse
/// protection, each against both DOT specs.
mod dot;
/// Runs against the mock keep to a namespace of their own.
mod namespaces;
/// Suite sharding: `run --shard I/N` and `merge`.
mod shard;
/// A real third-party implementation: djangorestframework-simplejwt.
mod simplejwt;

/// The validating proxy (`conformance proxy`): the suite through it in
/// front of the mock, scripted clients in front of defective mocks, the
/// 502 of `--errors`, the reports.
mod proxy;
