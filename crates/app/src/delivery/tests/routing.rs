use std::time::Duration;

use super::*;

#[tokio::test(start_paused = true)]
async fn an_event_the_mapping_rejects_is_dead_lettered_at_once_with_the_reason() {
    let mut h = Harness::start(config(), ActionSubscription::presets(), FakeGateway::accepting());
    let bad = json!({"type": "identify", "userId": "u1", "traits": {"email": "not-an-email"}}).to_string();
    h.append(&[bad]).await;
    h.until(Duration::from_secs(2), |h| h.spool.pending_ids().is_empty())
        .await;
    let letters = h.spool.letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].subscription, "Identify User");
    assert!(letters[0].reason.contains("email_address"), "{}", letters[0].reason);
    assert_eq!(letters[0].attempts, 0);
    assert!(h.gateway.calls().is_empty(), "nothing is sent for a rejected event");
    assert_eq!(DeliveryStatus::get(&h.status.dead_lettered), 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_batch_subscription_rejects_an_invalid_event_without_holding_the_others() {
    let mapping = json!({
        "enable_batching": true,
        "batch_size": 10,
        "person_attributes": {"seq": {"@path": "$.traits.seq"}},
    });
    let identify = ActionSubscription::with_default_mapping(
        "identify batch",
        ActionKind::IdentifyUser,
        Some("type = \"identify\""),
        &mapping,
    )
    .expect("valid");
    let mut h = Harness::start(config(), vec![identify], FakeGateway::accepting());
    let identify = |user: &str, email: &str, seq: &str| {
        json!({"type": "identify", "userId": user, "traits": {"email": email, "seq": seq}}).to_string()
    };
    h.append(&[
        identify("a", "a@x.io", "a"),
        identify("x", "not-an-email", "x"),
        identify("b", "b@x.io", "b"),
    ])
    .await;
    h.until(Duration::from_secs(2), |h| h.spool.pending_ids().is_empty())
        .await;
    let letters = h.spool.letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].payload.contains("not-an-email"));
    assert!(letters[0].reason.contains("email_address"), "{}", letters[0].reason);
    let calls = h.gateway.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].batch);
    assert_eq!(calls[0].seqs, seqs(&["a", "b"]));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn events_no_subscription_wants_are_acknowledged_without_requests() {
    let mut h = Harness::start(config(), ActionSubscription::presets(), FakeGateway::accepting());
    let page = json!({"type": "page", "name": "Home", "userId": "u1"}).to_string();
    let opted_out = json!({
        "type": "identify", "userId": "u2", "traits": {"email": "u2@x.io"},
        "integrations": {"All": false},
    })
    .to_string();
    let ids = h.append(&[page, opted_out]).await;
    h.until(Duration::from_secs(2), |h| h.spool.pending_ids().is_empty())
        .await;
    assert_eq!(h.spool.acked(), ids);
    assert!(h.spool.letters().is_empty());
    assert!(h.gateway.calls().is_empty());
    assert_eq!(DeliveryStatus::get(&h.status.filtered), 2);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_event_named_in_integrations_is_delivered_despite_all_false() {
    let mut h = Harness::start(config(), ActionSubscription::presets(), FakeGateway::accepting());
    let event = json!({
        "type": "group", "groupId": "w1", "traits": {"website": "x.io"},
        "integrations": {"All": false, "Attio (Actions)": true},
    })
    .to_string();
    h.append(&[event]).await;
    h.until(Duration::from_secs(2), |h| h.spool.pending_ids().is_empty())
        .await;
    // groupWorkspace: the company, then the workspace.
    assert_eq!(h.gateway.calls().len(), 2);
    assert_eq!(DeliveryStatus::get(&h.status.delivered), 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_replayed_event_goes_to_its_own_subscription_only() {
    let second = {
        let mapping = json!({
            "object": "companies",
            "matching_attribute": "domains",
            "attributes": {"domains": {"@path": "$.properties.domain"}, "seq": {"@path": "$.properties.seq"}},
        });
        ActionSubscription::new(
            "companies",
            ActionKind::AssertRecord,
            Some("type = \"track\""),
            &mapping,
        )
        .expect("valid")
    };
    let mut h = Harness::start(config(), vec![assert_people(None), second], FakeGateway::accepting());
    let event = json!({"type": "track", "event": "E", "properties": {"email": "a@x.io", "domain": "x.io", "seq": "r"}});
    h.spool
        .append(vec![NewEvent {
            received_at: Utc::now(),
            payload: event.to_string(),
            only_subscription: Some("companies".into()),
            only_destinations: None,
        }])
        .await
        .expect("append");
    h.notify.notify_one();
    h.until(Duration::from_secs(2), |h| h.spool.pending_ids().is_empty())
        .await;
    let calls = h.gateway.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].objects, vec!["companies"], "{calls:?}");
    assert_eq!(calls[0].seqs, seqs(&["r"]));
    h.stop().await;
}
