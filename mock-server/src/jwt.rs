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

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use openapi::binding::{Jwt, JwtAlgorithm};
use openapi::model::{Claims, Token, TokenKind};
use serde_json::{json, Value};

use crate::state::random_token;

/// Why the signing key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// The RSA key could not be generated or encoded.
    #[error("cannot make the RS256 signing key: {0}")]
    Key(String),
    /// jsonwebtoken refused the key.
    #[error("cannot use the signing key")]
    Jwt(#[source] jsonwebtoken::errors::Error),
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

impl Signer {
    /// A signer for `config`: a fresh 2048-bit RSA key for RS256, the
    /// spec's secret for HS256.
    pub(crate) fn new(config: &Jwt) -> Result<Signer, JwtError> {
        let (algorithm, key, secret) = match config.algorithm {
            JwtAlgorithm::HS256 => {
                let secret = config.secret.as_deref().unwrap_or_default();
                let key = EncodingKey::from_secret(secret.as_bytes()).map_err(JwtError::Jwt)?;
                (Algorithm::HS256, key, Some(secret))
            }
            JwtAlgorithm::RS256 => {
                use rsa::pkcs1::EncodeRsaPrivateKey;
                use rsa::Generate;
                let private = rsa::PrivateKey::generate();
                let der = private
                    .to_pkcs1_der()
                    .map_err(|e| JwtError::Key(e.to_string()))?;
                let key = EncodingKey::from_rsa_der(der.as_bytes());
                (Algorithm::RS256, key, None)
            }
        };
        let kid = random_token(TokenKind::Access)[..16].to_owned();
        let jwk = match algorithm {
            Algorithm::RS256 => {
                let mut jwk = Jwk::from_encoding_key(&key, algorithm).map_err(JwtError::Jwt)?;
                jwk.common.key_id = Some(kid.clone());
                jwk.common.public_key_use = Some(PublicKeyUse::Signature);
                jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
                Some(jwk)
            }
            _ => None,
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
            "iss": self.config.issuer,
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

    /// An OpenID Connect ID token for the user of a login or refresh:
    /// `aud` is the client (or the configured audience).
    pub(crate) fn id_token(
        &self,
        username: &str,
        client: Option<&str>,
        now: u64,
        expires_at: u64,
    ) -> Token {
        let aud = client
            .map(str::to_owned)
            .or_else(|| self.config.audience.clone())
            .unwrap_or_else(|| self.config.issuer.clone());
        self.sign(&json!({
            "iss": self.config.issuer,
            "sub": username,
            "aud": aud,
            "iat": now,
            "exp": expires_at,
            "auth_time": now,
        }))
    }

    /// The JWKS: the public key (RS256), or no key (HS256).
    pub(crate) fn jwks(&self) -> Value {
        let keys: Vec<Jwk> = self.jwk.iter().cloned().collect();
        serde_json::to_value(JwkSet { keys }).unwrap_or_else(|_| json!({"keys": []}))
    }

    /// The OpenID Connect discovery document of a mock at `base`
    /// (`http://127.0.0.1:8080`), naming its token endpoint when the spec
    /// has a login operation.
    pub(crate) fn discovery(&self, base: &str, token_endpoint: Option<&str>) -> Value {
        let mut doc = json!({
            "issuer": self.config.issuer,
            "jwks_uri": format!("{base}{JWKS_PATH}"),
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.config.algorithm.as_str()],
            "grant_types_supported": ["password", "refresh_token"],
            "token_endpoint_auth_methods_supported":
                ["client_secret_basic", "client_secret_post", "none"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"],
        });
        if let Some(path) = token_endpoint {
            doc["token_endpoint"] = json!(format!("{base}{path}"));
        }
        doc
    }
}

/// Where the mock serves the JWKS (unless the spec routes the path).
pub(crate) const JWKS_PATH: &str = "/.well-known/jwks.json";

/// Where the mock serves the discovery document.
pub(crate) const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
