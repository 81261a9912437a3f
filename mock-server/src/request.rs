//! Checking a request against its operation: parameters (with their styles),
//! content type and body, validated with the spec's schemas.
//!
//! Every problem is collected, not just the first, and each names its
//! location as a runtime expression (`$request.body#/refreshToken`,
//! `$request.header.x-auth-token`).

use poem::http::HeaderMap;
use serde_json::{Map, Value};

use openapi::spec::{Location, MediaType, Operation, Parameter};
use openapi::Spec;

pub use openapi::problem::FieldError;

/// A request as the checker sees it.
#[derive(Debug)]
pub struct Incoming<'a> {
    /// The raw query string (without `?`).
    pub query: &'a str,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body bytes.
    pub body: &'a [u8],
    /// Decoded path parameters.
    pub path_params: &'a [(String, String)],
}

/// What checking found.
#[derive(Debug)]
pub enum Checked {
    /// The request fits the spec; the body parsed (if any).
    Valid(Parsed),
    /// Parameters or body break the spec.
    Invalid(Vec<FieldError>, Parsed),
    /// The body's media type is not one the operation accepts.
    UnsupportedMediaType {
        /// What was sent.
        sent: String,
        /// What the operation documents.
        accepted: Vec<String>,
    },
}

/// The parts of a valid request the bindings read.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The body as JSON (JSON bodies, and form bodies as an object).
    pub body: Option<Value>,
    /// Query pairs, decoded.
    pub query: Vec<(String, String)>,
    /// Cookies.
    pub cookies: Vec<(String, String)>,
}

pub use openapi::media::{essence, is_json, media_matches};

/// Check `req` against `op`.
pub fn check(spec: &Spec, op: &Operation, req: &Incoming<'_>) -> Checked {
    let query = parse_pairs(req.query);
    let cookies = parse_cookies(req.headers);
    let mut errors = Vec::new();
    for p in &op.parameters {
        check_parameter(spec, p, req, &query, &cookies, &mut errors);
    }
    let mut parsed = Parsed {
        body: None,
        query,
        cookies,
    };
    if let Some(rb) = &op.request_body {
        let sent = req
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if req.body.is_empty() {
            if rb.required {
                errors.push(FieldError {
                    location: "$request.body".into(),
                    message: "a request body is required".into(),
                });
            }
        } else {
            let media = rb.content.iter().find(|m| media_matches(&m.name, sent));
            match media {
                None if !rb.content.is_empty() => {
                    return Checked::UnsupportedMediaType {
                        sent: if sent.is_empty() {
                            "no Content-Type".into()
                        } else {
                            sent.to_owned()
                        },
                        accepted: rb.content.iter().map(|m| m.name.clone()).collect(),
                    }
                }
                None => {}
                Some(m) => parsed.body = check_body(spec, m, sent, req.body, &mut errors),
            }
        }
    }
    if errors.is_empty() {
        Checked::Valid(parsed)
    } else {
        Checked::Invalid(errors, parsed)
    }
}

fn check_body(
    spec: &Spec,
    media: &MediaType,
    sent: &str,
    bytes: &[u8],
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let header_sent = sent;
    let sent = essence(sent);
    let value = if is_json(&sent) || is_json(&media.name) && sent.is_empty() {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => v,
            Err(e) => {
                errors.push(FieldError {
                    location: "$request.body".into(),
                    message: format!("malformed JSON: {e}"),
                });
                return None;
            }
        }
    } else if sent == "application/x-www-form-urlencoded" {
        let text = String::from_utf8_lossy(bytes);
        let mut obj = Map::new();
        let props = media.schema.as_ref().map(|s| &s.value);
        for (k, v) in parse_pairs(&text) {
            let prop = props
                .and_then(|p| p.get("properties"))
                .and_then(|p| p.get(&k))
                .map(|s| resolve(spec, s));
            let value = coerce(spec, prop, &[v]);
            insert_field(&mut obj, k, value);
        }
        Value::Object(obj)
    } else if sent == "multipart/form-data" {
        match multipart(spec, media, header_sent, bytes) {
            Ok(v) => v,
            Err(e) => {
                errors.push(FieldError {
                    location: "$request.body".into(),
                    message: format!("malformed multipart body: {e}"),
                });
                return None;
            }
        }
    } else {
        // Other bodies (binary, text, XML) are accepted as they are.
        return None;
    };
    if let Some(schema) = &media.schema {
        validate(spec, &schema.pointer, &value, "$request.body#", errors);
    }
    Some(value)
}

/// Add a form field; a repeated name collects its values into an array.
fn insert_field(obj: &mut Map<String, Value>, k: String, value: Value) {
    match obj.get_mut(&k) {
        Some(Value::Array(a)) => a.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            obj.insert(k, value);
        }
    }
}

/// A `multipart/form-data` body as a JSON object, one property per part
/// name. Text parts are coerced to the type their schema property names;
/// a part sent as JSON (or whose property is an object or array and whose
/// text parses as JSON) becomes that JSON value; file parts become their
/// text (lossy UTF-8), which is what a `format: binary` string accepts.
/// Repeated names, or an `array` property, collect into an array.
///
/// The body is already in memory, so multer's stream never waits and a
/// plain `block_on` drives it without a runtime.
fn multipart(
    spec: &Spec,
    media: &MediaType,
    content_type: &str,
    bytes: &[u8],
) -> Result<Value, multer::Error> {
    let boundary = multer::parse_boundary(content_type)?;
    let body = bytes.to_vec();
    let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let props = media
        .schema
        .as_ref()
        .and_then(|s| s.value.get("properties"));
    futures::executor::block_on(async {
        let mut obj = Map::new();
        while let Some(field) = parts.next_field().await? {
            let name = field.name().unwrap_or("").to_owned();
            let json_part = field
                .content_type()
                .is_some_and(|m| is_json(m.essence_str()));
            let data = field.bytes().await?;
            let text = String::from_utf8_lossy(&data).into_owned();
            let prop = props.and_then(|p| p.get(&name)).map(|s| resolve(spec, s));
            let ty = prop.map(schema_type).unwrap_or("");
            let (ty, item) = match (ty, prop) {
                ("array", Some(p)) => {
                    let items = p.get("items").map(|s| resolve(spec, s));
                    (items.map(schema_type).unwrap_or(""), items)
                }
                _ => (ty, prop),
            };
            let value = if json_part || matches!(ty, "object" | "array") {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            } else {
                coerce(spec, item, &[text])
            };
            match (obj.get_mut(&name), value) {
                (None, v @ Value::Array(_)) if prop.map(schema_type) == Some("array") => {
                    obj.insert(name, v);
                }
                (None, v) if prop.map(schema_type) == Some("array") => {
                    obj.insert(name, Value::Array(vec![v]));
                }
                (_, value) => insert_field(&mut obj, name, value),
            }
        }
        Ok(Value::Object(obj))
    })
}

fn validate(spec: &Spec, pointer: &str, value: &Value, prefix: &str, errors: &mut Vec<FieldError>) {
    match spec.schemas().validate(pointer, value) {
        Ok(violations) => errors.extend(violations.into_iter().map(|v| FieldError {
            location: format!("{prefix}{}", v.path),
            message: v.message,
        })),
        Err(e) => tracing::warn!("schema not checked: {e}"),
    }
}

fn resolve<'s>(spec: &'s Spec, schema: &'s Value) -> &'s Value {
    openapi::spec::resolve(spec.document(), String::new(), schema)
        .map(|(_, s)| s)
        .unwrap_or(schema)
}

fn check_parameter(
    spec: &Spec,
    p: &Parameter,
    req: &Incoming<'_>,
    query: &[(String, String)],
    cookies: &[(String, String)],
    errors: &mut Vec<FieldError>,
) {
    let location = format!("$request.{}.{}", p.location.as_str(), p.name);
    let raw: Vec<String> = match p.location {
        Location::Path => req
            .path_params
            .iter()
            .filter(|(n, _)| n == &p.name)
            .map(|(_, v)| v.clone())
            .collect(),
        Location::Query => query_values(p, query),
        Location::Header => req
            .headers
            .get_all(p.name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect(),
        Location::Cookie => cookies
            .iter()
            .filter(|(n, _)| n == &p.name)
            .map(|(_, v)| v.clone())
            .collect(),
    };
    if raw.is_empty() {
        if p.required {
            errors.push(FieldError {
                location,
                message: format!("required {} parameter is missing", p.location.as_str()),
            });
        }
        return;
    }
    let Some(schema) = &p.schema else { return };
    let value = if p.json_content {
        match serde_json::from_str(&raw[0]) {
            Ok(v) => v,
            Err(e) => {
                errors.push(FieldError {
                    location,
                    message: format!("malformed JSON: {e}"),
                });
                return;
            }
        }
    } else {
        styled(spec, p, &schema.value, &raw)
    };
    validate(spec, &schema.pointer, &value, &location, errors);
}

/// The raw values of a query parameter, honouring `deepObject` and exploded
/// forms.
fn query_values(p: &Parameter, query: &[(String, String)]) -> Vec<String> {
    if p.style == "deepObject" {
        let prefix = format!("{}[", p.name);
        return query
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix) && k.ends_with(']'))
            .map(|(k, v)| format!("{}={v}", &k[prefix.len()..k.len() - 1]))
            .collect();
    }
    query
        .iter()
        .filter(|(k, _)| k == &p.name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn schema_type(s: &Value) -> &str {
    match s.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ if s.get("properties").is_some() => "object",
        _ if s.get("items").is_some() => "array",
        _ => "",
    }
}

/// Turn a parameter's raw strings into the JSON value its schema describes.
fn styled(spec: &Spec, p: &Parameter, schema: &Value, raw: &[String]) -> Value {
    let schema = resolve(spec, schema);
    match schema_type(schema) {
        "array" => {
            let items = schema.get("items").map(|s| resolve(spec, s));
            let parts: Vec<String> = if p.explode && (raw.len() > 1 || p.style == "form") {
                raw.to_vec()
            } else {
                let sep = match p.style.as_str() {
                    "spaceDelimited" => ' ',
                    "pipeDelimited" => '|',
                    _ => ',',
                };
                raw[0].split(sep).map(str::to_owned).collect()
            };
            Value::Array(
                parts
                    .iter()
                    .map(|v| coerce(spec, items, std::slice::from_ref(v)))
                    .collect(),
            )
        }
        "object" => {
            let mut obj = Map::new();
            let prop = |k: &str| {
                schema
                    .get("properties")
                    .and_then(|ps| ps.get(k))
                    .map(|s| resolve(spec, s))
            };
            let pairs: Vec<(String, String)> = if p.style == "deepObject" || p.explode {
                raw.iter()
                    .filter_map(|kv| kv.split_once(['=', ',']))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            } else {
                let parts: Vec<&str> = raw[0].split(',').collect();
                parts
                    .chunks(2)
                    .filter(|c| c.len() == 2)
                    .map(|c| (c[0].to_owned(), c[1].to_owned()))
                    .collect()
            };
            for (k, v) in pairs {
                let value = coerce(spec, prop(&k), &[v]);
                obj.insert(k, value);
            }
            Value::Object(obj)
        }
        _ => coerce(spec, Some(schema), &raw[..1]),
    }
}

/// A scalar string as the JSON type its schema names; left a string when it
/// does not parse (validation then says why).
fn coerce(spec: &Spec, schema: Option<&Value>, raw: &[String]) -> Value {
    let s = raw.first().cloned().unwrap_or_default();
    let Some(schema) = schema.map(|s| resolve(spec, s)) else {
        return Value::String(s);
    };
    match schema_type(schema) {
        "integer" => s
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::String(s)),
        "number" => match s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            Some(n) => Value::Number(n),
            None => Value::String(s),
        },
        "boolean" => match s.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(s),
        },
        "null" if s.is_empty() => Value::Null,
        _ => Value::String(s),
    }
}

/// Decode `a=1&b=x+y` into pairs.
pub fn parse_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn parse_cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}
