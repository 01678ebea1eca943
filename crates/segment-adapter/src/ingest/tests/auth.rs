use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;

use super::support::{answer, error_code, keyed_config, state, Server, KEY};
use crate::ingest::{router, IngestConfig};

fn event() -> serde_json::Value {
    json!({"type": "identify", "userId": "u"})
}

#[tokio::test]
async fn basic_auth_with_and_without_trailing_colon() {
    let server = Server::start(keyed_config()).await;
    for password in [Some(""), None] {
        let request = server
            .post("/v1/identify")
            .basic_auth(KEY, password)
            .body(event().to_string());
        assert_eq!(answer(request.send().await).await.0, StatusCode::OK);
    }
    assert_eq!(server.spool.events().len(), 2);
}

#[tokio::test]
async fn x_write_key_header_authenticates() {
    let server = Server::start(keyed_config()).await;
    let request = server
        .post("/v1/identify")
        .header("x-write-key", "second-key")
        .body(event().to_string());
    assert_eq!(answer(request.send().await).await.0, StatusCode::OK);
}

#[tokio::test]
async fn write_key_in_single_body_or_batch_envelope_authenticates() {
    let server = Server::start(keyed_config()).await;
    let single = json!({"type": "identify", "userId": "u", "writeKey": KEY});
    let batch = json!({"batch": [event()], "writeKey": KEY});
    for (path, body) in [("/v1/identify", single), ("/v1/batch", batch)] {
        let (status, answer) = answer(server.post(path).body(body.to_string()).send().await).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    }
    assert_eq!(server.spool.events().len(), 2);
}

#[tokio::test]
async fn missing_key_is_401_and_nothing_is_stored() {
    let server = Server::start(keyed_config()).await;
    let (status, body) = answer(server.post("/v1/identify").body(event().to_string()).send().await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "missing_write_key");
    assert!(server.spool.events().is_empty());
}

#[tokio::test]
async fn wrong_key_in_any_form_is_401() {
    let server = Server::start(keyed_config()).await;
    let wrong = "not-the-key";
    let requests = [
        server
            .post("/v1/identify")
            .basic_auth(wrong, Some(""))
            .body(event().to_string()),
        server
            .post("/v1/identify")
            .header("x-write-key", wrong)
            .body(event().to_string()),
        server
            .post("/v1/batch")
            .body(json!({"batch": [event()], "writeKey": wrong}).to_string()),
        // A wrong header key is not rescued by a right body key.
        server
            .post("/v1/batch")
            .basic_auth(wrong, Some(""))
            .body(json!({"batch": [event()], "writeKey": KEY}).to_string()),
    ];
    for request in requests {
        let (status, body) = answer(request.send().await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(error_code(&body), "invalid_write_key");
        assert!(!body.to_string().contains(wrong), "the answer repeats the key: {body}");
    }
    assert!(server.spool.events().is_empty());
}

#[tokio::test]
async fn malformed_basic_credentials_are_401() {
    let server = Server::start(keyed_config()).await;
    let request = server
        .post("/v1/identify")
        .header("authorization", "Basic %%%")
        .body(event().to_string());
    let (status, body) = answer(request.send().await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "malformed_authorization");
}

#[tokio::test]
async fn keyless_service_accepts_loopback_clients() {
    let server = Server::start(IngestConfig::default()).await;
    let (status, _) = answer(server.post("/v1/identify").body(event().to_string()).send().await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.spool.events().len(), 1);
}

async fn from_peer(config: IngestConfig, peer: &str) -> (StatusCode, usize) {
    let (state, spool) = state(config);
    let peer: SocketAddr = peer.parse().expect("address");
    let mut request = Request::post("/v1/identify")
        .header("content-type", "application/json")
        .body(Body::from(event().to_string()))
        .expect("request");
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = router(state).oneshot(request).await.expect("infallible");
    (response.status(), spool.events().len())
}

#[tokio::test]
async fn keyless_service_refuses_remote_clients() {
    assert_eq!(
        from_peer(IngestConfig::default(), "203.0.113.9:4000").await,
        (StatusCode::UNAUTHORIZED, 0)
    );
    assert_eq!(
        from_peer(IngestConfig::default(), "[::1]:4000").await,
        (StatusCode::OK, 1)
    );
}

#[tokio::test]
async fn keyless_open_service_accepts_remote_clients_when_configured() {
    let open = IngestConfig {
        loopback_only_without_keys: false,
        ..IngestConfig::default()
    };
    assert_eq!(from_peer(open, "203.0.113.9:4000").await, (StatusCode::OK, 1));
}

#[tokio::test]
async fn keyless_service_without_peer_address_fails_closed() {
    let (state, spool) = state(IngestConfig::default());
    let request = Request::post("/v1/identify")
        .body(Body::from(event().to_string()))
        .expect("request");
    let response = router(state).oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(spool.events().is_empty());
}
