//! Values generated from schemas validate against those schemas.

use openapi::schema::generate;
use openapi::Spec;
use serde_json::{json, Value};

const V31: &str = r##"
openapi: 3.1.0
info: {title: gen, version: "1"}
paths: {}
components:
  schemas:
    Account:
      type: object
      required: [id, email, role, createdAt]
      additionalProperties: false
      properties:
        id: {type: string, format: uuid}
        email: {type: string, format: email}
        role: {type: string, enum: [admin, user, guest]}
        createdAt: {type: string, format: date-time}
        birthday: {type: string, format: date}
        homepage: {type: string, format: uri}
        host: {type: string, format: hostname}
        v4: {type: string, format: ipv4}
        v6: {type: string, format: ipv6}
        nickname: {type: [string, "null"]}
        age: {type: integer, minimum: 18, maximum: 130}
        score: {type: number, exclusiveMinimum: 0, exclusiveMaximum: 100}
        code: {type: string, minLength: 6, maxLength: 8}
        initial: {type: string, maxLength: 1}
        active: {type: boolean}
        tags:
          type: array
          minItems: 2
          maxItems: 3
          items: {type: string, minLength: 3}
    Limits:
      type: object
      required: [low, high, negative]
      properties:
        low: {type: integer, minimum: -5, maximum: -1}
        high: {type: integer, minimum: 1000}
        negative: {type: number, maximum: -10}
        fixed: {const: 42}
    Extended:
      allOf:
        - $ref: "#/components/schemas/Named"
        - type: object
          required: [level]
          properties:
            level: {type: integer, minimum: 1, maximum: 3}
    Named:
      type: object
      required: [name]
      properties:
        name: {type: string, minLength: 1}
    Shape:
      oneOf:
        - type: object
          required: [kind, radius]
          properties:
            kind: {const: circle}
            radius: {type: number, minimum: 1}
        - type: object
          required: [kind, side]
          properties:
            kind: {const: square}
            side: {type: integer, minimum: 1}
    StringOrNumber:
      anyOf:
        - {type: string}
        - {type: integer}
    Matrix:
      type: array
      items:
        type: array
        items: {type: integer, minimum: 0}
    Nested:
      type: object
      required: [inner]
      properties:
        inner:
          type: object
          required: [list]
          properties:
            list:
              type: array
              items: {$ref: "#/components/schemas/Named"}
    WithExample:
      type: object
      properties:
        token: {type: string, example: tGzv3JOkF0XG5Qx2TlKWIA}
    Secret:
      type: object
      required: [user]
      properties:
        user: {type: string}
        password: {type: string, writeOnly: true}
"##;

const V30: &str = r##"
openapi: 3.0.3
info: {title: gen, version: "1"}
paths: {}
components:
  schemas:
    Maybe:
      type: object
      required: [name, color, count]
      properties:
        name: {type: string, nullable: true}
        color: {type: string, enum: [red, green], nullable: true}
        count: {type: integer, minimum: 1}
    NullableRef:
      type: object
      properties:
        account:
          $ref: "#/components/schemas/Maybe"
"##;

/// Generate values for `name` with several variants and validate each.
fn check(spec: &Spec, name: &str) -> Vec<Value> {
    let pointer = format!("/components/schemas/{name}");
    let schema = spec.document().pointer(&pointer).unwrap();
    (0..6)
        .map(|variant| {
            let value = generate(spec.document(), schema, variant);
            let violations = spec.schemas().validate(&pointer, &value).unwrap();
            assert!(
                violations.is_empty(),
                "{name} variant {variant}: {value}\n{violations:#?}"
            );
            value
        })
        .collect()
}

#[test]
fn objects_with_required_properties_formats_and_bounds() {
    let spec = Spec::from_str(V31).unwrap();
    let values = check(&spec, "Account");
    let first = &values[0];
    for key in ["id", "email", "role", "createdAt", "tags"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(first["role"], "admin");
    check(&spec, "Limits");
}

#[test]
fn enums_cycle_through_their_values() {
    let spec = Spec::from_str(V31).unwrap();
    let roles: Vec<_> = check(&spec, "Account")
        .iter()
        .map(|v| v["role"].clone())
        .collect();
    assert_eq!(roles[..3], [json!("admin"), json!("user"), json!("guest")]);
}

#[test]
fn all_of_merges_its_parts() {
    let spec = Spec::from_str(V31).unwrap();
    let values = check(&spec, "Extended");
    assert!(
        values[0].get("name").is_some() && values[0].get("level").is_some(),
        "{}",
        values[0]
    );
}

#[test]
fn one_of_and_any_of_pick_a_branch() {
    let spec = Spec::from_str(V31).unwrap();
    let shapes = check(&spec, "Shape");
    assert_eq!(shapes[0]["kind"], "circle");
    assert_eq!(shapes[1]["kind"], "square");
    check(&spec, "StringOrNumber");
}

#[test]
fn arrays_and_nesting() {
    let spec = Spec::from_str(V31).unwrap();
    check(&spec, "Matrix");
    check(&spec, "Nested");
}

#[test]
fn examples_are_preferred_and_write_only_is_left_out() {
    let spec = Spec::from_str(V31).unwrap();
    let with_example = check(&spec, "WithExample");
    assert_eq!(with_example[0]["token"], "tGzv3JOkF0XG5Qx2TlKWIA");
    let secret = check(&spec, "Secret");
    assert!(secret[0].get("password").is_none(), "{}", secret[0]);
}

#[test]
fn nullable_3_0_schemas() {
    let spec = Spec::from_str(V30).unwrap();
    let maybe = check(&spec, "Maybe");
    assert!(maybe[0]["count"].as_i64().unwrap() >= 1);
    check(&spec, "NullableRef");
}

#[test]
fn the_reference_spec_schemas() {
    let spec = openapi::reference_spec();
    let names: Vec<String> = spec.document()["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(names.len() >= 5);
    for name in names {
        check(&spec, &name);
    }
}

#[test]
fn arrays_honour_a_large_min_items() {
    let text = r#"
openapi: 3.1.0
info: {title: gen, version: "1"}
paths: {}
components:
  schemas:
    Five:
      type: array
      minItems: 5
      items: {type: integer}
"#;
    let spec = Spec::from_str(text).unwrap();
    check(&spec, "Five");
}

#[test]
fn arrays_honour_unique_items() {
    let text = r#"
openapi: 3.1.0
info: {title: gen, version: "1"}
paths: {}
components:
  schemas:
    Set:
      type: array
      minItems: 2
      uniqueItems: true
      items: {type: integer}
"#;
    let spec = Spec::from_str(text).unwrap();
    check(&spec, "Set");
}

#[test]
fn numbers_honour_a_narrow_exclusive_range() {
    let text = r#"
openapi: 3.1.0
info: {title: gen, version: "1"}
paths: {}
components:
  schemas:
    Fraction:
      type: number
      exclusiveMinimum: 0
      exclusiveMaximum: 1
"#;
    let spec = Spec::from_str(text).unwrap();
    check(&spec, "Fraction");
}

#[test]
fn numbers_honour_3_0_boolean_exclusive_bounds() {
    let text = r#"
openapi: 3.0.3
info: {title: gen, version: "1"}
paths: {}
components:
  schemas:
    Positive:
      type: integer
      minimum: 0
      exclusiveMinimum: true
    BelowOne:
      type: number
      maximum: 1
      exclusiveMaximum: true
"#;
    let spec = Spec::from_str(text).unwrap();
    check(&spec, "Positive");
    check(&spec, "BelowOne");
}

#[test]
fn strings_follow_their_patterns() {
    let spec = Spec::from_str(
        r##"
openapi: 3.1.0
info: {title: gen, version: "1"}
paths: {}
components:
  schemas:
    Ids:
      type: object
      required: [code, sid, arn, plain]
      properties:
        code: {type: string, pattern: "^[A-Z]{3}-[0-9]{2}$"}
        sid: {type: string, pattern: "^AC[0-9a-f]{32}$"}
        arn: {type: string, pattern: "arn:aws:[a-z]+:[0-9]{12}"}
        plain: {type: string, pattern: "^[a-z]+$", minLength: 4, maxLength: 6}
"##,
    )
    .unwrap();
    let values = check(&spec, "Ids");
    // Different variants give different values, each valid.
    assert_ne!(values[0]["sid"], values[1]["sid"]);
}

/// `format: int32`/`int64` bound integers, in 3.0 and 3.1 documents alike
/// (JSON Schema's `format` checks only strings): 2^63 is no int64.
#[test]
fn integer_formats_bound_their_values() {
    for version in ["3.0.3", "3.1.0"] {
        let text = format!(
            r#"
openapi: {version}
info: {{title: ints, version: "1"}}
paths: {{}}
components:
  schemas:
    Limits:
      type: object
      properties:
        memory: {{type: integer, format: int64}}
        count: {{type: integer, format: int32}}
        small: {{type: integer, format: int32, minimum: 1, maximum: 10}}
"#
        );
        let spec = Spec::from_str(&text).unwrap();
        let check = |v: Value| {
            spec.schemas()
                .validate("/components/schemas/Limits", &v)
                .unwrap()
                .into_iter()
                .map(|e| e.path)
                .collect::<Vec<_>>()
        };
        let ok = json!({"memory": i64::MAX, "count": i32::MIN, "small": 10});
        assert_eq!(check(ok), Vec::<String>::new(), "{version}");
        let bad = json!({
            "memory": 9_223_372_036_854_775_808_u64,
            "count": 2_147_483_648_i64,
            "small": 11,
        });
        assert_eq!(check(bad), ["/memory", "/count", "/small"], "{version}");
    }
}
