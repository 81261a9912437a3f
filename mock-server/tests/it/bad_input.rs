use reqwest::StatusCode;

use crate::support::Api;

/// A hostile request body: what it is, its content type, its bytes, and the
/// exact status expected where the contract names one.
struct Bad {
    what: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: Option<u16>,
}

fn bad(what: &'static str, content_type: Option<&'static str>, body: impl Into<Vec<u8>>) -> Bad {
    Bad {
        what,
        content_type,
        body: body.into(),
        status: None,
    }
}

fn exactly(mut b: Bad, status: u16) -> Bad {
    b.status = Some(status);
    b
}

const JSON: Option<&str> = Some("application/json");

/// A JSON body the contract refuses with a 400.
fn json_400(what: &'static str, body: impl Into<Vec<u8>>) -> Bad {
    exactly(bad(what, JSON, body), 400)
}

fn table() -> Vec<Bad> {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_object = format!(
        "{}1{}",
        r#"{"username":"#.repeat(10_000),
        "}".repeat(10_000)
    );
    let mut huge = br#"{"username": "demo", "password": ""#.to_vec();
    huge.extend(std::iter::repeat_n(b'a', 2 << 20));
    huge.extend(br#""}"#);
    vec![
        json_400("malformed JSON", "{"),
        json_400(
            "trailing garbage",
            r#"{"username":"demo","password":"demo"} x"#,
        ),
        json_400("single quotes", "{'username':'demo'}"),
        json_400("nested 10,000 deep (arrays)", deep),
        json_400("nested 10,000 deep (objects)", deep_object),
        exactly(bad("2 MiB body", JSON, huge), 413),
        exactly(
            bad(
                "text/plain",
                Some("text/plain"),
                r#"{"username":"demo","password":"demo"}"#,
            ),
            415,
        ),
        exactly(
            bad("application/xml", Some("application/xml"), "<login/>"),
            415,
        ),
        exactly(
            bad(
                "no content type",
                None,
                r#"{"username":"demo","password":"demo"}"#,
            ),
            415,
        ),
        json_400(
            "invalid UTF-8",
            b"{\"username\": \"\xff\xfe\", \"password\": \"demo\"}".to_vec(),
        ),
        json_400(
            "lone surrogate escape",
            r#"{"username": "\ud800", "password": "demo"}"#,
        ),
        json_400("NUL bytes", b"\0\0\0\0".to_vec()),
        json_400("empty body", ""),
        json_400("whitespace body", "   \n"),
        json_400("numbers for strings", r#"{"username": 1, "password": 2}"#),
        json_400("huge number", r#"{"username": 1e999999, "password": "x"}"#),
        json_400(
            "booleans for strings",
            r#"{"username": true, "password": false}"#,
        ),
        json_400("objects for strings", r#"{"username": {}, "password": {}}"#),
        json_400(
            "array for object",
            r#"[{"username": "demo", "password": "demo"}]"#,
        ),
        json_400("empty array", "[]"),
        json_400("null", "null"),
        json_400("a string", r#""demo""#),
        json_400("a number", "42"),
        json_400("nulls", r#"{"username": null, "password": null}"#),
        json_400(
            "duplicate keys",
            r#"{"username": "demo", "username": 1, "password": "demo"}"#,
        ),
        json_400("10,000 unknown fields", {
            let fields: Vec<String> = (0..10_000).map(|i| format!(r#""f{i}": {i}"#)).collect();
            format!("{{{}}}", fields.join(","))
        }),
        bad(
            "form body",
            Some("application/x-www-form-urlencoded"),
            "username=demo&password=demo",
        ),
        bad(
            "json with charset",
            Some("application/json; charset=utf-8"),
            r#"{"username":"demo","password":"x"}"#,
        ),
        bad("garbage content type", Some("!!!/???"), "x"),
    ]
}

#[tokio::test]
async fn bad_bodies_never_give_a_5xx() {
    let api = Api::start().await;
    for path in [
        "/auth/login",
        "/auth/refresh",
        "/auth/logout",
        "/me",
        "/refresh-tokens/x",
        "/refresh-tokens/mine",
    ] {
        let method = match path {
            "/me" => reqwest::Method::GET,
            p if p.starts_with("/refresh-tokens") => reqwest::Method::DELETE,
            _ => reqwest::Method::POST,
        };
        for b in table() {
            let mut req = api
                .client
                .request(method.clone(), api.url(path))
                .body(b.body.clone());
            if let Some(ct) = b.content_type {
                req = req.header("content-type", ct);
            }
            let resp = req
                .send()
                .await
                .unwrap_or_else(|e| panic!("{path} {}: {e}", b.what));
            let status = resp.status();
            assert!(!status.is_server_error(), "{path} {}: {status}", b.what);
            // Operations with a request body must refuse every one of these.
            if matches!(path, "/auth/login" | "/auth/refresh") {
                assert!(status.is_client_error(), "{path} {}: {status}", b.what);
                if let Some(expected) = b.status {
                    assert_eq!(status.as_u16(), expected, "{path} {}", b.what);
                }
            }
            let _ = resp.bytes().await;
        }
    }
}

#[tokio::test]
async fn bad_query_strings_and_headers_never_give_a_5xx() {
    let api = Api::start().await;
    let pair = api.login("demo", "demo").await;
    for query in [
        "?%",
        "?%zz=%FF",
        "?a=1&a=2&&&=",
        "?limit=%00",
        &format!("?{}", "x=1&".repeat(5000)),
    ] {
        let resp = api
            .get(&format!("/me{query}"))
            .bearer_auth(&pair.access)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{query}");
    }
    for value in [
        &b"Bearer \xff\xfe"[..],
        b"Bearer",
        b"Bearer  ",
        b"\x80",
        &[b'A'; 7000][..],
    ] {
        let value = reqwest::header::HeaderValue::from_bytes(value).unwrap();
        let resp = api.me_with(value).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
}

/// One raw HTTP/1.1 exchange: what reqwest will not send (a lowercase
/// method, a broken chunked body). Returns the status line's code.
async fn raw_status(server: &mock_server::MockServer, request: String) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.uri().trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 64];
    let n = stream.read(&mut head).await.unwrap();
    let text = String::from_utf8_lossy(&head[..n]).into_owned();
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

#[tokio::test]
async fn methods_are_case_sensitive() {
    let server = mock_server::MockServer::start().await;
    let lower = "get /me HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_owned();
    assert_eq!(raw_status(&server, lower).await, 405);
    let upper = "GET /me HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_owned();
    assert_eq!(raw_status(&server, upper).await, 401);
}

#[tokio::test]
async fn a_broken_chunked_body_is_a_400_not_a_413() {
    let server = mock_server::MockServer::start().await;
    let request = "POST /auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                   transfer-encoding: chunked\r\nconnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
        .to_owned();
    assert_eq!(raw_status(&server, request).await, 400);
}
