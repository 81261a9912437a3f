//! `multipart/form-data` (RFC 7578): written for the suite, read for the
//! mock.

use crate::media::{essence, is_json};

/// One field of a form body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The field name.
    pub name: String,
    /// Its content as text (lossy UTF-8 for binary parts).
    pub text: String,
    /// Whether the part says it is JSON.
    pub json: bool,
}

impl Field {
    pub(crate) fn text(name: &str, text: String) -> Field {
        Field {
            name: name.to_owned(),
            text,
            json: false,
        }
    }

    pub(crate) fn json(name: &str, text: String) -> Field {
        Field {
            name: name.to_owned(),
            text,
            json: true,
        }
    }
}

/// Why a multipart body cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum MultipartError {
    /// The content type names no boundary.
    #[error("the content type has no boundary")]
    NoBoundary,
    /// The body does not start with the boundary.
    #[error("no opening boundary")]
    NoOpening,
    /// A boundary line is not followed by a line break.
    #[error("a boundary is not followed by a line break")]
    BadDelimiter,
    /// A part's headers never end.
    #[error("a part's headers do not end with an empty line")]
    Headers,
    /// A part never ends.
    #[error("no closing boundary")]
    NoClosing,
}

/// The body of `fields`, and the boundary it uses (one that occurs in no
/// field).
pub(crate) fn write(fields: &[Field]) -> (String, Vec<u8>) {
    let mut n = 0u32;
    let boundary = loop {
        let b = format!("tokenmock-boundary-{n:04x}");
        if !fields
            .iter()
            .any(|f| f.text.contains(&b) || f.name.contains(&b))
        {
            break b;
        }
        n += 1;
    };
    let mut out = Vec::new();
    for f in fields {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        out.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"\r\n",
                escape_name(&f.name)
            )
            .as_bytes(),
        );
        if f.json {
            out.extend_from_slice(b"Content-Type: application/json\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(f.text.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (boundary, out)
}

/// The fields of a body sent as `content_type` (which names the boundary).
/// A preamble before the first boundary and an epilogue after the last are
/// ignored.
pub(crate) fn read(content_type: &str, bytes: &[u8]) -> Result<Vec<Field>, MultipartError> {
    let boundary = boundary(content_type).ok_or(MultipartError::NoBoundary)?;
    let delimiter = format!("--{boundary}").into_bytes();
    let next = [b"\r\n".as_slice(), &delimiter].concat();
    let mut pos = if bytes.starts_with(&delimiter) {
        delimiter.len()
    } else {
        find(bytes, &next).ok_or(MultipartError::NoOpening)? + next.len()
    };
    let mut fields = Vec::new();
    loop {
        let rest = &bytes[pos..];
        if rest.starts_with(b"--") {
            return Ok(fields);
        }
        // Transport padding, then the line break.
        let padding = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        if !rest[padding..].starts_with(b"\r\n") {
            return Err(MultipartError::BadDelimiter);
        }
        let start = pos + padding + 2;
        let (headers, data_start) = if bytes[start..].starts_with(b"\r\n") {
            ("".into(), start + 2)
        } else {
            let end = find(&bytes[start..], b"\r\n\r\n").ok_or(MultipartError::Headers)?;
            (
                String::from_utf8_lossy(&bytes[start..start + end]),
                start + end + 4,
            )
        };
        let len = find(&bytes[data_start..], &next).ok_or(MultipartError::NoClosing)?;
        let (name, json) = part_headers(&headers);
        fields.push(Field {
            name,
            text: String::from_utf8_lossy(&bytes[data_start..data_start + len]).into_owned(),
            json,
        });
        pos = data_start + len + next.len();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `boundary` parameter of a content type.
fn boundary(content_type: &str) -> Option<String> {
    let (_, list) = content_type.split_once(';')?;
    params(list)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The field name (`Content-Disposition`) and whether the part is JSON
/// (`Content-Type`).
fn part_headers(headers: &str) -> (String, bool) {
    let mut name = String::new();
    let mut json = false;
    for line in headers.split("\r\n") {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("content-disposition") {
            if let Some((_, ps)) = value.split_once(';') {
                if let Some((_, n)) = params(ps)
                    .into_iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("name"))
                {
                    name = unescape_name(&n);
                }
            }
        } else if key.trim().eq_ignore_ascii_case("content-type") {
            json = is_json(&essence(value));
        }
    }
    (name, json)
}

/// `a=1; b="x;\"y"` as pairs, quoted values unquoted.
fn params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ';' || c.is_whitespace()).is_some() {}
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ';')).collect();
        if key.is_empty() && chars.peek().is_none() {
            return out;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => value.extend(chars.next()),
                        c => value.push(c),
                    }
                }
            }
            value.extend(std::iter::from_fn(|| chars.next_if(|c| *c != ';')));
        }
        out.push((key.trim().to_owned(), value.trim_end().to_owned()));
    }
}

/// A field name in a quoted header parameter, as browsers write it (HTML's
/// multipart/form-data encoding algorithm).
fn escape_name(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn unescape_name(name: &str) -> String {
    name.replace("%22", "\"")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_fields_read_back() {
        let fields = vec![
            Field::text("title", "a \"b\"\r\n--c".into()),
            Field::json("meta", r#"{"k":1}"#.into()),
            Field::text("we\"ird\nname", String::new()),
        ];
        let (boundary, bytes) = write(&fields);
        let ct = format!("multipart/form-data; boundary={boundary}");
        assert_eq!(read(&ct, &bytes), Ok(fields));
        let quoted = format!("multipart/form-data; charset=utf-8; boundary=\"{boundary}\"");
        assert_eq!(read(&quoted, &bytes).map(|f| f.len()), Ok(3));
    }

    #[test]
    fn the_boundary_occurs_in_no_field() {
        let fields = vec![Field::text("x", "tokenmock-boundary-0000".into())];
        let (boundary, _) = write(&fields);
        assert_eq!(boundary, "tokenmock-boundary-0001");
    }

    #[test]
    fn preamble_epilogue_and_empty_bodies() {
        let body = b"preamble\r\n--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--B--\r\nepilogue";
        let fields = read("multipart/form-data; boundary=B", body).unwrap();
        assert_eq!(fields, [Field::text("a", "1".into())]);
        assert_eq!(
            read("multipart/form-data; boundary=B", b"--B--"),
            Ok(vec![])
        );
    }

    #[test]
    fn malformed_bodies_are_errors() {
        let ct = "multipart/form-data; boundary=B";
        assert_eq!(
            read("multipart/form-data", b"--B--"),
            Err(MultipartError::NoBoundary)
        );
        assert_eq!(read(ct, b"nothing"), Err(MultipartError::NoOpening));
        assert_eq!(read(ct, b"--Bx"), Err(MultipartError::BadDelimiter));
        assert_eq!(read(ct, b"--B\r\ngarbage"), Err(MultipartError::Headers));
        assert_eq!(
            read(
                ct,
                b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\nno end"
            ),
            Err(MultipartError::NoClosing)
        );
    }
}
