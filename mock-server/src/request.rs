//! Checking a request against its operation: `openapi::request`'s check
//! (the one the conformance proxy runs too), over poem's headers.

use poem::http::HeaderMap;

use openapi::spec::Operation;
use openapi::wire;
use openapi::Spec;

pub use openapi::request::{Checked, FieldError, Parsed};

/// A request as the checker sees it.
#[derive(Debug)]
pub struct Incoming<'a> {
    /// The raw query string (without `?`).
    pub query: &'a str,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body bytes.
    pub body: &'a [u8],
    /// Decoded path parameters.
    pub path_params: &'a [(String, String)],
}

/// poem's headers as the codec reads them.
struct PoemHeaders<'a>(&'a HeaderMap);

impl wire::Headers for PoemHeaders<'_> {
    fn get_all(&self, name: &str) -> Vec<&str> {
        self.0
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }
}

/// Check `req` against `op`.
pub fn check(spec: &Spec, op: &Operation, req: &Incoming<'_>) -> Checked {
    let headers = PoemHeaders(req.headers);
    let incoming = openapi::request::Incoming {
        query: req.query,
        headers: &headers,
        body: req.body,
        path_params: req.path_params,
    };
    openapi::request::check(spec, op, &incoming)
}
