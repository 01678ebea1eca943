use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::*;

fn identify(email: &str, user_id: &str) -> Value {
    json!({
        "object": "users", "mode": "create-or-update", "matching_attribute": "user_id",
        "multiselect_values": "append",
        "values": {
            "primary_email_address": email, "user_id": user_id,
            "person": {
                "object": "people", "mode": "create-or-update", "matching_attribute": "email_addresses",
                "multiselect_values": "append", "values": {"email_addresses": email},
                "received_at": "2024-05-24T10:00:00Z"
            }
        },
        "received_at": "2024-05-24T10:00:00Z"
    })
}

#[tokio::test]
async fn batch_answers_202_and_applies_nested_assertions_in_order() {
    let sim = start_unlimited().await;
    let body = json!({"assertions": [
        identify("a@x.com", "u1"),
        {"object": "nope", "mode": "create-or-update", "matching_attribute": "x", "values": {}},
        identify("b@x.com", "u2"),
        identify("a@x.com", "u1"),
    ]});
    let (status, reply) = call(&sim, Method::PUT, "/v2/batch/records", Some(body)).await;
    assert_eq!((status, reply), (202, Value::Null));
    assert!(sim.settle(Duration::from_secs(5)).await);
    let stats = sim.stats();
    assert_eq!(
        (stats.batch.received, stats.batch.applied, stats.batch.dropped),
        (4, 3, 1)
    );
    assert_eq!(sim.records("users").len(), 2);
    assert_eq!(sim.records("people").len(), 2);
    let user = &sim.records("users")[0];
    let person = &sim.records("people")[0];
    assert_eq!(
        field(user, "person", "target_record_id"),
        [person["id"]["record_id"].clone()]
    );
    assert_eq!(
        field(person, "associated_users", "target_record_id"),
        [user["id"]["record_id"].clone()]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn batch_without_assertions_array_is_400() {
    let sim = start_unlimited().await;
    let (status, body) = call(&sim, Method::PUT, "/v2/batch/records", Some(json!({"items": []}))).await;
    assert_eq!((status, body["code"].clone()), (400, json!("validation_type")));
    sim.shutdown().await;
}
