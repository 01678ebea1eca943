use axum::http::StatusCode;
use secrecy::SecretString;
use serde_json::json;

use super::support::{answer, error_code, keyed_config, Server, KEY};
use crate::ingest::auth::sign;
use crate::ingest::IngestConfig;

const SECRET: &str = "shared-secret";

fn signed_config() -> IngestConfig {
    IngestConfig {
        webhook_secret: Some(SecretString::from(SECRET)),
        ..keyed_config()
    }
}

fn relayed_event() -> String {
    json!({
        "type": "identify", "userId": "u", "messageId": "seg-1",
        "receivedAt": "2024-04-30T08:00:00.000Z", "timestamp": "2024-04-30T07:59:59.000Z",
        "sentAt": "2024-04-30T08:00:10.000Z", "originalTimestamp": "2024-04-30T08:00:09.000Z",
        "projectId": "p1", "traits": {"email": "a@b.c"}
    })
    .to_string()
}

#[tokio::test]
async fn signed_webhook_is_stored_as_segment_stamped_it() {
    let server = Server::start(signed_config()).await;
    let body = relayed_event();
    let request = server
        .post("/webhook")
        .header("x-signature", sign(SECRET, body.as_bytes()))
        .body(body);
    let (status, answer) = answer(request.send().await).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let stored = &server.spool.payloads()[0];
    assert_eq!(stored["receivedAt"], json!("2024-04-30T08:00:00.000Z"));
    assert_eq!(stored["timestamp"], json!("2024-04-30T07:59:59.000Z"));
    assert_eq!(stored["originalTimestamp"], json!("2024-04-30T08:00:09.000Z"));
    assert_eq!(stored["messageId"], json!("seg-1"));
    assert_eq!(stored["projectId"], json!("p1"));
}

#[tokio::test]
async fn wrong_or_missing_signature_is_401() {
    let server = Server::start(signed_config()).await;
    let body = relayed_event();
    let wrong = sign("other-secret", body.as_bytes());
    for request in [
        server.post("/webhook").header("x-signature", wrong).body(body.clone()),
        server.post("/webhook").body(body.clone()),
        // A write key does not replace the signature.
        server.post("/webhook").basic_auth(KEY, Some("")).body(body.clone()),
    ] {
        let (status, answer) = answer(request.send().await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            matches!(error_code(&answer), "invalid_signature" | "missing_signature"),
            "{answer}"
        );
    }
    assert!(server.spool.events().is_empty());
}

#[tokio::test]
async fn signature_covers_the_body_exactly() {
    let server = Server::start(signed_config()).await;
    let body = relayed_event();
    let signature = sign(SECRET, body.as_bytes());
    let tampered = body.replace("a@b.c", "x@y.z");
    let request = server.post("/webhook").header("x-signature", signature).body(tampered);
    assert_eq!(answer(request.send().await).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unsigned_webhook_uses_write_keys() {
    let server = Server::start(keyed_config()).await;
    let (status, _) = answer(server.post("/webhook").body(relayed_event()).send().await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = answer(
        server
            .post("/webhook")
            .basic_auth(KEY, Some(""))
            .body(relayed_event())
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn invalid_webhook_event_is_400() {
    let server = Server::start(signed_config()).await;
    let body = json!({"type": "track", "userId": "u"}).to_string();
    let request = server
        .post("/webhook")
        .header("x-signature", sign(SECRET, body.as_bytes()))
        .body(body);
    let (status, answer) = answer(request.send().await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["field"], json!("event"));
}
