//! Integration tests of the mock server over real HTTP (reqwest against
//! `MockServer::start()` on 127.0.0.1, port 0).
//!
//! Every sentence of the token-lifecycle contract of the reference spec has a
//! test here; one module per topic.

/// Shared helpers: a server plus a client, login/refresh/logout shortcuts and
/// the 401 assertion every test uses.
mod support;

/// A real redis-server on a free port, for the replica tests.
mod support_redis;

/// Replicas sharing state through Redis (`--state redis://…`).
mod redis;

/// `POST /auth/login`: token pairs, 400 problem documents, 401 for bad
/// credentials, builder accounts.
mod login;

/// `POST /auth/refresh`: rotation, single use, reuse detection, expiry.
mod refresh;

/// `POST /auth/logout`: 204 with no body, the session ends, every 401 case.
mod logout;

/// `DELETE /refresh-tokens/{refreshToken}` and `DELETE /refresh-tokens/mine`.
mod revoke;

/// OAuth clients: client authentication, tokens bound to their client.
mod clients;

/// `fixtures/oauth2.yaml`: a token endpoint dispatching by grant type,
/// RFC 7009 revocation, RFC 7662 introspection.
mod oauth;

/// JWT access and ID tokens, the JWKS and the discovery document.
mod jwt;

/// The authorization-code flow with PKCE (fixtures/oidc.yaml): the
/// authorize endpoint and its account picker, the code exchange, the ID
/// token, the errors of RFC 6749 section 4.1.2.1.
mod oidc;

/// `GET /me`, and the `WWW-Authenticate` challenge on every 401 of the API.
mod me;

/// Access and refresh token lifetimes on the mock clock.
mod expiry;

/// Tokens are long, base64url and never repeat.
mod tokens;

/// 404, 405 with `Allow`, HEAD on GET routes, snapshots of the error bodies.
mod routing;

/// Hostile and malformed input never yields a 5xx.
mod bad_input;

/// CORS preflight and actual requests, default and `Cors::Any` policies.
mod cors;

/// The admin API under `/__mock`.
mod admin;

/// Concurrent use of one refresh token: exactly one wins.
mod concurrency;

/// A spec whose `x-token-lifecycle` policies differ from the reference.
mod policies;

/// Unbound operations of an inline spec: examples, `Prefer`, content
/// negotiation, parameter validation, security.
mod unbound;

/// `multipart/form-data` request bodies: parts coerced by the schema,
/// validated, each bad field named, read by bindings.
mod multipart;

/// The mock from a page on another origin in headless Chromium: CORS
/// preflights, exposed headers, credentials, and the admin Swagger UI.
/// Skipped, with the reason, when Chromium is not installed.
mod browser;

/// Unbound operations secured like the protected ones have their token
/// checked by the model too.
mod guards;

/// The seed APIs (fixtures/) as their users know them.
mod seeds;

/// Namespaces (`x-mock-namespace`): a run of the suite in its own namespace
/// leaves the developer's sessions and clock alone; the bound; the admin
/// API on one namespace.
mod namespaces;

/// The README's fresh-machine commands and its tour, run as written
/// (bash, curl, sed) against the `mock-server` binary; its request log.
mod readme;

/// What a frontend developer uses beside the API: `--watch`, `Prefer:
/// delay` and `--latency`, the index and the API docs, JSON logs and CORS
/// refusals, completions and the man page.
mod frontend;

/// The server's limits: header, body and idle timeouts, the most
/// connections, room made from slow clients.
mod limits;

/// The admin API's safety (body limit, JSON only, Host, Origin, admin
/// token) and CORS `*` without credentials.
mod safety;

/// Tokens, secrets and passwords never in full in the journal or the log.
mod redaction;
