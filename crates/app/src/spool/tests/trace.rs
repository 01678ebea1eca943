//! The event trace: stored and replaced, found by event id or messageId, filtered, and
//! bounded by count and age (oldest dropped first).

use chrono::Utc;
use domain::ports::{
    AttioRequestTrace, DeadLetters, EventSpool, EventTrace, EventTraceRecord, SubscriptionTrace, TraceFilter,
    TraceState,
};

use super::{at, event, letter, spool, spool_with};

fn trace(event_id: i64, state: TraceState, received_at: chrono::DateTime<Utc>) -> EventTraceRecord {
    EventTraceRecord {
        event_id,
        message_id: Some(format!("m-{event_id}")),
        event_type: Some(if event_id % 2 == 0 { "identify" } else { "group" }.to_owned()),
        user_id: Some(format!("u-{}", event_id % 3)),
        group_id: None,
        received_at,
        updated_at: received_at,
        state,
        reason: None,
        attempts: 1,
        subscriptions: vec![SubscriptionTrace {
            name: if event_id % 2 == 0 { "Identify" } else { "Group" }.to_owned(),
            matched: true,
            why_not: None,
            outcome: Some(state),
            reason: None,
        }],
        attio_requests: vec![AttioRequestTrace {
            subscription: "Identify".to_owned(),
            method: "PUT".to_owned(),
            path: "/v2/objects/people/records/simple".to_owned(),
            status: Some(200),
            error: None,
            started_at: received_at,
            duration_ms: 1.5,
        }],
        attio_requests_omitted: 0,
    }
}

fn all() -> TraceFilter {
    TraceFilter {
        limit: 1_000,
        ..TraceFilter::default()
    }
}

#[tokio::test]
async fn a_trace_is_replaced_and_found_by_event_id_or_message_id() {
    let (_dir, _config, spool) = spool();
    let now = Utc::now();
    spool
        .record(vec![trace(7, TraceState::Waiting, now)])
        .await
        .expect("record");
    spool
        .record(vec![trace(7, TraceState::Delivered, now)])
        .await
        .expect("replace");
    let by_id = EventTrace::find(&spool, "7").await.expect("find").expect("found");
    assert_eq!(by_id.state, TraceState::Delivered);
    assert_eq!(by_id.attio_requests[0].status, Some(200));
    let by_message = EventTrace::find(&spool, "m-7").await.expect("find").expect("found");
    assert_eq!(by_message, by_id);
    assert_eq!(EventTrace::find(&spool, "m-8").await.expect("find"), None);
}

#[tokio::test]
async fn list_applies_every_filter_newest_first() {
    let (_dir, _config, spool) = spool();
    let now = Utc::now();
    let traces: Vec<_> = (1..=6)
        .map(|n| {
            let state = if n <= 3 {
                TraceState::Delivered
            } else {
                TraceState::Rejected
            };
            trace(n, state, now - chrono::Duration::minutes(10 - n))
        })
        .collect();
    spool.record(traces).await.expect("record");
    let ids = |found: Vec<EventTraceRecord>| found.iter().map(|t| t.event_id).collect::<Vec<_>>();
    assert_eq!(
        ids(EventTrace::list(&spool, all()).await.expect("list")),
        vec![6, 5, 4, 3, 2, 1]
    );
    let rejected = TraceFilter {
        state: Some(TraceState::Rejected),
        ..all()
    };
    assert_eq!(
        ids(EventTrace::list(&spool, rejected).await.expect("list")),
        vec![6, 5, 4]
    );
    let identify = TraceFilter {
        event_type: Some("identify".to_owned()),
        ..all()
    };
    assert_eq!(
        ids(EventTrace::list(&spool, identify).await.expect("list")),
        vec![6, 4, 2]
    );
    let user = TraceFilter {
        user_id: Some("u-1".to_owned()),
        ..all()
    };
    assert_eq!(ids(EventTrace::list(&spool, user).await.expect("list")), vec![4, 1]);
    let group = TraceFilter {
        subscription: Some("Group".to_owned()),
        ..all()
    };
    assert_eq!(ids(EventTrace::list(&spool, group).await.expect("list")), vec![5, 3, 1]);
    let recent = TraceFilter {
        since: Some(now - chrono::Duration::minutes(5) - chrono::Duration::seconds(30)),
        ..all()
    };
    assert_eq!(ids(EventTrace::list(&spool, recent).await.expect("list")), vec![6, 5]);
    let two = TraceFilter { limit: 2, ..all() };
    assert_eq!(ids(EventTrace::list(&spool, two).await.expect("list")), vec![6, 5]);
}

#[tokio::test]
async fn traces_beyond_the_count_limit_are_dropped_oldest_first() {
    let (_dir, _config, spool) = spool_with(|c| c.trace_max_events = 3);
    let now = Utc::now();
    let traces: Vec<_> = (1..=10).map(|n| trace(n, TraceState::Delivered, now)).collect();
    spool.record(traces).await.expect("record");
    let kept: Vec<i64> = EventTrace::list(&spool, all())
        .await
        .expect("list")
        .iter()
        .map(|t| t.event_id)
        .collect();
    assert_eq!(kept, vec![10, 9, 8]);
}

#[tokio::test]
async fn traces_older_than_the_age_limit_are_dropped() {
    let (_dir, _config, spool) = spool_with(|c| c.trace_max_age_secs = 3600);
    let now = Utc::now();
    let traces = vec![
        trace(1, TraceState::Delivered, now - chrono::Duration::hours(3)),
        trace(2, TraceState::Delivered, now - chrono::Duration::hours(2)),
        trace(3, TraceState::Delivered, now - chrono::Duration::minutes(5)),
        trace(4, TraceState::Delivered, now),
    ];
    spool.record(traces).await.expect("record");
    let kept: Vec<i64> = EventTrace::list(&spool, all())
        .await
        .expect("list")
        .iter()
        .map(|t| t.event_id)
        .collect();
    assert_eq!(kept, vec![4, 3]);
}

#[tokio::test]
async fn an_untraced_event_is_found_waiting_in_the_spool_or_in_its_dead_letters() {
    let (_dir, _config, spool) = spool();
    let ids = spool.append(vec![event(1), event(2)]).await.expect("append");
    let waiting = EventTrace::find(&spool, "m-2").await.expect("find").expect("found");
    assert_eq!(waiting.state, TraceState::Waiting);
    assert_eq!(waiting.event_id, ids[1]);
    assert_eq!(waiting.message_id.as_deref(), Some("m-2"));
    assert_eq!(waiting.event_type.as_deref(), Some("track"));
    let by_id = EventTrace::find(&spool, &ids[0].to_string())
        .await
        .expect("find")
        .expect("found");
    assert_eq!(by_id.message_id.as_deref(), Some("m-1"));

    spool
        .dead_letter(vec![letter(ids[0], "Identify")], vec![ids[0]])
        .await
        .expect("dead letter");
    let dead = EventTrace::find(&spool, &ids[0].to_string())
        .await
        .expect("find")
        .expect("found");
    assert_eq!(dead.state, TraceState::DeadLettered);
    assert!(
        dead.reason.as_deref().unwrap_or_default().contains("Identify"),
        "{dead:?}"
    );
    let letters = spool.of_event(&format!("m-{}", ids[0])).await.expect("of_event");
    assert_eq!(letters.len(), 1);
    assert_eq!(spool.of_event("no-such").await.expect("of_event"), vec![]);
    let _ = at(0);
}
