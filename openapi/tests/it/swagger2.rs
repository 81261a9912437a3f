use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use openapi::expr::Pointer;
use openapi::swagger2::{convert, is_swagger2};
use openapi::Spec;
use serde_json::{json, Map, Value};

use crate::support::{
    hand_written, install_tools, load, oas_examples, root, their_conversions, tools,
};

fn name_of(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Every JSON pointer of `v`, the root's included.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(c, format!("{at}{}", Pointer::root().push(k.clone())), out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn samples() -> Vec<PathBuf> {
    let mut all = hand_written();
    all.push(root().join("fixtures/docker-engine.yaml"));
    all
}

#[test]
fn every_place_of_a_conversion_comes_from_a_place_of_the_document_as_written() {
    let mut checked = 0;
    for path in samples() {
        let doc = load(&path);
        assert!(is_swagger2(&doc), "{}", path.display());
        let c = convert(&doc);
        let mut all = Vec::new();
        pointers(&c.document, String::new(), &mut all);
        for p in &all {
            let original = c.origins.original(p);
            assert!(
                Pointer::parse(&original)
                    .and_then(|o| o.get(&doc))
                    .is_some(),
                "{}: #{p} maps to #{original}, which is not in the document",
                path.display()
            );
        }
        checked += all.len();
    }
    assert!(checked > 1000, "{checked} places");
}

#[test]
fn conversions_of_the_hand_written_documents() {
    for path in hand_written() {
        let c = convert(&load(&path));
        insta::assert_yaml_snapshot!(format!("convert-{}", name_of(&path)), c.document);
    }
}

#[test]
fn every_sample_loads_and_is_marked_as_converted() {
    for path in samples() {
        let spec = Spec::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(spec.is_swagger2());
        assert_eq!(spec.document()["openapi"], json!("3.0.3"));
        assert!(!spec.operations().is_empty(), "{}", path.display());
    }
    let three = Spec::from_value(openapi::reference::reference_json()).unwrap();
    assert!(!three.is_swagger2());
}

#[test]
fn refs_to_refs_and_refs_into_parameters_and_responses_are_followed() {
    let spec = Spec::from_path(&root().join("openapi/tests/swagger2/components.yaml")).unwrap();
    let doc = spec.document();
    let op = |id: &str| spec.operation(id).unwrap();
    // `alias` is a ref to the `offset` parameter.
    let list = op("listPets");
    let names: Vec<&str> = list.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["limit", "offset"]);
    // A ref into a body parameter's schema.
    let replace = op("replacePet").request_body.as_ref().unwrap();
    let schema = replace.content[0].schema.as_ref().unwrap();
    assert_eq!(schema.pointer, "/components/schemas/Pet");
    // A ref to a response that is a ref; a ref into a response's schema.
    let get = op("getPet");
    let not_found = get.responses.iter().find(|r| r.status == "404").unwrap();
    assert_eq!(
        not_found.content[0].schema.as_ref().unwrap().pointer,
        "/components/schemas/Error"
    );
    assert_eq!(
        doc.pointer(
            "/paths/~1pets~1{petId}/put/responses/200/content/application~1json/schema/$ref"
        ),
        Some(&json!(
            "#/components/responses/Error/content/application~1json/schema"
        ))
    );
    // A ref to a body parameter is the request body, inlined.
    let add = op("addPet").request_body.as_ref().unwrap();
    assert!(add.required);
    assert_eq!(
        add.content[0].schema.as_ref().unwrap().pointer,
        "/components/schemas/Pet"
    );
}

#[test]
fn a_ref_that_names_nothing_is_left_as_written_and_the_error_points_at_it() {
    let doc = json!({"swagger": "2.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"parameters": [{"name": "q", "in": "query", "type": "string"}],
            "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Nope"}}}}}}});
    let c = convert(&doc);
    assert_eq!(
        c.document
            .pointer("/paths/~1a/get/responses/200/content/application~1json/schema/$ref"),
        Some(&json!("#/definitions/Nope"))
    );
    let err = Spec::from_value(doc).unwrap_err().to_string();
    assert_eq!(
        err,
        "#/paths/~1a/get/responses/200/schema: `$ref` `#/definitions/Nope` points at nothing in the document"
    );
}

/// Load errors of Swagger 2.0 documents name places of the 2.0 document.
#[test]
fn load_errors_point_into_the_document_as_written() {
    let base = || {
        json!({"swagger": "2.0", "info": {"title": "t", "version": "1"},
            "x-token-lifecycle": {"accounts": [{"username": "demo", "password": "demo"}]},
            "paths": {"/login": {"post": {
                "consumes": ["application/x-www-form-urlencoded"],
                "parameters": [
                    {"name": "X-Trace", "in": "header", "type": "string"},
                    {"name": "user", "in": "formData", "type": "string", "required": true},
                    {"name": "pass", "in": "formData", "type": "string", "required": true}
                ],
                "x-token-lifecycle": {"action": "login", "username": "$request.body#/user",
                    "password": "$request.body#/pass",
                    "issue": {"accessToken": "$response.body#/token"}},
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Token"}},
                    "401": {"description": "no"}}}}},
            "definitions": {"Token": {"type": "object", "properties": {"token": {"type": "string"}}}}})
    };
    assert!(Spec::from_value(base()).is_ok());
    let cases: Vec<(&str, Value)> = vec![
        ("binding-unresolved", {
            let mut d = base();
            d["paths"]["/login"]["post"]["x-token-lifecycle"]["password"] =
                json!("$request.body#/pwd");
            d
        }),
        ("parameter-without-in", {
            let mut d = base();
            d["paths"]["/login"]["post"]["parameters"][0] =
                json!({"name": "X-Trace", "type": "string"});
            d
        }),
        ("response-header-undeclared", {
            let mut d = base();
            d["paths"]["/login"]["post"]["x-token-lifecycle"]["issue"]["accessToken"] =
                json!("$response.header.X-Token");
            d
        }),
        ("outcome-undocumented", {
            let mut d = base();
            d["paths"]["/login"]["post"]["x-token-lifecycle"]["outcomes"] =
                json!({"invalidCredentials": 403});
            d
        }),
    ];
    for (name, doc) in cases {
        let err = Spec::from_value(doc.clone()).unwrap_err().to_string();
        insta::assert_snapshot!(format!("swagger2-error-{name}"), err);
        // lint names the same places (the loader's reader, converted alike)
        for p in openapi::spec::binding_problems(&doc) {
            assert!(
                err.contains(&format!("#{}", p.at)),
                "{name}: {p} not in {err}"
            );
        }
    }
}

/// Login through a form body and through a JSON body, and a token in an
/// `apiKey` header: the same runtime expressions as in 3.x.
#[test]
fn bindings_read_converted_bodies_with_the_same_expressions() {
    use openapi::model::{Model, Outcome, TokenKind};
    let spec = Spec::from_value(json!({
        "swagger": "2.0", "info": {"title": "t", "version": "1"},
        "x-token-lifecycle": {"accounts": [{"username": "demo", "password": "demo"}]},
        "securityDefinitions": {"token": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        "paths": {
            "/form-login": {"post": {
                "consumes": ["application/x-www-form-urlencoded"],
                "parameters": [
                    {"name": "username", "in": "formData", "type": "string", "required": true},
                    {"name": "password", "in": "formData", "type": "string", "required": true}],
                "x-token-lifecycle": {"action": "login", "username": "$request.body#/username",
                    "password": "$request.body#/password",
                    "issue": {"accessToken": "$response.body#/access", "refreshToken": "$response.body#/refresh"}},
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Tokens"}},
                    "401": {"description": "no"}}}},
            "/json-login": {"post": {
                "parameters": [{"name": "credentials", "in": "body", "required": true,
                    "schema": {"type": "object", "properties": {"login": {"type": "object",
                        "properties": {"name": {"type": "string"}, "secret": {"type": "string"}}}}}}],
                "x-token-lifecycle": {"action": "login", "username": "$request.body#/login/name",
                    "password": "$request.body#/login/secret",
                    "issue": {"accessToken": "$response.body#/access"}},
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Tokens"}},
                    "401": {"description": "no"}}}},
            "/me": {"get": {
                "security": [{"token": []}],
                "x-token-lifecycle": {"action": "protected",
                    "accessToken": {"from": "$request.header.Authorization", "scheme": "Bearer"},
                    "subject": "$response.body#/name"},
                "responses": {"200": {"description": "ok", "schema": {"type": "object",
                    "properties": {"name": {"type": "string"}}}}, "401": {"description": "no"}}}}
        },
        "definitions": {"Tokens": {"type": "object", "properties": {
            "access": {"type": "string"}, "refresh": {"type": "string"}}}}
    }))
    .unwrap();
    let at = |path: &str| spec.operations().iter().find(|o| o.path == path).unwrap();
    let form = at("/form-login");
    let body = form.request_body.as_ref().unwrap();
    assert_eq!(body.content[0].name, "application/x-www-form-urlencoded");
    let binding = form.bindings.first().unwrap();
    assert_eq!(
        binding.username.as_ref().unwrap().expr.to_string(),
        "$request.body#/username"
    );
    let json_login = at("/json-login");
    assert_eq!(
        json_login
            .bindings
            .first()
            .unwrap()
            .password
            .as_ref()
            .unwrap()
            .expr
            .to_string(),
        "$request.body#/login/secret"
    );
    assert_eq!(spec.guards().len(), 1);
    let lifecycle = spec.lifecycle();
    let mut model = Model::new(lifecycle.policy.clone(), lifecycle.accounts.clone());
    let mut mint = |k: TokenKind| format!("{k:?}").into();
    let login = openapi::model::Action::Login {
        username: Some("demo"),
        password: Some("demo"),
    };
    assert!(matches!(
        model.apply(login, 0, &mut mint),
        Outcome::Issued(_)
    ));
}

/// A comparable digest of an operation: its parameters, request body and
/// responses, refs followed (schema refs kept by component name).
fn digest(doc: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let item = resolve(doc, item);
        for method in openapi::spec::METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut params: BTreeMap<(String, String), Value> = BTreeMap::new();
            for list in [item.get("parameters"), op.get("parameters")] {
                for p in list.and_then(Value::as_array).into_iter().flatten() {
                    let p = resolve(doc, p);
                    let key = (
                        p["in"].as_str().unwrap_or("").into(),
                        p["name"].as_str().unwrap_or("").into(),
                    );
                    params.insert(key, parameter(doc, p));
                }
            }
            let body = op.get("requestBody").map(|b| {
                let b = resolve(doc, b);
                json!({
                    "required": b.get("required").cloned().unwrap_or(json!(false)),
                    "content": content(doc, b),
                })
            });
            let mut responses = Map::new();
            for (status, r) in op["responses"].as_object().into_iter().flatten() {
                let r = resolve(doc, r);
                let mut headers = Map::new();
                for (h, v) in entries(r, "headers") {
                    headers.insert(h.clone(), parameter(doc, resolve(doc, v)));
                }
                responses.insert(
                    status.clone(),
                    json!({"content": content(doc, r), "headers": headers}),
                );
            }
            let params: Vec<Value> = params.into_values().collect();
            out.insert(
                format!("{} {path}", method.to_uppercase()),
                json!({"parameters": params, "requestBody": body, "responses": responses}),
            );
        }
    }
    out
}

fn resolve<'d>(doc: &'d Value, mut v: &'d Value) -> &'d Value {
    for _ in 0..16 {
        match v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(p) => match Pointer::parse(p).and_then(|p| p.get(doc)) {
                Some(next) => v = next,
                None => return v,
            },
            None => return v,
        }
    }
    v
}

fn parameter(doc: &Value, p: &Value) -> Value {
    let place = p["in"].as_str().unwrap_or("");
    let style = p
        .get("style")
        .and_then(Value::as_str)
        .unwrap_or(match place {
            "path" | "header" | "" => "simple",
            _ => "form",
        });
    let explode = p
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(style == "form");
    let mut m = p.as_object().cloned().unwrap_or_default();
    m.insert("style".into(), style.into());
    m.insert("explode".into(), explode.into());
    m.insert(
        "required".into(),
        p.get("required").cloned().unwrap_or(json!(false)),
    );
    m.retain(|k, _| !k.starts_with("x-s2o"));
    if let Some(s) = p.get("schema") {
        m.insert("schema".into(), schema(doc, s, 0));
    }
    Value::Object(m)
}

/// The members of the object at `key` of `v` (none when it is not one).
fn entries<'v>(v: &'v Value, key: &str) -> impl Iterator<Item = (&'v String, &'v Value)> {
    v.get(key).and_then(Value::as_object).into_iter().flatten()
}

fn content(doc: &Value, holder: &Value) -> Value {
    let mut out = Map::new();
    for (media, m) in entries(holder, "content") {
        out.insert(
            media.clone(),
            m.get("schema").map_or(Value::Null, |s| schema(doc, s, 0)),
        );
    }
    Value::Object(out)
}

/// A schema with refs to `components/schemas` kept as the (sanitised)
/// name, other refs followed.
fn schema(doc: &Value, s: &Value, depth: usize) -> Value {
    if depth > 32 {
        return s.clone();
    }
    match s {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    if !name.contains('/') {
                        return json!({ "$ref": sanitise(name) });
                    }
                }
                let target = resolve(doc, s);
                if std::ptr::eq(target, s) {
                    return json!({ "$dangling": r });
                }
                return schema(doc, target, depth + 1);
            }
            Value::Object(
                m.iter()
                    .filter(|(k, _)| !k.starts_with("x-s2o"))
                    .map(|(k, v)| (k.clone(), schema(doc, v, depth + 1)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| schema(doc, v, depth + 1)).collect()),
        _ => s.clone(),
    }
}

/// swagger2openapi's component names: characters outside
/// `[A-Za-z0-9_.-]` become `_` (we keep the names as written).
fn sanitise(name: &str) -> String {
    let name =
        Pointer::parse(&format!("/{name}")).map_or(name.to_owned(), |p| p.tokens()[0].clone());
    name.replace("[]", "Array")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Their conversion, with our deliberate differences (docs/swagger2.md)
/// applied, so that what is left is a disagreement.
fn deliberate(
    source: &Value,
    ours: &BTreeMap<String, Value>,
    theirs: &mut BTreeMap<String, Value>,
) {
    for (key, op) in theirs.iter_mut() {
        // A response without `produces` is JSON here, `*/*` there.
        for r in op["responses"]
            .as_object_mut()
            .into_iter()
            .flatten()
            .map(|(_, r)| r)
        {
            if let Some(c) = r["content"].as_object_mut() {
                if let Some(s) = c.shift_remove("*/*") {
                    c.insert("application/json".into(), s);
                }
            }
        }
        // A path-level body or form parameter applies to the operations
        // without a `parameters` list too here; there, only to those with one.
        let (method, path) = key.split_once(' ').unwrap();
        let item = &source["paths"][path];
        let shared_body = item["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| {
                let p = resolve(source, p);
                p["in"] == json!("body") || p["in"] == json!("formData")
            });
        let own = item[method.to_lowercase()].get("parameters").is_some();
        if shared_body && !own && op["requestBody"].is_null() {
            op["requestBody"] = ours[key]["requestBody"].clone();
        }
        // A `$ref` into a body parameter's or a response's schema names
        // nothing there (the prefix alone is rewritten); here, the schema.
        let bodies = [("requestBody", None), ("responses", Some(()))];
        for (part, many) in bodies {
            let holders: Vec<String> = match many {
                None => vec![format!("/{part}/content")],
                Some(()) => op[part]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(status, _)| format!("/{part}/{}/content", status.replace('~', "~0")))
                    .collect(),
            };
            for holder in holders {
                let medias: Vec<String> = op
                    .pointer(&holder)
                    .and_then(Value::as_object)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                for media in medias {
                    let at = format!("{holder}/{}", media.replace('~', "~0").replace('/', "~1"));
                    if op
                        .pointer(&at)
                        .is_some_and(|s| s.get("$dangling").is_some())
                    {
                        if let Some(s) = ours[key].pointer(&at) {
                            *op.pointer_mut(&at).unwrap() = s.clone();
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn our_conversion_agrees_with_swagger2openapi() {
    if let Err(why) = install_tools() {
        println!("skipped: swagger2openapi is not available ({why})");
        return;
    }
    let mut files = samples();
    files.extend(oas_examples());
    assert!(
        files.len() >= 20,
        "{} documents; tools in {}",
        files.len(),
        tools().display()
    );
    let theirs = their_conversions(&files);
    let (mut operations, mut disagreements) = (0, Vec::new());
    for (file, theirs) in files.iter().zip(theirs) {
        assert!(
            theirs.get("error").is_none(),
            "{}: {theirs}",
            file.display()
        );
        let source = load(file);
        let ours = digest(&convert(&source).document);
        let mut theirs = digest(&theirs);
        deliberate(&source, &ours, &mut theirs);
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{}",
            file.display()
        );
        for (op, ours) in &ours {
            if ours != &theirs[op] {
                disagreements.push(format!(
                    "{} {op}:\n  ours   {ours}\n  theirs {}",
                    file.display(),
                    theirs[op]
                ));
            }
            operations += 1;
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert!(operations > 50, "{operations} operations compared");
}
