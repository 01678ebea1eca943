//! End to end: the ingestion answers of a running service, write-key authentication and
//! the `integrations` object, over real HTTP.

use std::time::Duration;

use segment_attio_acceptance::service::{first_value, free_port, Service, ServiceBuilder};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(15);

async fn error_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post_raw(service: &Service, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let r = service
        .client
        .post(service.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST reaches the service");
    error_of(r).await
}

#[tokio::test]
async fn invalid_requests_get_400_naming_the_problem() {
    let service = ServiceBuilder::new().start().await;

    let (status, body) = post_raw(&service, "/v1/track", "application/json", "{not json").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_json", "{body}");

    let batch = json!({"batch": [{"userId": "u1", "event": "E"}]});
    let (status, body) = error_of(service.post("/v1/batch", &batch).await).await;
    assert_eq!(status, 400, "{body}");
    let text = body.to_string();
    assert!(text.contains("batch[0]") && text.contains("type"), "{body}");

    let (status, body) = error_of(
        service
            .post("/v1/identify", &json!({"traits": {"email": "a@x.io"}}))
            .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let text = body.to_string();
    assert!(text.contains("userId") || text.contains("anonymousId"), "{body}");

    let (status, body) = error_of(service.post("/v1/track", &json!({"userId": "u1"})).await).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].to_string().contains("event"), "{body}");

    // Nothing of it was stored.
    assert_eq!(service.spool_stats().await["pending"], 0);
}

#[tokio::test]
async fn oversized_and_wrongly_typed_bodies_are_refused() {
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__MAX_EVENT_BYTES", "1000")
        .env("SEGMENT_ATTIO__INGEST__MAX_REQUEST_BYTES", "2000")
        .start()
        .await;
    let big = json!({"userId": "u1", "event": "E", "properties": {"blob": "x".repeat(5000)}});
    let (status, body) = error_of(service.post("/v1/track", &big).await).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");

    let (status, body) = post_raw(&service, "/v1/track", "application/xml", "<event/>").await;
    assert_eq!(status, 415, "{body}");
    assert_eq!(body["error"]["code"], "unsupported_media_type", "{body}");
}

#[tokio::test]
async fn a_full_spool_answers_429_with_retry_after() {
    // Attio is unreachable, so nothing leaves the spool; it holds two events at most.
    let dead_end = format!("http://127.0.0.1:{}", free_port());
    let service = ServiceBuilder::new()
        .attio_url(&dead_end)
        .env("SEGMENT_ATTIO__SPOOL__MAX_PENDING", "2")
        .start()
        .await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..4 {
        let event = json!({"userId": format!("u{i}"), "traits": {"email": format!("u{i}@x.io")}});
        let r = service.post("/v1/identify", &event).await;
        if r.status() == 429 {
            retry_after = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert_eq!(body["error"]["code"], "spool_full", "{body}");
            statuses.push(429);
        } else {
            statuses.push(r.status().as_u16());
        }
    }
    assert_eq!(statuses, vec![200, 200, 429, 429]);
    let seconds: u64 = retry_after
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!(seconds > 0);
    assert_eq!(service.spool_stats().await["pending"], 2);
}

fn keyed() -> ServiceBuilder {
    ServiceBuilder::new().env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", "key-one,key-two")
}

#[tokio::test]
async fn a_missing_or_wrong_write_key_is_refused_with_401() {
    let service = keyed().start().await;
    let event = json!({"userId": "u1", "event": "E"});
    let (status, body) = error_of(service.post("/v1/track", &event).await).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "missing_write_key", "{body}");

    let (status, body) = error_of(service.post_with_key("/v1/track", "key-three", &event).await).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "invalid_write_key", "{body}");
    assert!(!body.to_string().contains("key-three"), "the key is not echoed: {body}");

    let r = service
        .client
        .post(service.url("/v1/track"))
        .header("x-write-key", "wrong")
        .json(&event)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 401);
    assert_eq!(service.spool_stats().await["pending"], 0);
}

#[tokio::test]
async fn every_form_of_the_write_key_is_accepted_and_the_events_delivered() {
    let service = keyed().start().await;
    let identify = |n: u32| json!({"userId": format!("k{n}"), "traits": {"email": format!("k{n}@x.io")}});

    // HTTP Basic with the key as username and an empty password ("key:").
    let r = service.post_with_key("/v1/identify", "key-one", &identify(1)).await;
    assert_eq!(r.status(), 200);
    // HTTP Basic without the colon.
    let basic = format!("Basic {}", b64("key-two"));
    let r = service
        .client
        .post(service.url("/v1/identify"))
        .header("authorization", basic)
        .json(&identify(2))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 200);
    // X-Write-Key.
    let r = service
        .client
        .post(service.url("/v1/identify"))
        .header("x-write-key", "key-one")
        .json(&identify(3))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 200);
    // writeKey in the body, in a batch.
    let body =
        json!({"writeKey": "key-two", "batch": [{"type": "identify", "userId": "k4", "traits": {"email": "k4@x.io"}}]});
    assert_eq!(service.post("/v1/batch", &body).await.status(), 200);

    let users = service.wait_for_records("users", WAIT, |r| r.len() == 4).await;
    let mut ids: Vec<&str> = users
        .iter()
        .filter_map(|u| first_value(u, "user_id")?.get("value")?.as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["k1", "k2", "k3", "k4"]);
}

/// Standard base64 of `s` (the few bytes a test key needs).
fn b64(s: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = s.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn b64_matches_the_standard_alphabet() {
    assert_eq!(b64("key-two"), "a2V5LXR3bw==");
    assert_eq!(b64("abc"), "YWJj");
}

#[tokio::test]
async fn the_integrations_object_decides_delivery() {
    let service = ServiceBuilder::new().start().await;
    let opted_out = json!({"userId": "out", "traits": {"email": "out@x.io"}, "integrations": {"All": false}});
    let named = json!({"userId": "in", "traits": {"email": "in@x.io"},
        "integrations": {"All": false, "Attio (Actions)": true}});
    let disabled = json!({"userId": "off", "traits": {"email": "off@x.io"},
        "integrations": {"Attio (Actions)": false}});
    for event in [&opted_out, &named, &disabled] {
        assert_eq!(service.post("/v1/identify", event).await.status(), 200);
    }
    service.wait_until_drained(WAIT).await;
    let users = service.records("users").await.expect("users");
    let ids: Vec<&str> = users
        .iter()
        .filter_map(|u| first_value(u, "user_id")?.get("value")?.as_str())
        .collect();
    assert_eq!(ids, vec!["in"]);
    assert_eq!(service.spool_stats().await["dead_letters"], 0);
}
