//! Secrets shown as short fingerprints: in the request log, the journal's
//! URIs and bodies, and on the dashboard. A token the mock minted
//! ([`TOKEN_LEN`] base64url characters, see `codec`) or a JWT
//! is found wherever it appears (a path, a query, a body); a JSON field or
//! a `name=value` pair (a query, a form body) named like a secret
//! (`password`, `refreshToken`, `refresh_token`, `client_secret`,
//! `apiKey`) is redacted whatever its value. Tokens become a fingerprint
//! (`#a1b2c3`, the same everywhere, so a person can follow one);
//! passwords and client secrets become [`MASK`], so not even a
//! fingerprint of them is kept.

use std::hash::{Hash, Hasher};

use serde_json::Value;

use crate::codec::TOKEN_LEN;

/// What a password or a client secret is shown as.
pub(crate) const MASK: &str = "#redacted";

/// The most of a body the journal keeps, in bytes.
pub(crate) const BODY_LIMIT: usize = 4096;

/// A short, stable stand-in for a secret: `#` and six hex digits. The
/// same secret always gets the same fingerprint (within one build), so a
/// person can follow a token from the journal to the token list.
pub(crate) fn fingerprint(secret: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    secret.hash(&mut h);
    format!("#{:06x}", h.finish() & 0xff_ffff)
}

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// `text` with every run of exactly [`TOKEN_LEN`] base64url characters (a
/// token the mock minted) and every JWT replaced by its fingerprint, and the value
/// of every secret-named `name=value` pair redacted.
pub(crate) fn text(text: &str) -> String {
    tokens(&pairs(text))
}

/// The value of each `name=value` pair whose name is a secret's.
fn pairs(text: &str) -> String {
    if !text.contains('=') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let (before, after) = rest.split_at(eq);
        let name_start = before
            .rfind(['?', '&', ';', ' ', '\n', '"', '\''])
            .map_or(0, |i| i + 1);
        let name = &before[name_start..];
        let value_len = after[1..]
            .find(['&', ';', '#', ' ', '\n', '"', '\''])
            .unwrap_or(after.len() - 1);
        let value = &after[1..1 + value_len];
        out.push_str(before);
        out.push('=');
        match decoded(name) {
            n if !value.is_empty() && secret_name(&n) => out.push_str(&secret(&n, value)),
            _ => out.push_str(value),
        }
        rest = &after[1 + value_len..];
    }
    out.push_str(rest);
    out
}

/// A pair's name, percent-decoded (`refresh%5Ftoken`).
fn decoded(name: &str) -> String {
    percent_encoding::percent_decode_str(name)
        .decode_utf8_lossy()
        .into_owned()
}

/// Runs of token characters (dots included, for JWTs) that are tokens.
fn tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if is_jwt(run) {
            out.push_str(&fingerprint(run));
        } else {
            for (i, piece) in run.split('.').enumerate() {
                if i > 0 {
                    out.push('.');
                }
                if piece.len() == TOKEN_LEN {
                    out.push_str(&fingerprint(piece));
                } else {
                    out.push_str(piece);
                }
            }
        }
        run.clear();
    };
    for c in text.chars() {
        if token_char(c) || c == '.' {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A JWT: three base64url parts, the header's JSON starting `{"`.
fn is_jwt(run: &str) -> bool {
    let parts: Vec<&str> = run.split('.').collect();
    parts.len() == 3 && parts[0].starts_with("eyJ") && parts[0].len() > 10 && parts[1].len() > 2
}

/// Words in the names of passwords and other secrets a person types
/// (masked).
const PASSWORDS: [&str; 5] = [
    "password",
    "passphrase",
    "secret",
    "credential",
    "privatekey",
];

/// Words in the names of tokens and keys (fingerprinted).
const TOKENS: [&str; 7] = [
    "token",
    "apikey",
    "accesskey",
    "authorization",
    "cookie",
    "verifier",
    "assertion",
];

/// Whether a field of this name holds a secret.
fn secret_name(name: &str) -> bool {
    let n = normal(name);
    n == "code" || named(&n, &PASSWORDS) || named(&n, &TOKENS)
}

/// Whether a secret of this name is a password (masked) rather than a
/// token (fingerprinted).
fn password_name(name: &str) -> bool {
    named(&normal(name), &PASSWORDS)
}

fn named(normal: &str, words: &[&str]) -> bool {
    words.iter().any(|w| normal.contains(w))
}

fn normal(name: &str) -> String {
    name.to_ascii_lowercase().replace(['-', '_'], "")
}

/// How a secret value of a field named `name` is shown.
fn secret(name: &str, value: &str) -> String {
    if password_name(name) {
        MASK.to_owned()
    } else {
        fingerprint(value)
    }
}

/// A JSON value with secret-named fields and minted tokens redacted.
pub(crate) fn json(value: &mut Value) {
    match value {
        Value::String(s) => *s = text(s),
        Value::Array(items) => items.iter_mut().for_each(json),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(s) if secret_name(k) => *s = secret(k, s),
                    _ => json(v),
                }
            }
        }
        _ => {}
    }
}

/// A body as the journal keeps it: JSON redacted field by field, other
/// text token by token, cut at [`BODY_LIMIT`]; `None` for no body.
pub(crate) fn body(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    if let Ok(mut value) = serde_json::from_slice::<Value>(bytes) {
        json(&mut value);
        return Some(cut(value.to_string()));
    }
    // Past the limit by a byte, so that the cut shows.
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(BODY_LIMIT + 1)]);
    Some(cut(text(&shown)))
}

fn cut(mut s: String) -> String {
    if s.len() > BODY_LIMIT {
        let mut end = BODY_LIMIT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_secret_fields_become_fingerprints() {
        let token = "AbCdEfGhIjKlMnOpQrStUv_-".repeat(3);
        assert_eq!(token.len(), TOKEN_LEN);
        let fp = fingerprint(&token);
        assert_eq!(fp.len(), 7);
        assert_eq!(
            text(&format!("/refresh-tokens/{token}?x=1")),
            format!("/refresh-tokens/{fp}?x=1")
        );
        assert_eq!(text("/refresh-tokens/mine"), "/refresh-tokens/mine");
        let shown =
            body(br#"{"username":"demo","password":"hunter2","nested":{"refreshToken":"short"}}"#)
                .unwrap();
        assert!(
            !shown.contains("hunter2") && !shown.contains("short"),
            "{shown}"
        );
        assert!(
            shown.contains(&format!("\"password\":\"{MASK}\"")),
            "{shown}"
        );
        assert!(shown.contains("\"username\":\"demo\""), "{shown}");
        assert_eq!(body(b""), None);
        assert!(body(&[b'x'; 5000]).unwrap().ends_with('…'));
    }

    #[test]
    fn queries_forms_and_jwts() {
        let shown = text("/cb?refresh_token=abc.def%2Bg&state=1&client_secret=s3&password=p");
        assert!(shown.starts_with("/cb?refresh_token=#"), "{shown}");
        assert!(
            shown.contains("&state=1&client_secret=#redacted&password=#redacted"),
            "{shown}"
        );
        assert!(!shown.contains("abc.def"), "{shown}");
        let shown = text("grant_type=password&username=demo&password=hunter2");
        assert_eq!(
            shown,
            "grant_type=password&username=demo&password=#redacted"
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl";
        let shown = text(&format!("/refresh-tokens/{jwt}"));
        assert_eq!(shown, format!("/refresh-tokens/{}", fingerprint(jwt)));
        assert_eq!(text("/v1.43/auth?x=1.2"), "/v1.43/auth?x=1.2");
        assert_eq!(text("/files/report.pdf"), "/files/report.pdf");
    }
}
