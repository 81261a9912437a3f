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

    fn first_lossy(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.0
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
    }
}

impl Incoming<'_> {
    /// Run `f` on the request as `openapi::request` reads it (the one
    /// reader of requests, the conformance proxy's too).
    pub(crate) fn shared<R>(&self, f: impl FnOnce(&openapi::request::Incoming<'_>) -> R) -> R {
        let headers = PoemHeaders(self.headers);
        f(&openapi::request::Incoming {
            query: self.query,
            headers: &headers,
            body: self.body,
            path_params: self.path_params,
        })
    }
}

/// Check `req` against `op`.
pub fn check(spec: &Spec, op: &Operation, req: &Incoming<'_>) -> Checked {
    req.shared(|incoming| openapi::request::check(spec, op, incoming))
}
