//! Media types and the text form of values, as both the mock and the
//! conformance suite need them.

use serde_json::Value;

/// The media type without parameters, lowercase
/// (`application/json; charset=utf-8` → `application/json`).
pub fn essence(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether `sent` fits the `documented` media type (ranges such as
/// `application/*` and `*/*` allowed).
pub fn media_matches(documented: &str, sent: &str) -> bool {
    let (documented, sent) = (essence(documented), essence(sent));
    documented == sent
        || documented == "*/*"
        || documented
            .strip_suffix("/*")
            .is_some_and(|t| sent.split('/').next() == Some(t))
}

/// Whether a media type is JSON (`application/json`, `*+json`, `*/*`).
pub fn is_json(media: &str) -> bool {
    let media = essence(media);
    media == "application/json" || media.ends_with("+json") || media == "*/*"
}

/// A value as text in OpenAPI's `simple` style: strings as they are, arrays
/// joined with commas, `null` empty, anything else as JSON.
pub fn simple_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(simple_text).collect::<Vec<_>>().join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn media_ranges_and_parameters() {
        assert!(media_matches(
            "application/json",
            "Application/JSON; charset=utf-8"
        ));
        assert!(media_matches("application/*", "application/vnd.api+json"));
        assert!(media_matches("*/*", "text/plain"));
        assert!(!media_matches("application/json", "text/plain"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/plain"));
    }

    #[test]
    fn simple_style_text() {
        assert_eq!(simple_text(&json!("a b")), "a b");
        assert_eq!(simple_text(&json!([1, "x", true])), "1,x,true");
        assert_eq!(simple_text(&json!(null)), "");
        assert_eq!(simple_text(&json!(2.5)), "2.5");
    }
}
