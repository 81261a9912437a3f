//! The proxy's TLS to an https upstream: the forwarding client's
//! connector over [`crate::tls::config`], the suite's one TLS setup.

use hyper_util::client::legacy::connect::HttpConnector;

use crate::error::RunError;
use crate::Tls;

/// The connector of the forwarding client: http, or https with [`config`].
pub(super) type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// The forwarding client's connector: `http://` and `https://` upstreams,
/// HTTP/1.1, TLS as `tls` says.
pub(super) fn connector(tls: &Tls) -> Result<Connector, RunError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(crate::tls::config(tls)?)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http))
}
