//! Pages of the admin listings (`/__mock/sessions`, `/__mock/tokens`,
//! `/__mock/journal`): `limit` items at most, and an opaque `next` cursor
//! to pass back as `cursor` for the page after. A page is copied out of
//! the state under its lock and written out after, so a listing of a
//! million sessions never holds the lock for longer than one page takes to
//! copy.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use poem::http::StatusCode;
use poem_openapi::types::{ParseFromJSON, ToJSON, Type};
use poem_openapi::Object;

/// Items of a page when the request does not say (at most 1000: the
/// handlers' `limit` validators).
pub(crate) const DEFAULT_LIMIT: u32 = 100;

/// A page of a listing, as the admin API answers it.
#[derive(Debug, Object)]
pub(crate) struct Listing<T: Type + ParseFromJSON + ToJSON> {
    /// The items, in the listing's order.
    pub(crate) items: Vec<T>,
    /// Pass it back as `cursor` for the next page; absent on the last.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) next: Option<String>,
}

/// The cursor of `listing` after the item with these `fields`.
pub(crate) fn cursor(listing: &str, fields: &[u64]) -> String {
    let mut text = listing.to_owned();
    for f in fields {
        text.push('.');
        text.push_str(&f.to_string());
    }
    URL_SAFE_NO_PAD.encode(text)
}

/// The fields of `cursor` (`N` of them), a cursor of `listing`; `None`
/// for no cursor (the first page), a 400 saying what to send for anything
/// but a cursor of this listing.
pub(crate) fn after<const N: usize>(
    listing: &str,
    cursor: Option<&str>,
) -> poem::Result<Option<[u64; N]>> {
    cursor.map(|c| fields(listing, c)).transpose()
}

fn fields<const N: usize>(listing: &str, cursor: &str) -> poem::Result<[u64; N]> {
    let refuse = || {
        poem::Error::from_string(
            format!(
                "`cursor` is not a cursor of the {listing} listing: pass back the `next` of \
                 the page before, or no cursor for the first page"
            ),
            StatusCode::BAD_REQUEST,
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refuse())?;
    let text = String::from_utf8(bytes).map_err(|_| refuse())?;
    let mut parts = text.split('.');
    if parts.next() != Some(listing) {
        return Err(refuse());
    }
    let mut out = [0; N];
    for slot in &mut out {
        *slot = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(refuse)?;
    }
    match parts.next() {
        Some(_) => Err(refuse()),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_only_as_their_own_listing() {
        let c = cursor("tokens", &[7, 1, 40]);
        assert_eq!(fields::<3>("tokens", &c).unwrap(), [7, 1, 40]);
        assert_eq!(after::<3>("tokens", None).unwrap(), None);
        assert_eq!(after::<3>("tokens", Some(&c)).unwrap(), Some([7, 1, 40]));
        assert!(fields::<3>("sessions", &c).is_err());
        assert!(fields::<1>("tokens", &c).is_err());
        for bad in ["", "!!", "dG9rZW5z", &cursor("tokens", &[1])] {
            let e = fields::<3>("tokens", bad).unwrap_err();
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
    }
}
