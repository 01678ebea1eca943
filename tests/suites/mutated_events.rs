//! Mutated events through the presets' routing, mapping, validation and request
//! building: never a panic; a refused event always gets a reason, a delivered one a key.

use app::config::{validate, Settings};
use app::routing::{Route, Router};
use chrono::Utc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use segment_adapter::json::Val;
use segment_adapter::pipeline::Mode;
use serde_json::{json, Value};

fn router() -> Router {
    let valid = validate(Settings::default(), None).expect("the presets are valid");
    Router::new(valid.integrations, valid.subscriptions, Vec::new())
}

fn base_events() -> Vec<Value> {
    vec![
        json!({"type": "identify", "userId": "u-1", "anonymousId": "a-1",
               "traits": {"email": "ada@example.com", "name": "Ada", "company": {"id": "c-1"}},
               "timestamp": "2024-05-01T10:00:00Z", "receivedAt": "2024-05-01T10:00:01Z"}),
        json!({"type": "group", "userId": "u-1", "groupId": "g-1",
               "traits": {"name": "Acme", "website": "https://acme.example", "domain": "acme.example"},
               "timestamp": "2024-05-01T10:00:00Z"}),
    ]
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::from),
        Just(json!("")),
        Just(json!("not-an-email@")),
        Just(json!("x@y")),
        Just(json!("\u{0}\u{202e}\u{1F600}")),
        Just(json!("9999-99-99T99:99:99Z")),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z_]{1,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A mutation: replace or delete the value at a path of the event.
#[derive(Debug, Clone)]
enum Mutation {
    Set(Vec<String>, Value),
    Delete(Vec<String>),
}

fn arb_path() -> impl Strategy<Value = Vec<String>> {
    let names = prop_oneof![
        Just("type"),
        Just("userId"),
        Just("anonymousId"),
        Just("groupId"),
        Just("traits"),
        Just("email"),
        Just("name"),
        Just("company"),
        Just("id"),
        Just("website"),
        Just("domain"),
        Just("timestamp"),
        Just("receivedAt"),
        Just("context"),
        Just("integrations"),
        Just("All"),
    ];
    prop::collection::vec(names.prop_map(str::to_owned), 1..4)
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (arb_path(), arb_value()).prop_map(|(p, v)| Mutation::Set(p, v)),
        arb_path().prop_map(Mutation::Delete),
    ]
}

fn apply(event: &mut Value, m: &Mutation) {
    let (path, value) = match m {
        Mutation::Set(p, v) => (p, Some(v.clone())),
        Mutation::Delete(p) => (p, None),
    };
    let mut at = event;
    for (i, key) in path.iter().enumerate() {
        if !at.is_object() {
            *at = json!({});
        }
        let Some(obj) = at.as_object_mut() else { return };
        if i + 1 == path.len() {
            match &value {
                Some(v) => {
                    obj.insert(key.clone(), v.clone());
                }
                None => {
                    obj.remove(key);
                }
            }
            return;
        }
        at = obj.entry(key.clone()).or_insert_with(|| json!({}));
    }
}

/// Routes one mutated event; counts its deliveries and refusals.
fn route_one(router: &Router, which: usize, mutations: &[Mutation], counts: &Counts) -> Result<(), TestCaseError> {
    let mut event = base_events()[which].clone();
    for m in mutations {
        apply(&mut event, m);
    }
    let text = event.to_string();
    let parsed = Val::parse(&text).expect("serde_json output parses");
    for route in router.route(&parsed, None) {
        match route {
            Route::Deliver { subscription, key } => {
                counts.delivered.fetch_add(1, Ordering::Relaxed);
                prop_assert!(!key.is_empty(), "empty ordering key for {text}");
                let sub = &router.subscriptions[subscription];
                // The requests build for both modes without panicking.
                let single = sub
                    .payload(&parsed, Mode::Single)
                    .expect("routed, so the payload builds");
                let _ = single.single_plan();
                if let Ok(batch) = sub.payload(&parsed, Mode::Batch) {
                    let _ = batch.batch_assertion(Utc::now());
                }
            }
            Route::Reject { reason, .. } => {
                counts.refused.fetch_add(1, Ordering::Relaxed);
                prop_assert!(!reason.trim().is_empty(), "refused without a reason: {text}");
            }
        }
    }
    Ok(())
}

#[derive(Default)]
struct Counts {
    delivered: AtomicUsize,
    refused: AtomicUsize,
}

#[test]
fn mutated_events_are_routed_or_refused_with_a_reason() {
    const CASES: u32 = 400;
    let router = router();
    let counts = Counts::default();
    let mut runner = TestRunner::new(ProptestConfig::with_cases(CASES));
    let strategy = (0usize..2, prop::collection::vec(arb_mutation(), 1..5));
    if let Err(e) = runner.run(&strategy, |(which, mutations)| {
        route_one(&router, which, &mutations, &counts)
    }) {
        panic!("{e}");
    }
    let (delivered, refused) = (
        counts.delivered.load(Ordering::Relaxed),
        counts.refused.load(Ordering::Relaxed),
    );
    println!("{CASES} mutated events: {delivered} deliveries, {refused} refusals");
    // Both outcomes must be exercised: a router that refuses (or delivers) everything
    // would otherwise pass. Most mutations leave what the presets read intact.
    assert!(
        delivered >= CASES as usize / 4,
        "only {delivered} deliveries for {CASES} mutated events"
    );
    assert!(refused > 0, "no mutated event was refused");
}
