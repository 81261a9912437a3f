//! Indexing a document's operations: parameters merged from the path item,
//! request bodies, responses and security resolved, and each binding read
//! by [`crate::vocabulary`].

use serde_json::{Map, Value};

use crate::doc::{esc, resolve, METHODS};
use crate::error::{BindingProblem, LoadError};
use crate::model::Policy;
use crate::operation::{
    same_place, Header, Location, MediaType, Operation, Parameter, RequestBody, Response,
    SchemaRef, SecurityAlternative, SecurityScheme,
};
use crate::vocabulary::{self, EXTENSION};

/// Index every operation of `doc`, in document order, reading each binding
/// into `problems`. The first structural error (a broken parameter, an
/// unresolvable `$ref`) ends the indexing.
pub(crate) fn operations(
    doc: &Value,
    policy: &Policy,
    problems: &mut Vec<BindingProblem>,
) -> Result<Vec<Operation>, LoadError> {
    let mut ops = Vec::new();
    for_each_operation(
        doc,
        policy,
        |op| {
            ops.push(op?);
            Ok(())
        },
        problems,
    )?;
    Ok(ops)
}

/// Like [`operations`], but an operation that cannot be indexed is passed
/// over (its problems are not the vocabulary's): what lint reads.
pub(crate) fn operations_tolerant(
    doc: &Value,
    policy: &Policy,
    problems: &mut Vec<BindingProblem>,
) -> Vec<Operation> {
    let mut ops = Vec::new();
    let all = for_each_operation(
        doc,
        policy,
        |op| {
            if let Ok(op) = op {
                ops.push(op);
            }
            Ok(())
        },
        problems,
    );
    debug_assert!(all.is_ok(), "the tolerant visitor never fails");
    ops
}

fn for_each_operation(
    doc: &Value,
    policy: &Policy,
    mut visit: impl FnMut(Result<Operation, LoadError>) -> Result<(), LoadError>,
    problems: &mut Vec<BindingProblem>,
) -> Result<(), LoadError> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Ok(());
    };
    let root_security = doc.get("security");
    for (path, item) in paths {
        let item_ptr = format!("/paths/{}", esc(path));
        let (item_ptr, item) = match resolve(doc, item_ptr, item) {
            Ok(found) => found,
            Err(e) => {
                visit(Err(e))?;
                continue;
            }
        };
        let shared = item.get("parameters");
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let pointer = format!("{item_ptr}/{method}");
            let indexed = operation(doc, path, method, &pointer, shared, op, root_security);
            let indexed = indexed.map(|mut operation| {
                if let Some(b) = op.get(EXTENSION) {
                    let at = format!("{pointer}/{EXTENSION}");
                    let (bindings, unsupported) =
                        vocabulary::read_bindings(doc, &at, b, &operation, policy, problems);
                    operation.bindings = bindings;
                    operation.unsupported = unsupported;
                }
                operation
            });
            visit(indexed)?;
        }
    }
    Ok(())
}

fn operation(
    doc: &Value,
    path: &str,
    method: &str,
    pointer: &str,
    shared: Option<&Value>,
    op: &Value,
    root_security: Option<&Value>,
) -> Result<Operation, LoadError> {
    if !op.is_object() {
        return Err(LoadError::Invalid {
            at: pointer.to_owned(),
            message: "an operation must be an object".into(),
        });
    }
    let item_ptr = pointer.rsplit_once('/').map_or("", |(item, _)| item);
    let parameters = parameters(doc, item_ptr, shared, pointer, op)?;
    let request_body = match op.get("requestBody") {
        Some(rb) => Some(request_body(doc, pointer, rb)?),
        None => None,
    };
    let responses = responses(doc, pointer, op.get("responses"))?;
    let security = security(doc, op.get("security").or(root_security));
    Ok(Operation {
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        pointer: pointer.to_owned(),
        operation_id: op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        parameters,
        request_body,
        responses,
        security,
        bindings: Vec::new(),
        unsupported: None,
    })
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
