//! TLS to a target or an upstream: the rustls client configuration the
//! suite's [`Tls`] options describe (`--ca-cert`, `--insecure`,
//! `--client-cert`/`--client-key`), trusting the webpki and the system
//! roots. The one owner of TLS settings: `conformance run`'s HTTP client
//! and the proxy's forwarding client are both built over it.

use std::path::PathBuf;
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::error::RunError;
use crate::Tls;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(what: &'static str, path: &PathBuf) -> Result<Vec<u8>, RunError> {
    std::fs::read(path).map_err(|source| RunError::File {
        what,
        path: path.clone(),
        source,
    })
}

fn certs(what: &'static str, path: &PathBuf) -> Result<Vec<CertificateDer<'static>>, RunError> {
    let pem = read(what, path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|_| RunError::Pem {
            what,
            path: path.clone(),
        })?;
    if certs.is_empty() {
        return Err(RunError::Pem {
            what,
            path: path.clone(),
        });
    }
    Ok(certs)
}

/// The rustls client configuration `tls` describes.
pub(crate) fn config(tls: &Tls) -> Result<rustls::ClientConfig, RunError> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| RunError::Client(e.to_string()))?;
    let builder = if tls.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // Unreadable system certificates are skipped, as reqwest does.
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if let Some(path) = &tls.ca_cert {
            for cert in certs("CA certificate", path)? {
                roots.add(cert).map_err(|_| RunError::Pem {
                    what: "CA certificate",
                    path: path.clone(),
                })?;
            }
        }
        builder.with_root_certificates(roots)
    };
    match (&tls.client_cert, &tls.client_key) {
        (Some(cert), Some(key)) => {
            let chain = certs("client certificate", cert)?;
            let pem = read("client key", key)?;
            let key_der = PrivateKeyDer::from_pem_slice(&pem).map_err(|_| RunError::Pem {
                what: "client key",
                path: key.clone(),
            })?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|_| RunError::Pem {
                    what: "client certificate and key",
                    path: cert.clone(),
                })
        }
        (None, None) => Ok(builder.with_no_client_auth()),
        _ => Err(RunError::ClientCertPair),
    }
}

/// `--insecure`: every certificate is accepted (signatures are still
/// checked, so the handshake is a real one).
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
