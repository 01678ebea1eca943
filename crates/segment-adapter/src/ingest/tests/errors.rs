use axum::http::StatusCode;
use domain::ports::SpoolError;
use serde_json::{json, Value};

use super::support::{answer, error_code, keyed_config, Server, KEY};

async fn raw(server: &Server, path: &str, body: &str) -> (StatusCode, Value) {
    answer(
        server
            .post(path)
            .basic_auth(KEY, Some(""))
            .body(body.to_owned())
            .send()
            .await,
    )
    .await
}

#[tokio::test]
async fn invalid_json_is_400() {
    let server = Server::start(keyed_config()).await;
    for (path, body) in [("/v1/batch", "{\"batch\": [}"), ("/v1/track", "{"), ("/v1/track", "")] {
        let (status, answer) = raw(&server, path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body:?}");
        assert_eq!(error_code(&answer), "invalid_json");
    }
}

#[tokio::test]
async fn body_that_is_not_an_object_is_400() {
    let server = Server::start(keyed_config()).await;
    let (status, answer) = raw(&server, "/v1/batch", "[{\"type\":\"track\"}]").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "body_not_object");
}

#[tokio::test]
async fn batch_that_is_not_an_array_is_400() {
    let server = Server::start(keyed_config()).await;
    let (status, answer) = server.send("/v1/batch", &json!({"batch": {"type": "track"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "batch_not_array");
    assert_eq!(answer["error"]["field"], json!("batch"));
}

#[tokio::test]
async fn missing_type_in_a_batch_is_named_by_position() {
    let server = Server::start(keyed_config()).await;
    let body = json!({"batch": [{"type": "identify", "userId": "u"}, {"userId": "u"}]});
    let (status, answer) = server.send("/v1/batch", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["field"], json!("batch[1].type"));
    assert_eq!(answer["error"]["message"], json!("batch[1].type is missing"));
}

#[tokio::test]
async fn one_invalid_event_rejects_the_whole_batch() {
    let server = Server::start(keyed_config()).await;
    let mut batch: Vec<Value> = (0..5)
        .map(|i| json!({"type": "track", "userId": i, "event": "E"}))
        .collect();
    batch[3] = json!({"type": "track", "userId": "u"});
    let (status, answer) = server.send("/v1/batch", &json!({"batch": batch})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["message"], json!("batch[3].event is missing"));
    assert_eq!(answer["error"]["code"], json!("missing_field"));
    assert!(server.spool.events().is_empty());
    assert_eq!(server.spool.append_calls(), 0);
}

#[tokio::test]
async fn spec_violations_of_single_events_are_400_naming_the_field() {
    let server = Server::start(keyed_config()).await;
    let cases = [
        ("/v1/identify", json!({"traits": {}}), "userId", "missing_identity"),
        ("/v1/track", json!({"userId": "u"}), "event", "missing_field"),
        ("/v1/track", json!({"userId": "u", "event": ""}), "event", "empty_field"),
        ("/v1/group", json!({"userId": "u"}), "groupId", "missing_field"),
        ("/v1/alias", json!({"userId": "u"}), "previousId", "missing_field"),
        (
            "/v1/alias",
            json!({"anonymousId": "a", "previousId": "p"}),
            "userId",
            "missing_field",
        ),
        (
            "/v1/identify",
            json!({"userId": "u", "messageId": "m".repeat(150)}),
            "messageId",
            "message_id_too_long",
        ),
        (
            "/v1/identify",
            json!({"userId": "u", "context": 3}),
            "context",
            "invalid_field",
        ),
        (
            "/v1/identify",
            json!({"userId": "u", "timestamp": "noon"}),
            "timestamp",
            "invalid_date",
        ),
    ];
    for (path, body, field, code) in cases {
        let (status, answer) = server.send(path, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}");
        assert_eq!(answer["error"]["field"], json!(field), "{answer}");
        assert_eq!(error_code(&answer), code, "{answer}");
    }
    assert!(server.spool.events().is_empty());
}

#[tokio::test]
async fn unknown_type_in_a_batch_is_400() {
    let server = Server::start(keyed_config()).await;
    let (status, answer) = server
        .send("/v1/batch", &json!({"batch": [{"type": "purchase", "userId": "u"}]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "invalid_type");
}

#[tokio::test]
async fn unsupported_content_type_is_415() {
    let server = Server::start(keyed_config()).await;
    let request = server
        .client
        .post(format!("{}/v1/track", server.base))
        .basic_auth(KEY, Some(""))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("type=track");
    let (status, answer) = answer(request.send().await).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(&answer), "unsupported_media_type");
}

#[tokio::test]
async fn unsupported_content_encoding_is_415() {
    let server = Server::start(keyed_config()).await;
    let request = server
        .post("/v1/track")
        .basic_auth(KEY, Some(""))
        .header("content-encoding", "br")
        .body("{}");
    let (status, answer) = answer(request.send().await).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(&answer), "unsupported_encoding");
}

#[tokio::test]
async fn corrupt_gzip_is_400() {
    let server = Server::start(keyed_config()).await;
    let request = server
        .post("/v1/batch")
        .basic_auth(KEY, Some(""))
        .header("content-encoding", "gzip")
        .body("plainly not gzip");
    let (status, answer) = answer(request.send().await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "invalid_gzip");
}

async fn retry_after(server: &Server) -> (StatusCode, Option<String>, Value) {
    let response = server
        .post("/v1/identify")
        .basic_auth(KEY, Some(""))
        .body(json!({"userId": "u"}).to_string())
        .send()
        .await
        .expect("answer");
    let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
    let header = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    (status, header, body)
}

#[tokio::test]
async fn full_spool_is_429_with_retry_after() {
    let server = Server::start(keyed_config()).await;
    server.spool.fail_with(SpoolError::Full { pending: 10 });
    let (status, header, body) = retry_after(&server).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header.as_deref(), Some("5"));
    assert_eq!(error_code(&body), "spool_full");
}

#[tokio::test]
async fn failing_spool_is_503_and_nothing_is_acknowledged() {
    for failure in [SpoolError::Storage("disk I/O error".into()), SpoolError::Closed] {
        let server = Server::start(keyed_config()).await;
        server.spool.fail_with(failure);
        let (status, header, body) = retry_after(&server).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header.as_deref(), Some("5"));
        assert_ne!(body["success"], json!(true));
        assert!(
            !body.to_string().contains("disk"),
            "storage details stay inside: {body}"
        );
        assert!(server.spool.events().is_empty());
    }
}

#[tokio::test]
async fn draining_service_is_503_and_does_not_store() {
    let server = Server::start(keyed_config()).await;
    server.state.start_draining();
    let (status, header, body) = retry_after(&server).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header.as_deref(), Some("5"));
    assert_eq!(error_code(&body), "draining");
    assert_eq!(server.spool.append_calls(), 0);
}

#[tokio::test]
async fn unknown_path_is_a_json_404() {
    let server = Server::start(keyed_config()).await;
    let (status, body) = server.send("/v1/nope", &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
}
