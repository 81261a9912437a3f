//! The JWT checks: where the spec declares its tokens JWTs
//! (`tokens.format: jwt`), or the target issues JWTs anyway, every token a
//! step is issued is decoded and judged by one function per property:
//!
//! - [`jwt_exp_agrees_with_expires_in`]: `exp - iat` is the lifetime the
//!   answer's `expiresIn` says (the model's, where the binding has none),
//!   within the clock skew;
//! - [`jwt_iat_not_in_the_future`]: `iat` is no later than the target's
//!   now plus the skew (against the mock, now is the mock's clock);
//! - [`jwt_jti_unique`]: no `jti` is issued twice in a sequence (RFC 9068
//!   requires one on access tokens);
//! - [`jwt_signature_verifies`]: the signature verifies with the declared
//!   algorithm against the key set the spec locates (`tokens.jwks`, else
//!   the discovery document's `jwks_uri`, else `/.well-known/jwks.json`),
//!   or the declared HS256 secret;
//! - [`jwt_iss_and_aud_as_declared`]: `iss` is the declared issuer, an
//!   access token's `aud` holds the declared audience, an ID token's the
//!   client it was issued to.
//!
//! Tokens of a spec that declares none are judged by the first three only
//! (there is nothing declared to verify them with).

use std::collections::HashSet;
use std::sync::Mutex;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::Value;

use openapi::binding::{Jwt, JwtAlgorithm, DEFAULT_JWKS_PATH};

use crate::driver::Violation;
use crate::error::RunError;
use crate::property::Property;
use crate::target::{HttpRequest, Target};

/// The default tolerance for clocks that disagree, seconds.
pub const DEFAULT_CLOCK_SKEW: u64 = 30;

/// Where the discovery document is (OpenID Connect Discovery section 4).
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// What a token is, for its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An access token.
    Access,
    /// A refresh token (judged only where the target made it a JWT).
    Refresh,
    /// An OpenID Connect ID token.
    Id,
}

/// A token a step was issued, with what the suite knows of it.
#[derive(Debug, Clone, Copy)]
pub struct Issued<'a> {
    /// The token as received.
    pub token: &'a str,
    /// What it is.
    pub role: Role,
    /// Seconds it lives: the answer's `expiresIn` (or
    /// `refreshExpiresIn`), else the model's prediction; `None` for ID
    /// tokens, whose lifetime no spec declares.
    pub lifetime: Option<u64>,
    /// The target's clock now, Unix seconds (the mock's moved clock
    /// included).
    pub now: u64,
    /// The client the suite logged in as, where it knows it.
    pub client: Option<&'a str>,
}

/// The run's JWT checks: the declared settings, the skew, the key set
/// (fetched once).
#[derive(Debug)]
pub struct Checks {
    declared: Option<Jwt>,
    skew: u64,
    keys: Mutex<Option<Result<JwkSet, String>>>,
}

impl Checks {
    /// The checks of a spec declaring `declared` (`None`: opaque, or
    /// nothing said), tolerating `skew` seconds.
    pub fn new(declared: Option<Jwt>, skew: u64) -> Checks {
        Checks {
            declared,
            skew,
            keys: Mutex::new(None),
        }
    }

    /// The declared settings, where the spec says tokens are JWTs.
    pub fn declared(&self) -> Option<&Jwt> {
        self.declared.as_ref()
    }

    /// Judge one issued token: the properties checked, and what failed.
    /// A token that is no JWT is judged only where the spec declares
    /// JWT access tokens (then that is a failure of the signature check).
    /// Without `fetch_keys` (the proxy, which sends nothing of its own)
    /// the key set is not fetched: an RS256 signature is not judged unless
    /// the key set is at hand already.
    pub fn judge(
        &self,
        target: &Target,
        t: &Issued<'_>,
        jtis: &mut HashSet<String>,
        fetch_keys: bool,
    ) -> Result<(Vec<Property>, Vec<Violation>), RunError> {
        let mut checked = Vec::new();
        let mut found = Vec::new();
        let Some((header, claims)) = decode(t.token) else {
            if self.declared.is_some() && t.role != Role::Refresh {
                checked.push(Property::JwtSignatureVerifies);
                found.push(violation(
                    Property::JwtSignatureVerifies,
                    format!(
                        "the spec declares JWTs (tokens.format: jwt); this {} is not one",
                        role_name(t.role)
                    ),
                ));
            }
            return Ok((checked, found));
        };
        let mut judge = |p: Property, v: Option<Violation>| {
            checked.push(p);
            found.extend(v);
        };
        if let Some(lifetime) = t.lifetime {
            let v = jwt_exp_agrees_with_expires_in(&claims, lifetime, self.skew);
            judge(Property::JwtExpAgreesWithExpiresIn, v);
        }
        judge(
            Property::JwtIatNotInTheFuture,
            jwt_iat_not_in_the_future(&claims, t.now, self.skew),
        );
        if t.role == Role::Access {
            judge(Property::JwtJtiUnique, jwt_jti_unique(&claims, jtis));
        }
        if let Some(declared) = &self.declared {
            // `None`: not judged; `Some(None)`: no key set needed.
            let keys = match declared.algorithm {
                JwtAlgorithm::RS256 if fetch_keys => Some(Some(self.key_set(target)?)),
                JwtAlgorithm::RS256 => self.cached_key_set().map(Some),
                JwtAlgorithm::HS256 => Some(None),
            };
            if let Some(keys) = keys {
                judge(
                    Property::JwtSignatureVerifies,
                    jwt_signature_verifies(t.token, &header, declared, keys.as_ref()),
                );
            }
            if declared.declared_issuer.is_some() || declared.audience.is_some() {
                judge(
                    Property::JwtIssAndAudAsDeclared,
                    jwt_iss_and_aud_as_declared(&claims, declared, t),
                );
            }
        }
        Ok((checked, found))
    }

    /// The key set, if it was fetched already.
    fn cached_key_set(&self) -> Option<Result<JwkSet, String>> {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.clone()
    }

    /// The key set, fetched on first use (a failure to fetch it is kept,
    /// and fails every signature check with its reason).
    fn key_set(&self, target: &Target) -> Result<Result<JwkSet, String>, RunError> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = keys.as_ref() {
            return Ok(k.clone());
        }
        let fetched = fetch_key_set(target, self.declared.as_ref())?;
        *keys = Some(fetched.clone());
        Ok(fetched)
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Access => "access token",
        Role::Refresh => "refresh token",
        Role::Id => "ID token",
    }
}

fn violation(property: Property, message: String) -> Violation {
    Violation { property, message }
}

/// The header and claims of a JWS compact token, unverified; `None` when
/// `token` is no JWT.
pub fn decode(token: &str) -> Option<(Header, Value)> {
    if token.split('.').count() != 3 {
        return None;
    }
    let header = jsonwebtoken::decode_header(token).ok()?;
    let claims = jsonwebtoken::dangerous::insecure_decode_claims::<Value>(token).ok()?;
    claims.is_object().then_some((header, claims))
}

fn number(claims: &Value, name: &str) -> Option<u64> {
    let v = claims.get(name)?;
    v.as_u64().or_else(|| v.as_f64().map(|f| f as u64))
}

/// `jwt exp agrees with expiresIn`: `exp - iat` is `lifetime`, within
/// `skew` seconds.
pub fn jwt_exp_agrees_with_expires_in(
    claims: &Value,
    lifetime: u64,
    skew: u64,
) -> Option<Violation> {
    let p = Property::JwtExpAgreesWithExpiresIn;
    let (Some(exp), Some(iat)) = (number(claims, "exp"), number(claims, "iat")) else {
        return Some(violation(
            p,
            "the JWT has no numeric `exp` and `iat`".into(),
        ));
    };
    let ttl = exp.saturating_sub(iat);
    (ttl.abs_diff(lifetime) > skew).then(|| {
        violation(
            p,
            format!(
                "exp - iat is {ttl} s, but the token is said to live {lifetime} s \
                 (clock skew allowed: {skew} s)"
            ),
        )
    })
}

/// `jwt iat not in the future`: `iat` is at most `now + skew`.
pub fn jwt_iat_not_in_the_future(claims: &Value, now: u64, skew: u64) -> Option<Violation> {
    let p = Property::JwtIatNotInTheFuture;
    let Some(iat) = number(claims, "iat") else {
        return Some(violation(p, "the JWT has no numeric `iat`".into()));
    };
    (iat > now.saturating_add(skew)).then(|| {
        violation(
            p,
            format!(
                "iat is {} s after the target's now (clock skew allowed: {skew} s)",
                iat - now
            ),
        )
    })
}

/// `jwt jti unique`: the token has a `jti` never seen before in the
/// sequence.
pub fn jwt_jti_unique(claims: &Value, seen: &mut HashSet<String>) -> Option<Violation> {
    let p = Property::JwtJtiUnique;
    let Some(jti) = claims.get("jti").and_then(Value::as_str) else {
        return Some(violation(
            p,
            "the access token has no `jti` (RFC 9068 section 2.2 requires one)".into(),
        ));
    };
    (!seen.insert(jti.to_owned())).then(|| violation(p, format!("jti `{jti}` was issued before")))
}

/// `jwt signature verifies`: the declared algorithm, and a signature the
/// key set (RS256) or the secret (HS256) verifies.
pub fn jwt_signature_verifies(
    token: &str,
    header: &Header,
    declared: &Jwt,
    keys: Option<&Result<JwkSet, String>>,
) -> Option<Violation> {
    let p = Property::JwtSignatureVerifies;
    let alg = match declared.algorithm {
        JwtAlgorithm::RS256 => Algorithm::RS256,
        JwtAlgorithm::HS256 => Algorithm::HS256,
    };
    if header.alg != alg {
        return Some(violation(
            p,
            format!(
                "the header says {:?}, the spec declares {}",
                header.alg,
                declared.algorithm.as_str()
            ),
        ));
    }
    let key = match (declared.algorithm, keys) {
        (JwtAlgorithm::HS256, _) => {
            let secret = declared.secret.as_deref().unwrap_or_default();
            match DecodingKey::from_secret(secret.as_bytes()) {
                Ok(k) => k,
                Err(e) => return Some(violation(p, format!("the secret cannot be used: {e}"))),
            }
        }
        (JwtAlgorithm::RS256, Some(Err(why))) => return Some(violation(p, why.clone())),
        (JwtAlgorithm::RS256, Some(Ok(set))) => {
            let jwk = match &header.kid {
                Some(kid) => set.find(kid),
                None if set.keys.len() == 1 => set.keys.first(),
                None => None,
            };
            let Some(jwk) = jwk else {
                return Some(violation(
                    p,
                    format!(
                        "no key of the key set has the token's kid {:?} (the set has {})",
                        header.kid.as_deref().unwrap_or(""),
                        set.keys
                            .iter()
                            .map(|k| k.common.key_id.clone().unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(k) => k,
                Err(e) => return Some(violation(p, format!("the JWK cannot be used: {e}"))),
            }
        }
        (JwtAlgorithm::RS256, None) => return Some(violation(p, "no key set".into())),
    };
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .err()
        .map(|e| violation(p, format!("the signature does not verify: {e}")))
}

/// `jwt iss and aud as declared`.
pub fn jwt_iss_and_aud_as_declared(
    claims: &Value,
    declared: &Jwt,
    t: &Issued<'_>,
) -> Option<Violation> {
    let p = Property::JwtIssAndAudAsDeclared;
    if let Some(issuer) = &declared.declared_issuer {
        let iss = claims.get("iss").and_then(Value::as_str);
        if iss != Some(issuer.as_str()) {
            return Some(violation(
                p,
                format!("iss is {iss:?}, the spec declares `{issuer}`"),
            ));
        }
    }
    let wanted = match t.role {
        Role::Access => declared.audience.as_deref(),
        Role::Id => t.client,
        Role::Refresh => None,
    }?;
    let holds = match claims.get("aud") {
        Some(Value::String(a)) => a == wanted,
        Some(Value::Array(list)) => list.iter().any(|a| a == wanted),
        _ => false,
    };
    (!holds).then(|| {
        violation(
            p,
            format!(
                "the {}'s aud is {}, which does not hold `{wanted}`",
                role_name(t.role),
                claims.get("aud").map_or("absent".into(), Value::to_string)
            ),
        )
    })
}

/// The key set where the spec locates it: `tokens.jwks` (a URL, or a path
/// of the target), else the discovery document's `jwks_uri`, else
/// `/.well-known/jwks.json`. Why it could not be read is the `Err`.
fn fetch_key_set(
    target: &Target,
    declared: Option<&Jwt>,
) -> Result<Result<JwkSet, String>, RunError> {
    let place = match declared.and_then(|d| d.jwks.clone()) {
        Some(p) => p,
        None => match get_json(target, DISCOVERY_PATH)? {
            Ok(doc) => match doc.get("jwks_uri").and_then(Value::as_str) {
                Some(uri) => uri.to_owned(),
                None => DEFAULT_JWKS_PATH.to_owned(),
            },
            Err(_) => DEFAULT_JWKS_PATH.to_owned(),
        },
    };
    Ok(get_json(target, &place)?.and_then(|v| {
        serde_json::from_value::<JwkSet>(v)
            .map_err(|e| format!("the key set at {place} is not a JWKS: {e}"))
    }))
}

/// `GET` a path of the target or a URL, as JSON.
fn get_json(target: &Target, place: &str) -> Result<Result<Value, String>, RunError> {
    let resp = if place.contains("://") {
        target.get_url(place)
    } else {
        target.send(&HttpRequest::new("GET", place))
    };
    let resp = match resp {
        Ok(r) => r,
        Err(RunError::NoAnswer { failure, .. }) => {
            return Ok(Err(format!("no answer from {place}: {failure}")))
        }
        Err(e) => return Err(e),
    };
    if resp.status != 200 {
        return Ok(Err(format!("GET {place} answered {}", resp.status)));
    }
    Ok(resp
        .json()
        .ok_or_else(|| format!("GET {place} did not answer JSON")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey};
    use serde_json::json;

    fn hs256(claims: &Value, secret: &str) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    fn declared(issuer: Option<&str>, audience: Option<&str>) -> Jwt {
        Jwt {
            algorithm: JwtAlgorithm::HS256,
            declared_issuer: issuer.map(str::to_owned),
            audience: audience.map(str::to_owned),
            secret: Some("s3cret".into()),
            jwks: None,
        }
    }

    fn issued(role: Role, client: Option<&str>) -> Issued<'_> {
        Issued {
            token: "",
            role,
            lifetime: None,
            now: 1000,
            client,
        }
    }

    #[test]
    fn exp_and_iat_within_the_skew_only() {
        let c = json!({"iat": 1000, "exp": 1300});
        assert!(jwt_exp_agrees_with_expires_in(&c, 300, 0).is_none());
        assert!(jwt_exp_agrees_with_expires_in(&c, 330, 30).is_none());
        assert!(jwt_exp_agrees_with_expires_in(&c, 331, 30).is_some());
        assert!(jwt_exp_agrees_with_expires_in(&json!({"iat": 1}), 300, 30).is_some());
        assert!(jwt_iat_not_in_the_future(&c, 970, 30).is_none());
        let v = jwt_iat_not_in_the_future(&c, 969, 30).unwrap();
        assert!(v.message.contains("31 s after"), "{}", v.message);
    }

    #[test]
    fn a_jti_is_required_and_never_repeated() {
        let mut seen = HashSet::new();
        assert!(jwt_jti_unique(&json!({"jti": "a"}), &mut seen).is_none());
        assert!(jwt_jti_unique(&json!({"jti": "b"}), &mut seen).is_none());
        assert!(jwt_jti_unique(&json!({"jti": "a"}), &mut seen).is_some());
        assert!(jwt_jti_unique(&json!({}), &mut seen).is_some());
    }

    #[test]
    fn iss_and_aud_as_declared_for_access_and_id_tokens() {
        let d = declared(Some("https://idp"), Some("api"));
        let ok = json!({"iss": "https://idp", "aud": ["other", "api"]});
        assert!(jwt_iss_and_aud_as_declared(&ok, &d, &issued(Role::Access, None)).is_none());
        let wrong_iss = json!({"iss": "https://evil", "aud": "api"});
        assert!(jwt_iss_and_aud_as_declared(&wrong_iss, &d, &issued(Role::Access, None)).is_some());
        let no_aud = json!({"iss": "https://idp"});
        assert!(jwt_iss_and_aud_as_declared(&no_aud, &d, &issued(Role::Access, None)).is_some());
        // An ID token's audience is its client.
        let id = json!({"iss": "https://idp", "aud": "spa"});
        assert!(jwt_iss_and_aud_as_declared(&id, &d, &issued(Role::Id, Some("spa"))).is_none());
        assert!(jwt_iss_and_aud_as_declared(&id, &d, &issued(Role::Id, Some("web"))).is_some());
    }

    #[test]
    fn the_signature_verifies_with_the_declared_secret_and_algorithm_only() {
        let d = declared(None, None);
        let claims = json!({"sub": "demo", "iat": 1, "exp": 2});
        let good = hs256(&claims, "s3cret");
        let (header, _) = decode(&good).unwrap();
        assert!(jwt_signature_verifies(&good, &header, &d, None).is_none());
        let forged = hs256(&claims, "guessed");
        let v = jwt_signature_verifies(&forged, &header, &d, None).unwrap();
        assert!(v.message.contains("does not verify"), "{}", v.message);
        let rs = Jwt {
            algorithm: JwtAlgorithm::RS256,
            ..d
        };
        let v = jwt_signature_verifies(&good, &header, &rs, None).unwrap();
        assert!(
            v.message.contains("the spec declares RS256"),
            "{}",
            v.message
        );
        assert!(decode("opaque-token").is_none());
    }
}
