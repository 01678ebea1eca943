use chrono::{TimeZone, Utc};
use segment_adapter::destination::ActionSubscription;
use segment_adapter::integrations::IntegrationsFilter;
use segment_adapter::json::Val;
use segment_adapter::pipeline::Mode;

use super::*;
use crate::cli::test_event::inline_subscription;

const IDENTIFY: &str = r#"{"type":"identify","userId":"u-1","messageId":"m-1","anonymousId":"a-1",
  "traits":{"email":"ada@example.com","name":"Ada Lovelace","plan":"pro","unread":{"deep":[1,2,3]}},
  "context":{"library":{"name":"analytics-node"}},"receivedAt":"2026-01-02T03:04:05.000Z"}"#;
const GROUP: &str = r#"{"type":"group","userId":"u-1","groupId":"g-1","messageId":"m-2",
  "traits":{"name":"Acme","website":"https://acme.example"},"integrations":{"Other":false}}"#;

fn router(batch: bool) -> Router {
    let subs = vec![
        inline_subscription("identifyUser", None, Some(r#"type = "identify""#), true, batch).expect("identify"),
        inline_subscription("groupWorkspace", None, Some(r#"type = "group""#), true, batch).expect("group"),
    ];
    Router::new(IntegrationsFilter::default(), subs, vec![None, None])
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 6).single().expect("a time")
}

/// What delivery sent before preparing existed: a full parse, then the subscription's
/// payload, plan or batch assertion.
fn full_parse_work(sub: &ActionSubscription, text: &str, batch: bool) -> Work {
    let event = Val::parse(text).expect("JSON");
    if batch {
        let payload = sub.payload(&event, Mode::Batch).expect("payload");
        Work::Batch(sub.batch_assertion(payload, now()).expect("assertion").into_owned())
    } else {
        Work::Single(
            sub.plan(sub.payload(&event, Mode::Single).expect("payload"))
                .into_owned(),
        )
    }
}

#[test]
fn prepared_work_equals_what_the_full_parse_gives_in_both_modes() {
    for batch in [false, true] {
        let router = router(batch);
        for (text, sub) in [(IDENTIFY, 0), (GROUP, 1)] {
            let prepared = prepare(&router, text, None, now()).expect("prepared");
            assert_eq!(prepared.units.len(), 1, "{text}");
            let unit = &prepared.units[0];
            assert_eq!(unit.subscription, sub);
            assert_eq!(
                unit.prepped.work,
                full_parse_work(&router.subscriptions[sub], text, batch)
            );
            let records = |w: &Writes| w.as_ref().map_or(0, Vec::len);
            assert!(unit.prepped.writes.is_empty(), "fingerprints are computed on demand");
            let prepped = unit.prepped.clone().with_writes();
            match &prepped.work {
                // identifyUser's batch assertion writes the user and, nested, the person.
                Work::Batch(_) => {
                    assert_eq!(prepped.writes.len(), 1);
                    assert!(records(&prepped.writes[0]) >= 1, "{:?}", prepped.writes);
                }
                Work::Single(plan) => assert_eq!(prepped.writes.len(), plan.commands.len()),
            }
            let full = Val::parse(text).expect("JSON");
            assert_eq!(prepared.routing, router.explain(&full, None));
            assert!(matches!(&prepared.routing.routes[0], Route::Deliver { key, .. } if *key == unit.key));
        }
    }
}

#[test]
fn the_identity_survives_the_projected_parse() {
    let prepared = prepare(&router(true), GROUP, None, now()).expect("prepared");
    assert_eq!(
        prepared.identity,
        Identity {
            message_id: Some("m-2".into()),
            event_type: Some("group".into()),
            user_id: Some("u-1".into()),
            group_id: Some("g-1".into()),
        }
    );
    assert_eq!(prepared.routing.misses.len(), 1);
    assert!(
        prepared.routing.misses[0].why.contains("is false"),
        "{:?}",
        prepared.routing.misses
    );
}

#[test]
fn an_event_the_integrations_object_turns_off_has_no_work() {
    let text = r#"{"type":"identify","userId":"u","traits":{"email":"a@b.co"},"integrations":{"All":false}}"#;
    let prepared = prepare(&router(false), text, None, now()).expect("prepared");
    assert!(prepared.units.is_empty());
    assert_eq!(prepared.routing.misses.len(), 2);
    assert!(prepared.integrations_off());
}

#[test]
fn an_event_no_subscription_matches_is_not_turned_off_by_integrations() {
    let text = r#"{"type":"track","event":"x","userId":"u","integrations":{"Other":false}}"#;
    let prepared = prepare(&router(false), text, None, now()).expect("prepared");
    assert_eq!(prepared.routing.misses.len(), 2);
    assert!(!prepared.integrations_off(), "{:?}", prepared.routing.misses);
}

#[test]
fn a_refused_payload_is_rejected_with_its_reason_and_has_no_work() {
    let text = r#"{"type":"identify","userId":"u","traits":{"email":"not-an-email"}}"#;
    let prepared = prepare(&router(true), text, None, now()).expect("prepared");
    assert!(prepared.units.is_empty());
    assert!(
        matches!(&prepared.routing.routes[..], [Route::Reject { subscription: 0, reason }] if !reason.is_empty()),
        "{:?}",
        prepared.routing
    );
}

#[test]
fn a_replayed_event_is_prepared_for_its_subscription_only() {
    let prepared = prepare(&router(false), IDENTIFY, Some("groupWorkspace"), now()).expect("prepared");
    assert!(prepared.units.is_empty());
    assert!(prepared.routing.misses.iter().any(|m| m.why.contains("replayed")));
}

#[test]
fn text_that_is_not_json_is_an_error() {
    assert!(prepare(&router(false), "{\"type\":", None, now()).is_err());
}
