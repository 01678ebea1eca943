//! The trace the loop writes: each event's subscriptions, the requests made for it (a
//! batch request in the trace of every event it carried), its attempts and where it ended.

use std::time::Duration;

use domain::ports::TraceState;

use super::*;

#[tokio::test(start_paused = true)]
async fn every_event_of_a_batch_carries_the_batch_request_in_its_trace() {
    let mut h = Harness::start(config(), vec![assert_people(Some(3))], FakeGateway::accepting());
    let ids = h
        .append(&[track("a@x.io", "a"), track("b@x.io", "b"), track("c@x.io", "c")])
        .await;
    h.until(Duration::from_secs(2), |h| {
        ids.iter()
            .all(|id| h.trace.get(*id).is_some_and(|t| t.state == TraceState::Delivered))
    })
    .await;
    for id in ids {
        let trace = h.trace.get(id).expect("a trace");
        assert_eq!(trace.attempts, 1);
        assert_eq!(trace.attio_requests.len(), 1, "{trace:?}");
        let request = &trace.attio_requests[0];
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("PUT", "/v2/batch/records")
        );
        assert_eq!(request.status, Some(202));
        assert_eq!(request.subscription, "people");
        assert_eq!(trace.subscriptions[0].outcome, Some(TraceState::Delivered));
    }
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_retried_event_shows_each_attempt_and_its_status() {
    let gateway = FakeGateway::new(|_, attempt| if attempt == 0 { Err(status(503, None)) } else { Ok(()) });
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    let id = h.append(&[track("a@x.io", "a1")]).await[0];
    h.until(Duration::from_secs(5), |h| {
        h.trace.get(id).is_some_and(|t| t.state == TraceState::Delivered)
    })
    .await;
    let trace = h.trace.get(id).expect("a trace");
    assert_eq!(trace.attempts, 2);
    let statuses: Vec<Option<u16>> = trace.attio_requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![Some(503), Some(200)]);
    assert!(
        trace.attio_requests[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("scripted 503"),
        "{trace:?}"
    );
    assert_eq!(trace.reason, None, "a delivered event has no reason left");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_refused_event_is_dead_lettered_in_its_trace_with_the_reason() {
    let gateway = FakeGateway::new(|_, _| Err(status(400, None)));
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    let id = h.append(&[track("a@x.io", "a1")]).await[0];
    h.until(Duration::from_secs(5), |h| {
        h.trace.get(id).is_some_and(|t| t.state == TraceState::DeadLettered)
    })
    .await;
    let trace = h.trace.get(id).expect("a trace");
    assert!(trace.reason.as_deref().unwrap_or_default().contains("400"), "{trace:?}");
    assert_eq!(trace.attio_requests[0].status, Some(400));
    assert_eq!(h.spool.letters().len(), 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_event_no_subscription_wants_is_skipped_with_the_reason() {
    let mut h = Harness::start(config(), vec![assert_people(None)], FakeGateway::accepting());
    let event = json!({"type": "identify", "userId": "u1", "messageId": "m-1"}).to_string();
    let id = h.append(&[event]).await[0];
    h.until(Duration::from_secs(2), |h| h.trace.get(id).is_some()).await;
    let trace = h.trace.get(id).expect("a trace");
    assert_eq!(trace.state, TraceState::Skipped);
    assert_eq!(trace.message_id.as_deref(), Some("m-1"));
    assert!(!trace.subscriptions[0].matched);
    let why = trace.subscriptions[0].why_not.as_deref().unwrap_or_default();
    assert!(why.contains(r#"type = "track""#), "{why}");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_long_run_of_retries_keeps_the_first_and_the_latest_requests() {
    let gateway = FakeGateway::new(|_, attempt| if attempt < 15 { Err(status(503, None)) } else { Ok(()) });
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    let id = h.append(&[track("a@x.io", "a1")]).await[0];
    h.until(Duration::from_secs(120), |h| {
        h.trace.get(id).is_some_and(|t| t.state == TraceState::Delivered)
    })
    .await;
    let trace = h.trace.get(id).expect("a trace");
    assert_eq!(trace.attempts, 16);
    assert_eq!(trace.attio_requests.len(), 10);
    assert_eq!(trace.attio_requests_omitted, 6);
    assert_eq!(trace.attio_requests[0].status, Some(503));
    assert_eq!(trace.attio_requests[9].status, Some(200), "the latest is kept");
    h.stop().await;
}
