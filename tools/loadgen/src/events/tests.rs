use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::Value;

use super::*;

const TIME: &[u8; TIME_WIDTH] = b"2026-03-04T05:06:07.089Z";

fn prefix() -> String {
    run_prefix(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        &mut StdRng::seed_from_u64(9),
    )
}

fn body(pool: &EventPool, first_seq: u64, count: u64) -> Value {
    let mut out = Vec::new();
    pool.write_body(first_seq, count, TIME, &mut out);
    serde_json::from_slice(&out).expect("body is valid JSON")
}

fn batch(body: &Value) -> &Vec<Value> {
    body["batch"].as_array().expect("batch array")
}

#[test]
fn every_kind_produces_valid_events_of_500_to_700_bytes() {
    for kind in [
        EventKind::Identify,
        EventKind::Group,
        EventKind::Track,
        EventKind::Mixed,
    ] {
        for users in [1_u64, 10, 10_000, 1_000_000_000] {
            let pool = EventPool::new(kind, users, 200, 3, &prefix());
            for seq in 0..200 {
                let mut out = Vec::new();
                pool.write_event(seq, TIME, &mut out);
                let len = out.len();
                assert!(
                    (500..=700).contains(&len),
                    "{kind:?} event {seq} with {users} users is {len} bytes"
                );
                let event: Value = serde_json::from_slice(&out).expect("event is valid JSON");
                assert!(event["type"].is_string());
            }
        }
    }
}

#[test]
fn events_carry_what_analytics_node_sends() {
    let pool = EventPool::new(EventKind::Mixed, 100, 300, 5, &prefix());
    let body = body(&pool, 0, 300);
    let mut seen = HashSet::new();
    for event in batch(&body) {
        let kind = event["type"].as_str().expect("type");
        seen.insert(kind.to_owned());
        assert!(event["userId"].as_str().expect("userId").starts_with("user-"));
        assert_eq!(event["timestamp"], "2026-03-04T05:06:07.089Z");
        assert_eq!(event["context"]["library"]["name"], "@segment/analytics-node");
        assert!(event["context"]["ip"].is_string());
        assert!(event["context"]["userAgent"].is_string());
        match kind {
            "identify" => {
                let traits = &event["traits"];
                assert!(traits["email"].as_str().expect("email").ends_with("@example.com"));
                assert!(traits["name"].is_string() && traits["plan"].is_string());
                assert!(traits["logins"].is_u64());
            }
            "group" => {
                assert!(event["groupId"].as_str().expect("groupId").starts_with("org-"));
                assert!(event["traits"]["name"].is_string());
            }
            "track" => {
                assert!(event["event"].as_str().is_some_and(|name| !name.is_empty()));
                assert!(event["properties"].is_object());
            }
            other => panic!("unexpected type {other}"),
        }
    }
    assert_eq!(seen.len(), 3, "a mixed run has all three calls: {seen:?}");
}

#[test]
fn message_ids_are_unique_across_requests_and_bounded_in_length() {
    let pool = EventPool::new(EventKind::Track, 10, 7, 1, &prefix());
    let mut ids = HashSet::new();
    for request in 0..30_u64 {
        for event in batch(&body(&pool, request * 100, 100)) {
            let id = event["messageId"].as_str().expect("messageId").to_owned();
            assert!(id.starts_with("node-next-1700000000000-"), "{id}");
            assert!(id.len() < 100, "{id}");
            assert!(ids.insert(id), "duplicate message id");
        }
    }
    assert_eq!(ids.len(), 3_000);
}

#[test]
fn message_ids_differ_between_runs() {
    let now = SystemTime::now();
    let a = run_prefix(now, &mut rand::rng());
    let b = run_prefix(now, &mut rand::rng());
    assert_ne!(a, b);
}

#[test]
fn user_ids_cycle_over_the_distinct_user_count() {
    let pool = EventPool::new(EventKind::Identify, 7, 5, 1, &prefix());
    let body = body(&pool, 0, 21);
    let users: Vec<&str> = batch(&body)
        .iter()
        .map(|event| event["userId"].as_str().expect("userId"))
        .collect();
    let distinct: HashSet<&str> = users.iter().copied().collect();
    assert_eq!(distinct.len(), 7);
    assert_eq!(users[0], "user-0");
    assert_eq!(users[6], "user-6");
    assert_eq!(users[7], "user-0");
    let first = &batch(&body)[3];
    assert_eq!(first["traits"]["email"], "user-3@example.com");
}

#[test]
fn body_is_a_batch_envelope_with_sent_at_and_the_requested_count() {
    let pool = EventPool::new(EventKind::Mixed, 1_000, DEFAULT_POOL_SIZE, 2, &prefix());
    for count in [1_u64, 100, 2_500] {
        let body = body(&pool, 40, count);
        assert_eq!(batch(&body).len() as u64, count);
        assert_eq!(body["sentAt"], "2026-03-04T05:06:07.089Z");
        assert_eq!(body.as_object().expect("object").len(), 2);
    }
}

#[test]
fn the_same_seed_gives_the_same_events() {
    let a = EventPool::new(EventKind::Mixed, 50, 20, 77, &prefix());
    let b = EventPool::new(EventKind::Mixed, 50, 20, 77, &prefix());
    let c = EventPool::new(EventKind::Mixed, 50, 20, 78, &prefix());
    assert_eq!(body(&a, 0, 20), body(&b, 0, 20));
    assert_ne!(body(&a, 0, 20), body(&c, 0, 20));
}

#[test]
fn timestamps_are_iso_8601_with_milliseconds() {
    let time = SystemTime::UNIX_EPOCH + Duration::from_millis(1_767_323_045_678);
    assert_eq!(&timestamp(time), b"2026-01-02T03:04:05.678Z");
}

#[test]
fn decimal_width_counts_digits() {
    assert_eq!(decimal_width(0), 1);
    assert_eq!(decimal_width(9), 1);
    assert_eq!(decimal_width(10), 2);
    assert_eq!(decimal_width(999_999_999), 9);
}
