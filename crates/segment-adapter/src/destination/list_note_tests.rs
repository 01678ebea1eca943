//! The list and note actions and the write options through FQL and mapping-kit, as the
//! other actions are tested.

use attio_adapter::wire::CommandWire;
use domain::{AssertValue, AttioCommand, FollowUp, Multiselect, NoteFormat, WriteMode};
use serde_json::json;

use super::*;
use crate::json::Val;

fn sub(action: ActionKind, subscribe: &str, mapping: Value) -> Result<ActionSubscription, SubscriptionError> {
    ActionSubscription::new("s", action, Some(subscribe), &mapping)
}

fn parent() -> Value {
    json!({
        "parent_object": "people",
        "parent_matching_attribute": "email_addresses",
        "parent_attributes": {"email_addresses": {"@if": {"exists": {"@path": "$.properties.email"},
            "then": {"@path": "$.properties.email"}, "else": {"@path": "$.context.traits.email"}}}},
    })
}

fn with(base: Value, extra: Value) -> Value {
    let mut m = base;
    if let (Some(m), Some(e)) = (m.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    m
}

const EVENT: &str = r#"{"type":"track","event":"Plan Changed","userId":"u1",
  "properties":{"plan":"pro","seats":12,"old":null},"context":{"traits":{"email":"ann@example.com"}}}"#;

#[test]
fn upsert_list_entry_maps_the_parent_and_the_entry() {
    let s = sub(
        ActionKind::UpsertListEntry,
        "event = \"Plan Changed\" and properties.plan = \"pro\"",
        with(
            parent(),
            json!({"list": "onboarding", "entry_attributes": {
                "stage": {"@template": "{{properties.plan}}"}, "score": {"@path": "$.properties.seats"}}}),
        ),
    )
    .unwrap();
    let event = Val::parse(EVENT).unwrap();
    assert!(s.matches(&event));
    let plan = s.plan(s.payload(&event, crate::pipeline::Mode::Single).unwrap());
    let AttioCommand::SimpleAssert(a) = &plan.commands[0] else {
        panic!("a simple assert")
    };
    assert_eq!(
        (a.object.as_str(), a.matching_attribute.as_str()),
        ("people", "email_addresses")
    );
    assert_eq!(
        a.get("email_addresses"),
        Some(&AssertValue::Json(domain::JsonText::string("ann@example.com")))
    );
    let Some(FollowUp::UpsertListEntry(e)) = &plan.follow_up else {
        panic!("an entry follow-up")
    };
    assert_eq!(e.list.as_str(), "onboarding");
    assert_eq!(e.entry_values.get("stage").map(|v| v.as_str()), Some("\"pro\""));
    assert_eq!(e.entry_values.get("score").map(|v| v.as_str()), Some("12"));
}

#[test]
fn the_parent_must_hold_its_matching_value() {
    let s = sub(
        ActionKind::RemoveListEntry,
        "type = \"track\"",
        with(
            parent(),
            json!({"list": "onboarding", "parent_attributes": {"name": "x"}}),
        ),
    )
    .unwrap();
    let err = s
        .payload(&Val::parse(EVENT).unwrap(), crate::pipeline::Mode::Single)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("parent_attributes: must hold a value for the matching attribute"),
        "{err}"
    );
}

#[test]
fn create_note_reads_title_content_and_format() {
    let mapping = with(
        parent(),
        json!({"title": {"@path": "$.event"}, "content": {"@template": "Now on {{properties.plan}}"}, "format": "markdown"}),
    );
    let s = sub(ActionKind::CreateNote, "type = \"track\"", mapping.clone()).unwrap();
    let plan = s.plan(
        s.payload(&Val::parse(EVENT).unwrap(), crate::pipeline::Mode::Single)
            .unwrap(),
    );
    let Some(FollowUp::CreateNote(n)) = &plan.follow_up else {
        panic!("a note follow-up")
    };
    assert_eq!(
        (n.title.as_ref(), n.content.as_ref(), n.format),
        ("Plan Changed", "Now on pro", NoteFormat::Markdown)
    );

    let bad = sub(
        ActionKind::CreateNote,
        "type = \"track\"",
        with(mapping, json!({"format": "html"})),
    )
    .unwrap();
    let err = bad
        .payload(&Val::parse(EVENT).unwrap(), crate::pipeline::Mode::Single)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("format: must be \"plaintext\" or \"markdown\""),
        "{err}"
    );
}

#[test]
fn write_options_shape_the_asserts() {
    let mapping = json!({"object": "people", "matching_attribute": "email_addresses",
        "attributes": {"email_addresses": {"@path": "$.context.traits.email"}, "old": {"@path": "$.properties.old"}},
        "write_mode": "create_only", "sync_nulls": false, "multiselect": "replace"});
    let s = sub(ActionKind::AssertRecord, "type = \"track\"", mapping).unwrap();
    assert_eq!(s.options.write_mode, WriteMode::CreateOnly);
    let plan = s.plan(
        s.payload(&Val::parse(EVENT).unwrap(), crate::pipeline::Mode::Single)
            .unwrap(),
    );
    assert_eq!(plan.write_mode, WriteMode::CreateOnly);
    let AttioCommand::SimpleAssert(a) = &plan.commands[0] else {
        panic!("a simple assert")
    };
    assert!(a.get("old").is_none(), "a null is left out with sync_nulls = false");
    assert_eq!(a.multiselect, Multiselect::Replace);
    assert!(!plan.commands[0].path_and_query().contains("append_to_existing_values"));
}

#[test]
fn impossible_settings_are_refused_naming_the_field() {
    let record = json!({"object": "people", "matching_attribute": "email_addresses"});
    let cases = [
        (
            ActionKind::AssertRecord,
            with(record.clone(), json!({"write_mode": "sometimes"})),
            "mapping.write_mode",
        ),
        (
            ActionKind::AssertRecord,
            with(record.clone(), json!({"multiselect": "merge"})),
            "mapping.multiselect",
        ),
        (
            ActionKind::AssertRecord,
            with(record.clone(), json!({"sync_nulls": "no"})),
            "mapping.sync_nulls",
        ),
        (
            ActionKind::AssertRecord,
            with(record, json!({"write_mode": "update_only", "enable_batching": true})),
            "mapping.write_mode",
        ),
        (
            ActionKind::CreateNote,
            with(parent(), json!({"title": "t", "content": "c", "enable_batching": true})),
            "mapping.enable_batching",
        ),
        (ActionKind::UpsertListEntry, parent(), "mapping.list is required"),
    ];
    for (action, mapping, expected) in cases {
        let err = sub(action, "type = \"track\"", mapping.clone())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(expected), "{mapping} → {err}");
    }
}
