//! The event trace and the delivery journal.

use chrono::Utc;
use domain::ports::{AttioRequestTrace, EventTraceRecord, SubscriptionTrace, TraceFilter, TraceState};

use super::{at, event, letter, Fixture, Kind};

fn trace(event_id: i64, message_id: &str, state: TraceState, user: &str, received: &str) -> EventTraceRecord {
    EventTraceRecord {
        event_id,
        message_id: Some(message_id.to_owned()),
        event_type: Some("identify".to_owned()),
        user_id: Some(user.to_owned()),
        group_id: None,
        received_at: at(received),
        updated_at: at(received),
        state,
        reason: None,
        attempts: 1,
        subscriptions: vec![SubscriptionTrace {
            name: "people".to_owned(),
            matched: true,
            why_not: None,
            outcome: Some(state),
            reason: None,
        }],
        attio_requests: vec![AttioRequestTrace {
            subscription: "people".to_owned(),
            method: "PUT".to_owned(),
            path: "/v2/objects/people/records".to_owned(),
            status: Some(200),
            error: None,
            started_at: at(received),
            duration_ms: 12.5,
        }],
        attio_requests_omitted: 0,
    }
}

pub(super) async fn traces_are_found_listed_and_replaced(kind: Kind) {
    let f = Fixture::new(kind).await;
    let (spool, traces) = (&f.spool.events, &f.spool.trace);
    traces
        .record(vec![
            trace(1001, "m-1", TraceState::Waiting, "u1", "2030-01-01T00:00:01Z"),
            trace(1002, "m-2", TraceState::Delivered, "u2", "2030-01-01T00:00:02.5Z"),
        ])
        .await
        .expect("record");
    traces
        .record(vec![trace(
            1001,
            "m-1",
            TraceState::Delivered,
            "u1",
            "2030-01-01T00:00:01Z",
        )])
        .await
        .expect("replace");
    assert_eq!(
        traces.find("1001").await.expect("find").map(|t| t.state),
        Some(TraceState::Delivered)
    );
    assert_eq!(
        traces.find("m-2").await.expect("find"),
        Some(trace(
            1002,
            "m-2",
            TraceState::Delivered,
            "u2",
            "2030-01-01T00:00:02.5Z"
        ))
    );
    let all = traces
        .list(TraceFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(
        all.iter().map(|t| t.event_id).collect::<Vec<_>>(),
        vec![1002, 1001],
        "newest first"
    );
    let of_user = traces
        .list(TraceFilter {
            user_id: Some("u1".into()),
            subscription: Some("people".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(of_user.len(), 1);
    let since = traces
        .list(TraceFilter {
            since: Some(at("2030-01-01T00:00:02.2Z")),
            state: Some(TraceState::Delivered),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(since.iter().map(|t| t.event_id).collect::<Vec<_>>(), vec![1002]);

    // Without a trace: found waiting in the spool, or from its dead letters.
    let ids = spool.append(vec![event("w", 7)]).await.expect("append");
    let waiting = traces.find("m-w-7").await.expect("find").expect("found waiting");
    assert_eq!((waiting.event_id, waiting.state), (ids[0], TraceState::Waiting));
    spool
        .dead_letter(
            vec![letter(ids[0], "people", "no email", "2030-01-01T00:00:09Z")],
            vec![ids[0]],
        )
        .await
        .expect("dead letter");
    let dead = traces
        .find(&ids[0].to_string())
        .await
        .expect("find")
        .expect("found dead");
    assert_eq!(dead.state, TraceState::DeadLettered);
    assert_eq!(traces.find("nothing-like-it").await.expect("find"), None);
}

pub(super) async fn the_journal_keeps_notes_and_skipped_events(kind: Kind) {
    let f = Fixture::new(kind).await;
    let journal = &f.spool.journal;
    let first = at("2030-01-01T00:00:00.25Z");
    journal.note_started("1/notes", first).await.expect("started");
    journal
        .note_started("1/notes", Utc::now())
        .await
        .expect("started again");
    let attempt = journal
        .note_attempt("1/notes")
        .await
        .expect("attempt")
        .expect("recorded");
    assert_eq!((attempt.started_at, attempt.note_id), (first, None));
    journal.note_created("1/notes", "n-1").await.expect("created");
    let attempt = journal
        .note_attempt("1/notes")
        .await
        .expect("attempt")
        .expect("recorded");
    assert_eq!(attempt.note_id.as_deref(), Some("n-1"));
    assert_eq!(journal.note_attempt("2/notes").await.expect("attempt"), None);
    journal.skipped(5, "people", "unchanged", first).await.expect("skipped");
    journal
        .skipped(6, "people", "create_only", first)
        .await
        .expect("skipped");
    let skipped = journal.skipped_events(10).await.expect("skipped");
    assert_eq!(
        skipped
            .iter()
            .map(|s| (s.event_id, s.reason.as_str()))
            .collect::<Vec<_>>(),
        vec![(6, "create_only"), (5, "unchanged")]
    );
    assert_eq!(skipped[0].skipped_at, first);
    assert_eq!(journal.skipped_events(1).await.expect("skipped").len(), 1);
}
