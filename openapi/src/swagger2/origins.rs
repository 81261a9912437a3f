//! Where each part of a converted document came from, and where each part
//! of the original went: two maps of JSON pointer prefixes.

use std::collections::HashMap;

/// The pointer maps between a document as written and its conversion.
///
/// Each map holds the places where the two documents' shapes part; below
/// such a place the shapes agree token for token, so a pointer is mapped by
/// its longest recorded prefix (`/components/schemas/Pet/properties/name`
/// by `/components/schemas/Pet` -> `/definitions/Pet`). A pointer with no
/// recorded prefix maps to itself, which is also what the maps of a
/// document that was not converted ([`Origins::default`]) do everywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins {
    /// Converted prefix -> original prefix.
    back: HashMap<String, String>,
    /// Original prefix -> converted prefix (the first place a part went).
    forward: HashMap<String, String>,
}

impl Origins {
    /// Records that the value at `converted` comes from the one at
    /// `original` (both without `#`). The forward link is kept only for
    /// the first place an original part goes.
    pub(crate) fn link(&mut self, converted: impl Into<String>, original: impl Into<String>) {
        let (converted, original) = (converted.into(), original.into());
        self.forward
            .entry(original.clone())
            .or_insert_with(|| converted.clone());
        self.back.insert(converted, original);
    }

    /// Records a backward link only: `converted` was made from `original`,
    /// but `original` went elsewhere first (or nowhere of its own).
    pub(crate) fn link_back(&mut self, converted: impl Into<String>, original: impl Into<String>) {
        self.back.insert(converted.into(), original.into());
    }

    /// The pointer (without `#`) into the document as written of what is
    /// at `converted` in the converted one.
    pub fn original(&self, converted: &str) -> String {
        lookup(&self.back, converted)
    }

    /// The pointer (without `#`) into the converted document of what is at
    /// `original` in the document as written.
    pub fn converted(&self, original: &str) -> String {
        lookup(&self.forward, original)
    }

    /// [`Origins::original`] of a `#/...` pointer, as drift's findings
    /// spell them; other text is returned unchanged.
    pub fn original_fragment(&self, fragment: &str) -> String {
        match fragment.strip_prefix('#') {
            Some(p) => format!("#{}", self.original(p)),
            None => fragment.to_owned(),
        }
    }
}

/// `p` with its longest prefix (on token boundaries) that `map` holds
/// replaced by what it maps to.
fn lookup(map: &HashMap<String, String>, p: &str) -> String {
    if map.is_empty() {
        return p.to_owned();
    }
    let mut end = p.len();
    loop {
        if let Some(to) = map.get(&p[..end]) {
            return format!("{to}{}", &p[end..]);
        }
        if end == 0 {
            return p.to_owned();
        }
        end = p[..end].rfind('/').unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_wins_and_the_rest_is_kept() {
        let mut o = Origins::default();
        o.link("/components/schemas/Pet", "/definitions/Pet");
        o.link(
            "/components/schemas/Pet/nullable",
            "/definitions/Pet/x-nullable",
        );
        assert_eq!(
            o.original("/components/schemas/Pet/properties/a~1b"),
            "/definitions/Pet/properties/a~1b"
        );
        assert_eq!(
            o.original("/components/schemas/Pet/nullable"),
            "/definitions/Pet/x-nullable"
        );
        assert_eq!(
            o.original("/components/schemas/Petty"),
            "/components/schemas/Petty"
        );
        assert_eq!(o.original("/info/title"), "/info/title");
        assert_eq!(
            o.converted("/definitions/Pet/items"),
            "/components/schemas/Pet/items"
        );
        assert_eq!(
            o.original_fragment("#/components/schemas/Pet"),
            "#/definitions/Pet"
        );
    }

    #[test]
    fn the_first_forward_link_is_kept() {
        let mut o = Origins::default();
        o.link("/a/requestBody", "/parameters/Body");
        o.link("/b/requestBody", "/parameters/Body");
        assert_eq!(o.converted("/parameters/Body"), "/a/requestBody");
        assert_eq!(o.original("/b/requestBody/x"), "/parameters/Body/x");
    }
}
