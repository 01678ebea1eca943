//! Rough timing of a typical identify mapping (run with `--release -- --ignored`).

use segment_adapter::json::Val;
use segment_adapter::mapping::Mapping;

#[test]
#[ignore = "timing only; run in release mode"]
fn typical_mapping_applies_quickly() {
    let mapping = serde_json::json!({
        "email_address": {"@if": {"exists": {"@path": "$.traits.email"}, "then": {"@path": "$.traits.email"}, "else": {"@path": "$.email"}}},
        "user_id": {"@path": "$.userId"},
        "received_at": {"@path": "$.receivedAt"},
        "user_attributes": {"name": {"@path": "$.traits.name"}, "plan": {"@path": "$.traits.plan"}},
        "person_attributes": {},
        "enable_batching": false,
        "batch_size": 1000
    });
    let m = Mapping::parse(&mapping).unwrap();
    let text = r#"{"type":"identify","messageId":"m1","userId":"u_123","anonymousId":"a1","timestamp":"2024-05-24T10:00:00.000Z","receivedAt":"2024-05-24T10:00:01.000Z","traits":{"email":"ada@example.com","name":"Ada Lovelace","plan":"pro","logins":5},"context":{"library":{"name":"analytics.js"}}}"#;
    let event = Val::parse(text).unwrap();
    let n = 200_000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(m.apply(std::hint::black_box(&event)).unwrap());
    }
    let per = start.elapsed() / n;
    println!("apply: {per:?} per event");
}
