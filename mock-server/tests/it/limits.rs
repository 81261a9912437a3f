//! The server's limits: header, body, idle and write timeouts, the most
//! connections. Not timed: each test sets a tiny timeout and waits for
//! the mock to close the connection (asserting that it does, not how
//! soon); the others are left long, so only the one under test can act.

use std::time::Duration;

use mock_server::MockServer;

use crate::support::{connect, send, until_closed, until_seen, Api};

const LONG: Duration = Duration::from_secs(3600);
const TINY: Duration = Duration::from_millis(50);

fn limits() -> mock_server::MockServerBuilder {
    MockServer::builder()
        .header_timeout(LONG)
        .body_timeout(LONG)
        .idle_timeout(LONG)
        .write_timeout(LONG)
}

const LOGIN_BODY: &str = r#"{"username":"demo","password":"demo"}"#;

fn login_head(extra: &str) -> String {
    format!(
        "POST /auth/login HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n{extra}\r\n",
        LOGIN_BODY.len()
    )
}

#[tokio::test]
async fn half_a_header_is_cut_off_after_the_header_timeout() {
    let api = Api::with(limits().header_timeout(TINY)).await;
    let mut slow = connect(&api.server).await;
    send(&mut slow, b"GET /me HTTP/1.1\r\nhost: 127.0.0.1\r\nauthor").await;
    let got = until_closed(&mut slow).await;
    assert_eq!(got, "", "closed without an answer");
    // A connection that sends nothing at all is cut off too.
    let mut silent = connect(&api.server).await;
    assert_eq!(until_closed(&mut silent).await, "");
    // Others are served.
    api.login("demo", "demo").await;
}

#[tokio::test]
async fn a_slow_body_gets_408_and_the_connection_is_closed() {
    let api = Api::with(limits().body_timeout(TINY)).await;
    for path in ["/auth/login", "/__mock/clock/advance"] {
        let mut slow = connect(&api.server).await;
        let head = login_head("").replace("/auth/login", path);
        send(&mut slow, head.as_bytes()).await;
        send(&mut slow, &LOGIN_BODY.as_bytes()[..5]).await;
        let got = until_closed(&mut slow).await;
        assert!(got.starts_with("HTTP/1.1 408"), "{path}: {got}");
        assert!(got.contains("--body-timeout"), "{path}: {got}");
    }
    assert_eq!(api.server.clock().offset, 0, "the clock was not moved");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let api = Api::with(limits().idle_timeout(TINY)).await;
    let mut conn = connect(&api.server).await;
    send(
        &mut conn,
        b"GET /__mock/clock HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n",
    )
    .await;
    // The answer, then (no next request) the close.
    let got = until_closed(&mut conn).await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(got.contains("\"frozen\""), "{got}");
}

#[tokio::test]
async fn a_kept_alive_connection_serves_several_requests_within_the_timeouts() {
    let api = Api::with(limits()).await;
    let mut conn = connect(&api.server).await;
    for _ in 0..3 {
        send(&mut conn, login_head("").as_bytes()).await;
        send(&mut conn, LOGIN_BODY.as_bytes()).await;
        until_seen(&mut conn, "\"tokenType\":\"Bearer\"").await;
    }
    assert_eq!(api.server.sessions().len(), 3);
}

#[tokio::test]
async fn over_the_maximum_a_new_connection_is_refused_while_a_busy_one_works() {
    let api = Api::with(limits().max_connections(1)).await;
    // A request under way: its head is read and the mock asks for the
    // body (100 Continue), so the connection is busy.
    let mut busy = connect(&api.server).await;
    send(&mut busy, login_head("expect: 100-continue\r\n").as_bytes()).await;
    until_seen(&mut busy, "100 Continue").await;
    let mut refused = connect(&api.server).await;
    let got = until_closed(&mut refused).await;
    assert!(got.starts_with("HTTP/1.1 503"), "{got}");
    assert!(got.contains("--max-connections"), "{got}");
    // The busy one still works.
    send(&mut busy, LOGIN_BODY.as_bytes()).await;
    let got = until_seen(&mut busy, "\"tokenType\":\"Bearer\"").await;
    assert!(got.contains("200 OK"), "{got}");
}

#[tokio::test]
async fn over_the_maximum_a_slow_client_makes_room_for_a_new_one() {
    let api = Api::with(limits().max_connections(1)).await;
    let mut slow = connect(&api.server).await;
    send(&mut slow, b"GET /me HTTP/1.1\r\nhost: 127.0.0.1\r\n").await;
    let mut next = connect(&api.server).await;
    // The slow one, which never completed a head, is closed ...
    assert_eq!(until_closed(&mut slow).await, "");
    // ... and the new one served.
    send(&mut next, login_head("").as_bytes()).await;
    send(&mut next, LOGIN_BODY.as_bytes()).await;
    let got = until_seen(&mut next, "\"tokenType\":\"Bearer\"").await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
}

#[tokio::test]
async fn the_maximum_is_kept_within_the_open_file_limit() {
    let api = Api::with(limits().max_connections(usize::MAX)).await;
    let max = api.server.max_connections();
    assert!(max < usize::MAX && max > 0, "{max}");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off_after_the_write_timeout() {
    use tokio::io::AsyncWriteExt;
    let api = Api::with(limits().write_timeout(TINY)).await;
    // A client with a small receive window that sends request after
    // request and reads none of the answers: the mock's writes stall, it
    // stops reading the requests, and then, past the write timeout, it
    // closes the connection, so the client's writes fail. (The bound
    // below only keeps a broken mock from hanging the test.)
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stuck = socket.connect(api.server.address()).await.unwrap();
    let requests = b"GET /__mock/clock HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".repeat(1000);
    let cut = tokio::time::timeout(Duration::from_secs(120), async {
        for _ in 0..100_000 {
            if stuck.write_all(&requests).await.is_err() {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(cut, Ok(true), "the connection was closed");
    // Others are served.
    api.login("demo", "demo").await;
}

#[tokio::test]
async fn a_slow_reader_within_the_write_timeout_gets_its_whole_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let api = Api::with(limits()).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut conn = socket.connect(api.server.address()).await.unwrap();
    let n = 2000;
    let requests = b"GET /__mock/clock HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".repeat(n);
    let (mut read, mut write) = conn.split();
    let writing = async { write.write_all(&requests).await.unwrap() };
    let reading = async {
        let mut got = Vec::new();
        let mut buf = [0u8; 512];
        while got.windows(8).filter(|w| w == b"\"frozen\"").count() < n {
            let k = read.read(&mut buf).await.unwrap();
            assert!(k > 0, "closed early");
            got.extend_from_slice(&buf[..k]);
        }
        got
    };
    let (_, got) = tokio::join!(writing, reading);
    assert_eq!(
        got.windows(15).filter(|w| w == b"HTTP/1.1 200 OK").count(),
        n
    );
}
