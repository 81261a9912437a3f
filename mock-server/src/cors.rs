//! CORS: which browser origins may call the mock, the answer to a
//! preflight, and the headers of an actual answer. The mock's operations
//! and the admin API both go through here.

use poem::http::{HeaderMap, HeaderValue, Method};
use poem::{Request, Response};

use crate::respond::Reply;

/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// Any origin, without credentials.
const ANY: &str = "*";

/// The CORS policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cors {
    /// No CORS headers at all.
    Off,
    /// Origins on this machine: `localhost`, `127.0.0.1`, `[::1]`, any port
    /// (the default).
    #[default]
    Localhost,
    /// Every origin, without credentials: answers say
    /// `Access-Control-Allow-Origin: *` (never the origin itself, `null`
    /// included) and no `Access-Control-Allow-Credentials`, so a page may
    /// read them but its cookies are not sent. The admin API is not opened
    /// to every page by it.
    Any,
    /// Exactly these origins (`https://app.example.com`).
    Origins(Vec<String>),
}

impl Cors {
    /// Whether a request from `origin` gets CORS headers.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Cors::Off => false,
            Cors::Any => true,
            Cors::Origins(list) => list.iter().any(|o| o.trim_end_matches('/') == origin),
            Cors::Localhost => {
                let Some((_, rest)) = origin.split_once("://") else {
                    return false;
                };
                let host = if let Some(v6) = rest.strip_prefix('[') {
                    v6.split(']').next().map(|h| format!("[{h}]"))
                } else {
                    rest.split(':').next().map(str::to_owned)
                };
                matches!(host.as_deref(), Some("localhost" | "127.0.0.1" | "[::1]"))
            }
        }
    }
}

impl Cors {
    /// What `Access-Control-Allow-Origin` says to the request's `Origin`,
    /// if this policy gives it CORS headers: the origin itself, or `*`
    /// under [`Cors::Any`].
    pub(crate) fn origin(&self, headers: &HeaderMap) -> Option<String> {
        let origin = headers
            .get("origin")
            .and_then(|v| v.to_str().ok())
            .filter(|o| self.allows(o))?;
        Some(match self {
            Cors::Any => ANY.to_owned(),
            _ => origin.to_owned(),
        })
    }
}

/// Whether `req` is a CORS preflight (`OPTIONS` with
/// `Access-Control-Request-Method`).
pub(crate) fn is_preflight(req: &Request) -> bool {
    req.method() == Method::OPTIONS && req.headers().contains_key("access-control-request-method")
}

/// The 204 answer to a preflight: these methods, these request headers
/// (none named when `None`), cacheable for ten minutes.
pub(crate) fn preflight(methods: &str, headers: Option<&str>) -> Reply {
    let reply = Reply::empty(204)
        .header("access-control-allow-methods", methods)
        .header("access-control-max-age", MAX_AGE);
    match headers {
        Some(h) => reply.header("access-control-allow-headers", h),
        None => reply,
    }
}

/// Let `origin` read `resp` (with credentials, unless it is `*`), and
/// these response headers beyond the CORS-safelisted ones.
pub(crate) fn allow(resp: &mut Response, origin: &str, exposed: Option<&str>) {
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(origin) {
        headers.insert("access-control-allow-origin", v);
    }
    if origin != ANY {
        headers.insert(
            "access-control-allow-credentials",
            HeaderValue::from_static("true"),
        );
    }
    if let Some(v) = exposed.and_then(|e| HeaderValue::from_str(e).ok()) {
        headers.insert("access-control-expose-headers", v);
    }
}

#[cfg(test)]
mod tests {
    use super::Cors;

    #[test]
    fn localhost_only_by_default() {
        let c = Cors::default();
        assert!(c.allows("http://localhost:5173"));
        assert!(c.allows("http://127.0.0.1:3000"));
        assert!(c.allows("http://[::1]:8000"));
        assert!(!c.allows("https://evil.example"));
        assert!(!c.allows("http://localhost.evil.example"));
        assert!(!c.allows("null"));
    }

    #[test]
    fn explicit_origins() {
        let c = Cors::Origins(vec!["https://app.example.com/".into()]);
        assert!(c.allows("https://app.example.com"));
        assert!(!c.allows("https://other.example.com"));
        assert!(!Cors::Off.allows("http://localhost"));
        assert!(Cors::Any.allows("https://anything.example"));
    }

    #[test]
    fn any_is_a_star_never_the_origin() {
        let mut headers = poem::http::HeaderMap::new();
        for origin in ["https://anything.example", "null"] {
            headers.insert("origin", origin.parse().unwrap());
            assert_eq!(Cors::Any.origin(&headers).as_deref(), Some("*"));
        }
        let mut resp = poem::Response::default();
        super::allow(&mut resp, "*", None);
        assert!(!resp
            .headers()
            .contains_key("access-control-allow-credentials"));
        headers.insert("origin", "null".parse().unwrap());
        assert_eq!(Cors::Localhost.origin(&headers), None);
    }
}
