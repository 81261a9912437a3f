//! The raw document: its version and `$ref` resolution.

use serde_json::Value;

use crate::error::LoadError;
use crate::expr::Pointer;

/// The HTTP methods an OpenAPI path item can hold, in spec order.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The OpenAPI major.minor version of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// 3.0.x: schemas are an extended subset of JSON Schema draft 4.
    V30,
    /// 3.1.x: schemas are JSON Schema 2020-12.
    V31,
}

/// Follow `$ref` chains from `value` (found at `pointer`) to the object they
/// name. Returns the final pointer and value, or an error naming the `$ref`.
pub fn resolve<'d>(
    doc: &'d Value,
    pointer: String,
    value: &'d Value,
) -> Result<(String, &'d Value), LoadError> {
    let mut pointer = pointer;
    let mut value = value;
    for _ in 0..64 {
        let Some(target) = value.get("$ref").and_then(Value::as_str) else {
            return Ok((pointer, value));
        };
        let Some(local) = target.strip_prefix('#') else {
            return Err(LoadError::ExternalRef {
                at: pointer,
                target: target.to_owned(),
            });
        };
        let unresolved = || LoadError::UnresolvedRef {
            at: pointer.clone(),
            target: target.to_owned(),
        };
        let ptr = Pointer::parse(&fragment(local)).ok_or_else(unresolved)?;
        let next = ptr.get(doc).ok_or_else(unresolved)?;
        value = next;
        pointer = ptr.to_string();
    }
    Err(LoadError::RefCycle { at: pointer })
}

/// A `$ref` fragment as a JSON pointer: a fragment is percent-encoded
/// (RFC 6901 section 6), so `#/paths/~1a~1%7Bid%7D` names `/paths/~1a~1{id}`.
pub(crate) fn fragment(local: &str) -> std::borrow::Cow<'_, str> {
    if local.contains('%') {
        percent_encoding::percent_decode_str(local).decode_utf8_lossy()
    } else {
        std::borrow::Cow::Borrowed(local)
    }
}

/// Every `$ref` of the document (outside examples) must name something in
/// it: a broken one is a load error, not a failure on some later request.
pub(crate) fn check_refs(
    doc: &Value,
    v: &Value,
    at: &mut String,
    depth: usize,
) -> Result<(), LoadError> {
    if depth > 256 {
        return Ok(());
    }
    match v {
        Value::Object(m) => {
            if let Some(Value::String(target)) = m.get("$ref") {
                match target.strip_prefix('#') {
                    None => {
                        return Err(LoadError::ExternalRef {
                            at: at.clone(),
                            target: target.clone(),
                        })
                    }
                    Some(local) => {
                        if Pointer::parse(&fragment(local))
                            .and_then(|p| p.get(doc))
                            .is_none()
                        {
                            return Err(LoadError::UnresolvedRef {
                                at: at.clone(),
                                target: target.clone(),
                            });
                        }
                    }
                }
            }
            for (k, child) in m {
                if k == "example" || k == "examples" || k.starts_with("x-") {
                    continue;
                }
                let len = at.len();
                at.push('/');
                at.push_str(&esc(k));
                check_refs(doc, child, at, depth + 1)?;
                at.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                check_refs(doc, child, at, depth + 1)?;
                at.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

pub(crate) fn esc(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
