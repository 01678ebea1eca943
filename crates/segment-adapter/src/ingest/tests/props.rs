use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::support::{keyed_config, now, state, KEY};
use crate::event::{Enrichment, StampMode};
use crate::ingest::parse::{parse_batch, parse_single, Limits};
use crate::ingest::router;

const LIMITS: Limits = Limits {
    max_event_bytes: 32 * 1024,
    max_batch_events: 2500,
};

/// Parses, validates and stamps like the handler; must never panic.
fn run_parser(bytes: &[u8]) {
    let stamp = Enrichment::at(now(), StampMode::Client);
    for parsed in [parse_single(bytes, LIMITS), parse_batch(bytes, LIMITS)]
        .into_iter()
        .flatten()
    {
        for mut event in parsed.events {
            event.merge_envelope(&parsed.envelope);
            if event.validate().is_ok() {
                event.enrich(&stamp);
                let text = event.into_json();
                assert!(serde_json::from_str::<Value>(&text).is_ok(), "serialized event is JSON");
            }
        }
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-zA-Z0-9 :.TZ+-]{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("type"),
            Just("track"),
            Just("identify"),
            Just("alias"),
            Just("group"),
            Just("2024-05-01T12:00:00Z")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("type".to_owned()),
                        Just("userId".to_owned()),
                        Just("anonymousId".to_owned()),
                        Just("event".to_owned()),
                        Just("batch".to_owned()),
                        Just("context".to_owned()),
                        Just("integrations".to_owned()),
                        Just("sentAt".to_owned()),
                        Just("timestamp".to_owned()),
                        Just("groupId".to_owned()),
                        Just("previousId".to_owned()),
                        "[a-z]{1,8}",
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn parser_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        run_parser(&bytes);
    }

    #[test]
    fn parser_never_panics_on_arbitrary_json(value in json_value()) {
        run_parser(value.to_string().as_bytes());
        run_parser(json!({"batch": [value.clone()], "context": value.clone()}).to_string().as_bytes());
        run_parser(json!({"batch": [{"type": "track", "userId": "u", "event": "E", "x": value}]}).to_string().as_bytes());
    }
}

async fn status_of(path: &str, body: Vec<u8>) -> StatusCode {
    let (state, spool) = state(keyed_config());
    let request = Request::post(path)
        .header("content-type", "application/json")
        .header("x-write-key", KEY)
        .body(Body::from(body))
        .expect("request");
    let response = router(state).oneshot(request).await.expect("infallible");
    if response.status() != StatusCode::OK {
        assert!(spool.events().is_empty());
    }
    response.status()
}

#[tokio::test]
async fn ten_thousand_deep_nesting_is_400() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let single = format!(r#"{{"type":"identify","userId":"u","traits":{{"x":{deep}}}}}"#);
    assert_eq!(
        status_of("/v1/identify", single.into_bytes()).await,
        StatusCode::BAD_REQUEST
    );
    let batched = format!(r#"{{"batch":[{{"type":"identify","userId":"u","x":{deep}}}]}}"#);
    assert_eq!(
        status_of("/v1/batch", batched.into_bytes()).await,
        StatusCode::BAD_REQUEST
    );
    let objects = format!(r#"{{"batch":{}{}}}"#, "{\"a\":".repeat(10_000), "}".repeat(10_000));
    assert_eq!(
        status_of("/v1/batch", objects.into_bytes()).await,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn huge_numbers_are_400_or_kept() {
    let overflow = r#"{"type":"identify","userId":"u","traits":{"n":1e400}}"#;
    assert_eq!(
        status_of("/v1/identify", overflow.into()).await,
        StatusCode::BAD_REQUEST
    );
    let long_digits = format!(r#"{{"type":"identify","userId":{}}}"#, "9".repeat(400));
    assert_eq!(
        status_of("/v1/identify", long_digits.into_bytes()).await,
        StatusCode::BAD_REQUEST
    );
    let big_int = r#"{"type":"identify","userId":18446744073709551615}"#;
    assert_eq!(status_of("/v1/identify", big_int.into()).await, StatusCode::OK);
}

#[tokio::test]
async fn invalid_utf8_is_400() {
    let mut body = br#"{"type":"identify","userId":""#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    body.extend_from_slice(br#""}"#);
    assert_eq!(status_of("/v1/identify", body.clone()).await, StatusCode::BAD_REQUEST);
    let batched = [br#"{"batch":["#.as_slice(), &body, b"]}"].concat();
    assert_eq!(status_of("/v1/batch", batched).await, StatusCode::BAD_REQUEST);
}
