//! Content types, like Segment's Tracking API: a JSON body is read whatever its declared
//! type (compressed or not); only a body that is not JSON and claims another type is 415.

use std::io::Write;

use axum::http::StatusCode;
use serde_json::json;

use super::support::{answer, error_code, gzip, keyed_config, Server, KEY};

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

/// POSTs `body` to `/v1/batch` with the write key and the given headers.
async fn post_batch(server: &Server, headers: &[(&str, &str)], body: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let mut request = server
        .client
        .post(format!("{}/v1/batch", server.base))
        .basic_auth(KEY, Some(""));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request.body(body).send().await).await
}

fn batch(user_id: &str) -> Vec<u8> {
    json!({"batch": [{"type": "identify", "userId": user_id, "context": {"traits": {"email": "a@example.com"}}}]})
        .to_string()
        .into_bytes()
}

fn stored_user_ids(server: &Server) -> Vec<String> {
    server
        .spool
        .payloads()
        .iter()
        .map(|p| p["userId"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn gzipped_json_labelled_form_encoded_is_accepted() {
    // What @rudderstack/rudder-sdk-node sends.
    let server = Server::start(keyed_config()).await;
    let (status, body) = post_batch(
        &server,
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("content-encoding", "gzip"),
        ],
        gzip(&batch("rudder")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(stored_user_ids(&server), ["rudder"]);
}

#[tokio::test]
async fn json_is_accepted_whatever_its_declared_type() {
    let server = Server::start(keyed_config()).await;
    type Case = (&'static str, Vec<(&'static str, &'static str)>, Vec<u8>);
    let cases: [Case; 6] = [
        (
            "form",
            vec![("content-type", "application/x-www-form-urlencoded")],
            batch("form"),
        ),
        ("text", vec![("content-type", "text/plain")], batch("text")),
        ("none", vec![], batch("none")),
        (
            "octet",
            vec![("content-type", "application/octet-stream")],
            batch("octet"),
        ),
        (
            "deflate",
            vec![
                ("content-type", "application/x-www-form-urlencoded"),
                ("content-encoding", "deflate"),
            ],
            zlib(&batch("deflate")),
        ),
        // Compressed without saying so: gzip's magic bytes are not JSON, so they are decoded.
        (
            "undeclared-gzip",
            vec![("content-type", "application/json")],
            gzip(&batch("undeclared-gzip")),
        ),
    ];
    for (label, headers, body) in cases.clone() {
        let (status, answer) = post_batch(&server, &headers, body).await;
        assert_eq!(status, StatusCode::OK, "{label}: {answer}");
    }
    let expected: Vec<&str> = cases.iter().map(|(label, ..)| *label).collect();
    assert_eq!(stored_user_ids(&server), expected);
}

#[tokio::test]
async fn form_encoded_body_that_is_not_json_is_415_saying_json_is_needed() {
    let server = Server::start(keyed_config()).await;
    for body in [&b"type=identify&userId=u1"[..], b"[1, 2]"] {
        let (status, answer) = post_batch(
            &server,
            &[("content-type", "application/x-www-form-urlencoded")],
            body.to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{answer}");
        assert_eq!(error_code(&answer), "unsupported_media_type");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("not JSON") && message.contains("application/x-www-form-urlencoded"),
            "{message}"
        );
    }
    assert!(server.spool.events().is_empty());
}

#[tokio::test]
async fn a_body_declared_json_that_is_not_json_stays_a_400() {
    let server = Server::start(keyed_config()).await;
    for headers in [
        vec![("content-type", "application/json")],
        vec![("content-type", "text/plain")],
        vec![],
    ] {
        let (status, answer) = post_batch(&server, &headers, b"type=identify".to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{headers:?}: {answer}");
        assert_eq!(error_code(&answer), "invalid_json");
    }
}

#[tokio::test]
async fn json_that_breaks_the_spec_is_400_whatever_the_label() {
    let server = Server::start(keyed_config()).await;
    let (status, answer) = post_batch(
        &server,
        &[("content-type", "application/x-www-form-urlencoded")],
        json!({"batch": [{"type": "identify"}]}).to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_ne!(error_code(&answer), "unsupported_media_type");
}

#[tokio::test]
async fn corrupt_deflate_is_400() {
    let server = Server::start(keyed_config()).await;
    let (status, answer) = post_batch(
        &server,
        &[("content-encoding", "deflate")],
        vec![0x78, 0x9c, 0xff, 0xff],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(error_code(&answer), "invalid_deflate");
}
