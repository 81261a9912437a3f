//! Loading an OpenAPI 3.0/3.1 document and indexing its operations.
//!
//! The document stays a `serde_json::Value`; the index ([`Operation`],
//! [`Parameter`], [`Response`]) holds resolved copies of what the mock and the
//! suite need on every request, each with the JSON pointer it came from so
//! that schemas can be validated in place and errors can name spec paths.

use std::path::Path;

use serde_json::{Map, Value};

use crate::binding::{self, Binding, Lifecycle, Source};
use crate::error::LoadError;
use crate::expr::Pointer;
use crate::schema::Schemas;

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

/// A loaded, indexed OpenAPI document.
#[derive(Debug)]
pub struct Spec {
    doc: Value,
    version: Version,
    operations: Vec<Operation>,
    lifecycle: Lifecycle,
    schemas: Schemas,
    guards: Vec<Source>,
}

pub use crate::expr::Location;

/// A schema in the document: where it is and what it says (resolved).
#[derive(Debug, Clone)]
pub struct SchemaRef {
    /// JSON pointer of the schema in the document (`/components/schemas/X`).
    pub pointer: String,
    /// The schema with its top-level `$ref` chain resolved.
    pub value: Value,
}

/// An operation parameter.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Its name (as written; headers compare case-insensitively).
    pub name: String,
    /// Where it sits.
    pub location: Location,
    /// Whether it must be present.
    pub required: bool,
    /// Its schema, if it has one (`schema` or the first `content` entry).
    pub schema: Option<SchemaRef>,
    /// Serialization style (`form`, `simple`, ...), defaulted per location.
    pub style: String,
    /// Whether arrays and objects explode.
    pub explode: bool,
    /// Whether the value is JSON in `content` rather than styled.
    pub json_content: bool,
}

/// One media type of a request body or a response.
#[derive(Debug, Clone)]
pub struct MediaType {
    /// The media type (`application/json`, `application/*`, ...).
    pub name: String,
    /// Its schema.
    pub schema: Option<SchemaRef>,
    /// The single `example`, if any.
    pub example: Option<Value>,
    /// The named `examples` (their `value`s), in document order.
    pub examples: Vec<(String, Value)>,
}

/// A request body.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// Whether a body must be sent.
    pub required: bool,
    /// Its media types, in document order.
    pub content: Vec<MediaType>,
}

/// A documented response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status key as written: `200`, `4XX`, `default`.
    pub status: String,
    /// Its media types, in document order.
    pub content: Vec<MediaType>,
    /// Its documented headers: name (lowercase), required, schema, example.
    pub headers: Vec<Header>,
}

/// A documented response header.
#[derive(Debug, Clone)]
pub struct Header {
    /// The header name, lowercase.
    pub name: String,
    /// Whether it must be sent.
    pub required: bool,
    /// Its schema.
    pub schema: Option<SchemaRef>,
    /// Its example, if any.
    pub example: Option<Value>,
}

/// One alternative of an operation's security: every scheme must be met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityAlternative(pub Vec<SecurityScheme>);

/// A security scheme an operation requires, as the mock can check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityScheme {
    /// `http` with `scheme: bearer` (or basic, digest...): an `Authorization`
    /// header with that scheme word.
    Http {
        /// The scheme word, lowercase (`bearer`, `basic`).
        scheme: String,
    },
    /// `apiKey` in a header, query parameter or cookie.
    ApiKey {
        /// Where.
        location: Location,
        /// The name.
        name: String,
    },
    /// OAuth 2 / OpenID Connect: a bearer token in `Authorization`.
    OAuth,
    /// A scheme the mock cannot check (mutualTLS, unknown names).
    Unchecked,
}

/// An indexed operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Uppercase method.
    pub method: String,
    /// The path template (`/refresh-tokens/{refreshToken}`).
    pub path: String,
    /// JSON pointer of the operation (`/paths/~1auth~1login/post`).
    pub pointer: String,
    /// `operationId`, if any.
    pub operation_id: Option<String>,
    /// Path-item and operation parameters merged.
    pub parameters: Vec<Parameter>,
    /// The request body, if any.
    pub request_body: Option<RequestBody>,
    /// Responses in document order.
    pub responses: Vec<Response>,
    /// Security alternatives; empty means no security.
    pub security: Vec<SecurityAlternative>,
    /// The behaviour binding, if the operation has one.
    pub binding: Option<Binding>,
}

impl Operation {
    /// A short name for reports: the operationId or `METHOD /path`.
    pub fn name(&self) -> String {
        match &self.operation_id {
            Some(id) => id.clone(),
            None => format!("{} {}", self.method, self.path),
        }
    }

    /// The response documented for `status`: exact, then `NXX`, then
    /// `default`.
    pub fn response(&self, status: u16) -> Option<&Response> {
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        self.responses
            .iter()
            .find(|r| r.status == exact)
            .or_else(|| {
                self.responses
                    .iter()
                    .find(|r| r.status.eq_ignore_ascii_case(&range))
            })
            .or_else(|| self.responses.iter().find(|r| r.status == "default"))
    }

    /// Documented statuses that are plain numbers, in document order.
    pub fn statuses(&self) -> impl Iterator<Item = u16> + '_ {
        self.responses.iter().filter_map(|r| r.status.parse().ok())
    }

    /// The lowest documented 2xx status, if any.
    pub fn success_status(&self) -> Option<u16> {
        self.statuses().filter(|s| (200..300).contains(s)).min()
    }

    /// Whether the operation declares a request place: a parameter at
    /// `location` named `name` (header names compare case-insensitively), or
    /// the place one of its security schemes reads (`Authorization` for
    /// http and OAuth schemes, the named header, query parameter or cookie
    /// of an apiKey scheme).
    pub fn declares(&self, location: Location, name: &str) -> bool {
        self.parameters
            .iter()
            .any(|p| p.location == location && same_place(location, &p.name, name))
            || self
                .security
                .iter()
                .flat_map(|a| &a.0)
                .any(|s| scheme_reads(s, location, name, None))
    }

    /// Whether the operation carries a credential at `source`: a declared
    /// parameter there, or a security scheme that reads that place (for an
    /// http scheme, with the source's scheme word).
    pub fn carries(&self, source: &Source) -> bool {
        let Some((location, name)) = source.expr.request_place() else {
            return false;
        };
        if location == Location::Path {
            return false;
        }
        self.parameters
            .iter()
            .any(|p| p.location == location && same_place(location, &p.name, name))
            || self
                .security
                .iter()
                .flat_map(|a| &a.0)
                .any(|s| scheme_reads(s, location, name, Some(source.scheme.as_deref())))
    }

    /// Whether the operation requires some credential (no alternative is
    /// empty).
    pub fn requires_credentials(&self) -> bool {
        !self.security.is_empty() && self.security.iter().all(|alt| !alt.0.is_empty())
    }
}

impl Spec {
    /// Load a document from a file (YAML or JSON, by content).
    pub fn from_path(path: &Path) -> Result<Spec, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Spec::from_str(&text)
    }

    /// Load a document from YAML or JSON text.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<Spec, LoadError> {
        let doc: Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| LoadError::Parse(e.to_string()))?
        } else {
            serde_norway::from_str(text).map_err(|e| LoadError::Parse(e.to_string()))?
        };
        Spec::from_value(doc)
    }

    /// Index an already parsed document.
    pub fn from_value(doc: Value) -> Result<Spec, LoadError> {
        let version = match doc.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0") => Version::V30,
            Some(v) if v.starts_with("3.1") => Version::V31,
            Some(v) => return Err(LoadError::Version(v.to_owned())),
            None if doc.get("swagger").is_some() => {
                return Err(LoadError::Version("2.0 (swagger)".to_owned()))
            }
            None => return Err(LoadError::NotOpenApi),
        };
        check_refs(&doc, &doc, &mut String::new(), 0)?;
        let lifecycle = binding::parse_root(&doc)?;
        let operations = index_operations(&doc)?;
        let schemas = Schemas::new(&doc, version)?;
        let mut guards: Vec<Source> = Vec::new();
        for b in operations.iter().filter_map(|o| o.binding.as_ref()) {
            if b.action == binding::ActionKind::Protected {
                if let Some(s) = b.access_token.as_ref().filter(|s| !guards.contains(s)) {
                    guards.push(s.clone());
                }
            }
        }
        Ok(Spec {
            doc,
            version,
            operations,
            lifecycle,
            schemas,
            guards,
        })
    }

    /// The document as loaded.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// Its OpenAPI version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// `info.title`, or an empty string.
    pub fn title(&self) -> &str {
        self.doc
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Every operation, in document order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation with this `operationId`.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.operation_id.as_deref() == Some(id))
    }

    /// The root lifecycle declaration (accounts and policy).
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// The guard rule's places: where `protected` bindings read their
    /// access token, each once.
    pub fn guards(&self) -> &[Source] {
        &self.guards
    }

    /// The guards of an unbound operation: the guard places it carries a
    /// credential at (see [`Operation::carries`]), in order. The first of
    /// them the request fills is checked by the model: a dead token there
    /// gets a 401, as on the protected operations themselves. None for
    /// bound operations (their binding says what they do).
    pub fn guards_of<'s>(&'s self, op: &'s Operation) -> impl Iterator<Item = &'s Source> + 's {
        let unbound = op.binding.is_none();
        self.guards.iter().filter(move |s| unbound && op.carries(s))
    }

    /// The schema validators of this document.
    pub fn schemas(&self) -> &Schemas {
        &self.schemas
    }
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
fn fragment(local: &str) -> std::borrow::Cow<'_, str> {
    if local.contains('%') {
        percent_encoding::percent_decode_str(local).decode_utf8_lossy()
    } else {
        std::borrow::Cow::Borrowed(local)
    }
}

/// Every `$ref` of the document (outside examples) must name something in
/// it: a broken one is a load error, not a failure on some later request.
fn check_refs(doc: &Value, v: &Value, at: &mut String, depth: usize) -> Result<(), LoadError> {
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

fn esc(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn index_operations(doc: &Value) -> Result<Vec<Operation>, LoadError> {
    let mut ops = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Ok(ops);
    };
    let root_security = doc.get("security");
    for (path, item) in paths {
        let item_ptr = format!("/paths/{}", esc(path));
        let (item_ptr, item) = resolve(doc, item_ptr, item)?;
        let shared = item.get("parameters");
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let pointer = format!("{item_ptr}/{method}");
            if !op.is_object() {
                return Err(LoadError::Invalid {
                    at: pointer,
                    message: "an operation must be an object".into(),
                });
            }
            let parameters = parameters(doc, &item_ptr, shared, &pointer, op)?;
            let request_body = match op.get("requestBody") {
                Some(rb) => Some(request_body(doc, &pointer, rb)?),
                None => None,
            };
            let responses = responses(doc, &pointer, op.get("responses"))?;
            let security = security(doc, op.get("security").or(root_security));
            let mut operation = Operation {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                pointer: pointer.clone(),
                operation_id: op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                parameters,
                request_body,
                responses,
                security,
                binding: None,
            };
            if let Some(b) = op.get(binding::EXTENSION) {
                let at = format!("{pointer}/{}", binding::EXTENSION);
                operation.binding = Some(binding::parse_operation(doc, &at, b, &operation)?);
            }
            ops.push(operation);
        }
    }
    Ok(ops)
}

fn parameters(
    doc: &Value,
    item_ptr: &str,
    shared: Option<&Value>,
    op_ptr: &str,
    op: &Value,
) -> Result<Vec<Parameter>, LoadError> {
    let mut out: Vec<Parameter> = Vec::new();
    let lists = [
        (format!("{item_ptr}/parameters"), shared),
        (format!("{op_ptr}/parameters"), op.get("parameters")),
    ];
    for (list_ptr, list) in lists {
        let Some(list) = list.and_then(Value::as_array) else {
            continue;
        };
        for (i, p) in list.iter().enumerate() {
            let (ptr, p) = resolve(doc, format!("{list_ptr}/{i}"), p)?;
            let param = parameter(doc, &ptr, p)?;
            // OpenAPI: a header parameter named Accept, Content-Type or
            // Authorization "SHALL be ignored" (content negotiation, the
            // request body and security schemes say those).
            if param.location == Location::Header
                && ["accept", "content-type", "authorization"]
                    .iter()
                    .any(|h| param.name.eq_ignore_ascii_case(h))
            {
                continue;
            }
            // Operation parameters override path-item ones.
            out.retain(|q| !same_name(q, &param));
            out.push(param);
        }
    }
    Ok(out)
}

fn same_name(a: &Parameter, b: &Parameter) -> bool {
    a.location == b.location && same_place(a.location, &a.name, &b.name)
}

/// Whether two names of `location` name the same place (header names are
/// case-insensitive).
fn same_place(location: Location, a: &str, b: &str) -> bool {
    if location == Location::Header {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// Whether a security scheme reads `name` at `location`. With `word`, an
/// http scheme must also use that scheme word (`Some(None)`: a source with
/// no scheme word never matches an http scheme).
fn scheme_reads(
    s: &SecurityScheme,
    location: Location,
    name: &str,
    word: Option<Option<&str>>,
) -> bool {
    let authorization = location == Location::Header && name.eq_ignore_ascii_case("authorization");
    match s {
        SecurityScheme::Http { scheme } => {
            authorization && word.is_none_or(|w| w.is_some_and(|w| w.eq_ignore_ascii_case(scheme)))
        }
        SecurityScheme::OAuth => authorization,
        SecurityScheme::ApiKey {
            location: l,
            name: n,
        } => *l == location && same_place(location, n, name),
        SecurityScheme::Unchecked => false,
    }
}

fn parameter(doc: &Value, ptr: &str, p: &Value) -> Result<Parameter, LoadError> {
    let invalid = |message: &str| LoadError::Invalid {
        at: ptr.to_owned(),
        message: message.to_owned(),
    };
    let name = p
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("a parameter needs a `name`"))?;
    let location = p
        .get("in")
        .and_then(Value::as_str)
        .and_then(Location::parse)
        .ok_or_else(|| invalid("a parameter needs `in`: path, query, header or cookie"))?;
    let required =
        location == Location::Path || p.get("required").and_then(Value::as_bool).unwrap_or(false);
    let (schema, json_content) = match (p.get("schema"), p.get("content")) {
        (Some(s), _) => (Some(schema_ref(doc, format!("{ptr}/schema"), s)?), false),
        (None, Some(Value::Object(c))) => match c.iter().next() {
            Some((mt, m)) => {
                let mptr = format!("{ptr}/content/{}", esc(mt));
                let s = match m.get("schema") {
                    Some(s) => Some(schema_ref(doc, format!("{mptr}/schema"), s)?),
                    None => None,
                };
                (s, true)
            }
            None => (None, false),
        },
        _ => (None, false),
    };
    let default_style = match location {
        Location::Path | Location::Header => "simple",
        Location::Query | Location::Cookie => "form",
    };
    let style = p
        .get("style")
        .and_then(Value::as_str)
        .unwrap_or(default_style)
        .to_owned();
    let explode = p
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(style == "form");
    Ok(Parameter {
        name: name.to_owned(),
        location,
        required,
        schema,
        style,
        explode,
        json_content,
    })
}

/// A schema reference at `pointer`, with its top-level `$ref` resolved.
pub fn schema_ref(doc: &Value, pointer: String, value: &Value) -> Result<SchemaRef, LoadError> {
    let (pointer, value) = resolve(doc, pointer, value)?;
    Ok(SchemaRef {
        pointer,
        value: value.clone(),
    })
}

fn content(doc: &Value, ptr: &str, content: Option<&Value>) -> Result<Vec<MediaType>, LoadError> {
    let Some(content) = content.and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, m) in content {
        let mptr = format!("{ptr}/content/{}", esc(name));
        let (mptr, m) = resolve(doc, mptr, m)?;
        let schema = match m.get("schema") {
            Some(s) => Some(schema_ref(doc, format!("{mptr}/schema"), s)?),
            None => None,
        };
        out.push(MediaType {
            name: name.to_ascii_lowercase(),
            schema,
            example: m.get("example").cloned(),
            examples: examples(doc, &mptr, m.get("examples"))?,
        });
    }
    Ok(out)
}

fn examples(
    doc: &Value,
    ptr: &str,
    examples: Option<&Value>,
) -> Result<Vec<(String, Value)>, LoadError> {
    let Some(map) = examples.and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, ex) in map {
        let (_, ex) = resolve(doc, format!("{ptr}/examples/{}", esc(name)), ex)?;
        if let Some(v) = ex.get("value") {
            out.push((name.clone(), v.clone()));
        }
    }
    Ok(out)
}

fn request_body(doc: &Value, op_ptr: &str, rb: &Value) -> Result<RequestBody, LoadError> {
    let (ptr, rb) = resolve(doc, format!("{op_ptr}/requestBody"), rb)?;
    Ok(RequestBody {
        required: rb.get("required").and_then(Value::as_bool).unwrap_or(false),
        content: content(doc, &ptr, rb.get("content"))?,
    })
}

fn responses(
    doc: &Value,
    op_ptr: &str,
    responses: Option<&Value>,
) -> Result<Vec<Response>, LoadError> {
    let Some(map) = responses.and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (status, r) in map {
        if status.starts_with("x-") {
            continue;
        }
        let rptr = format!("{op_ptr}/responses/{}", esc(status));
        let (rptr, r) = resolve(doc, rptr, r)?;
        out.push(Response {
            status: status.clone(),
            content: content(doc, &rptr, r.get("content"))?,
            headers: headers(doc, &rptr, r.get("headers"))?,
        });
    }
    Ok(out)
}

fn headers(doc: &Value, ptr: &str, headers: Option<&Value>) -> Result<Vec<Header>, LoadError> {
    let Some(map) = headers.and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, h) in map {
        let hptr = format!("{ptr}/headers/{}", esc(name));
        let (hptr, h) = resolve(doc, hptr, h)?;
        let schema = match h.get("schema") {
            Some(s) => Some(schema_ref(doc, format!("{hptr}/schema"), s)?),
            None => None,
        };
        let example = h.get("example").cloned().or_else(|| {
            h.get("examples")
                .and_then(Value::as_object)
                .and_then(|m| m.values().next())
                .and_then(|e| e.get("value"))
                .cloned()
        });
        out.push(Header {
            name: name.to_ascii_lowercase(),
            required: h.get("required").and_then(Value::as_bool).unwrap_or(false),
            schema,
            example,
        });
    }
    Ok(out)
}

fn security(doc: &Value, reqs: Option<&Value>) -> Vec<SecurityAlternative> {
    let Some(reqs) = reqs.and_then(Value::as_array) else {
        return Vec::new();
    };
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    reqs.iter()
        .filter_map(Value::as_object)
        .map(|alt| SecurityAlternative(alt.keys().map(|name| scheme(doc, schemes, name)).collect()))
        .collect()
}

fn scheme(doc: &Value, schemes: Option<&Map<String, Value>>, name: &str) -> SecurityScheme {
    let Some(s) = schemes.and_then(|m| m.get(name)) else {
        return SecurityScheme::Unchecked;
    };
    let Ok((_, s)) = resolve(doc, String::new(), s) else {
        return SecurityScheme::Unchecked;
    };
    let str_of = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
    match str_of("type") {
        "http" => SecurityScheme::Http {
            scheme: str_of("scheme").to_ascii_lowercase(),
        },
        "apiKey" => match Location::parse(str_of("in")) {
            Some(location) => SecurityScheme::ApiKey {
                location,
                name: str_of("name").to_owned(),
            },
            None => SecurityScheme::Unchecked,
        },
        "oauth2" | "openIdConnect" => SecurityScheme::OAuth,
        _ => SecurityScheme::Unchecked,
    }
}
