use mock_server::MockServer;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::support::{expect_400, Api};

const BOUNDARY: &str = "XyZzy-boundary-42";

/// An inline 3.0 spec: an upload with a typed multipart body, and a login
/// whose credentials come from multipart fields.
fn upload_spec() -> openapi::Spec {
    openapi::Spec::from_value(json!({
        "openapi": "3.0.3",
        "info": {"title": "Uploads", "version": "1.0.0"},
        "x-token-lifecycle": {"accounts": [{"username": "demo", "password": "demo"}]},
        "paths": {
            "/uploads": {
                "post": {
                    "operationId": "upload",
                    "requestBody": {
                        "required": true,
                        "content": {
                            "multipart/form-data": {
                                "schema": {"$ref": "#/components/schemas/Upload"}
                            }
                        }
                    },
                    "responses": {
                        "201": {
                            "description": "Stored.",
                            "content": {"application/json": {"example": {"id": 7}}}
                        }
                    }
                }
            },
            "/login": {
                "post": {
                    "operationId": "login",
                    "x-token-lifecycle": {
                        "action": "login",
                        "username": "$request.body#/user",
                        "password": "$request.body#/pass",
                        "issue": {"accessToken": "$response.body#/token"}
                    },
                    "requestBody": {
                        "required": true,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["user", "pass"],
                                    "properties": {
                                        "user": {"type": "string", "minLength": 1},
                                        "pass": {"type": "string", "minLength": 1}
                                    }
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "Logged in.",
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "properties": {"token": {"type": "string"}}
                            }}}
                        },
                        "401": {"description": "Wrong credentials."}
                    }
                }
            }
        },
        "components": {
            "schemas": {
                "Upload": {
                    "type": "object",
                    "required": ["title", "count", "file"],
                    "additionalProperties": false,
                    "properties": {
                        "title": {"type": "string", "maxLength": 20},
                        "count": {"type": "integer", "minimum": 1},
                        "public": {"type": "boolean"},
                        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                        "meta": {
                            "type": "object",
                            "required": ["source"],
                            "properties": {"source": {"type": "string"}}
                        },
                        "file": {"type": "string", "format": "binary"}
                    }
                }
            }
        }
    }))
    .expect("the upload spec loads")
}

/// One part: name, optional file name and content type, content.
struct Part<'a> {
    name: &'a str,
    file: Option<&'a str>,
    content_type: Option<&'a str>,
    data: &'a [u8],
}

fn text<'a>(name: &'a str, value: &'a str) -> Part<'a> {
    Part {
        name,
        file: None,
        content_type: None,
        data: value.as_bytes(),
    }
}

fn json_part<'a>(name: &'a str, data: &'a [u8]) -> Part<'a> {
    Part {
        name,
        file: None,
        content_type: Some("application/json"),
        data,
    }
}

fn file<'a>(name: &'a str, file: &'a str, data: &'a [u8]) -> Part<'a> {
    Part {
        name,
        file: Some(file),
        content_type: Some("application/octet-stream"),
        data,
    }
}

/// A `multipart/form-data` body, written by hand (RFC 7578) so that the
/// tests also control malformed ones.
fn body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
        if let Some(f) = p.file {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(ct) = p.content_type {
            out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(p.data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// The parts of a login of `demo` with `password`.
fn credentials(password: &str) -> [Part<'_>; 2] {
    [text("user", "demo"), text("pass", password)]
}

async fn api() -> Api {
    Api::with(MockServer::builder().spec(upload_spec())).await
}

/// `POST /uploads` with these parts.
async fn upload(api: &Api, parts: &[Part<'_>]) -> Response {
    post_parts(api, "/uploads", parts).await
}

/// `POST path` with these parts.
async fn post_parts(api: &Api, path: &str, parts: &[Part<'_>]) -> Response {
    send(api, path, body(parts)).await
}

async fn send(api: &Api, path: &str, bytes: Vec<u8>) -> Response {
    api.post(path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(bytes)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_valid_multipart_body_is_accepted() {
    let api = api().await;
    let binary = [0u8, 159, 146, 150, 255];
    let parts = [
        text("title", "holiday"),
        text("count", "3"),
        text("public", "true"),
        text("tags", "a"),
        text("tags", "b"),
        json_part("meta", br#"{"source": "camera"}"#),
        file("file", "photo.jpg", &binary),
    ];
    let resp = upload(&api, &parts).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"id": 7}));
}

#[tokio::test]
async fn one_value_of_an_array_property_is_an_array() {
    let api = api().await;
    let parts = [
        text("title", "t"),
        text("count", "1"),
        text("tags", "only"),
        file("file", "f.txt", b"hello"),
    ];
    let resp = upload(&api, &parts).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn each_bad_field_is_named() {
    let api = api().await;
    let parts = [
        text("title", "a title much longer than twenty characters"),
        text("count", "zero"),
        text("public", "maybe"),
        text("tags", "a"),
        text("tags", "b"),
        text("tags", "c"),
        text("tags", "d"),
        json_part("meta", b"{}"),
        text("extra", "x"),
    ];
    let resp = upload(&api, &parts).await;
    let problem = expect_400(
        resp,
        &[
            "$request.body#/title",
            "$request.body#/count",
            "$request.body#/public",
            "$request.body#/tags",
            "$request.body#/meta/source",
            "$request.body#/file",
            "$request.body#/extra",
        ],
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 7, "{problem}");
}

#[tokio::test]
async fn integers_are_coerced_and_bounded() {
    let api = api().await;
    let parts = [
        text("title", "t"),
        text("count", "0"),
        file("file", "f", b"x"),
    ];
    let resp = upload(&api, &parts).await;
    let problem = expect_400(resp, &["$request.body#/count"]).await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 1, "{problem}");
}

#[tokio::test]
async fn malformed_multipart_is_a_400() {
    let api = api().await;
    // No closing delimiter, no part headers.
    let resp = send(
        &api,
        "/uploads",
        format!("--{BOUNDARY}\r\ngarbage").into_bytes(),
    )
    .await;
    let problem = expect_400(resp, &["$request.body"]).await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("malformed multipart body"),
        "{problem}"
    );

    // A multipart content type without a boundary.
    let resp = api
        .post("/uploads")
        .header("content-type", "multipart/form-data")
        .body(body(&[text("title", "t")]))
        .send()
        .await
        .unwrap();
    expect_400(resp, &["$request.body"]).await;
}

#[tokio::test]
async fn a_binding_reads_multipart_fields() {
    let api = api().await;
    let resp = post_parts(&api, "/login", &credentials("demo")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let tokens: Value = resp.json().await.unwrap();
    assert!(
        tokens["token"].as_str().is_some_and(|t| t.len() > 16),
        "{tokens}"
    );

    let resp = post_parts(&api, "/login", &credentials("nope")).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let resp = post_parts(&api, "/login", &[text("user", "demo")]).await;
    expect_400(resp, &[]).await;
}
