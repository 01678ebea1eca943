use axum::http::StatusCode;
use serde_json::{json, Value};

use super::support::{gzip, keyed_config, Server, KEY};
use crate::event::EventType;
use crate::ingest::IngestConfig;

/// An event valid for every call whose body `type` differs from `kind`, so that the
/// stored type shows which one decided.
fn minimal(kind: EventType) -> Value {
    let other = if kind == EventType::Track { "identify" } else { "track" };
    json!({"type": other, "userId": "u1", "event": "Signed Up", "groupId": "g1", "previousId": "a1"})
}

#[tokio::test]
async fn every_single_event_path_stores_one_event_typed_by_the_path() {
    let server = Server::start(keyed_config()).await;
    let mut expected = Vec::new();
    for kind in EventType::ALL {
        for path in [kind.as_str(), kind.short_path()] {
            let (status, body) = server.send(&format!("/v1/{path}"), &minimal(kind)).await;
            assert_eq!(status, StatusCode::OK, "/v1/{path}: {body}");
            assert_eq!(body, json!({"success": true}));
            expected.push(kind.as_str());
        }
    }
    let stored: Vec<String> = server
        .spool
        .payloads()
        .iter()
        .map(|p| p["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn batch_import_and_browser_batch_store_every_event_in_order() {
    let server = Server::start(keyed_config()).await;
    for path in ["/v1/batch", "/v1/import", "/v1/b"] {
        let body = json!({"batch": [
            {"type": "identify", "userId": "u", "traits": {"email": "a@b.c"}},
            {"type": "track", "userId": "u", "event": "E1"},
            {"type": "group", "anonymousId": "a", "groupId": "g"}
        ]});
        let (status, answer) = server.send(path, &body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    }
    let types: Vec<Value> = server.spool.payloads().iter().map(|p| p["type"].clone()).collect();
    assert_eq!(types.len(), 9);
    assert_eq!(types[..3], [json!("identify"), json!("track"), json!("group")]);
    assert_eq!(types[3..6], types[..3]);
}

#[tokio::test]
async fn stored_events_are_stamped_and_keep_unknown_fields() {
    let server = Server::start(keyed_config()).await;
    let body = json!({"type": "track", "userId": 5, "event": "E", "custom": {"deep": [1, 2]}, "writeKey": KEY});
    let (status, _) = server.send("/v1/track", &body).await;
    assert_eq!(status, StatusCode::OK);
    let events = server.spool.events();
    assert_eq!(events[0].received_at, super::support::now());
    assert_eq!(events[0].only_subscription, None);
    let stored = &server.spool.payloads()[0];
    assert_eq!(stored["custom"], json!({"deep": [1, 2]}));
    assert_eq!(stored["userId"], json!(5));
    assert_eq!(stored["receivedAt"], json!("2024-05-01T12:00:00.000Z"));
    assert_eq!(stored["timestamp"], json!("2024-05-01T12:00:00.000Z"));
    assert!(stored["messageId"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(stored.get("writeKey"), None, "the key is not stored: {stored}");
}

#[tokio::test]
async fn path_type_wins_over_body_type() {
    let server = Server::start(keyed_config()).await;
    let body = json!({"type": "identify", "userId": "u", "event": "E"});
    assert_eq!(server.send("/v1/t", &body).await.0, StatusCode::OK);
    assert_eq!(server.spool.payloads()[0]["type"], json!("track"));
}

#[tokio::test]
async fn envelope_context_integrations_and_sent_at_reach_every_event() {
    let server = Server::start(keyed_config()).await;
    let body = json!({
        "batch": [
            {"type": "track", "userId": "u", "event": "E", "timestamp": "2024-05-01T13:00:20Z",
             "context": {"ip": "1.1.1.1"}, "integrations": {"Attio (Actions)": true}},
            {"type": "identify", "userId": "u"}
        ],
        "context": {"ip": "9.9.9.9", "library": {"name": "x"}},
        "integrations": {"All": false},
        "sentAt": "2024-05-01T13:00:30Z"
    });
    assert_eq!(server.send("/v1/batch", &body).await.0, StatusCode::OK);
    let stored = server.spool.payloads();
    assert_eq!(stored[0]["context"], json!({"ip": "1.1.1.1", "library": {"name": "x"}}));
    assert_eq!(
        stored[0]["integrations"],
        json!({"Attio (Actions)": true, "All": false})
    );
    assert_eq!(stored[0]["originalTimestamp"], json!("2024-05-01T13:00:20Z"));
    assert_eq!(stored[0]["timestamp"], json!("2024-05-01T11:59:50.000Z"));
    assert_eq!(stored[1]["context"], json!({"ip": "9.9.9.9", "library": {"name": "x"}}));
    assert_eq!(stored[1]["sentAt"], json!("2024-05-01T13:00:30Z"));
}

#[tokio::test]
async fn text_plain_bodies_are_accepted() {
    let server = Server::start(keyed_config()).await;
    let body = json!({"type": "page", "anonymousId": "a", "writeKey": KEY, "sentAt": "2024-05-01T12:00:00Z"});
    let response = server
        .client
        .post(format!("{}/v1/p", server.base))
        .header("content-type", "text/plain;charset=UTF-8")
        .body(body.to_string())
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(server.spool.payloads()[0]["type"], json!("page"));
}

#[tokio::test]
async fn gzip_bodies_are_decoded() {
    let server = Server::start(keyed_config()).await;
    let body = json!({"batch": [{"type": "identify", "userId": "zipped"}]});
    let response = server
        .post("/v1/batch")
        .basic_auth(KEY, Some(""))
        .header("content-encoding", "gzip")
        .body(gzip(body.to_string().as_bytes()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(server.spool.payloads()[0]["userId"], json!("zipped"));
}

#[tokio::test]
async fn empty_batch_succeeds_without_touching_the_spool() {
    let server = Server::start(keyed_config()).await;
    assert_eq!(server.send("/v1/batch", &json!({"batch": []})).await.0, StatusCode::OK);
    assert_eq!(server.spool.append_calls(), 0);
}

#[tokio::test]
async fn a_request_is_stored_in_one_append() {
    let server = Server::start(IngestConfig::default()).await;
    let batch: Vec<Value> = (0..100)
        .map(|i| json!({"type": "track", "userId": i, "event": "E"}))
        .collect();
    assert_eq!(
        server.send("/v1/batch", &json!({"batch": batch})).await.0,
        StatusCode::OK
    );
    assert_eq!(server.spool.append_calls(), 1);
    assert_eq!(server.spool.events().len(), 100);
}
