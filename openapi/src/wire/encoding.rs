//! Percent-encoding: one set per request component, defined once.

use percent_encoding::NON_ALPHANUMERIC;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

/// RFC 3986's unreserved characters are the only ones left as they are in
/// path segments and query components: delimiters inside a value (`/`, `?`,
/// `&`, `=`, `+`, `#`, `,`, `;`) never break the request.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The WHATWG `application/x-www-form-urlencoded` byte serializer's set
/// (what browsers send); spaces become `+` on top of it.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// What an RFC 6265 `cookie-octet` excludes (controls, space, `"`, `,`,
/// `;`, `\`), and `%` so that decoding gives back the value.
const COOKIE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

/// A part of a request that text is percent-encoded for. Non-ASCII text is
/// always sent as percent-encoded UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// A path segment (or a piece of one, for the `label` and `matrix`
    /// styles).
    PathSegment,
    /// A query key or value.
    Query,
    /// A field name or value of an `application/x-www-form-urlencoded`
    /// body.
    Form,
    /// A cookie value.
    Cookie,
}

impl Component {
    fn set(self) -> &'static AsciiSet {
        match self {
            Component::PathSegment | Component::Query => UNRESERVED,
            Component::Form => FORM,
            Component::Cookie => COOKIE,
        }
    }

    /// `text` as it is written in this component.
    pub fn encode(self, text: &str) -> String {
        let encoded = utf8_percent_encode(text, self.set()).to_string();
        if self == Component::Form {
            // `%` is always encoded, so `%20` can only stand for a space.
            encoded.replace("%20", "+")
        } else {
            encoded
        }
    }

    /// The text written as `encoded` in this component (lossy where the
    /// bytes are not UTF-8). In a query or a form body `+` is a space, as
    /// browsers send it.
    pub fn decode(self, encoded: &str) -> String {
        let spaced;
        let encoded = match self {
            Component::Query | Component::Form => {
                spaced = encoded.replace('+', " ");
                &spaced
            }
            Component::PathSegment | Component::Cookie => encoded,
        };
        percent_decode_str(encoded).decode_utf8_lossy().into_owned()
    }
}

/// Decode `a=1&b=x+y` (a query string or a form body) into pairs.
pub fn query_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (Component::Query.decode(k), Component::Query.decode(v))
        })
        .collect()
}

/// The cookies of `Cookie` header values, as sent (not decoded).
pub fn cookie_pairs<'h>(headers: impl IntoIterator<Item = &'h str>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .flat_map(|v| v.split(';'))
        .filter_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Component; 4] = [
        Component::PathSegment,
        Component::Query,
        Component::Form,
        Component::Cookie,
    ];

    #[test]
    fn path_and_query_keep_only_unreserved_characters() {
        for c in [Component::PathSegment, Component::Query] {
            assert_eq!(c.encode("aZ09-_.~"), "aZ09-_.~");
            assert_eq!(
                c.encode("a/b?c&d=e+f#g,h;i j%"),
                "a%2Fb%3Fc%26d%3De%2Bf%23g%2Ch%3Bi%20j%25"
            );
        }
        assert_eq!(Component::PathSegment.encode("é"), "%C3%A9");
    }

    #[test]
    fn form_bodies_follow_the_whatwg_serializer() {
        assert_eq!(Component::Form.encode("a b*c~d+e%20"), "a+b*c%7Ed%2Be%2520");
        assert_eq!(Component::Form.decode("a+b*c%7Ed%2Be%2520"), "a b*c~d+e%20");
    }

    #[test]
    fn cookies_encode_what_a_cookie_octet_excludes() {
        assert_eq!(Component::Cookie.encode("a=b/c+d"), "a=b/c+d");
        assert_eq!(
            Component::Cookie.encode("a b,c;d\"e\\f%g\u{7f}"),
            "a%20b%2Cc%3Bd%22e%5Cf%25g%7F"
        );
    }

    #[test]
    fn plus_is_a_space_only_in_queries_and_forms() {
        assert_eq!(Component::Query.decode("a+b"), "a b");
        assert_eq!(Component::Form.decode("a+b"), "a b");
        assert_eq!(Component::PathSegment.decode("a+b"), "a+b");
        assert_eq!(Component::Cookie.decode("a+b"), "a+b");
    }

    #[test]
    fn decoding_inverts_encoding() {
        let text = "x /?#[]@!$&'()*+,;=%é\u{1F600}\"\\~";
        for c in ALL {
            assert_eq!(c.decode(&c.encode(text)), text, "{c:?}");
        }
    }

    #[test]
    fn pairs_are_decoded() {
        assert_eq!(
            query_pairs("a=1&b=x+y&&c&d=%3D"),
            [
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), String::new()),
                ("d".into(), "=".into())
            ]
        );
        assert_eq!(
            cookie_pairs(["a=1; b = 2", "c=x%20y;junk"]),
            [
                ("a".into(), "1".into()),
                ("b".into(), "2".into()),
                ("c".into(), "x%20y".into())
            ]
        );
    }
}
