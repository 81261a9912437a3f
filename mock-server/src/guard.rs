//! Who may use the admin API, the dashboard and the API docs (everything
//! under `/__mock`). Three modes, chosen at start:
//!
//! - *local* (listening on a loopback address, no token): open to this
//!   machine; a `Host` that is not a loopback name, an IP address or an
//!   allowed host is refused (DNS rebinding), and so is a page whose
//!   `Origin` is neither the mock's own nor one CORS lets use the admin API;
//! - *token* (`--admin-token`): every call but a CORS preflight and the
//!   dashboard's page (which asks for the token, then sends it) carries it
//!   as `Authorization: Bearer TOKEN`, compared in constant time;
//! - *off* (listening beyond this machine without a token): refused.
//!
//! In every mode a state-changing call (any method but GET, HEAD, OPTIONS)
//! sends JSON (`Content-Type: application/json`) or no body at all, which a
//! cross-site form or a `text/plain` fetch cannot: a browser must ask first
//! with a preflight.

use std::net::IpAddr;

use poem::http::Method;
use poem::Request;
use subtle::ConstantTimeEq;

use crate::cors::Cors;
use crate::read::header;
use crate::respond::{self, Reply};

/// Who may use the admin API.
#[derive(Clone)]
pub(crate) struct AdminAccess {
    mode: Mode,
    /// Host names accepted beyond loopback names and IP addresses
    /// (lowercase, no port).
    allowed_hosts: Vec<String>,
}

#[derive(Clone)]
enum Mode {
    Local,
    Token(String),
    Off(IpAddr),
}

impl std::fmt::Debug for AdminAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("AdminAccess")
            .field("mode", &self.describe())
            .field("allowed_hosts", &self.allowed_hosts)
            .finish()
    }
}

impl AdminAccess {
    /// The access of a mock listening on `listen`, with `token` if one was
    /// given.
    pub(crate) fn new(listen: IpAddr, token: Option<String>, allowed_hosts: &[String]) -> Self {
        let mode = match token.filter(|t| !t.is_empty()) {
            Some(token) => Mode::Token(token),
            None if listen.is_loopback() => Mode::Local,
            None => Mode::Off(listen),
        };
        let allowed_hosts = allowed_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        AdminAccess {
            mode,
            allowed_hosts,
        }
    }

    /// An in-process mock's: local.
    pub(crate) fn local() -> Self {
        AdminAccess {
            mode: Mode::Local,
            allowed_hosts: Vec::new(),
        }
    }

    /// The mode in words, for the start banner.
    pub(crate) fn describe(&self) -> String {
        match &self.mode {
            Mode::Local => "open to this machine (loopback only; Host and Origin checked)".into(),
            Mode::Token(_) => "requires the admin token (Authorization: Bearer …)".into(),
            Mode::Off(ip) => format!(
                "off: listening on {ip}, beyond this machine, without --admin-token \
                 (or MOCK_ADMIN_TOKEN)"
            ),
        }
    }

    /// Whether a page on `origin` may call the admin API (with CORS
    /// headers). `*` opens the operations to every page, not the admin API:
    /// there it means pages on this machine.
    pub(crate) fn page_allowed(&self, cors: &Cors, origin: &str) -> bool {
        match (&self.mode, cors) {
            (Mode::Off(_), _) | (_, Cors::Off) => false,
            (_, Cors::Any) => Cors::Localhost.allows(origin),
            (_, cors) => cors.allows(origin),
        }
    }

    /// Whether the admin API is off altogether.
    pub(crate) fn is_off(&self) -> bool {
        matches!(self.mode, Mode::Off(_))
    }

    /// `Ok` if `req` may go on to the admin API, else the refusal to send.
    /// A CORS preflight is judged by [`page_allowed`](Self::page_allowed)
    /// alone, before this.
    pub(crate) fn check(&self, req: &Request, cors: &Cors) -> Result<(), Reply> {
        match &self.mode {
            Mode::Off(ip) => {
                let detail = format!(
                    "the admin API is off: the mock listens on {ip}, beyond this machine; \
                     start it with --admin-token TOKEN (or MOCK_ADMIN_TOKEN) and send \
                     Authorization: Bearer TOKEN"
                );
                return Err(respond::problem(403, detail).into());
            }
            // The dashboard's page holds nothing: it asks for the token
            // and sends it on every call it makes.
            Mode::Token(_) if is_dashboard_page(req) => {}
            Mode::Token(token) => {
                let sent = header(req.headers(), "authorization")
                    .and_then(|v| v.strip_prefix("Bearer ").or(v.strip_prefix("bearer ")));
                let matches =
                    sent.is_some_and(|s| bool::from(s.as_bytes().ct_eq(token.as_bytes())));
                if !matches {
                    let detail = "the admin API requires the admin token: \
                                  Authorization: Bearer TOKEN (--admin-token)";
                    let reply: Reply = respond::problem(401, detail).into();
                    return Err(reply.header("www-authenticate", "Bearer realm=\"mock admin\""));
                }
            }
            Mode::Local => {
                self.check_host(req)?;
                self.check_origin(req, cors)?;
            }
        }
        check_content_type(req)
    }

    /// DNS rebinding: a page on `evil.example` resolving to 127.0.0.1
    /// sends `Host: evil.example`.
    fn check_host(&self, req: &Request) -> Result<(), Reply> {
        let Some(host) = header(req.headers(), "host") else {
            return Ok(());
        };
        let name = host_name(host);
        if local_name(&name) || self.allowed_hosts.contains(&name) {
            return Ok(());
        }
        let detail = format!(
            "the admin API answers requests to this machine only, not to the host `{}` \
             (allow a name with --allowed-host NAME)",
            crate::redact::text(&name)
        );
        Err(respond::problem(403, detail).into())
    }

    /// A page on another origin that CORS does not let use the admin API.
    fn check_origin(&self, req: &Request, cors: &Cors) -> Result<(), Reply> {
        let Some(origin) = header(req.headers(), "origin") else {
            return Ok(());
        };
        let authority = origin.split_once("://").map(|(_, a)| a);
        let same = header(req.headers(), "host")
            .zip(authority)
            .is_some_and(|(host, a)| host.eq_ignore_ascii_case(a));
        if same || self.page_allowed(cors, origin) {
            return Ok(());
        }
        let detail = format!(
            "the admin API refuses pages on {}: only the mock's own pages and origins \
             --cors-origin lists may use it",
            crate::redact::text(origin)
        );
        Err(respond::problem(403, detail).into())
    }
}

fn is_dashboard_page(req: &Request) -> bool {
    req.method() == Method::GET && req.uri().path() == crate::docs::DASHBOARD
}

/// A state-changing call sends JSON or nothing.
fn check_content_type(req: &Request) -> Result<(), Reply> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let headers = req.headers();
    let refuse = |what: String| {
        let detail = format!(
            "{what}: the admin API takes application/json (a state-changing call sends JSON \
             or no body)"
        );
        Err(respond::problem(415, detail).into())
    };
    match header(headers, "content-type") {
        Some(ct) => {
            let media = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let json = media == "application/json"
                || media
                    .strip_prefix("application/")
                    .is_some_and(|m| m.ends_with("+json"));
            if json {
                Ok(())
            } else {
                refuse(format!("{} is not accepted", crate::redact::text(&media)))
            }
        }
        None => {
            let length = header(headers, "content-length").map(str::trim);
            let chunked = headers.contains_key("transfer-encoding");
            if chunked || length.is_some_and(|l| l != "0") {
                refuse("a body without a Content-Type is not accepted".into())
            } else {
                Ok(())
            }
        }
    }
}

/// The host of a `Host` header, lowercase, without its port.
fn host_name(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("").to_owned();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_owned(),
        _ => host,
    }
    .trim_end_matches('.')
    .to_owned()
}

/// A name no DNS rebinding can take: an IP address, `localhost` and its
/// subdomains (RFC 6761 keeps them on this machine).
fn local_name(name: &str) -> bool {
    name.parse::<IpAddr>().is_ok() || name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_rebinding_cannot_take() {
        assert_eq!(host_name("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_name("[::1]:8080"), "::1");
        assert_eq!(host_name("LocalHost."), "localhost");
        assert!(local_name(&host_name("[::1]:8080")));
        assert!(local_name("app.localhost"));
        assert!(local_name("192.168.1.5"));
        assert!(!local_name(&host_name("evil.example:8080")));
        assert!(!local_name("localhost.evil.example"));
    }

    #[test]
    fn the_mode_follows_the_address_and_the_token() {
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(AdminAccess::new(any, None, &[]).is_off());
        assert!(AdminAccess::new(any, Some(String::new()), &[]).is_off());
        assert!(!AdminAccess::new(any, Some("t".into()), &[]).is_off());
        assert!(!AdminAccess::new(lo, None, &[]).is_off());
        let shown = format!(
            "{:?}",
            AdminAccess::new(any, Some("s3cret-token".into()), &[])
        );
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn star_opens_the_operations_not_the_admin_api() {
        let access = AdminAccess::local();
        assert!(!access.page_allowed(&Cors::Any, "https://evil.example"));
        assert!(access.page_allowed(&Cors::Any, "http://localhost:5173"));
        assert!(!access.page_allowed(&Cors::Any, "null"));
        let listed = Cors::Origins(vec!["https://app.example.com".into()]);
        assert!(access.page_allowed(&listed, "https://app.example.com"));
    }
}
