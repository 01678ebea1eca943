use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn identify() -> ActionSubscription {
    ActionSubscription::with_default_mapping(
        "identify",
        ActionKind::IdentifyUser,
        Some("type = \"identify\""),
        &json!({"user_attributes": {"name": {"@path": "$.traits.name"}, "plan": {"@path": "$.traits.plan"}}}),
    )
    .unwrap()
}

/// Subscriptions reading a spread of roots through FQL and through several directives.
fn subscriptions() -> Vec<ActionSubscription> {
    let mut subs = ActionSubscription::presets();
    subs.push(identify());
    subs.push(
        ActionSubscription::with_default_mapping(
            "tracked",
            ActionKind::AssertRecord,
            Some("event = \"Signed Up\" or properties.plan = \"pro\" or context.ip != null"),
            &json!({
                "object": "people",
                "matching_attribute": "email_addresses",
                "attributes": {
                    "email_addresses": {"@if": {"exists": {"@path": "$.properties.email"},
                        "then": {"@path": "$.properties.email"}, "else": {"@path": "$.email"}}},
                    "label": {"@template": "{{event}} by {{userId}}"},
                    "items": {"@arrayPath": ["$.properties.items", {"id": {"@path": "$.sku"}}]},
                    "name": {"@path": "$.name"}
                }
            }),
        )
        .unwrap(),
    );
    subs
}

#[test]
fn roots_are_exactly_what_the_fql_and_the_mapping_read() {
    let sub = identify();
    assert_eq!(
        sub.referenced_roots().unwrap(),
        ["email", "receivedAt", "traits", "type", "userId"]
    );
    let any = ActionSubscription::new(
        "all",
        ActionKind::AssertRecord,
        None,
        &json!({"object": "people", "attributes": {"@path": "$."}}),
    )
    .unwrap();
    assert!(any.referenced_roots().is_none());
}

/// The event parsed for `sub` alone, as the router parses it (with the projection of
/// what the subscription can read; [`Val::parse_with`]).
fn parse_for<'a>(sub: &ActionSubscription, text: &'a str) -> Result<Val<'a>, serde_json::Error> {
    match sub.projection() {
        Some(p) => Val::parse_with(text, p),
        None => Val::parse(text),
    }
}

#[test]
fn a_projected_parse_builds_only_what_the_subscription_reads() {
    let sub = identify();
    let event = parse_for(
            &sub,
            r#"{"type":"identify","context":{"ip":"1.2.3.4"},"userId":"u","messageId":"m","traits":{"logins":3,"email":"a@b.co","company":{"n":1}}}"#,
        )
        .unwrap();
    assert_eq!(
        event.to_json().unwrap(),
        r#"{"type":"identify","userId":"u","traits":{"email":"a@b.co"}}"#
    );
    assert!(sub.matches(&event));
    assert!(sub.payload(&event, Mode::Batch).is_ok());
}

#[test]
fn a_subscription_reading_any_root_parses_the_whole_event() {
    let sub = ActionSubscription::new(
        "all",
        ActionKind::AssertRecord,
        Some("type = \"track\""),
        &json!({"object": "people", "matching_attribute": "email_addresses", "attributes": {"@path": "$."}}),
    )
    .unwrap();
    let text = r#"{"type":"track","anything":{"x":[1]}}"#;
    assert_eq!(parse_for(&sub, text).unwrap(), Val::parse(text).unwrap());
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i32..3).prop_map(|n| json!(n)),
        prop_oneof![
            Just("identify"),
            Just("group"),
            Just("track"),
            Just("Signed Up"),
            Just("pro"),
            Just("a@b.co"),
            Just("x@y"),
            Just(""),
            Just("2024-05-24T10:00:00.000Z"),
            Just("q\"uote"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("type"),
        Just("event"),
        Just("name"),
        Just("userId"),
        Just("email"),
        Just("traits"),
        Just("properties"),
        Just("context"),
        Just("receivedAt"),
        Just("website"),
        Just("groupId"),
        Just("items"),
        Just("sku"),
        Just("ip"),
        Just("plan"),
        Just("other"),
    ]
    .prop_map(str::to_owned)
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Event text whose top-level keys may repeat (JSON.parse keeps the last value).
fn event_text() -> impl Strategy<Value = String> {
    prop::collection::vec((key(), value()), 0..10).prop_map(|kv| {
        let fields: Vec<String> = kv
            .iter()
            .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), v))
            .collect();
        format!("{{{}}}", fields.join(","))
    })
}

proptest! {
    #[test]
    fn projected_parse_maps_and_matches_like_the_full_parse(text in event_text()) {
        let full = Val::parse(&text).unwrap();
        for sub in subscriptions() {
            let projected = parse_for(&sub, &text).unwrap();
            prop_assert_eq!(sub.matches(&projected), sub.matches(&full), "{}: {}", sub.name, text);
            let a = sub.mapping.apply(&projected).map(|v| v.to_json());
            let b = sub.mapping.apply(&full).map(|v| v.to_json());
            prop_assert_eq!(a, b, "{}: {}", sub.name, text);
            for mode in [Mode::Single, Mode::Batch] {
                let a = sub.payload(&projected, mode);
                let b = sub.payload(&full, mode);
                prop_assert_eq!(format!("{a:?}"), format!("{b:?}"), "{}: {}", sub.name, text);
            }
        }
    }
}

/// Loading rules and presets.
mod loading {
    use super::*;
    use serde_json::json;

    #[test]
    fn assert_record_without_object_is_refused_at_load() {
        let err = ActionSubscription::new(
            "s",
            ActionKind::AssertRecord,
            None,
            &json!({"matching_attribute": "name"}),
        )
        .unwrap_err();
        assert!(matches!(err, SubscriptionError::MissingObject));
        assert!(err.to_string().contains("mapping.object"));
        // The default mapping does not supply one either (deviation D4).
        let err =
            ActionSubscription::with_default_mapping("s", ActionKind::AssertRecord, None, &json!({})).unwrap_err();
        assert!(matches!(err, SubscriptionError::MissingObject));
    }

    #[test]
    fn presets_route_identify_and_group() {
        let presets = ActionSubscription::presets();
        assert_eq!(presets.len(), 2);
        let identify = Val::parse(r#"{"type":"identify","userId":"u","traits":{"email":"a@b.co"}}"#).unwrap();
        let group = Val::parse(r#"{"type":"group","groupId":"g","traits":{"website":"acme.io"}}"#).unwrap();
        assert!(presets[0].matches(&identify) && !presets[0].matches(&group));
        assert!(presets[1].matches(&group) && !presets[1].matches(&identify));
        assert!(presets[0].payload(&identify, Mode::Single).is_ok());
        assert!(presets[1].payload(&group, Mode::Single).is_ok());
    }

    #[test]
    fn batching_settings_are_read_from_the_mapping() {
        let m = json!({"object": "deals", "matching_attribute": "name", "enable_batching": "true", "batch_size": 250});
        let s = ActionSubscription::new("s", ActionKind::AssertRecord, None, &m).unwrap();
        assert_eq!(
            s.batching,
            Batching {
                enabled: true,
                size: 250
            }
        );
        let too_big = json!({"object": "deals", "matching_attribute": "name", "batch_size": 10_001});
        let err = ActionSubscription::new("s", ActionKind::AssertRecord, None, &too_big).unwrap_err();
        assert!(err.to_string().starts_with("mapping.batch_size"), "{err}");
    }

    #[test]
    fn invalid_fql_and_mapping_are_refused_with_their_reason() {
        let bad_fql = ActionSubscription::new("s", ActionKind::IdentifyUser, Some("type == \"identify\""), &json!({}));
        assert!(matches!(bad_fql, Err(SubscriptionError::Fql(_))));
        let bad_mapping =
            ActionSubscription::new("s", ActionKind::IdentifyUser, None, &json!({"user_id": {"@nope": 1}}));
        assert!(matches!(bad_mapping, Err(SubscriptionError::Mapping(_))));
    }

    #[test]
    fn rejection_names_the_field() {
        let s = ActionSubscription::presets().remove(0);
        let e = Val::parse(r#"{"type":"identify","userId":"u","traits":{"email":"not-an-email"}}"#).unwrap();
        let err = s.payload(&e, Mode::Single).unwrap_err();
        assert!(err.to_string().contains("email_address"), "{err}");
    }
}
