//! Secrets shown as short fingerprints: in the request log, the journal's
//! URIs and bodies, and on the dashboard. A token the mock minted
//! ([`TOKEN_LEN`] base64url characters, see `codec`) is found wherever it
//! appears; a JSON field named like a secret (`password`,
//! `refreshToken`, `apiKey`) is redacted whatever its value.

use std::hash::{Hash, Hasher};

use serde_json::Value;

use crate::codec::TOKEN_LEN;

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
/// token the mock minted) replaced by its fingerprint.
pub(crate) fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == TOKEN_LEN {
            out.push_str(&fingerprint(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Whether a field of this name holds a secret.
fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['-', '_'], "");
    [
        "password",
        "secret",
        "token",
        "apikey",
        "authorization",
        "credential",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// A JSON value with secret-named fields and minted tokens redacted.
pub(crate) fn json(value: &mut Value) {
    match value {
        Value::String(s) => *s = text(s),
        Value::Array(items) => items.iter_mut().for_each(json),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(s) if secret_name(k) => *s = fingerprint(s),
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
        assert!(shown.contains("\"username\":\"demo\""), "{shown}");
        assert_eq!(body(b""), None);
        assert!(body(&[b'x'; 5000]).unwrap().ends_with('…'));
    }
}
