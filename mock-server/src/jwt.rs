//! Signed JWT access tokens and OpenID Connect ID tokens, where the spec
//! says tokens are JWTs (`x-token-lifecycle.tokens.format: jwt`), with the
//! JWKS and the discovery document that let a client check them.
//!
//! The model still decides everything: a JWT is only the way the mock
//! writes a token the model issued (its `sub`, `client_id`, `iat` and
//! `exp` are the model's, its `jti` the opaque token that carries the
//! model's stamp, `sid` its session), and a presented JWT is judged by the
//! model like any other token once its signature holds, so a revoked JWT
//! is refused even though its signature is good.

use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use openapi::authcode::ChallengeMethod;
use openapi::binding::{Jwt, JwtAlgorithm};
use openapi::model::{Claims, Token};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::store::{StateError, Store};

/// Why the signing key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// The RSA key could not be generated or encoded.
    #[error("cannot make the RS256 signing key: {0}")]
    Key(String),
    /// jsonwebtoken refused the key.
    #[error("cannot use the signing key")]
    Jwt(#[source] jsonwebtoken::errors::Error),
    /// The key replicas share could not be read or stored.
    #[error("cannot read the shared RS256 signing key")]
    Shared(#[from] StateError),
}

/// Signs the tokens of one served spec.
pub(crate) struct Signer {
    config: Jwt,
    algorithm: Algorithm,
    key: EncodingKey,
    /// What checks a presented JWT's signature.
    verifier: DecodingKey,
    /// The key's id (`kid`), in the JWKS and every header.
    kid: String,
    /// The public key, for the JWKS (RS256 only: an HS256 secret is not
    /// published).
    jwk: Option<Jwk>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The name of the RS256 key replicas share (see [`Store::shared_value`]).
const SHARED_RSA_KEY: &str = "jwt:rs256-key";

/// A fresh 2048-bit RSA private key, PKCS#1 DER.
fn fresh_rsa_der() -> Result<Vec<u8>, JwtError> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::Generate;
    let private = rsa::PrivateKey::generate();
    let der = private
        .to_pkcs1_der()
        .map_err(|e| JwtError::Key(e.to_string()))?;
    Ok(der.as_bytes().to_vec())
}

impl Signer {
    /// A signer for `config`: for RS256 a 2048-bit RSA key, fresh, or with
    /// a `store` the one every replica on it shares (the first replica
    /// makes and stores it, the others read it); the spec's secret for
    /// HS256. The key id is the key's RFC 7638 thumbprint, so replicas
    /// with one key publish one JWKS.
    pub(crate) fn new(config: &Jwt, store: Option<&Store>) -> Result<Signer, JwtError> {
        let (algorithm, key, secret) = match config.algorithm {
            JwtAlgorithm::HS256 => {
                let secret = config.secret.as_deref().unwrap_or_default();
                let key = EncodingKey::from_secret(secret.as_bytes()).map_err(JwtError::Jwt)?;
                (Algorithm::HS256, key, Some(secret))
            }
            JwtAlgorithm::RS256 => {
                let der = match store {
                    Some(store) => store.shared_value(SHARED_RSA_KEY, fresh_rsa_der)?,
                    None => fresh_rsa_der()?,
                };
                (Algorithm::RS256, EncodingKey::from_rsa_der(&der), None)
            }
        };
        let mut jwk = Jwk::from_encoding_key(&key, algorithm).map_err(JwtError::Jwt)?;
        let thumbprint = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(JwtError::Jwt)?;
        let (kid, jwk) = match algorithm {
            Algorithm::RS256 => {
                jwk.common.key_id = Some(thumbprint.clone());
                jwk.common.public_key_use = Some(PublicKeyUse::Signature);
                jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
                (thumbprint, Some(jwk))
            }
            // The thumbprint of a secret is a hash of it: only a part is
            // shown, and the key is not published.
            _ => (thumbprint[..16].to_owned(), None),
        };
        let verifier = match (&jwk, secret) {
            (Some(jwk), _) => DecodingKey::from_jwk(jwk).map_err(JwtError::Jwt)?,
            (None, secret) => DecodingKey::from_secret(secret.unwrap_or_default().as_bytes())
                .map_err(JwtError::Jwt)?,
        };
        Ok(Signer {
            config: config.clone(),
            algorithm,
            key,
            verifier,
            kid,
            jwk,
        })
    }

    /// The settings it signs by.
    pub(crate) fn config(&self) -> &Jwt {
        &self.config
    }

    fn sign(&self, claims: &Value) -> Token {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".to_owned());
        match jsonwebtoken::encode(&header, claims, &self.key) {
            Ok(t) => t.into(),
            // A key that signed once signs again; should it not, the
            // caller's fallback is sent instead.
            Err(e) => {
                tracing::error!("cannot sign a JWT: {e}");
                Token::default()
            }
        }
    }

    /// A JWT access token with the model's claims; `jti` is the opaque
    /// token that carries its stamp (and is sent instead should signing
    /// fail: it works for every client but a JWT-decoding one).
    pub(crate) fn access_token(&self, c: &Claims<'_>, jti: &str) -> Token {
        let mut claims = json!({
            "iss": self.config.issuer(),
            "sub": c.username,
            "iat": c.stamp.issued_at,
            "exp": c.stamp.expires_at,
            "jti": jti,
            "sid": c.stamp.session,
        });
        if let Some(aud) = &self.config.audience {
            claims["aud"] = json!(aud);
        }
        if let Some(client) = c.client_id {
            claims["client_id"] = json!(client);
        }
        match self.sign(&claims) {
            t if t.is_empty() => jti.into(),
            t => t,
        }
    }

    /// The `jti` of a JWT this signer signed (its signature checked; its
    /// lifetime is the model's to judge, so `exp` is not).
    pub(crate) fn verify(&self, token: &str) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Jti {
            jti: String,
        }
        let mut validation = Validation::new(self.algorithm);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Jti>(token, &self.verifier, &validation)
            .ok()
            .map(|data| data.claims.jti)
    }

    /// An OpenID Connect ID token (OpenID Connect Core section 2) for the
    /// user of a login, refresh or code exchange: `aud` is the client (or
    /// the configured audience), `azp` the client, `auth_time` when the
    /// session started, `at_hash` the left half of the SHA-256 of the
    /// access token issued with it, `nonce` the authorization request's.
    pub(crate) fn id_token(&self, id: &IdToken<'_>) -> Token {
        let issuer = self.config.issuer();
        let aud = id
            .client
            .or(self.config.audience.as_deref())
            .unwrap_or(issuer);
        let mut claims = json!({
            "iss": issuer,
            "sub": id.username,
            "aud": aud,
            "iat": id.now,
            "exp": id.expires_at,
            "auth_time": id.auth_time,
            "at_hash": at_hash(id.access_token),
        });
        if let Some(client) = id.client {
            claims["azp"] = json!(client);
        }
        if let Some(nonce) = id.nonce {
            claims["nonce"] = json!(nonce);
        }
        self.sign(&claims)
    }

    /// The JWKS: the public key (RS256), or no key (HS256).
    pub(crate) fn jwks(&self) -> Value {
        let keys: Vec<Jwk> = self.jwk.iter().cloned().collect();
        serde_json::to_value(JwkSet { keys }).unwrap_or_else(|_| json!({"keys": []}))
    }

    /// The OpenID Connect discovery document (OpenID Connect Discovery
    /// section 3, RFC 8414) of a mock at `base` (`http://127.0.0.1:8080`),
    /// naming the endpoints the spec binds.
    pub(crate) fn discovery(&self, base: &str, e: &Endpoints<'_>) -> Value {
        let jwks_uri = match self.config.jwks.as_deref() {
            Some(url) if url.contains("://") => url.to_owned(),
            _ => format!("{base}{}", self.config.jwks_path()),
        };
        let mut doc = json!({
            "issuer": self.config.issuer(),
            "jwks_uri": jwks_uri,
            "response_types_supported": if e.authorize.is_some() { json!(["code"]) } else { json!([]) },
            "response_modes_supported": ["query"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.config.algorithm.as_str()],
            "grant_types_supported": e.grants,
            "token_endpoint_auth_methods_supported": e.client_auth,
            "scopes_supported": ["openid"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "jti", "client_id",
                                 "auth_time", "nonce", "azp", "at_hash"],
        });
        let url = |path: &str| json!(format!("{base}{path}"));
        if let Some(path) = e.authorize {
            doc["authorization_endpoint"] = url(path);
            doc["code_challenge_methods_supported"] =
                json!(ChallengeMethod::ALL.map(ChallengeMethod::as_str));
        }
        if let Some(path) = e.token {
            doc["token_endpoint"] = url(path);
        }
        if let Some(path) = e.userinfo {
            doc["userinfo_endpoint"] = url(path);
        }
        if let Some(path) = e.revocation {
            doc["revocation_endpoint"] = url(path);
        }
        if let Some(path) = e.introspection {
            doc["introspection_endpoint"] = url(path);
        }
        doc
    }
}

/// What an ID token is about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdToken<'a> {
    /// The user.
    pub(crate) username: &'a str,
    /// The client it is issued to, where known.
    pub(crate) client: Option<&'a str>,
    /// Now (`iat`).
    pub(crate) now: u64,
    /// `exp`.
    pub(crate) expires_at: u64,
    /// When the user authenticated.
    pub(crate) auth_time: u64,
    /// The access token issued with it.
    pub(crate) access_token: &'a str,
    /// The authorization request's `nonce`.
    pub(crate) nonce: Option<&'a str>,
}

/// `at_hash`: the left half of the SHA-256 of the access token, base64url
/// (OpenID Connect Core section 3.1.3.6; RS256 and HS256 both hash with
/// SHA-256).
pub(crate) fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// What the discovery document names: paths of the spec's bound
/// operations, and what they accept.
#[derive(Debug, Clone, Default)]
pub(crate) struct Endpoints<'a> {
    /// The `authorize` operation.
    pub(crate) authorize: Option<&'a str>,
    /// The token endpoint: the code exchange, else the login.
    pub(crate) token: Option<&'a str>,
    /// A `protected` operation whose answer names the user (`subject`)
    /// and that GET reaches: the userinfo endpoint.
    pub(crate) userinfo: Option<&'a str>,
    /// The RFC 7009 `revoke-token` operation (RFC 8414 section 2).
    pub(crate) revocation: Option<&'a str>,
    /// The RFC 7662 `introspect` operation (RFC 8414 section 2).
    pub(crate) introspection: Option<&'a str>,
    /// `grant_types_supported`.
    pub(crate) grants: Vec<&'static str>,
    /// `token_endpoint_auth_methods_supported`.
    pub(crate) client_auth: Vec<&'static str>,
}

/// Where the mock serves the discovery document (and the JWKS at
/// `Jwt::jwks_path`), whether or not the spec documents the paths.
pub(crate) const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
