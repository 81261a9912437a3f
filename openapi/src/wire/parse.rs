//! Parsing a request back: raw text to JSON values typed by the schema.

use serde_json::{Map, Value};

use super::build::{body, delimiter, placed, Placed};
use super::encoding::{cookie_pairs, query_pairs, Component};
use super::multipart::{self, Field};
use super::{field_error, items, location_of, property, resolved, schema_type};
use crate::expr::Location;
use crate::media::{essence, is_json};
use crate::problem::FieldError;
use crate::spec::{MediaType, Parameter};

/// The headers of a received request, whatever the server's types.
pub trait Headers {
    /// Every value of the header `name` (names compare case-insensitively)
    /// that is text.
    fn get_all(&self, name: &str) -> Vec<&str>;

    /// The first value of the header `name`, bytes that are not text
    /// replaced (a token with such bytes is a wrong token, not none).
    fn first_lossy(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.get_all(name)
            .first()
            .map(|v| std::borrow::Cow::Borrowed(*v))
    }
}

impl Headers for Vec<(String, String)> {
    fn get_all(&self, name: &str) -> Vec<&str> {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Name-value pairs (query pairs, cookies).
pub type Pairs = Vec<(String, String)>;

/// A received request's parameter places, before they are typed.
pub struct Received<'a> {
    path: &'a [(String, String)],
    query: Vec<(String, String)>,
    cookies: Vec<(String, String)>,
    headers: &'a dyn Headers,
}

impl std::fmt::Debug for Received<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Received")
            .field("path", &self.path)
            .field("query", &self.query)
            .field("cookies", &self.cookies)
            .finish_non_exhaustive()
    }
}

/// A parameter's raw text: the occurrences of its name, or (exploded
/// objects in a query or cookie) its members.
enum Raw {
    Texts(Vec<String>),
    Members(Vec<(String, String)>),
}

impl<'a> Received<'a> {
    /// `path`: the path parameters, percent-decoded (the router's job);
    /// `query`: the raw query string, without `?`.
    pub fn new(
        path: &'a [(String, String)],
        query: &str,
        headers: &'a dyn Headers,
    ) -> Received<'a> {
        Received {
            path,
            query: query_pairs(query),
            cookies: cookie_pairs(headers.get_all("cookie")),
            headers,
        }
    }

    /// The query pairs, decoded.
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The cookies, as sent.
    pub fn cookies(&self) -> &[(String, String)] {
        &self.cookies
    }

    /// The query pairs and the cookies.
    pub fn into_pairs(self) -> (Pairs, Pairs) {
        (self.query, self.cookies)
    }

    /// The value of the parameter `p`, typed by its schema (`None`: it is
    /// not there). Text that does not fit the schema's type stays a string,
    /// for validation to say why; only a parameter whose `content` is
    /// malformed JSON is a problem here.
    pub fn param(&self, doc: &Value, p: &Parameter) -> Option<Result<Value, FieldError>> {
        let schema = p.schema.as_ref().map(|s| resolved(doc, &s.value));
        let raw = self.raw(doc, p, schema);
        match &raw {
            Raw::Texts(t) if t.is_empty() => return None,
            Raw::Members(m) if m.is_empty() => return None,
            _ => {}
        }
        if p.json_content {
            let text = match &raw {
                Raw::Texts(t) => t[0].as_str(),
                Raw::Members(_) => "",
            };
            return Some(
                serde_json::from_str(text)
                    .map_err(|e| field_error(location_of(p), format!("malformed JSON: {e}"))),
            );
        }
        Some(Ok(match raw {
            Raw::Members(m) => object(doc, schema, m),
            Raw::Texts(t) => styled(doc, p, schema, t),
        }))
    }

    fn raw(&self, doc: &Value, p: &Parameter, schema: Option<&Value>) -> Raw {
        let named = |pairs: &[(String, String)], decode: &dyn Fn(&str) -> String| {
            pairs
                .iter()
                .filter(|(k, _)| k == &p.name)
                .map(|(_, v)| decode(v))
                .collect()
        };
        match p.location {
            Location::Path => Raw::Texts(named(self.path, &|v| v.to_owned())),
            Location::Header => Raw::Texts(
                self.headers
                    .get_all(&p.name)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            ),
            Location::Query => members(doc, p, schema, &self.query, &|v| v.to_owned())
                .unwrap_or_else(|| Raw::Texts(named(&self.query, &|v| v.to_owned()))),
            Location::Cookie => {
                let decode = |v: &str| Component::Cookie.decode(v);
                members(doc, p, schema, &self.cookies, &decode)
                    .unwrap_or_else(|| Raw::Texts(named(&self.cookies, &decode)))
            }
        }
    }
}

/// The members of a `deepObject` (`id[k]=v`) or exploded `form` object
/// (`k=v`, for the schema's properties) among `pairs`; `None` for other
/// styles.
fn members(
    doc: &Value,
    p: &Parameter,
    schema: Option<&Value>,
    pairs: &[(String, String)],
    decode: &dyn Fn(&str) -> String,
) -> Option<Raw> {
    if p.json_content {
        return None;
    }
    if p.style == "deepObject" {
        let prefix = format!("{}[", p.name);
        return Some(Raw::Members(
            pairs
                .iter()
                .filter_map(|(k, v)| {
                    let key = k.strip_prefix(&prefix)?.strip_suffix(']')?;
                    Some((key.to_owned(), decode(v)))
                })
                .collect(),
        ));
    }
    let schema = schema.filter(|s| schema_type(s) == "object")?;
    if !(p.explode && p.style == "form") {
        return None;
    }
    Some(Raw::Members(
        pairs
            .iter()
            .filter(|(k, _)| property(doc, schema, k).is_some())
            .map(|(k, v)| (k.clone(), decode(v)))
            .collect(),
    ))
}

/// The pieces of a parameter's text in its style, before typing: a scalar,
/// array items, or object members.
fn styled(doc: &Value, p: &Parameter, schema: Option<&Value>, raw: Vec<String>) -> Value {
    let first = raw[0].as_str();
    let Some(schema) = schema else {
        return Value::String(first.to_owned());
    };
    let matrix = || {
        first
            .strip_prefix(';')
            .filter(|_| p.style == "matrix")
            .map(|t| {
                t.split(';')
                    .map(|s| s.split_once('=').unwrap_or((s, "")))
                    .collect::<Vec<_>>()
            })
    };
    let own = |segments: &[(&str, &str)]| {
        segments
            .iter()
            .find(|(k, _)| *k == p.name)
            .map_or("", |(_, v)| *v)
            .to_owned()
    };
    let label = first.strip_prefix('.').filter(|_| p.style == "label");
    match schema_type(schema) {
        "array" => {
            let parts: Vec<String> = if let Some(segments) = matrix() {
                if p.explode {
                    segments
                        .iter()
                        .filter(|(k, _)| *k == p.name)
                        .map(|(_, v)| (*v).to_owned())
                        .collect()
                } else {
                    split(&own(&segments), ',')
                }
            } else if let Some(text) = label {
                split(text, if p.explode { '.' } else { ',' })
            } else if p.explode && (raw.len() > 1 || p.style == "form") {
                raw
            } else {
                split(first, delimiter(&p.style))
            };
            let item = items(doc, schema);
            Value::Array(parts.into_iter().map(|v| coerce(doc, item, v)).collect())
        }
        "object" => {
            let pairs: Vec<(String, String)> = match (matrix(), label) {
                (Some(segments), _) if p.explode => segments
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                (Some(segments), _) => chunks(&own(&segments), ','),
                (None, Some(text)) if p.explode => assignments(text, '.'),
                (None, Some(text)) => chunks(text, ','),
                (None, None) if p.explode => assignments(first, ','),
                (None, None) => chunks(first, delimiter(&p.style)),
            };
            object(doc, Some(schema), pairs)
        }
        _ => {
            let text = match (matrix(), label) {
                (Some(segments), _) => own(&segments),
                (None, Some(text)) => text.to_owned(),
                (None, None) => first.to_owned(),
            };
            coerce(doc, Some(schema), text)
        }
    }
}

/// `text` split at `sep`; empty text is no items.
fn split(text: &str, sep: char) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split(sep).map(str::to_owned).collect()
}

/// `k,v,k,v` as pairs.
fn chunks(text: &str, sep: char) -> Vec<(String, String)> {
    split(text, sep)
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect()
}

/// `k=v,k=v` as pairs.
fn assignments(text: &str, sep: char) -> Vec<(String, String)> {
    split(text, sep)
        .iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// Members typed by their property schemas.
fn object(doc: &Value, schema: Option<&Value>, pairs: Vec<(String, String)>) -> Value {
    let mut obj = Map::new();
    for (k, v) in pairs {
        let prop = schema.and_then(|s| property(doc, s, &k));
        let value = coerce(doc, prop, v);
        obj.insert(k, value);
    }
    Value::Object(obj)
}

/// A scalar's text as the JSON type its schema names; left a string when
/// it does not parse (validation then says why). Empty text is `null` where
/// the schema allows `null` and is not a string.
pub(crate) fn coerce(doc: &Value, schema: Option<&Value>, text: String) -> Value {
    let Some(schema) = schema.map(|s| resolved(doc, s)) else {
        return Value::String(text);
    };
    let ty = schema_type(schema);
    if text.is_empty() && ty != "string" && allows_null(schema) {
        return Value::Null;
    }
    let integer = |t: &str| {
        t.parse::<i64>()
            .map(Value::from)
            .or_else(|_| t.parse::<u64>().map(Value::from))
            .ok()
    };
    let parsed = match ty {
        "integer" => integer(&text),
        "number" => integer(&text).or_else(|| {
            text.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
        }),
        "boolean" => match text.as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        "null" if text.is_empty() => Some(Value::Null),
        _ => None,
    };
    parsed.unwrap_or(Value::String(text))
}

fn allows_null(schema: &Value) -> bool {
    schema.get("nullable") == Some(&Value::Bool(true))
        || schema
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|ts| ts.iter().any(|t| t == "null"))
}

/// A body of the documented `media` sent as `content_type`, as JSON: JSON
/// bodies as they are, form and multipart bodies as an object typed by the
/// schema's properties. `Ok(None)` for other media types (binary, text,
/// XML), which are accepted as they are; a problem at `$request.body` when
/// the body does not parse.
pub fn parse_body(
    doc: &Value,
    media: &MediaType,
    content_type: &str,
    bytes: &[u8],
) -> Result<Option<Value>, FieldError> {
    let sent = essence(content_type);
    let schema = media.schema.as_ref().map(|s| resolved(doc, &s.value));
    let malformed = |what: &str, e: &dyn std::fmt::Display| {
        field_error("$request.body", format!("malformed {what}: {e}"))
    };
    if is_json(&sent) || is_json(&media.name) && sent.is_empty() {
        return serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| malformed("JSON", &e));
    }
    let fields = match sent.as_str() {
        "application/x-www-form-urlencoded" => query_pairs(&String::from_utf8_lossy(bytes))
            .into_iter()
            .map(|(k, v)| Field::text(&k, v))
            .collect(),
        "multipart/form-data" => {
            multipart::read(content_type, bytes).map_err(|e| malformed("multipart body", &e))?
        }
        _ => return Ok(None),
    };
    Ok(Some(form_object(doc, schema, fields)))
}

/// Form fields as one object, one property per field name. Text is typed
/// by the property's schema; a JSON part, or a field whose property (or
/// array item) is an object or array, is parsed as JSON. An `array`
/// property is always an array (repeated fields collect into it; a JSON
/// array where an item cannot be an array, or in a JSON part, is the whole
/// array); other repeated names collect into an array too.
fn form_object(doc: &Value, schema: Option<&Value>, fields: Vec<Field>) -> Value {
    let mut obj = Map::new();
    for f in fields {
        let prop = schema.and_then(|s| property(doc, s, &f.name));
        let is_array = prop.map(schema_type) == Some("array");
        let item = if is_array {
            prop.and_then(|p| items(doc, p))
        } else {
            prop
        };
        let item_type = item.map(schema_type);
        let nested = matches!(item_type, Some("object" | "array"));
        let value = if f.json || nested {
            serde_json::from_str(&f.text).unwrap_or(Value::String(f.text))
        } else {
            coerce(doc, item, f.text)
        };
        // An array where an item cannot be one is the whole array.
        let whole = is_array && value.is_array() && (f.json || item_type != Some("array"));
        match obj.get_mut(&f.name) {
            None if whole => {
                obj.insert(f.name, value);
            }
            None if is_array => {
                obj.insert(f.name, Value::Array(vec![value]));
            }
            None => {
                obj.insert(f.name, value);
            }
            Some(Value::Array(a)) => a.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
        }
    }
    Value::Object(obj)
}

/// The value a server reads when `value` is sent at the parameter `p`:
/// written with the [`Builder`](super::Builder)'s rules, then parsed back
/// as [`Received::param`] does (`None`: nothing is sent, such as an empty
/// exploded array).
pub fn read_back(doc: &Value, p: &Parameter, value: &Value) -> Option<Result<Value, FieldError>> {
    let pairs = |q: Vec<(String, String)>| {
        let mut r = super::Request::new("GET", "/");
        r.query = q;
        r.query_string()
    };
    let (path, query, headers) = match placed(p, value) {
        Placed::Path(text) => (
            vec![(p.name.clone(), Component::PathSegment.decode(&text))],
            String::new(),
            Vec::new(),
        ),
        Placed::Query(q) => (Vec::new(), pairs(q), Vec::new()),
        Placed::Header(text) => (Vec::new(), String::new(), vec![(p.name.clone(), text)]),
        Placed::Cookies(c) => {
            let cookie: Vec<String> = c.iter().map(|(k, v)| format!("{k}={v}")).collect();
            (
                Vec::new(),
                String::new(),
                vec![("cookie".to_owned(), cookie.join("; "))],
            )
        }
    };
    Received::new(&path, &query, &headers).param(doc, p)
}

/// The body a server reads when `value` is sent as the documented `media`:
/// written as the [`Builder`](super::Builder) writes it, then parsed back
/// with [`parse_body`] (`Ok(None)`: no body, as an empty form is, or a
/// media type taken as it is).
pub fn read_back_body(
    doc: &Value,
    media: &MediaType,
    value: &Value,
) -> Result<Option<Value>, FieldError> {
    let (content_type, bytes) = body(&media.name, value);
    if bytes.is_empty() {
        return Ok(None);
    }
    parse_body(doc, media, &content_type, &bytes)
}
