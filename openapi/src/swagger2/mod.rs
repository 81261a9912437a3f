//! Swagger 2.0 documents, converted to OpenAPI 3.0 at load time.
//!
//! Every tool of the workspace reads OpenAPI 3.x; a Swagger 2.0 document is
//! converted once, here, and the tools read the conversion: the loader
//! ([`crate::Spec::from_value`]), and `drift`'s lint and diff (which take
//! raw documents and call [`normalize`]). The rules, and where they differ
//! from npm `swagger2openapi` on purpose, are in `docs/swagger2.md`:
//!
//! - `definitions`, `parameters`, `responses` and `securityDefinitions`
//!   become `components` (`schemas`, `parameters` or `requestBodies`,
//!   `responses`, `securitySchemes`), under the same names;
//! - `body` and `formData` parameters become the request body (JSON or the
//!   operation's media types; urlencoded, or multipart where it is
//!   consumed), path-level ones included, `$ref`s to them followed;
//! - `consumes`/`produces` become media types, the operation's over the
//!   document's; `host`, `basePath` and `schemes` become `servers`;
//! - parameter and header types become schemas, `collectionFormat`
//!   becomes `style`/`explode`; `x-nullable` becomes `nullable`, `type:
//!   file` a binary string, a string `discriminator` an object;
//! - every `$ref` is rewritten to where its target went (refs to refs and
//!   refs into parameters and responses included); a `$ref` that names
//!   nothing is left as written, so that the error quotes it.
//!
//! The conversion never fails: what it does not understand is copied, and
//! the loader says what is wrong with it. [`Origins`] maps every pointer of
//! the conversion back into the document as written, so that load errors,
//! lint findings and diff findings name the place the user wrote.

mod origins;

use serde_json::{json, Map, Value};

use crate::doc::{esc, fragment, resolve, METHODS};
use crate::expr::Pointer;

pub use origins::Origins;

/// The OpenAPI version a conversion declares.
pub const CONVERTED_VERSION: &str = "3.0.3";

/// A Swagger 2.0 document converted to OpenAPI 3.0.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The OpenAPI 3.0 document.
    pub document: Value,
    /// Where each of its parts came from.
    pub origins: Origins,
}

/// Whether `doc` is a Swagger 2.0 document (`swagger: "2.0"`, and no
/// `openapi` field). YAML's unquoted `swagger: 2.0` (a number) counts too.
pub fn is_swagger2(doc: &Value) -> bool {
    let two = match doc.get("swagger") {
        Some(Value::String(s)) => s == "2.0",
        Some(Value::Number(n)) => n.as_f64() == Some(2.0),
        _ => false,
    };
    two && doc.get("openapi").is_none()
}

/// The conversion of `doc` when it is a Swagger 2.0 document; `None` for
/// anything else (which the tools read as it is).
pub fn normalize(doc: &Value) -> Option<Converted> {
    is_swagger2(doc).then(|| convert(doc))
}

/// Converts a Swagger 2.0 document (see the module documentation). Meant
/// for documents [`is_swagger2`] accepts; anything else is converted as far
/// as it has the 2.0 shape.
pub fn convert(doc: &Value) -> Converted {
    let mut c = Converter {
        src: doc,
        origins: Origins::default(),
        consumes: media_list(doc.get("consumes")).unwrap_or_default(),
        produces: media_list(doc.get("produces")).unwrap_or_default(),
    };
    let mut document = c.root();
    rewrite_refs(doc, &mut document, &c.origins);
    Converted {
        document,
        origins: c.origins,
    }
}

/// The media type a body without `consumes`, or a response without
/// `produces`, gets.
const DEFAULT_MEDIA: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data";

/// The keys of a non-body parameter, a header or `items` that belong to
/// its schema in OpenAPI 3.
const SCHEMA_KEYS: [&str; 18] = [
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
    "x-nullable",
    "additionalProperties",
];

fn at(base: &str, key: &str) -> String {
    format!("{base}/{}", esc(key))
}

/// A list of media types: an array of strings, or one string.
fn media_list(v: Option<&Value>) -> Option<Vec<String>> {
    let list: Vec<String> = match v? {
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => return None,
    };
    let mut out: Vec<String> = Vec::new();
    for m in list {
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Some(out)
}

/// A `body` or `formData` parameter of an operation.
#[derive(Clone)]
struct BodyPart<'d> {
    /// `in: body` (else `formData`).
    body: bool,
    /// Its name.
    name: String,
    /// Where the operation or path item lists it (a `$ref` perhaps).
    holder: String,
    /// Where the parameter itself is written.
    at: String,
    /// The parameter.
    param: &'d Value,
}

struct Converter<'d> {
    src: &'d Value,
    origins: Origins,
    consumes: Vec<String>,
    produces: Vec<String>,
}

impl<'d> Converter<'d> {
    fn root(&mut self) -> Value {
        let Some(src) = self.src.as_object() else {
            return self.src.clone();
        };
        let mut out = Map::new();
        out.insert("openapi".into(), CONVERTED_VERSION.into());
        self.origins.link("/openapi", "/swagger");
        let mut components = Map::new();
        let mut servers = self.servers();
        for (k, v) in src {
            match k.as_str() {
                "swagger" | "host" | "basePath" | "schemes" | "consumes" | "produces" => {}
                "info" => {
                    out.insert(k.clone(), v.clone());
                    if let Some(s) = servers.take() {
                        out.insert("servers".into(), s);
                    }
                }
                "definitions" => {
                    self.origins.link("/components/schemas", "/definitions");
                    let schemas = self.map_of(
                        v,
                        "/definitions",
                        "/components/schemas",
                        |c, s, from, to| c.schema(s, from, to),
                    );
                    components.insert("schemas".into(), schemas);
                }
                "parameters" => self.component_parameters(v, &mut components),
                "responses" => {
                    self.origins.link("/components/responses", "/responses");
                    let produces = self.produces.clone();
                    let responses = self.map_of(
                        v,
                        "/responses",
                        "/components/responses",
                        |c, r, from, to| c.response(r, from, to, &produces),
                    );
                    components.insert("responses".into(), responses);
                }
                "securityDefinitions" => {
                    self.origins
                        .link("/components/securitySchemes", "/securityDefinitions");
                    let schemes = self.map_of(
                        v,
                        "/securityDefinitions",
                        "/components/securitySchemes",
                        |c, s, from, to| c.security_scheme(s, from, to),
                    );
                    components.insert("securitySchemes".into(), schemes);
                }
                "paths" => {
                    let paths = self.paths(v);
                    out.insert(k.clone(), paths);
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some(s) = servers {
            out.insert("servers".into(), s);
        }
        if !components.is_empty() {
            self.origins.link_back("/components", "");
            out.insert("components".into(), Value::Object(components));
        }
        Value::Object(out)
    }

    /// An object of named things, each converted by `each` (a `$ref` or an
    /// extension is copied); anything but an object is copied.
    fn map_of(
        &mut self,
        v: &'d Value,
        from: &str,
        to: &str,
        mut each: impl FnMut(&mut Self, &'d Value, &str, &str) -> Value,
    ) -> Value {
        let Some(m) = v.as_object() else {
            return v.clone();
        };
        let mut out = Map::new();
        for (name, item) in m {
            let converted = if name.starts_with("x-") || item.get("$ref").is_some() {
                item.clone()
            } else {
                each(self, item, &at(from, name), &at(to, name))
            };
            out.insert(name.clone(), converted);
        }
        Value::Object(out)
    }

    /// `host`, `basePath` and `schemes` as `servers`.
    fn servers(&mut self) -> Option<Value> {
        let host = self.src.get("host").and_then(Value::as_str);
        let base = self.src.get("basePath").and_then(Value::as_str);
        let urls: Vec<String> = match (host, base) {
            (Some(host), base) => {
                let base = base.unwrap_or("").trim_end_matches('/');
                let schemes: Vec<&str> = match self.src.get("schemes").and_then(Value::as_array) {
                    Some(s) if !s.is_empty() => s.iter().filter_map(Value::as_str).collect(),
                    _ => vec![""],
                };
                self.link_servers("/host", schemes.len());
                schemes
                    .iter()
                    .map(|s| match s {
                        &"" => format!("//{host}{base}"),
                        s => format!("{s}://{host}{base}"),
                    })
                    .collect()
            }
            (None, Some(base)) => {
                self.link_servers("/basePath", 1);
                vec![base.to_owned()]
            }
            (None, None) => return None,
        };
        Some(Value::Array(
            urls.into_iter().map(|url| json!({"url": url})).collect(),
        ))
    }

    /// `/servers`, each server and its `url` come from `from`.
    fn link_servers(&mut self, from: &str, n: usize) {
        self.origins.link("/servers", from);
        for i in 0..n {
            self.origins.link_back(format!("/servers/{i}"), from);
            self.origins.link_back(format!("/servers/{i}/url"), from);
        }
    }

    /// Root `parameters`: body ones become `requestBodies` (with the
    /// document's media types), form ones are inlined where used, the
    /// others stay `parameters`.
    fn component_parameters(&mut self, v: &'d Value, components: &mut Map<String, Value>) {
        let Some(m) = v.as_object() else {
            components.insert("parameters".into(), v.clone());
            return;
        };
        self.origins.link("/components/parameters", "/parameters");
        let (mut params, mut bodies) = (Map::new(), Map::new());
        for (name, p) in m {
            let from = at("/parameters", name);
            match p.get("in").and_then(Value::as_str) {
                Some("body") if p.get("$ref").is_none() => {
                    let to = at("/components/requestBodies", name);
                    self.origins.link(&to, &from);
                    let part = BodyPart {
                        body: true,
                        name: name.clone(),
                        holder: from.clone(),
                        at: from,
                        param: p,
                    };
                    let consumes = self.consumes.clone();
                    bodies.insert(name.clone(), self.request_body(&[part], &consumes, &to));
                }
                Some("formData") if p.get("$ref").is_none() => {}
                _ if p.get("$ref").is_some() || name.starts_with("x-") => {
                    params.insert(name.clone(), p.clone());
                }
                _ => {
                    let to = at("/components/parameters", name);
                    let converted = self.parameter(p, &from, &to);
                    params.insert(name.clone(), converted);
                }
            }
        }
        if !params.is_empty() {
            components.insert("parameters".into(), Value::Object(params));
        }
        if !bodies.is_empty() {
            self.origins
                .link_back("/components/requestBodies", "/parameters");
            components.insert("requestBodies".into(), Value::Object(bodies));
        }
    }

    fn paths(&mut self, v: &'d Value) -> Value {
        let Some(m) = v.as_object() else {
            return v.clone();
        };
        let mut out = Map::new();
        for (path, item) in m {
            let converted =
                if path.starts_with("x-") || !item.is_object() || item.get("$ref").is_some() {
                    item.clone()
                } else {
                    self.path_item(item, &at("/paths", path))
                };
            out.insert(path.clone(), converted);
        }
        Value::Object(out)
    }

    fn path_item(&mut self, item: &'d Value, ptr: &str) -> Value {
        let list = at(ptr, "parameters");
        let (kept, shared) = self.split_parameters(item.get("parameters"), &list);
        let mut out = Map::new();
        for (k, v) in item.as_object().into_iter().flatten() {
            if k == "parameters" {
                put_parameters(&mut out, v, kept.as_deref());
            } else if METHODS.contains(&k.as_str()) && v.is_object() {
                let op = self.operation(v, &at(ptr, k), &shared);
                out.insert(k.clone(), op);
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
        Value::Object(out)
    }

    /// A parameter list: the parameters that stay parameters (converted,
    /// or `$ref`s as written), and the `body` and `formData` ones. `None`
    /// for the first when the list is not an array.
    fn split_parameters(
        &mut self,
        list: Option<&'d Value>,
        ptr: &str,
    ) -> (Option<Vec<Value>>, Vec<BodyPart<'d>>) {
        let Some(items) = list.and_then(Value::as_array) else {
            return (None, Vec::new());
        };
        let (mut kept, mut parts) = (Vec::new(), Vec::new());
        for (i, p) in items.iter().enumerate() {
            let holder = format!("{ptr}/{i}");
            let (found, param) =
                resolve(self.src, holder.clone(), p).unwrap_or((holder.clone(), p));
            let name = param.get("name").and_then(Value::as_str).unwrap_or("");
            match param.get("in").and_then(Value::as_str) {
                Some(place @ ("body" | "formData")) => parts.push(BodyPart {
                    body: place == "body",
                    name: name.to_owned(),
                    holder,
                    at: found,
                    param,
                }),
                _ => {
                    let to = format!("{ptr}/{}", kept.len());
                    if p.get("$ref").is_some() {
                        self.origins.link(&to, &holder);
                        kept.push(p.clone());
                    } else {
                        kept.push(self.parameter(p, &holder, &to));
                    }
                }
            }
        }
        (Some(kept), parts)
    }

    fn operation(&mut self, op: &'d Value, ptr: &str, shared: &[BodyPart<'d>]) -> Value {
        let consumes = media_list(op.get("consumes")).unwrap_or_else(|| self.consumes.clone());
        let produces = media_list(op.get("produces")).unwrap_or_else(|| self.produces.clone());
        let list = at(ptr, "parameters");
        let (kept, own) = self.split_parameters(op.get("parameters"), &list);
        // Path-level body and form parameters, unless the operation
        // declares one of the same name and place.
        let declared: Vec<(String, String)> = op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| {
                let p = resolve(self.src, String::new(), p).map_or(p, |(_, p)| p);
                let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                (s("name"), s("in"))
            })
            .collect();
        let mut parts: Vec<BodyPart<'d>> = shared
            .iter()
            .filter(|s| {
                let place = if s.body { "body" } else { "formData" };
                !declared.iter().any(|(n, i)| *n == s.name && i == place)
            })
            .cloned()
            .collect();
        parts.extend(own);
        let mut body = (!parts.is_empty())
            .then(|| self.request_body(&parts, &consumes, &at(ptr, "requestBody")));
        let mut out = Map::new();
        for (k, v) in op.as_object().into_iter().flatten() {
            match k.as_str() {
                "parameters" => {
                    put_parameters(&mut out, v, kept.as_deref());
                    if let Some(b) = body.take() {
                        out.insert("requestBody".into(), b);
                    }
                }
                "consumes" | "produces" | "schemes" => {}
                "responses" => {
                    let r = self.responses(v, &at(ptr, k), &produces);
                    out.insert(k.clone(), r);
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some(b) = body {
            out.insert("requestBody".into(), b);
        }
        Value::Object(out)
    }

    /// The request body of `parts` (all of one kind: that of the first),
    /// at `to`.
    fn request_body(&mut self, parts: &[BodyPart<'d>], consumes: &[String], to: &str) -> Value {
        let first = &parts[0];
        let mut rb = Map::new();
        self.origins.link(to, &first.holder);
        self.origins.link_back(at(to, "content"), &first.holder);
        if first.body {
            let p = first.param;
            if let Some(d) = p.get("description") {
                rb.insert("description".into(), d.clone());
                self.origins
                    .link_back(at(to, "description"), at(&first.at, "description"));
            }
            if p.get("required") == Some(&Value::Bool(true)) {
                rb.insert("required".into(), true.into());
                self.origins
                    .link_back(at(to, "required"), at(&first.at, "required"));
            }
            let media = if consumes.is_empty() {
                vec![DEFAULT_MEDIA.to_owned()]
            } else {
                consumes.to_vec()
            };
            let empty = json!({});
            let schema = p.get("schema").unwrap_or(&empty);
            let schema_at = match p.get("schema") {
                Some(_) => at(&first.at, "schema"),
                None => first.at.clone(),
            };
            let mut content = Map::new();
            for m in &media {
                let mptr = at(&at(to, "content"), m);
                self.origins.link_back(&mptr, &first.at);
                let s = self.schema(schema, &schema_at, &at(&mptr, "schema"));
                content.insert(m.clone(), json!({ "schema": s }));
            }
            rb.insert("content".into(), Value::Object(content));
            extensions(p, &mut rb);
        } else {
            let media = if consumes.iter().any(|m| m == MULTIPART) {
                MULTIPART
            } else {
                FORM
            };
            let mptr = at(&at(to, "content"), media);
            let sptr = at(&mptr, "schema");
            for p in [&mptr, &sptr, &at(&sptr, "type"), &at(&sptr, "properties")] {
                self.origins.link_back(p, &first.holder);
            }
            let (mut properties, mut required) = (Map::new(), Vec::new());
            for part in parts.iter().filter(|p| !p.body) {
                let pptr = at(&at(&sptr, "properties"), &part.name);
                let prop = self.form_property(part.param, &part.at, &pptr);
                properties.insert(part.name.clone(), prop);
                if part.param.get("required") == Some(&Value::Bool(true)) {
                    let rptr = format!("{}/{}", at(&sptr, "required"), required.len());
                    self.origins.link_back(rptr, at(&part.at, "required"));
                    required.push(Value::String(part.name.clone()));
                }
            }
            let mut schema = Map::new();
            schema.insert("type".into(), "object".into());
            schema.insert("properties".into(), Value::Object(properties));
            if !required.is_empty() {
                self.origins.link_back(at(&sptr, "required"), &first.holder);
                self.origins.link_back(at(to, "required"), &first.holder);
                rb.insert("required".into(), true.into());
                schema.insert("required".into(), Value::Array(required));
            }
            rb.insert("content".into(), json!({ media: { "schema": schema } }));
        }
        Value::Object(rb)
    }

    /// A `formData` parameter as a property of the form's schema.
    fn form_property(&mut self, p: &'d Value, from: &str, to: &str) -> Value {
        self.origins.link(to, from);
        let mut prop = self.typed_schema(p, from, to);
        let Value::Object(m) = &mut prop else {
            return prop;
        };
        for (k, v) in p.as_object().into_iter().flatten() {
            match k.as_str() {
                "description" | "example" => {
                    m.insert(k.clone(), v.clone());
                }
                "x-example" => {
                    m.insert("example".into(), v.clone());
                    self.origins.link_back(at(to, "example"), at(from, k));
                }
                _ if k.starts_with("x-") && k != "x-nullable" => {
                    m.insert(k.clone(), v.clone());
                }
                _ => {}
            }
        }
        prop
    }

    /// The schema of a non-body parameter, header or `items`: its
    /// [`SCHEMA_KEYS`] (nested `collectionFormat`s dropped), fixed up.
    fn typed_schema(&mut self, p: &'d Value, from: &str, to: &str) -> Value {
        let mut schema = Map::new();
        for k in SCHEMA_KEYS {
            if let Some(v) = p.get(k) {
                schema.insert(k.to_owned(), v.clone());
            }
        }
        if let Some(items) = schema.get_mut("items") {
            drop_collection_formats(items);
        }
        self.schema_inner(&Value::Object(schema), from, to, 0)
    }

    /// A non-body parameter.
    fn parameter(&mut self, p: &'d Value, from: &str, to: &str) -> Value {
        self.origins.link(to, from);
        let Some(m) = p.as_object() else {
            return p.clone();
        };
        let place = p.get("in").and_then(Value::as_str).unwrap_or("");
        let kept = |k: &String| k != "collectionFormat" && !SCHEMA_KEYS.contains(&k.as_str());
        let mut out: Map<String, Value> = m
            .iter()
            .filter(|(k, _)| kept(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(example) = out.shift_remove("x-example") {
            out.insert("example".into(), example);
            self.origins
                .link_back(at(to, "example"), at(from, "x-example"));
        }
        if place == "path" {
            if p.get("required").is_none() {
                self.origins.link_back(at(to, "required"), from);
            }
            out.insert("required".into(), true.into());
        }
        let array = p.get("type").and_then(Value::as_str) == Some("array");
        let format = p.get("collectionFormat").and_then(Value::as_str);
        if let Some(format) = format.or(array.then_some("csv")) {
            let (style, explode) = match (format, place) {
                ("csv", "query" | "cookie") => (Some("form"), Some(false)),
                ("csv", "path" | "header") => (Some("simple"), None),
                ("ssv", "query") => (Some("spaceDelimited"), None),
                ("pipes", "query") => (Some("pipeDelimited"), None),
                ("multi", _) => (None, Some(true)),
                _ => (None, None),
            };
            let origin = match format {
                _ if p.get("collectionFormat").is_some() => at(from, "collectionFormat"),
                _ => from.to_owned(),
            };
            if let Some(style) = style {
                out.insert("style".into(), style.into());
                self.origins.link_back(at(to, "style"), &origin);
            }
            if let Some(explode) = explode {
                out.insert("explode".into(), explode.into());
                self.origins.link_back(at(to, "explode"), &origin);
            }
            if format == "tsv" {
                out.insert("x-collectionFormat".into(), "tsv".into());
                self.origins
                    .link_back(at(to, "x-collectionFormat"), &origin);
            }
        }
        if !out.contains_key("schema") && SCHEMA_KEYS.iter().any(|k| p.get(k).is_some()) {
            let sptr = at(to, "schema");
            self.origins.link_back(&sptr, from);
            self.origins.link(at(&sptr, "items"), at(from, "items"));
            let schema = self.typed_schema(p, from, &sptr);
            out.insert("schema".into(), schema);
        } else if let Some(s) = m.get("schema") {
            let s = self.schema(s, &at(from, "schema"), &at(to, "schema"));
            out.insert("schema".into(), s);
        }
        Value::Object(out)
    }

    fn responses(&mut self, v: &'d Value, ptr: &str, produces: &[String]) -> Value {
        let Some(m) = v.as_object() else {
            return v.clone();
        };
        let mut out = Map::new();
        for (status, r) in m {
            let converted = if status.starts_with("x-") || r.get("$ref").is_some() || !r.is_object()
            {
                r.clone()
            } else {
                let rptr = at(ptr, status);
                self.response(r, &rptr, &rptr, produces)
            };
            out.insert(status.clone(), converted);
        }
        Value::Object(out)
    }

    fn response(&mut self, r: &'d Value, from: &str, to: &str, produces: &[String]) -> Value {
        self.origins.link(to, from);
        let media = if produces.is_empty() {
            vec![DEFAULT_MEDIA.to_owned()]
        } else {
            produces.to_vec()
        };
        let examples = r.get("examples").and_then(Value::as_object);
        let cptr = at(to, "content");
        let mut content = Map::new();
        if let Some(schema) = r.get("schema") {
            self.origins.link_back(&cptr, at(from, "schema"));
            for m in &media {
                let mptr = at(&cptr, m);
                self.origins.link_back(&mptr, at(from, "schema"));
                let s = self.schema(schema, &at(from, "schema"), &at(&mptr, "schema"));
                content.insert(m.clone(), json!({ "schema": s }));
            }
        } else if examples.is_some() {
            self.origins.link_back(&cptr, at(from, "examples"));
        }
        for (m, value) in examples.into_iter().flatten() {
            let mptr = at(&cptr, m);
            let eptr = at(&at(&mptr, "examples"), "response");
            let origin = at(&at(from, "examples"), m);
            self.origins.link_back(&mptr, &origin);
            self.origins.link_back(at(&mptr, "examples"), &origin);
            self.origins.link_back(&eptr, &origin);
            self.origins.link(at(&eptr, "value"), &origin);
            let entry = content.entry(m.clone()).or_insert_with(|| json!({}));
            entry["examples"] = json!({ "response": { "value": value } });
        }
        let mut out = Map::new();
        for (k, v) in r.as_object().into_iter().flatten() {
            match k.as_str() {
                "schema" | "examples" => {
                    if !content.is_empty() && !out.contains_key("content") {
                        out.insert(
                            "content".into(),
                            Value::Object(std::mem::take(&mut content)),
                        );
                    }
                }
                "headers" => {
                    let h = self.map_of(v, &at(from, k), &at(to, k), |c, h, from, to| {
                        c.header(h, from, to)
                    });
                    out.insert(k.clone(), h);
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        Value::Object(out)
    }

    /// A response header: its type as a schema, `collectionFormat` as
    /// `style`/`explode`.
    fn header(&mut self, h: &'d Value, from: &str, to: &str) -> Value {
        self.origins.link(to, from);
        let mut out = Map::new();
        for (k, v) in h.as_object().into_iter().flatten() {
            if k != "collectionFormat" && !SCHEMA_KEYS.contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
        if h.get("collectionFormat").and_then(Value::as_str) == Some("multi") {
            out.insert("explode".into(), true.into());
            self.origins
                .link_back(at(to, "explode"), at(from, "collectionFormat"));
        }
        if SCHEMA_KEYS.iter().any(|k| h.get(k).is_some()) {
            let sptr = at(to, "schema");
            self.origins.link_back(&sptr, from);
            self.origins.link(at(&sptr, "items"), at(from, "items"));
            let schema = self.typed_schema(h, from, &sptr);
            out.insert("schema".into(), schema);
        }
        Value::Object(out)
    }

    /// `basic` as an http scheme, `oauth2`'s `flow` as `flows`; `apiKey`
    /// as it is.
    fn security_scheme(&mut self, s: &'d Value, from: &str, to: &str) -> Value {
        self.origins.link(to, from);
        let Some(m) = s.as_object() else {
            return s.clone();
        };
        let kind = s.get("type").and_then(Value::as_str).unwrap_or("");
        let mut out = Map::new();
        for (k, v) in m {
            match (kind, k.as_str()) {
                ("basic", "type") => {
                    out.insert("type".into(), "http".into());
                    out.insert("scheme".into(), "basic".into());
                    self.origins.link_back(at(to, "scheme"), at(from, "type"));
                }
                ("oauth2", "flow" | "authorizationUrl" | "tokenUrl" | "scopes") => {}
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        if kind == "oauth2" {
            let flow = match s.get("flow").and_then(Value::as_str).unwrap_or("") {
                "application" => "clientCredentials",
                "accessCode" => "authorizationCode",
                other => other,
            };
            let mut f = Map::new();
            for k in ["authorizationUrl", "tokenUrl"] {
                if let Some(v) = s.get(k) {
                    f.insert(k.to_owned(), v.clone());
                }
            }
            f.insert(
                "scopes".into(),
                s.get("scopes").cloned().unwrap_or_else(|| json!({})),
            );
            let fptr = at(to, "flows");
            self.origins.link_back(&fptr, at(from, "flow"));
            self.origins.link_back(at(&fptr, flow), from);
            if s.get("scopes").is_none() {
                self.origins.link_back(at(&at(&fptr, flow), "scopes"), from);
            }
            out.insert("flows".into(), json!({ flow: f }));
        }
        Value::Object(out)
    }

    /// A schema at `from`, converted to `to`.
    fn schema(&mut self, v: &Value, from: &str, to: &str) -> Value {
        self.origins.link(to, from);
        self.schema_inner(v, from, to, 0)
    }

    /// The schema fix-ups: `x-nullable`, `type: file`, a string
    /// `discriminator`, `items` of an array; subschemas alike.
    fn schema_inner(&mut self, v: &Value, from: &str, to: &str, depth: usize) -> Value {
        let Value::Object(m) = v else {
            return v.clone();
        };
        if depth > 256 {
            return v.clone();
        }
        let mut out = Map::new();
        for (k, c) in m {
            let (cf, ct) = (at(from, k), at(to, k));
            match (k.as_str(), c) {
                ("x-nullable", Value::Bool(_)) => {
                    out.insert("nullable".into(), c.clone());
                    self.origins.link_back(at(to, "nullable"), cf);
                }
                ("discriminator", Value::String(_)) => {
                    out.insert(k.clone(), json!({ "propertyName": c }));
                    self.origins.link_back(at(&ct, "propertyName"), cf);
                }
                ("type", Value::String(t)) if t == "file" => {
                    out.insert(k.clone(), "string".into());
                    out.insert("format".into(), "binary".into());
                    self.origins.link_back(at(to, "format"), cf);
                }
                ("format", _) if m.get("type").and_then(Value::as_str) == Some("file") => {}
                ("properties" | "patternProperties", Value::Object(props)) => {
                    let mut o = Map::new();
                    for (name, s) in props {
                        let s = self.schema_inner(s, &at(&cf, name), &at(&ct, name), depth + 1);
                        o.insert(name.clone(), s);
                    }
                    out.insert(k.clone(), Value::Object(o));
                }
                ("items" | "additionalProperties" | "not", Value::Object(_)) => {
                    let s = self.schema_inner(c, &cf, &ct, depth + 1);
                    out.insert(k.clone(), s);
                }
                ("allOf" | "anyOf" | "oneOf", Value::Array(list)) => {
                    let list = list
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            self.schema_inner(
                                s,
                                &format!("{cf}/{i}"),
                                &format!("{ct}/{i}"),
                                depth + 1,
                            )
                        })
                        .collect();
                    out.insert(k.clone(), Value::Array(list));
                }
                _ => {
                    out.insert(k.clone(), c.clone());
                }
            }
        }
        if out.get("type").and_then(Value::as_str) == Some("array") && !out.contains_key("items") {
            out.insert("items".into(), json!({}));
            self.origins.link_back(at(to, "items"), from);
        }
        Value::Object(out)
    }
}

/// The parameters that stay parameters, as `parameters` (none when all
/// went into the body); `written` as it is when it was not a list.
fn put_parameters(out: &mut Map<String, Value>, written: &Value, kept: Option<&[Value]>) {
    match kept {
        Some([]) => {}
        Some(kept) => {
            out.insert("parameters".into(), Value::Array(kept.to_vec()));
        }
        None => {
            out.insert("parameters".into(), written.clone());
        }
    }
}

/// Copies the `x-` extensions of `from` (an object) into `to`.
fn extensions(from: &Value, to: &mut Map<String, Value>) {
    for (k, v) in from.as_object().into_iter().flatten() {
        if k.starts_with("x-") {
            to.insert(k.clone(), v.clone());
        }
    }
}

/// Removes `collectionFormat` from `items` and the `items` nested in it
/// (OpenAPI 3 has no nested formats).
fn drop_collection_formats(items: &mut Value) {
    let mut cur = Some(items);
    while let Some(Value::Object(m)) = cur {
        m.shift_remove("collectionFormat");
        cur = m.get_mut("items");
    }
}

/// Every local `$ref` of `doc` that names something of `src` is pointed at
/// where that went (outside examples and extensions, as the loader checks
/// them); one that names nothing is left as written.
fn rewrite_refs(src: &Value, doc: &mut Value, origins: &Origins) {
    let mut changes = Vec::new();
    let mut stack: Vec<(Pointer, &Value)> = vec![(Pointer::root(), &*doc)];
    while let Some((ptr, v)) = stack.pop() {
        if ptr.tokens().len() > 256 {
            continue;
        }
        match v {
            Value::Object(m) => {
                if let Some(Value::String(target)) = m.get("$ref") {
                    if let Some(new) = retarget(src, doc, origins, target) {
                        changes.push((ptr.push("$ref"), new));
                    }
                }
                for (k, child) in m {
                    if k != "example" && k != "examples" && !k.starts_with("x-") {
                        stack.push((ptr.push(k.clone()), child));
                    }
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    stack.push((ptr.push(i.to_string()), child));
                }
            }
            _ => {}
        }
    }
    for (ptr, new) in changes {
        ptr.set(doc, Value::String(new));
    }
}

/// Where a `$ref` of the document as written points in the conversion.
fn retarget(src: &Value, doc: &Value, origins: &Origins, target: &str) -> Option<String> {
    let local = target.strip_prefix('#')?;
    let ptr = Pointer::parse(&fragment(local))?;
    ptr.get(src)?;
    let moved = origins.converted(&ptr.to_string());
    Pointer::parse(&moved)?.get(doc)?;
    let new = format!("#{moved}");
    (new != target).then_some(new)
}
