//! [`Served`]: the spec a mock serves with what is derived from it (the
//! routing table, the headers CORS exposes). A reload replaces it whole, so
//! a request sees one spec from its start to its answer.

use std::sync::Arc;

use openapi::Spec;

use crate::jwt::{JwtError, Signer};
use crate::store::{StateError, Store};
use openapi::router::Router;

/// A loaded spec, ready to serve.
#[derive(Debug)]
pub(crate) struct Served {
    /// The spec.
    pub(crate) spec: Arc<Spec>,
    /// Its routing table.
    pub(crate) router: Router,
    /// Headers every CORS response exposes (documented response headers).
    pub(crate) exposed: String,
    /// The JWT signer, where the spec's tokens are JWTs (shared with the
    /// spec it replaced when the token settings did not change, so tokens
    /// signed before a reload still verify against the JWKS).
    pub(crate) signer: Option<Arc<Signer>>,
}

impl Served {
    /// Index `spec` for serving; an RS256 key is the one replicas share
    /// through `store`, if there is one (an error if it cannot be read:
    /// tokens are never silently opaque because Redis did not answer).
    pub(crate) fn new(spec: Spec, store: Option<&Store>) -> Result<Served, StateError> {
        Served::after(spec, None, store)
    }

    /// Index `spec` to replace `old`: the signer is kept when the token
    /// settings are the same.
    pub(crate) fn reloaded(
        spec: Spec,
        old: &Served,
        store: Option<&Store>,
    ) -> Result<Served, StateError> {
        Served::after(spec, old.signer.clone(), store)
    }

    fn after(
        spec: Spec,
        old_signer: Option<Arc<Signer>>,
        store: Option<&Store>,
    ) -> Result<Served, StateError> {
        let router = Router::new(
            spec.operations(),
            &openapi::router::base_path(spec.document()),
        );
        let mut exposed: Vec<String> = spec
            .operations()
            .iter()
            .flat_map(|o| &o.responses)
            .flat_map(|r| &r.headers)
            .map(|h| h.name.clone())
            .chain(["www-authenticate", "location", "allow", "x-mock-problem"].map(String::from))
            .collect();
        exposed.sort();
        exposed.dedup();
        let signer = match spec.lifecycle().tokens.jwt.as_ref() {
            None => None,
            Some(jwt) => match old_signer.filter(|s| s.config() == jwt) {
                Some(kept) => Some(kept),
                None => match Signer::new(jwt, store) {
                    Ok(signer) => Some(Arc::new(signer)),
                    Err(JwtError::Shared(e)) => return Err(e),
                    Err(e) => {
                        tracing::error!("tokens stay opaque: {e}");
                        None
                    }
                },
            },
        };
        Ok(Served {
            spec: Arc::new(spec),
            router,
            exposed: exposed.join(", "),
            signer,
        })
    }

    /// The path the spec's operations are served under (`/v1`), or "".
    pub(crate) fn base_path(&self) -> String {
        openapi::router::base_path(self.spec.document())
    }
}
