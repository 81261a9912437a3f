//! The wire codec: building a request from values, then parsing it back as
//! the mock does, gives the same values, for every style, `explode`,
//! location and media type the project supports.

use openapi::spec::{Location, Operation};
use openapi::wire::{parse_body, read_back, Builder, Component, Received, Request};
use openapi::Spec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value};

/// Reserved, unsafe and non-ASCII characters, and controls.
const CHARS: &str = "aZ09 /?#[]@!$&'()*+,;=%~._-\"\\|:<>{}^`\t\né€😀";

/// A string of `CHARS` without `excluded`, of `min..=max` characters.
fn string(excluded: &str, min: usize, max: usize) -> BoxedStrategy<Value> {
    let chars: Vec<char> = CHARS.chars().filter(|c| !excluded.contains(*c)).collect();
    prop::collection::vec(prop::sample::select(chars), min..=max)
        .prop_map(|cs| Value::String(cs.into_iter().collect()))
        .boxed()
}

/// A header value: visible ASCII (HTTP trims the ends, and a client cannot
/// send the rest), without `excluded`.
fn header_string(excluded: &str, min: usize, max: usize) -> BoxedStrategy<Value> {
    let chars: Vec<char> = ('!'..='~').filter(|c| !excluded.contains(*c)).collect();
    prop::collection::vec(prop::sample::select(chars), min..=max)
        .prop_map(|cs| Value::String(cs.into_iter().collect()))
        .boxed()
}

/// The kinds of value a parameter can hold.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Strings,
    Integers,
    Booleans,
    Object,
}

const ARRAYS: [Kind; 3] = [Kind::Strings, Kind::Integers, Kind::Booleans];
const ALL: [Kind; 8] = [
    Kind::String,
    Kind::Integer,
    Kind::Number,
    Kind::Boolean,
    Kind::Strings,
    Kind::Integers,
    Kind::Booleans,
    Kind::Object,
];

impl Kind {
    fn schema(self) -> Value {
        match self {
            Kind::String => json!({"type": "string"}),
            Kind::Integer => json!({"type": "integer"}),
            Kind::Number => json!({"type": "number"}),
            Kind::Boolean => json!({"type": "boolean"}),
            Kind::Strings => json!({"type": "array", "items": {"type": "string"}}),
            Kind::Integers => {
                json!({"type": "array", "items": {"$ref": "#/components/schemas/Int"}})
            }
            Kind::Booleans => json!({"type": "array", "items": {"type": "boolean"}}),
            Kind::Object => json!({"$ref": "#/components/schemas/Color"}),
        }
    }
}

/// One way a parameter is written.
#[derive(Debug, Clone)]
struct Case {
    location: &'static str,
    style: &'static str,
    explode: bool,
    kind: Kind,
    /// JSON in `content` rather than a style.
    json: bool,
}

impl Case {
    /// Characters an item or member value cannot hold: the style's
    /// delimiters (they are not escaped; see `openapi::wire`).
    fn delimiters(&self) -> &'static str {
        match (self.location, self.style, self.explode) {
            ("path", "label", true) => ".",
            ("path", "matrix", true) => ";",
            ("path", "matrix", false) => ";,",
            ("query" | "cookie", "form", true) | (_, "deepObject", _) => "",
            (_, "spaceDelimited", _) => " ",
            (_, "pipeDelimited", _) => "|",
            _ => ",",
        }
    }

    /// Whether an empty array or object is written as nothing at all.
    fn exploded_pairs(&self) -> bool {
        self.explode && matches!(self.location, "query" | "cookie") || self.style == "matrix"
    }

    fn strings(&self, excluded: &str, min: usize) -> BoxedStrategy<Value> {
        if self.location == "header" {
            header_string(excluded, min.max(1), 10)
        } else {
            string(excluded, min, 10)
        }
    }

    fn values(&self) -> BoxedStrategy<Value> {
        if self.json {
            return (self.strings("", 0), any::<i32>())
                .prop_map(|(s, i)| json!({"s": s, "i": i, "list": [i, s]}))
                .boxed();
        }
        let items = |item: BoxedStrategy<Value>| {
            let min = usize::from(self.exploded_pairs() || self.location == "path");
            prop::collection::vec(item, min..4).prop_map(Value::Array)
        };
        let d = self.delimiters();
        match self.kind {
            Kind::String => {
                let excluded = if self.style == "matrix" { ";" } else { "" };
                let min = usize::from(self.location == "path" && self.style == "simple");
                self.strings(excluded, min)
            }
            Kind::Integer => any::<i64>().prop_map(Value::from).boxed(),
            Kind::Number => prop_oneof![
                any::<f64>()
                    .prop_filter("finite", |f| f.is_finite())
                    .prop_map(Value::from),
                any::<i32>().prop_map(Value::from),
            ]
            .boxed(),
            Kind::Boolean => any::<bool>().prop_map(Value::Bool).boxed(),
            Kind::Strings => items(self.strings(d, 1)).boxed(),
            Kind::Integers => items(any::<i64>().prop_map(Value::from).boxed()).boxed(),
            Kind::Booleans => items(any::<bool>().prop_map(Value::Bool).boxed()).boxed(),
            Kind::Object => (
                prop::option::of(self.strings(d, 0)),
                prop::option::of(any::<u16>()),
                prop::option::of(any::<bool>()),
            )
                .prop_filter("not empty", |(s, i, b)| {
                    s.is_some() || i.is_some() || b.is_some()
                })
                .prop_map(|(s, i, b)| {
                    let mut m = Map::new();
                    if let Some(s) = s {
                        m.insert("name".into(), s);
                    }
                    if let Some(i) = i {
                        m.insert("R".into(), i.into());
                    }
                    if let Some(b) = b {
                        m.insert("dark".into(), b.into());
                    }
                    Value::Object(m)
                })
                .boxed(),
        }
    }
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut add = |location, style, explodes: &[bool], kinds: &[Kind]| {
        for &explode in explodes {
            for &kind in kinds {
                out.push(Case {
                    location,
                    style,
                    explode,
                    kind,
                    json: false,
                });
            }
        }
    };
    for style in ["simple", "label", "matrix"] {
        add("path", style, &[false, true], &ALL);
    }
    add("query", "form", &[false, true], &ALL);
    for style in ["spaceDelimited", "pipeDelimited"] {
        add("query", style, &[false], &ARRAYS);
        add("query", style, &[false], &[Kind::Object]);
        add("query", style, &[true], &ARRAYS);
    }
    add("query", "deepObject", &[true], &[Kind::Object]);
    add("header", "simple", &[false, true], &ALL);
    add("cookie", "form", &[false, true], &ALL);
    for location in ["path", "query", "header", "cookie"] {
        out.push(Case {
            location,
            style: "",
            explode: false,
            kind: Kind::Object,
            json: true,
        });
    }
    out
}

/// One operation per case, each with the one parameter `p`, and one per
/// body media type.
fn spec(cases: &[Case]) -> Spec {
    let mut paths = Map::new();
    for (i, c) in cases.iter().enumerate() {
        let mut param = json!({"name": "p", "in": c.location, "required": true});
        if c.json {
            param["content"] = json!({"application/json": {"schema": c.kind.schema()}});
        } else {
            param["schema"] = c.kind.schema();
            param["style"] = json!(c.style);
            param["explode"] = json!(c.explode);
        }
        let path = if c.location == "path" {
            format!("/{i}/{{p}}")
        } else {
            format!("/{i}")
        };
        let op = json!({"operationId": format!("case{i}"), "parameters": [param],
            "responses": {"204": {"description": "ok"}}});
        paths.insert(path, json!({ "get": op }));
    }
    for (i, media) in MEDIA.iter().enumerate() {
        let op = json!({
            "operationId": format!("body{i}"),
            "requestBody": {"required": true, "content": {*media: {"schema": {"$ref": "#/components/schemas/Upload"}}}},
            "responses": {"204": {"description": "ok"}}
        });
        paths.insert(format!("/body/{i}"), json!({ "post": op }));
    }
    Spec::from_value(json!({
        "openapi": "3.1.0",
        "info": {"title": "wire", "version": "1"},
        "paths": paths,
        "components": {"schemas": {
            "Int": {"type": "integer"},
            "Color": {"type": "object", "properties": {
                "name": {"type": "string"},
                "R": {"$ref": "#/components/schemas/Int"},
                "dark": {"type": "boolean"}
            }},
            "Upload": {"type": "object", "properties": {
                "title": {"type": "string"},
                "count": {"$ref": "#/components/schemas/Int"},
                "ratio": {"type": "number"},
                "public": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "sizes": {"type": "array", "items": {"type": "integer"}},
                "meta": {"type": "object", "properties": {"source": {"type": "string"}}},
                "parts": {"type": "array", "items": {"type": "object"}}
            }}
        }}
    }))
    .expect("the codec spec loads")
}

const MEDIA: [&str; 4] = [
    "application/json",
    "*/*",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
];

/// The path parameters of `path` by `template`, decoded, as the mock's
/// router finds them.
fn path_params(template: &str, path: &str) -> Vec<(String, String)> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(t, p)| {
            let name = t.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.to_owned(), Component::PathSegment.decode(p)))
        })
        .collect()
}

/// What the mock reads of the parameter `p` in `req`.
fn parsed(spec: &Spec, op: &Operation, req: &Request) -> Option<Value> {
    let path = path_params(&op.path, &req.path);
    let received = Received::new(&path, &req.query_string(), &req.headers);
    let p = &op.parameters[0];
    received
        .param(spec.document(), p)
        .map(|r| r.expect("no problem"))
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn every_parameter_style_round_trips() {
    let cases = cases();
    let spec = spec(&cases);
    for (i, case) in cases.iter().enumerate() {
        let op = spec.operation(&format!("case{i}")).unwrap();
        let p = &op.parameters[0];
        runner(64)
            .run(&case.values(), |value| {
                let mut b = Builder::new(op);
                b.param(p, &value);
                let (req, problems) = b.finish();
                prop_assert!(problems.is_empty(), "{problems:?}");
                prop_assert!(!req.path.contains('{'), "{}", req.path);
                let back = parsed(&spec, op, &req);
                prop_assert_eq!(back.as_ref(), Some(&value), "{:?} sent as {:?}", case, req);
                let alone = read_back(spec.document(), p, &value).map(|r| r.unwrap());
                prop_assert_eq!(alone.as_ref(), Some(&value));
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{case:?}: {e}"));
    }
}

/// An `Upload` body: every property optional; what a media type cannot
/// carry (an empty array in a form body) is left out.
fn uploads(form: bool) -> impl Strategy<Value = Value> {
    let min = usize::from(form);
    (
        prop::option::of(string("", 0, 12)),
        prop::option::of(any::<i64>()),
        prop::option::of(any::<f64>().prop_filter("finite", |f| f.is_finite())),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::collection::vec(string("", 0, 6), min..4)),
        prop::option::of(prop::collection::vec(any::<i32>(), min..4)),
        prop::option::of(string("", 0, 6)),
        prop::option::of(prop::collection::vec(any::<u8>(), min..3)),
    )
        .prop_map(
            |(title, count, ratio, public, tags, sizes, source, parts)| {
                let mut m = Map::new();
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                };
                put("title", title);
                put("count", count.map(Value::from));
                put("ratio", ratio.map(Value::from));
                put("public", public.map(Value::Bool));
                put("tags", tags.map(Value::Array));
                put("sizes", sizes.map(|s| json!(s)));
                put("meta", source.map(|s| json!({ "source": s })));
                put(
                    "parts",
                    parts.map(|p| Value::Array(p.into_iter().map(|n| json!({ "n": n })).collect())),
                );
                Value::Object(m)
            },
        )
}

#[test]
fn every_body_media_type_round_trips() {
    let spec = spec(&[]);
    for (i, media) in MEDIA.iter().enumerate() {
        let op = spec.operation(&format!("body{i}")).unwrap();
        let documented = &op.request_body.as_ref().unwrap().content[0];
        runner(128)
            .run(&uploads(media.contains("urlencoded")), |value| {
                let mut b = Builder::new(op);
                b.body(media, &value);
                let (req, _) = b.finish();
                let (content_type, bytes) = req.body.expect("a body");
                if media.contains('*') {
                    prop_assert_eq!(&content_type, "application/json");
                }
                let back = parse_body(spec.document(), documented, &content_type, &bytes);
                prop_assert_eq!(
                    back,
                    Ok(Some(value.clone())),
                    "{} as {}",
                    value,
                    content_type
                );
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{media}: {e}"));
    }
}

#[test]
fn json_bodies_carry_any_value() {
    let spec = spec(&[]);
    let op = spec.operation("body0").unwrap();
    let documented = &op.request_body.as_ref().unwrap().content[0];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        string("", 0, 8),
    ];
    let values = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z/~]{0,3}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    runner(128)
        .run(&values, |value| {
            let mut b = Builder::new(op);
            b.body("application/json", &value);
            let (content_type, bytes) = b.finish().0.body.unwrap();
            let back = parse_body(spec.document(), documented, &content_type, &bytes);
            prop_assert_eq!(back, Ok(Some(value)));
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_parse_problem_is_located() {
    let spec = spec(&cases());
    let json_query = spec
        .operations()
        .iter()
        .find(|o| {
            let p = &o.parameters.first();
            p.is_some_and(|p| p.json_content && p.location == Location::Query)
        })
        .unwrap();
    let p = &json_query.parameters[0];
    let headers: Vec<(String, String)> = Vec::new();
    let problem = Received::new(&[], "p=%7Bnope", &headers)
        .param(spec.document(), p)
        .unwrap()
        .unwrap_err();
    assert_eq!(problem.location, "$request.query.p");
    assert!(problem.message.starts_with("malformed JSON"), "{problem:?}");
    let upload = spec.operation("body3").unwrap();
    let media = &upload.request_body.as_ref().unwrap().content[0];
    let problem = parse_body(spec.document(), media, "multipart/form-data", b"--x--").unwrap_err();
    assert_eq!(problem.location, "$request.body");
    assert!(
        problem.message.starts_with("malformed multipart body"),
        "{problem:?}"
    );
}

#[test]
fn lenient_parsing_accepts_what_clients_write() {
    let spec = spec(&cases());
    let find = |location: Location, style: &str, explode: bool, ty: &str| {
        spec.operations()
            .iter()
            .find(|o| {
                o.parameters.first().is_some_and(|p| {
                    p.location == location
                        && p.style == style
                        && p.explode == explode
                        && !p.json_content
                        && p.schema.as_ref().is_some_and(|s| {
                            s.value["type"] == ty
                                || s.value["items"]["$ref"].is_string() && ty == "int[]"
                        })
                })
            })
            .unwrap()
    };
    let headers: Vec<(String, String)> = Vec::new();
    let query = |op: &Operation, q: &str| {
        Received::new(&[], q, &headers)
            .param(spec.document(), &op.parameters[0])
            .map(Result::unwrap)
    };
    // `URLSearchParams` encodes the commas of a non-exploded array.
    let form = find(Location::Query, "form", false, "int[]");
    assert_eq!(query(form, "p=1%2C2"), Some(json!([1, 2])));
    // `+` is a space, and a delimiter may be encoded.
    let pipes = find(Location::Query, "pipeDelimited", false, "int[]");
    assert_eq!(query(pipes, "p=1%7C2|3"), Some(json!([1, 2, 3])));
    // Text that does not fit the type stays text, for validation to name.
    assert_eq!(query(form, "p=1,x"), Some(json!([1, "x"])));
    assert_eq!(query(form, "q=1"), None);
    // A label or matrix value without its prefix is read as simple.
    let label = find(Location::Path, "label", false, "int[]");
    let path = [("p".to_owned(), "4,5".to_owned())];
    let back = Received::new(&path, "", &headers).param(spec.document(), &label.parameters[0]);
    assert_eq!(back.map(Result::unwrap), Some(json!([4, 5])));
}
