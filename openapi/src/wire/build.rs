//! Building a request from values: parameter styles, percent-encoding and
//! bodies.

use serde_json::Value;

use super::encoding::Component;
use super::multipart::{self, Field};
use super::{field_error, location_of, Request};
use crate::expr::Location;
use crate::media::essence;
use crate::problem::FieldError;
use crate::spec::{MediaType, Operation, Parameter};

/// How a request body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// JSON text (JSON media types, and ranges such as `*/*`).
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`.
    Multipart,
}

impl Encoding {
    /// How a body of the media type `media` is written; `None` for media
    /// types the codec does not write (binary, text, XML).
    pub fn of(media: &str) -> Option<Encoding> {
        let media = essence(media);
        if media.contains('*') || media.contains("json") {
            Some(Encoding::Json)
        } else if media == "application/x-www-form-urlencoded" {
            Some(Encoding::Form)
        } else if media == "multipart/form-data" {
            Some(Encoding::Multipart)
        } else {
            None
        }
    }
}

/// The media type sent for a documented one: a range (`application/*`,
/// `*/*`) is sent as `application/json`, anything else as written.
pub fn sendable_media(documented: &str) -> String {
    if documented.contains('*') {
        "application/json".to_owned()
    } else {
        documented.to_owned()
    }
}

/// The media type of `content` a client sends: a JSON one first, then
/// form, then multipart, then a range (sent as JSON), each the first of its
/// kind in document order; `None` when the codec writes none of them.
pub fn preferred_media(content: &[MediaType]) -> Option<&MediaType> {
    content
        .iter()
        .filter_map(|m| {
            let rank = match Encoding::of(&m.name)? {
                _ if m.name.contains('*') => 3,
                Encoding::Json => 0,
                Encoding::Form => 1,
                Encoding::Multipart => 2,
            };
            Some((rank, m))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, m)| m)
}

/// A request being built for one operation.
#[derive(Debug, Clone)]
pub struct Builder {
    request: Request,
    cookies: Vec<(String, String)>,
    problems: Vec<FieldError>,
}

impl Builder {
    /// A request of `op`: its method and its path template, whose
    /// parameters [`param`](Builder::param) fills.
    pub fn new(op: &Operation) -> Builder {
        Builder {
            request: Request::new(&op.method, &op.path),
            cookies: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Put `value` at the parameter `p`, written in its style (or as JSON
    /// for a parameter with `content`).
    pub fn param(&mut self, p: &Parameter, value: &Value) -> &mut Builder {
        match placed(p, value) {
            Placed::Path(text) => {
                if text.is_empty() {
                    self.problems
                        .push(field_error(location_of(p), "path parameter is empty"));
                }
                let template = format!("{{{}}}", p.name);
                self.request.path = self.request.path.replace(&template, &text);
            }
            Placed::Query(pairs) => self.request.query.extend(pairs),
            Placed::Header(text) => self.request.headers.push((p.name.clone(), text)),
            Placed::Cookies(pairs) => self.cookies.extend(pairs),
        }
        self
    }

    /// Add a header as it is (one the operation need not declare, such as
    /// a security scheme's `Authorization`).
    pub fn header(&mut self, name: &str, text: &str) -> &mut Builder {
        self.request
            .headers
            .push((name.to_owned(), text.to_owned()));
        self
    }

    /// Whether a header named `name` (any case) is already there.
    pub fn has_header(&self, name: &str) -> bool {
        self.request
            .headers
            .iter()
            .any(|(h, _)| h.eq_ignore_ascii_case(name))
    }

    /// Add a query pair as it is.
    pub fn query(&mut self, name: &str, text: &str) -> &mut Builder {
        self.request.query.push((name.to_owned(), text.to_owned()));
        self
    }

    /// Add a cookie (its value percent-encoded for a cookie).
    pub fn cookie(&mut self, name: &str, text: &str) -> &mut Builder {
        self.cookies
            .push((name.to_owned(), Component::Cookie.encode(text)));
        self
    }

    /// Whether a cookie named `name` is already there.
    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|(c, _)| c == name)
    }

    /// Set the body: `value` written for the documented media type
    /// `media` ([`sendable_media`]); JSON text where the codec has no
    /// writer of its own for the media type.
    pub fn body(&mut self, media: &str, value: &Value) -> &mut Builder {
        self.request.body = Some(body(media, value));
        self
    }

    /// The request, and what makes it break its operation's wire format
    /// (an empty path parameter).
    pub fn finish(mut self) -> (Request, Vec<FieldError>) {
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            self.request
                .headers
                .push(("cookie".into(), cookies.join("; ")));
        }
        (self.request, self.problems)
    }
}

/// `value` as a body of the documented media type `media`: the content type
/// sent and the bytes.
pub(crate) fn body(media: &str, value: &Value) -> (String, Vec<u8>) {
    let media = sendable_media(media);
    match Encoding::of(&media) {
        Some(Encoding::Form) => (media, form_body(value).into_bytes()),
        Some(Encoding::Multipart) => {
            let (boundary, bytes) = multipart::write(&fields(value));
            (format!("{media}; boundary={boundary}"), bytes)
        }
        Some(Encoding::Json) | None => (media, value.to_string().into_bytes()),
    }
}

/// A parameter's value as the place it goes to takes it.
pub(crate) enum Placed {
    /// Path text, already encoded.
    Path(String),
    /// Query pairs, not yet encoded.
    Query(Vec<(String, String)>),
    /// A header value.
    Header(String),
    /// Cookies, values encoded.
    Cookies(Vec<(String, String)>),
}

/// A value broken into what the styles write.
enum Shape {
    Scalar(String),
    Array(Vec<String>),
    Object(Vec<(String, String)>),
}

/// A scalar as text: strings as they are, `null` empty, nested arrays and
/// objects (which no style writes) as JSON.
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn shape(p: &Parameter, v: &Value) -> Shape {
    match v {
        _ if p.json_content => Shape::Scalar(v.to_string()),
        Value::Array(a) => Shape::Array(a.iter().map(text).collect()),
        Value::Object(m) => Shape::Object(m.iter().map(|(k, v)| (k.clone(), text(v))).collect()),
        other => Shape::Scalar(text(other)),
    }
}

/// The delimiter of a non-exploded query or cookie array or object.
pub(crate) fn delimiter(style: &str) -> char {
    match style {
        "spaceDelimited" => ' ',
        "pipeDelimited" => '|',
        _ => ',',
    }
}

pub(crate) fn placed(p: &Parameter, value: &Value) -> Placed {
    let shape = shape(p, value);
    match p.location {
        Location::Path => Placed::Path(path_text(p, shape)),
        Location::Header => Placed::Header(join(shape, p.explode, ",", &|s| s.to_owned())),
        Location::Query => Placed::Query(pairs(p, shape, &|s| s.to_owned())),
        Location::Cookie => Placed::Cookies(pairs(p, shape, &|s| Component::Cookie.encode(s))),
    }
}

type Enc<'e> = &'e dyn Fn(&str) -> String;

/// A path parameter in its style (`simple`, `label`, `matrix`).
fn path_text(p: &Parameter, shape: Shape) -> String {
    let enc = |s: &str| Component::PathSegment.encode(s);
    let name = enc(&p.name);
    match (p.style.as_str(), shape) {
        ("label", shape) => format!(".{}", join(shape, p.explode, ".", &enc)),
        ("matrix", Shape::Array(items)) if p.explode => items
            .iter()
            .map(|i| format!(";{name}={}", enc(i)))
            .collect(),
        ("matrix", Shape::Object(members)) if p.explode => members
            .iter()
            .map(|(k, v)| format!(";{}={}", enc(k), enc(v)))
            .collect(),
        ("matrix", shape) => format!(";{name}={}", join(shape, false, ",", &enc)),
        (_, shape) => join(shape, p.explode, ",", &enc),
    }
}

/// Items joined with `sep` when exploded (objects as `k=v`), with `,`
/// otherwise (objects as `k,v`).
fn join(shape: Shape, explode: bool, sep: &str, enc: Enc<'_>) -> String {
    match shape {
        Shape::Scalar(s) => enc(&s),
        Shape::Array(items) => {
            let items: Vec<String> = items.iter().map(|i| enc(i)).collect();
            items.join(if explode { sep } else { "," })
        }
        Shape::Object(members) if explode => members
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join(sep),
        Shape::Object(members) => flat(&members, ",", enc),
    }
}

fn flat(members: &[(String, String)], sep: &str, enc: Enc<'_>) -> String {
    members
        .iter()
        .flat_map(|(k, v)| [enc(k), enc(v)])
        .collect::<Vec<_>>()
        .join(sep)
}

/// A query or cookie parameter as pairs (`form`, `spaceDelimited`,
/// `pipeDelimited`, `deepObject`).
fn pairs(p: &Parameter, shape: Shape, enc: Enc<'_>) -> Vec<(String, String)> {
    let name = &p.name;
    let sep = delimiter(&p.style).to_string();
    match shape {
        Shape::Scalar(s) => vec![(name.clone(), enc(&s))],
        Shape::Array(items) if p.explode => items.iter().map(|i| (name.clone(), enc(i))).collect(),
        Shape::Array(items) => {
            let items: Vec<String> = items.iter().map(|i| enc(i)).collect();
            vec![(name.clone(), items.join(&sep))]
        }
        Shape::Object(members) if p.style == "deepObject" => members
            .iter()
            .map(|(k, v)| (format!("{name}[{k}]"), enc(v)))
            .collect(),
        Shape::Object(members) if p.explode => {
            members.iter().map(|(k, v)| (k.clone(), enc(v))).collect()
        }
        Shape::Object(members) => vec![(name.clone(), flat(&members, &sep, enc))],
    }
}

/// An object body as `application/x-www-form-urlencoded`: one field per
/// property, an array as repeated fields (OpenAPI's default `form`,
/// exploded: an empty array is no field at all), nested values as JSON.
fn form_body(body: &Value) -> String {
    fields(body)
        .iter()
        .filter(|f| !(f.json && f.text == "[]"))
        .map(|f| {
            format!(
                "{}={}",
                Component::Form.encode(&f.name),
                Component::Form.encode(&f.text)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The fields of an object body: an array of scalars as one field per
/// item, other arrays (the empty one included) and objects as one JSON
/// field.
fn fields(body: &Value) -> Vec<Field> {
    let Some(m) = body.as_object() else {
        return Vec::new();
    };
    let scalar = |v: &Value| !v.is_array() && !v.is_object();
    let mut out = Vec::new();
    for (name, v) in m {
        match v {
            Value::Array(items) if !items.is_empty() && items.iter().all(scalar) => {
                out.extend(items.iter().map(|i| Field::text(name, text(i))));
            }
            Value::Array(_) | Value::Object(_) => out.push(Field::json(name, v.to_string())),
            other => out.push(Field::text(name, text(other))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn param(location: Location, style: &str, explode: bool) -> Parameter {
        Parameter {
            name: "id".into(),
            location,
            required: true,
            schema: None,
            style: style.into(),
            explode,
            json_content: false,
        }
    }

    fn path(style: &str, explode: bool, v: Value) -> String {
        match placed(&param(Location::Path, style, explode), &v) {
            Placed::Path(t) => t,
            _ => unreachable!(),
        }
    }

    fn query(style: &str, explode: bool, v: Value) -> Vec<(String, String)> {
        match placed(&param(Location::Query, style, explode), &v) {
            Placed::Query(q) => q,
            _ => unreachable!(),
        }
    }

    /// The examples of the OpenAPI specification's style table.
    #[test]
    fn the_style_table() {
        let arr = json!(["blue", "black", "brown"]);
        let obj = json!({"R": 100, "G": 200, "B": 150});
        assert_eq!(path("simple", false, arr.clone()), "blue,black,brown");
        assert_eq!(path("simple", false, obj.clone()), "R,100,G,200,B,150");
        assert_eq!(path("simple", true, obj.clone()), "R=100,G=200,B=150");
        assert_eq!(path("label", false, json!("blue")), ".blue");
        assert_eq!(path("label", false, arr.clone()), ".blue,black,brown");
        assert_eq!(path("label", true, arr.clone()), ".blue.black.brown");
        assert_eq!(path("label", true, obj.clone()), ".R=100.G=200.B=150");
        assert_eq!(path("matrix", false, json!("blue")), ";id=blue");
        assert_eq!(path("matrix", false, arr.clone()), ";id=blue,black,brown");
        assert_eq!(
            path("matrix", true, arr.clone()),
            ";id=blue;id=black;id=brown"
        );
        assert_eq!(path("matrix", true, obj.clone()), ";R=100;G=200;B=150");
        assert_eq!(path("matrix", false, obj.clone()), ";id=R,100,G,200,B,150");
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(query("form", true, arr.clone()).len(), 3);
        assert_eq!(
            query("form", false, arr.clone()),
            [pair("id", "blue,black,brown")]
        );
        assert_eq!(
            query("spaceDelimited", false, arr.clone()),
            [pair("id", "blue black brown")]
        );
        assert_eq!(
            query("pipeDelimited", false, arr),
            [pair("id", "blue|black|brown")]
        );
        assert_eq!(
            query("deepObject", true, obj.clone()),
            [
                pair("id[R]", "100"),
                pair("id[G]", "200"),
                pair("id[B]", "150")
            ]
        );
        assert_eq!(
            query("form", true, obj),
            [pair("R", "100"), pair("G", "200"), pair("B", "150")]
        );
    }

    #[test]
    fn path_values_are_encoded_piece_by_piece() {
        assert_eq!(path("simple", false, json!("a/b c")), "a%2Fb%20c");
        assert_eq!(path("simple", false, json!(["a/b", "é"])), "a%2Fb,%C3%A9");
    }

    #[test]
    fn media_ranges_are_sent_as_json_and_json_is_preferred() {
        assert_eq!(sendable_media("*/*"), "application/json");
        assert_eq!(sendable_media("application/*"), "application/json");
        assert_eq!(sendable_media("text/plain"), "text/plain");
        let media = |name: &str| MediaType {
            name: name.into(),
            schema: None,
            example: None,
            examples: Vec::new(),
        };
        let pick = |names: &[&str]| {
            let content: Vec<MediaType> = names.iter().map(|n| media(n)).collect();
            preferred_media(&content).map(|m| m.name.clone())
        };
        assert_eq!(
            pick(&["*/*", "multipart/form-data", "application/json"]).as_deref(),
            Some("application/json")
        );
        assert_eq!(
            pick(&[
                "text/plain",
                "multipart/form-data",
                "application/x-www-form-urlencoded"
            ])
            .as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(pick(&["text/plain", "*/*"]).as_deref(), Some("*/*"));
        assert_eq!(pick(&["application/octet-stream"]), None);
    }

    #[test]
    fn form_bodies_repeat_array_fields_and_nest_as_json() {
        let body = json!({"a b": "x&y", "tags": ["t", 1], "meta": {"k": "v"}, "none": null});
        assert_eq!(
            form_body(&body),
            "a+b=x%26y&tags=t&tags=1&meta=%7B%22k%22%3A%22v%22%7D&none="
        );
        assert_eq!(form_body(&json!("not an object")), "");
    }
}
