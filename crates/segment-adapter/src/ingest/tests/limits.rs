use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::support::{answer, error_code, gzip, keyed_config, Server, KEY};

fn basic() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"))
}

/// Sends `head` and `body_part` on a raw connection, never finishing the body, and
/// returns the status of the answer. The body is written while the answer is read: the
/// server may answer and close while the client is still writing.
async fn status_before_body_ends(server: &Server, head: &str, body_part: &[u8]) -> u16 {
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let mut sent = head.as_bytes().to_vec();
    sent.extend_from_slice(body_part);
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&sent).await;
        // Keep the connection open (the body is unfinished) until the test ends.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(writer);
    });
    let head = tokio::time::timeout(Duration::from_secs(5), read_head(&mut reader))
        .await
        .expect("the server answers without waiting for the rest of the body");
    writing.abort();
    status_of(&head)
}

/// Reads an answer's head (up to the blank line), or what came before the connection ended.
async fn read_head(stream: &mut (impl AsyncReadExt + Unpin)) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                received.extend_from_slice(&buffer[..n]);
                if received.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

fn status_of(head: &str) -> u16 {
    head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn body_a_little_over_the_limit_is_read_to_its_end_before_the_413() {
    // A client that writes its whole body before it reads (most do) must read the 413,
    // not a connection reset because the server closed with the body unread.
    let server = Server::start(keyed_config()).await;
    let limit = server.state.config.max_request_bytes;
    let length = limit + 100 * 1024;
    let head = format!(
        "POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n",
        basic(),
    );
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream
        .write_all(&vec![b' '; limit])
        .await
        .expect("the server reads the body");
    let early = tokio::time::timeout(Duration::from_millis(500), read_head(&mut stream)).await;
    assert!(early.is_err(), "the server answered before the body ended: {early:?}");
    stream
        .write_all(&vec![b' '; length - limit])
        .await
        .expect("the server reads the body to its end");
    let head = tokio::time::timeout(Duration::from_secs(5), read_head(&mut stream))
        .await
        .expect("the server answers once the body has ended");
    assert_eq!(status_of(&head), 413, "{head}");
    assert_eq!(server.spool.append_calls(), 0);
}

#[tokio::test]
async fn declared_oversized_body_is_413_before_it_is_sent() {
    let server = Server::start(keyed_config()).await;
    let head = format!(
        "POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        basic(),
        10 * 1024 * 1024
    );
    assert_eq!(status_before_body_ends(&server, &head, b"{\"batch\":[").await, 413);
    assert_eq!(server.spool.append_calls(), 0);
}

#[tokio::test]
async fn chunked_body_is_cut_off_once_past_the_limit() {
    let server = Server::start(keyed_config()).await;
    let head = format!(
        "POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        basic()
    );
    // 10 KB chunks past what is drained after the limit (4 times the limit), and no final
    // chunk: the body never ends.
    let chunk_count = 4 * server.state.config.max_request_bytes / (10 * 1024) + 10;
    let mut chunks = Vec::new();
    for _ in 0..chunk_count {
        chunks.extend_from_slice(format!("{:x}\r\n", 10 * 1024).as_bytes());
        chunks.extend_from_slice(&[b' '; 10 * 1024]);
        chunks.extend_from_slice(b"\r\n");
    }
    assert_eq!(status_before_body_ends(&server, &head, &chunks).await, 413);
}

#[tokio::test]
async fn body_at_the_limit_is_read() {
    let server = Server::start(keyed_config()).await;
    let mut body = json!({"batch": [{"type": "identify", "userId": "u"}]}).to_string();
    let limit = server.state.config.max_request_bytes;
    body.push_str(&" ".repeat(limit - body.len()));
    let (status, answer) = answer(
        server
            .post("/v1/batch")
            .basic_auth(KEY, Some(""))
            .body(body)
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn gzip_bomb_is_413() {
    let server = Server::start(keyed_config()).await;
    let mut inflated = json!({"batch": []}).to_string().into_bytes();
    inflated.extend(std::iter::repeat_n(b' ', 5 * 1024 * 1024));
    let request = server
        .post("/v1/batch")
        .basic_auth(KEY, Some(""))
        .header("content-encoding", "gzip")
        .body(gzip(&inflated));
    let (status, answer) = answer(request.send().await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&answer), "payload_too_large");
}

#[tokio::test]
async fn event_over_32_kb_is_400_naming_it() {
    let server = Server::start(keyed_config()).await;
    let big = "x".repeat(33 * 1024);
    let body = json!({"batch": [{"type": "identify", "userId": "u"}, {"type": "identify", "userId": "u", "traits": {"bio": big}}]});
    let (status, answer) = server.send("/v1/batch", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "event_too_large");
    assert_eq!(answer["error"]["field"], json!("batch[1]"));
    let single = json!({"type": "identify", "userId": "u", "traits": {"bio": "x".repeat(33 * 1024)}});
    let (status, answer) = server.send("/v1/identify", &single).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "event_too_large");
    assert!(server.spool.events().is_empty());
}

#[tokio::test]
async fn more_than_2500_events_is_400() {
    let server = Server::start(keyed_config()).await;
    let batch: Vec<Value> = (0..2501).map(|_| json!({})).collect();
    let (status, answer) = server.send("/v1/batch", &json!({"batch": batch})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "too_many_events");
}

#[tokio::test]
async fn exactly_2500_events_are_accepted() {
    let server = Server::start(keyed_config()).await;
    let batch: Vec<Value> = (0..2500).map(|i| json!({"type": "identify", "userId": i})).collect();
    let (status, answer) = server.send("/v1/batch", &json!({"batch": batch})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(server.spool.events().len(), 2500);
}
