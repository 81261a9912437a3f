//! The strategies against a corpus of 3.0 and 3.1 schemas: every generated
//! value validates, every invalid value does not.

use std::collections::BTreeSet;

use openapi::spec::{Spec, Version};
use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, TestError, TestRunner};
use serde_json::{json, Value};

use super::scalar::header_ok;
use super::Gen;

const N: usize = 200;

fn corpus(version: &str, title: &str, schemas: Vec<(&str, Value)>) -> Value {
    let schemas: serde_json::Map<String, Value> = schemas
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    json!({
        "openapi": version,
        "info": { "title": title, "version": "1" },
        "paths": {},
        "components": { "schemas": schemas }
    })
}

fn doc30() -> Value {
    corpus(
        "3.0.3",
        "corpus 3.0",
        vec![
            (
                "Name",
                json!({ "type": "string", "minLength": 1, "maxLength": 10 }),
            ),
            (
                "NullableString",
                json!({ "type": "string", "nullable": true }),
            ),
            (
                "Code",
                json!({ "type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$" }),
            ),
            (
                "Digits",
                json!({ "type": "string", "pattern": "^\\d{3,}$", "maxLength": 6 }),
            ),
            ("Stamp", json!({ "type": "string", "format": "date-time" })),
            (
                "Contact",
                json!({
                    "type": "object",
                    "required": ["email", "id"],
                    "properties": {
                        "email": { "type": "string", "format": "email" },
                        "website": { "type": "string", "format": "uri" },
                        "host": { "type": "string", "format": "hostname" },
                        "v4": { "type": "string", "format": "ipv4" },
                        "v6": { "type": "string", "format": "ipv6" },
                        "id": { "type": "string", "format": "uuid" },
                        "day": { "type": "string", "format": "date" },
                        "at": { "type": "string", "format": "time" },
                        "blob": { "type": "string", "format": "byte" }
                    }
                }),
            ),
            (
                "Age",
                json!({ "type": "integer", "minimum": 0, "maximum": 130, "exclusiveMaximum": true }),
            ),
            (
                "Price",
                json!({ "type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1000 }),
            ),
            (
                "Even",
                json!({ "type": "integer", "multipleOf": 2, "minimum": 11, "maximum": 51 }),
            ),
            ("Int32", json!({ "type": "integer", "format": "int32" })),
            (
                "Color",
                json!({ "type": "string", "enum": ["red", "green", "blue"] }),
            ),
            (
                "NullableColor",
                json!({ "type": "string", "enum": ["red", "green"], "nullable": true }),
            ),
            ("MixedEnum", json!({ "enum": ["a", 1, true, null, 2.5] })),
            (
                "Strict",
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["a"],
                    "properties": { "a": { "type": "string" }, "b": { "type": "integer" } }
                }),
            ),
            (
                "Pet",
                json!({
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "id": { "type": "integer", "readOnly": true },
                        "name": { "type": "string", "minLength": 1 },
                        "tag": { "type": "string", "nullable": true }
                    }
                }),
            ),
            (
                "Dog",
                json!({
                    "allOf": [
                        { "$ref": "#/components/schemas/Pet" },
                        {
                            "type": "object",
                            "required": ["bark"],
                            "properties": { "bark": { "type": "boolean" }, "name": { "maxLength": 8 } }
                        }
                    ]
                }),
            ),
            (
                "OverlapString",
                json!({ "oneOf": [ { "type": "string" }, { "type": "string", "maxLength": 3 } ] }),
            ),
            (
                "Shape",
                json!({
                    "oneOf": [
                        { "$ref": "#/components/schemas/Circle" },
                        { "$ref": "#/components/schemas/Square" }
                    ]
                }),
            ),
            (
                "Circle",
                json!({ "type": "object", "required": ["radius"], "properties": { "radius": { "type": "number", "minimum": 0 } } }),
            ),
            (
                "Square",
                json!({ "type": "object", "required": ["side"], "properties": { "side": { "type": "number", "minimum": 0 } } }),
            ),
            (
                "Tree",
                json!({
                    "type": "object",
                    "required": ["value"],
                    "properties": {
                        "value": { "type": "integer" },
                        "children": { "type": "array", "items": { "$ref": "#/components/schemas/Tree" } }
                    }
                }),
            ),
            (
                "Tags",
                json!({ "type": "array", "items": { "type": "string", "maxLength": 4 }, "uniqueItems": true, "minItems": 2, "maxItems": 5 }),
            ),
            (
                "Counts",
                json!({ "type": "object", "additionalProperties": { "type": "integer", "minimum": 0 }, "minProperties": 1 }),
            ),
            (
                "IdOrUuid",
                json!({ "anyOf": [ { "type": "integer", "minimum": 100 }, { "type": "string", "format": "uuid" } ] }),
            ),
            ("NotString", json!({ "not": { "type": "string" } })),
            (
                "Sort",
                json!({ "type": "string", "enum": ["asc", "desc"], "default": "asc" }),
            ),
            (
                "Page",
                json!({ "type": "integer", "minimum": 1, "example": 42 }),
            ),
            (
                "ShortName",
                json!({ "allOf": [ { "$ref": "#/components/schemas/Name" }, { "maxLength": 5 } ] }),
            ),
            (
                "Order",
                json!({
                    "type": "object",
                    "required": ["lines", "total"],
                    "minProperties": 3,
                    "properties": {
                        "lines": { "type": "array", "items": { "$ref": "#/components/schemas/Color" }, "maxItems": 2 },
                        "total": { "$ref": "#/components/schemas/Price" },
                        "note": { "type": "string" },
                        "when": { "$ref": "#/components/schemas/Stamp" }
                    }
                }),
            ),
            (
                "Password",
                json!({
                    "type": "string",
                    "pattern": "^(?=.*[0-9])[a-z0-9]{8,}$",
                    "example": "abc12345"
                }),
            ),
        ],
    )
}

fn doc31() -> Value {
    corpus(
        "3.1.0",
        "corpus 3.1",
        vec![
            (
                "NullableShort",
                json!({ "type": ["string", "null"], "maxLength": 5 }),
            ),
            (
                "Fraction",
                json!({ "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1 }),
            ),
            (
                "Between",
                json!({ "type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 10 }),
            ),
            (
                "Pair",
                json!({
                    "type": "array",
                    "prefixItems": [ { "type": "string" }, { "type": "integer" } ],
                    "items": false,
                    "minItems": 1
                }),
            ),
            ("Fixed", json!({ "const": "fixed" })),
            (
                "Base",
                json!({ "type": "object", "required": ["id"], "properties": { "id": { "type": "string" } } }),
            ),
            (
                "Extended",
                json!({
                    "$ref": "#/components/schemas/Base",
                    "required": ["extra"],
                    "properties": { "extra": { "type": "boolean" } }
                }),
            ),
            (
                "Node",
                json!({
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": { "type": "string", "maxLength": 3 },
                        "left": { "$ref": "#/components/schemas/Node" },
                        "right": { "$ref": "#/components/schemas/Node" }
                    }
                }),
            ),
            (
                "IntOrPositive",
                json!({ "oneOf": [ { "type": "integer" }, { "type": "number", "minimum": 0 } ] }),
            ),
            (
                "Scalar",
                json!({ "type": ["integer", "string", "boolean"] }),
            ),
            (
                "HasBig",
                json!({ "type": "array", "items": { "type": "integer" }, "contains": { "type": "integer", "minimum": 10 } }),
            ),
            (
                "Word",
                json!({ "type": "string", "minLength": 2, "examples": ["alpha", "beta"] }),
            ),
            (
                "Extensions",
                json!({
                    "type": "object",
                    "patternProperties": { "^x-": { "type": "string" } },
                    "additionalProperties": false
                }),
            ),
            (
                "Pairing",
                json!({
                    "type": "object",
                    "properties": { "a": { "type": "integer" }, "b": { "type": "integer" } },
                    "dependentRequired": { "a": ["b"] }
                }),
            ),
            ("Anything", json!({})),
            (
                "Auth",
                json!({ "type": "string", "pattern": "^Bearer [A-Za-z0-9._-]+$" }),
            ),
            (
                "Mixed",
                json!({ "type": ["object", "null"], "properties": { "n": { "type": ["number", "null"], "minimum": -1.5, "maximum": 1.5 } }, "required": ["n"] }),
            ),
            (
                "Account",
                json!({
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {
                        "id": { "type": "string", "readOnly": true },
                        "name": { "type": "string", "maxLength": 8 },
                        "secret": { "type": "string", "writeOnly": true }
                    }
                }),
            ),
            (
                "Wrapped",
                json!({ "type": "object", "properties": { "account": { "$ref": "#/components/schemas/Account" } }, "required": ["account"] }),
            ),
            (
                "Halves",
                json!({ "type": "number", "multipleOf": 0.5, "minimum": -2, "maximum": 2 }),
            ),
        ],
    )
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn sample(s: &BoxedStrategy<Value>, runner: &mut TestRunner, n: usize) -> Vec<Value> {
    (0..n)
        .map(|_| s.new_tree(runner).expect("a value").current())
        .collect()
}

/// Every schema of `doc`: valid values validate, invalid ones do not.
/// Returns the schemas for which `invalid()` gave `None`.
fn check_corpus(doc: Value) -> BTreeSet<String> {
    let spec = Spec::from_value(doc).expect("corpus loads");
    let mut gen = Gen::new(spec.document(), spec.version());
    // Values are built valid, not filtered into validity at the end.
    gen.safety_net = false;
    let names: Vec<String> = spec
        .document()
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(names.len() >= 12);
    let mut runner = TestRunner::deterministic();
    let mut no_invalid = BTreeSet::new();
    for name in &names {
        let pointer = format!("/components/schemas/{name}");
        let schema = reference(name);
        for v in sample(&gen.valid(&schema), &mut runner, N) {
            let errors = spec.schemas().validate(&pointer, &v).unwrap();
            assert!(errors.is_empty(), "{name}: {v} is invalid: {errors:?}");
        }
        match gen.invalid(&schema) {
            Some(s) => {
                for v in sample(&s, &mut runner, N) {
                    let errors = spec.schemas().validate(&pointer, &v).unwrap();
                    assert!(!errors.is_empty(), "{name}: {v} should be invalid");
                }
            }
            None => {
                no_invalid.insert(name.clone());
            }
        }
    }
    let gave_up: Vec<String> = gen
        .notes()
        .into_iter()
        .filter(|n| n.starts_with("no acceptable value"))
        .collect();
    assert!(gave_up.is_empty(), "filters gave up: {gave_up:?}");
    no_invalid
}

#[test]
fn corpus_30_values_validate_and_invalid_values_do_not() {
    let none = check_corpus(doc30());
    assert_eq!(none, BTreeSet::new());
}

#[test]
fn corpus_31_values_validate_and_invalid_values_do_not() {
    let none = check_corpus(doc31());
    // `{}` accepts anything.
    assert_eq!(none, BTreeSet::from(["Anything".to_owned()]));
}

fn values(doc: &Value, version: Version, name: &str, n: usize) -> Vec<Value> {
    let gen = Gen::new(doc, version);
    let mut runner = TestRunner::deterministic();
    sample(&gen.valid(&reference(name)), &mut runner, n)
}

#[test]
fn generation_explores_the_schema() {
    let d30 = doc30();
    let d31 = doc31();
    // Nullable: both null and strings.
    let v = values(&d30, Version::V30, "NullableString", N);
    assert!(v.iter().any(Value::is_null) && v.iter().any(Value::is_string));
    // Optional properties: sometimes present, sometimes not.
    let v = values(&d30, Version::V30, "Pet", N);
    assert!(v.iter().any(|p| p.get("tag").is_some()));
    assert!(v.iter().any(|p| p.get("tag").is_none()));
    // Both oneOf branches, and the overlapping one is never picked alone.
    let v = values(&d30, Version::V30, "Shape", N);
    assert!(v.iter().any(|s| s.get("radius").is_some()));
    assert!(v.iter().any(|s| s.get("side").is_some()));
    let v = values(&d30, Version::V30, "OverlapString", N);
    assert!(v.iter().all(|s| s.as_str().unwrap().chars().count() > 3));
    // Recursion happens, and stops.
    let v = values(&d30, Version::V30, "Tree", N);
    fn depth(t: &Value) -> usize {
        1 + t
            .get("children")
            .and_then(Value::as_array)
            .map_or(0, |c| c.iter().map(depth).max().unwrap_or(0))
    }
    let deepest = v.iter().map(depth).max().unwrap();
    assert!((3..=6).contains(&deepest), "deepest tree {deepest}");
    // Patterns.
    let v = values(&d30, Version::V30, "Code", N);
    let re = regex::Regex::new("^[A-Z]{3}-[0-9]{2}$").unwrap();
    assert!(v.iter().all(|c| re.is_match(c.as_str().unwrap())));
    let distinct: BTreeSet<String> = v.iter().map(|c| c.to_string()).collect();
    assert!(distinct.len() > 50);
    // Defaults and examples are mixed in.
    assert!(values(&d30, Version::V30, "Page", N).contains(&json!(42)));
    assert!(values(&d31, Version::V31, "Word", N).contains(&json!("alpha")));
    // Sizes stay small.
    for v in values(&d30, Version::V30, "Tags", N) {
        assert!((2..=4).contains(&v.as_array().unwrap().len()));
    }
    for v in values(&d30, Version::V30, "Counts", N) {
        assert!((1..=3).contains(&v.as_object().unwrap().len()));
    }
    // 3.1 tuples and type lists.
    let v = values(&d31, Version::V31, "Pair", N);
    assert!(v.iter().any(|p| p.as_array().unwrap().len() == 2));
    let v = values(&d31, Version::V31, "Scalar", N);
    for t in ["integer", "string", "boolean"] {
        assert!(v.iter().any(|x| super::scalar::has_type(x, t)), "no {t}");
    }
    // Bounds reached.
    let v = values(&d30, Version::V30, "Age", N);
    assert!(v.contains(&json!(0)) && v.contains(&json!(129)));
}

#[test]
fn unsupported_patterns_fall_back_and_are_noted() {
    let doc = doc30();
    let gen = Gen::new(&doc, Version::V30);
    let mut runner = TestRunner::deterministic();
    let v = sample(&gen.valid(&reference("Password")), &mut runner, 20);
    assert!(v.iter().all(|x| x == &json!("abc12345")));
    assert!(
        gen.notes().iter().any(|n| n.contains("(?=")),
        "{:?}",
        gen.notes()
    );
}

#[test]
fn request_values_omit_read_only_properties() {
    let doc = doc31();
    let gen = Gen::new(&doc, Version::V31).for_requests(true);
    let mut runner = TestRunner::deterministic();
    for name in ["Account", "Wrapped"] {
        for v in sample(&gen.valid(&reference(name)), &mut runner, N) {
            let account = v.get("account").unwrap_or(&v);
            assert!(account.get("id").is_none(), "{v}");
            assert!(account.get("name").is_some(), "{v}");
            assert_eq!(gen.check(&reference(name), &v), Some(true));
        }
    }
    // Responses have them.
    let gen = Gen::new(&doc, Version::V31);
    for v in sample(&gen.valid(&reference("Account")), &mut runner, 50) {
        assert!(v.get("id").is_some());
    }
    // Pet (3.0): optional readOnly id never in requests, sometimes in responses.
    let doc = doc30();
    let requests = Gen::new(&doc, Version::V30).for_requests(true);
    let v = sample(&requests.valid(&reference("Pet")), &mut runner, N);
    assert!(v.iter().all(|p| p.get("id").is_none()));
    let responses = Gen::new(&doc, Version::V30);
    let v = sample(&responses.valid(&reference("Pet")), &mut runner, N);
    assert!(v.iter().any(|p| p.get("id").is_some()));
}

#[test]
fn header_values_are_header_safe_and_valid() {
    let doc = doc30();
    let spec = Spec::from_value(doc.clone()).unwrap();
    let gen = Gen::new(&doc, Version::V30);
    let mut runner = TestRunner::deterministic();
    for name in [
        "Name",
        "Code",
        "Color",
        "Stamp",
        "Sort",
        "ShortName",
        "Digits",
    ] {
        let s = gen.header_value(&reference(name));
        for _ in 0..N {
            let h = s.new_tree(&mut runner).unwrap().current();
            assert!(header_ok(&h), "{name}: {h:?}");
            let errors = spec
                .schemas()
                .validate(&format!("/components/schemas/{name}"), &json!(h))
                .unwrap();
            assert!(errors.is_empty(), "{name}: {h:?}: {errors:?}");
        }
    }
    for (name, parse) in [
        ("Age", true),
        ("Int32", true),
        ("Tags", false),
        ("NullableString", false),
    ] {
        let s = gen.header_value(&reference(name));
        for _ in 0..N {
            let h = s.new_tree(&mut runner).unwrap().current();
            assert!(header_ok(&h), "{name}: {h:?}");
            if parse {
                let n: i64 = h.parse().unwrap();
                let errors = spec
                    .schemas()
                    .validate(&format!("/components/schemas/{name}"), &json!(n))
                    .unwrap();
                assert!(errors.is_empty(), "{name}: {h:?}");
            }
        }
    }
    let doc = doc31();
    let gen = Gen::new(&doc, Version::V31);
    let s = gen.header_value(&reference("Auth"));
    let re = regex::Regex::new("^Bearer [A-Za-z0-9._-]+$").unwrap();
    for _ in 0..N {
        let h = s.new_tree(&mut runner).unwrap().current();
        assert!(header_ok(&h) && re.is_match(&h), "{h:?}");
    }
}

#[test]
fn shrinking_keeps_values_valid() {
    let doc = doc30();
    let spec = Spec::from_value(doc.clone()).unwrap();
    let gen = Gen::new(&doc, Version::V30);
    for name in [
        "Dog",
        "Tree",
        "OverlapString",
        "Tags",
        "Order",
        "Even",
        "Price",
    ] {
        let mut runner = TestRunner::new(Config {
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&gen.valid(&reference(name)), |_| {
            Err(proptest::test_runner::TestCaseError::fail("shrink me"))
        });
        let Err(TestError::Fail(_, minimal)) = result else {
            panic!("{name}: the property should fail");
        };
        let errors = spec
            .schemas()
            .validate(&format!("/components/schemas/{name}"), &minimal)
            .unwrap();
        assert!(
            errors.is_empty(),
            "{name}: shrunk to invalid {minimal}: {errors:?}"
        );
    }
}

#[test]
fn invalid_values_break_what_they_should() {
    let doc = doc30();
    let gen = Gen::new(&doc, Version::V30);
    let mut runner = TestRunner::deterministic();
    let strict = sample(&gen.invalid(&reference("Strict")).unwrap(), &mut runner, N);
    // Missing `a`, an unexpected property, and wrong types all show up.
    assert!(strict.iter().any(|v| v.is_object() && v.get("a").is_none()));
    assert!(strict.iter().any(|v| v.get("unexpectedProperty").is_some()));
    assert!(strict.iter().any(|v| !v.is_object()));
    let ages = sample(&gen.invalid(&reference("Age")).unwrap(), &mut runner, N);
    assert!(ages.contains(&json!(-1)) && ages.contains(&json!(130)));
    let colors = sample(&gen.invalid(&reference("Color")).unwrap(), &mut runner, N);
    assert!(colors.iter().any(|c| c.is_string()));
}

#[test]
fn reference_spec_schemas() {
    let spec = openapi::reference_spec();
    let names: Vec<String> = spec
        .document()
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let gen = Gen::new(spec.document(), spec.version());
    let mut runner = TestRunner::deterministic();
    for name in &names {
        let pointer = format!("/components/schemas/{name}");
        for v in sample(&gen.valid(&reference(name)), &mut runner, 50) {
            let errors = spec.schemas().validate(&pointer, &v).unwrap();
            assert!(errors.is_empty(), "{name}: {v} is invalid: {errors:?}");
        }
        if let Some(s) = gen.invalid(&reference(name)) {
            for v in sample(&s, &mut runner, 50) {
                assert!(!spec.schemas().validate(&pointer, &v).unwrap().is_empty());
            }
        }
    }
    assert!(gen.notes().is_empty(), "{:?}", gen.notes());
}

#[test]
fn a_pattern_value_from_a_ref() {
    let doc = json!({
        "openapi": "3.1.0",
        "components": { "schemas": { "Code": {
            "type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$"
        } } }
    });
    let gen = Gen::new(&doc, Version::V31);
    let strategy = gen.valid(&json!({ "$ref": "#/components/schemas/Code" }));
    let mut runner = TestRunner::deterministic();
    let value = strategy.new_tree(&mut runner).unwrap().current();
    assert_eq!(value.as_str().unwrap().len(), 6);
}
