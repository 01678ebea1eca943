//! `[delivery] coalesce`: a lane's waiting batch-mode assertions for one record are sent
//! as one merged assertion; switched off, each event is its own assertion.

use std::time::Duration;

use domain::ports::TraceState;

use super::*;

/// People asserted by email, each event writing the attributes it carries (batch mode).
fn people_profile() -> ActionSubscription {
    profile(true)
}

fn profile(batching: bool) -> ActionSubscription {
    let mapping = json!({
        "object": "people",
        "matching_attribute": "email_addresses",
        "attributes": {
            "email_addresses": {"@path": "$.properties.email"},
            "name": {"@path": "$.properties.name"},
            "job_title": {"@path": "$.properties.title"},
            "phone_numbers": {"@path": "$.properties.phone"},
        },
    });
    let mut mapping = mapping;
    if batching {
        mapping["enable_batching"] = json!(true);
        mapping["batch_size"] = json!(10);
    }
    ActionSubscription::new("people", ActionKind::AssertRecord, Some("type = \"track\""), &mapping)
        .expect("a valid subscription")
}

/// Three events for one person, each writing another attribute.
fn three_events() -> Vec<String> {
    let event = |properties: Value| {
        json!({"type": "track", "event": "Seen", "userId": "ada", "properties": properties}).to_string()
    };
    vec![
        event(json!({"email": "ada@x.io", "name": "Ada"})),
        event(json!({"email": "ada@x.io", "title": "Engineer"})),
        event(json!({"email": "ada@x.io", "phone": "+44 20 7946 0000"})),
    ]
}

/// The `values` of each assertion of a batch request.
fn assertion_values(call: &Call) -> Vec<Value> {
    call.body["assertions"]
        .as_array()
        .expect("a batch body has assertions")
        .iter()
        .map(|a| a["values"].clone())
        .collect()
}

async fn drain(coalesce: bool) -> (Vec<Call>, Harness, Vec<i64>) {
    drain_with(coalesce, people_profile(), FakeGateway::accepting()).await
}

async fn drain_with(
    coalesce: bool,
    subscription: ActionSubscription,
    gateway: FakeGateway,
) -> (Vec<Call>, Harness, Vec<i64>) {
    let mut cfg = config();
    cfg.coalesce = coalesce;
    cfg.flush_interval = Duration::from_millis(300);
    let h = Harness::start(cfg, vec![subscription], gateway);
    let ids = h.append(&three_events()).await;
    h.until(Duration::from_secs(5), |h| h.spool.pending_ids().is_empty())
        .await;
    (h.gateway.calls(), h, ids)
}

#[tokio::test(start_paused = true)]
async fn three_waiting_events_for_one_record_are_sent_as_one_merged_assertion() {
    let (calls, mut h, ids) = drain(true).await;
    assert_eq!(calls.len(), 1, "{calls:?}");
    let values = assertion_values(&calls[0]);
    assert_eq!(values.len(), 1, "one assertion: {values:?}");
    let merged = &values[0];
    assert_eq!(merged["email_addresses"], json!("ada@x.io"), "{merged}");
    assert_eq!(merged["name"], json!("Ada"), "{merged}");
    assert_eq!(merged["job_title"], json!("Engineer"), "{merged}");
    assert_eq!(merged["phone_numbers"], json!("+44 20 7946 0000"), "{merged}");
    // Every merged event is acknowledged and traced delivered.
    let mut acked = h.spool.acked();
    acked.sort();
    assert_eq!(acked, ids);
    h.until(Duration::from_secs(1), |h| {
        ids.iter()
            .all(|id| h.trace.get(*id).is_some_and(|t| t.state == TraceState::Delivered))
    })
    .await;
    for id in &ids {
        let record = h.trace.get(*id).expect("a trace");
        assert_eq!(record.state, TraceState::Delivered, "{record:?}");
        assert_eq!(record.attio_requests.len(), 1, "{record:?}");
    }
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn switched_off_each_waiting_event_is_its_own_assertion() {
    let (calls, mut h, _) = drain(false).await;
    assert_eq!(calls.len(), 1, "{calls:?}");
    let values = assertion_values(&calls[0]);
    assert_eq!(values.len(), 3, "{values:?}");
    assert_eq!(values[0]["name"], json!("Ada"));
    assert_eq!(values[1]["job_title"], json!("Engineer"));
    assert_eq!(values[2]["phone_numbers"], json!("+44 20 7946 0000"));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn in_single_mode_three_waiting_plans_for_one_record_are_sent_as_one_request() {
    let (calls, mut h, ids) = drain_with(true, profile(false), FakeGateway::accepting()).await;
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(!calls[0].batch);
    let body = calls[0].body.to_string();
    for value in ["ada@x.io", "Ada", "Engineer", "+44 20 7946 0000"] {
        assert!(body.contains(value), "{value} missing from {body}");
    }
    let mut acked = h.spool.acked();
    acked.sort();
    assert_eq!(acked, ids);
    h.stop().await;

    let (calls, mut h, _) = drain_with(false, profile(false), FakeGateway::accepting()).await;
    assert_eq!(calls.len(), 3, "switched off, one request per event: {calls:?}");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_merged_batch_that_fails_is_retried_and_its_events_finish_together() {
    // The first write fails with a retryable error; the retry succeeds.
    let gateway = FakeGateway::new(|_, attempt| if attempt == 0 { Err(status(503, None)) } else { Ok(()) });
    let (calls, mut h, ids) = drain_with(true, people_profile(), gateway).await;
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(!calls[0].ok && calls[1].ok, "{calls:?}");
    for call in &calls {
        assert_eq!(assertion_values(call).len(), 1, "merged again on the retry: {call:?}");
    }
    let mut acked = h.spool.acked();
    acked.sort();
    assert_eq!(acked, ids);
    assert!(h.spool.letters().is_empty());
    h.stop().await;
}
