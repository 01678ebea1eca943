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
/// returns the status of the answer.
async fn status_before_body_ends(server: &Server, head: &str, body_part: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write head");
    // The server may answer and close while we are still writing.
    let _ = stream.write_all(body_part).await;
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    let read = async {
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
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("the server answers without waiting for the rest of the body");
    let text = String::from_utf8_lossy(&received);
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
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
    // 600 KB in 10 KB chunks, and no final chunk: the body never ends.
    let mut chunks = Vec::new();
    for _ in 0..60 {
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
