//! `domain::coalesce` against the simulator's engine: applying a run of assertions one by
//! one and applying the coalesced assertions leave the workspace in the same state.

use std::collections::BTreeMap;

use attio_adapter::wire::CommandWire;
use domain::coalesce::{coalesce, AttributeKind};
use domain::{AssertValue, Assertion, AttioCommand, AttributeSlug, JsonText, Multiselect, ObjectSlug, WriteMode};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::batch::apply_assertion;
use crate::engine::Engine;
use crate::schema::{Schema, SchemaFile};

fn schema() -> Schema {
    let file: SchemaFile = serde_json::from_value(json!({
        "objects": [
            {"api_slug": "gadgets", "singular_noun": "Gadget", "plural_noun": "Gadgets", "attributes": [
                {"slug": "code", "type": "text", "unique": true},
                {"slug": "title", "type": "text"},
                {"slug": "count", "type": "number"},
                {"slug": "colour", "type": "select", "options": ["red", "green"]},
                {"slug": "tags", "type": "select", "multiselect": true, "options": ["x", "y", "z", "w"]},
                {"slug": "owner", "type": "record-reference", "target_objects": ["people"]},
                {"slug": "part", "type": "record-reference", "target_objects": ["parts"]}
            ]},
            {"api_slug": "parts", "singular_noun": "Part", "plural_noun": "Parts", "attributes": [
                {"slug": "code", "type": "text", "unique": true},
                {"slug": "title", "type": "text"},
                {"slug": "labels", "type": "select", "multiselect": true, "options": ["x", "y", "z"]}
            ]}
        ]
    }))
    .expect("schema file");
    Schema::build(Some(&file), &[]).expect("schema")
}

fn kind(object: &str, attribute: &str) -> AttributeKind {
    match (object, attribute) {
        (_, "owner" | "part") => AttributeKind::Reference,
        (_, "tags" | "labels") => AttributeKind::Multiselect,
        _ => AttributeKind::Single,
    }
}

/// Whether the engine holds the record an assertion names.
fn exists(engine: &Engine, a: &Assertion<'_>) -> bool {
    let Some(AssertValue::Json(code)) = a.get("code") else {
        return false;
    };
    let code = code.to_value();
    engine
        .records(a.object.as_str())
        .unwrap_or_default()
        .iter()
        .any(|r| r["values"]["code"][0]["value"] == code)
}

/// Applies one assertion as delivery would with `mode` (update_only and create_only look
/// the record up first). An assertion Attio refuses changes nothing.
fn apply(engine: &Engine, a: &Assertion<'_>, mode: WriteMode) {
    let found = exists(engine, a);
    if (mode == WriteMode::UpdateOnly && !found) || (mode == WriteMode::CreateOnly && found) {
        return;
    }
    let body: Value = serde_json::from_str(&AttioCommand::BatchAssert(vec![a.clone()]).body(None)).expect("body");
    let _ = apply_assertion(engine, true, &body["assertions"][0]);
}

/// The workspace without what differs between two runs (ids, times): each object's
/// records by their matching value, references by the matching value of their target.
fn state(engine: &Engine) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let objects = ["gadgets", "parts", "people"];
    let key_of = |object: &str, r: &Value| -> String {
        match object {
            "people" => r["values"]["email_addresses"][0]["email_address"].to_string(),
            _ => r["values"]["code"][0]["value"].to_string(),
        }
    };
    for object in objects {
        for r in engine.records(object).unwrap_or_default() {
            let id = r["id"]["record_id"].as_str().unwrap_or_default().to_owned();
            names.insert(id, format!("{object}:{}", key_of(object, &r)));
        }
    }
    let mut out = BTreeMap::new();
    for object in objects {
        let mut records = BTreeMap::new();
        for r in engine.records(object).unwrap_or_default() {
            let mut values = BTreeMap::new();
            for (slug, list) in r["values"].as_object().into_iter().flatten() {
                if ["record_id", "created_at", "created_by"].contains(&slug.as_str()) {
                    continue;
                }
                let list: Vec<Value> = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| {
                        let mut v = v.clone();
                        if let Some(m) = v.as_object_mut() {
                            m.remove("active_from");
                            m.remove("created_by_actor");
                            if let Some(Value::String(id)) = m.get("target_record_id").cloned() {
                                m.insert("target_record_id".into(), json!(names.get(&id).cloned().unwrap_or(id)));
                            }
                        }
                        v
                    })
                    .collect();
                values.insert(slug.clone(), Value::Array(list));
            }
            records.insert(key_of(object, &r), json!(values));
        }
        out.insert(object.to_owned(), records);
    }
    out
}

fn slug(s: &str) -> ObjectSlug {
    ObjectSlug::parse(s).expect("slug")
}

fn json_value() -> impl Strategy<Value = (String, String)> {
    let title =
        prop_oneof![Just("\"a\""), Just("\"b\""), Just("null")].prop_map(|v| ("title".to_owned(), v.to_owned()));
    let count = prop_oneof![Just("1"), Just("2.0"), Just("null")].prop_map(|v| ("count".to_owned(), v.to_owned()));
    let colour =
        prop_oneof![Just("\"red\""), Just("\"green\""), Just("null")].prop_map(|v| ("colour".to_owned(), v.to_owned()));
    let tags = prop_oneof![
        Just("[\"x\"]"),
        Just("[\"y\",\"z\"]"),
        Just("\"w\""),
        Just("[\"x\",\"w\"]"),
        Just("[]"),
        Just("null")
    ]
    .prop_map(|v| ("tags".to_owned(), v.to_owned()));
    let owner = prop_oneof![Just("\"ann@example.com\""), Just("\"bob@example.com\""), Just("null")]
        .prop_map(|v| ("owner".to_owned(), v.to_owned()));
    prop_oneof![title, count, colour, tags, owner]
}

fn part() -> impl Strategy<Value = Assertion<'static>> {
    (
        prop_oneof![Just("p1"), Just("p2")],
        prop::option::of(prop_oneof![Just("\"a\""), Just("\"b\""), Just("null")]),
        prop::option::of(prop_oneof![Just("[\"x\"]"), Just("[\"y\"]"), Just("null")]),
    )
        .prop_map(|(code, title, labels)| {
            let mut p = Assertion::new(slug("parts"), AttributeSlug::parse("code").expect("slug"));
            p.set_json("code", JsonText::string(code));
            if let Some(t) = title {
                p.set_json("title", JsonText::parse(t.to_owned()).expect("json"));
            }
            if let Some(l) = labels {
                p.set_json("labels", JsonText::parse(l.to_owned()).expect("json"));
            }
            p
        })
}

/// One assertion for gadget `g1`: a few values, sometimes a nested part.
fn assertion() -> impl Strategy<Value = Assertion<'static>> {
    (
        prop::collection::vec(json_value(), 0..4),
        prop::option::weighted(0.3, part()),
    )
        .prop_map(|(values, part)| {
            let mut a = Assertion::new(slug("gadgets"), AttributeSlug::parse("code").expect("slug"));
            a.set_json("code", JsonText::string("g1"));
            for (k, v) in values {
                a.set_json(k, JsonText::parse(v).expect("json"));
            }
            if let Some(p) = part {
                a.set("part", AssertValue::Nested(Box::new(p)));
            }
            a
        })
}

fn run() -> impl Strategy<Value = (Vec<Assertion<'static>>, Multiselect, WriteMode, Vec<Assertion<'static>>)> {
    (
        prop::collection::vec(assertion(), 1..8),
        prop_oneof![Just(Multiselect::Append), Just(Multiselect::Replace)],
        prop_oneof![
            Just(WriteMode::Upsert),
            Just(WriteMode::UpdateOnly),
            Just(WriteMode::CreateOnly)
        ],
        prop::collection::vec(assertion(), 0..3),
    )
        .prop_map(|(mut run, multiselect, mode, before)| {
            for a in &mut run {
                a.set_multiselect(multiselect);
            }
            (run, multiselect, mode, before)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn coalesced_assertions_leave_the_workspace_as_the_run_applied_one_by_one(
        (run, _multiselect, mode, before) in run(),
        schema_known in any::<bool>(),
    ) {
        // Without a schema at hand every attribute's kind is unknown.
        let unknown = |_: &str, _: &str| AttributeKind::Unknown;
        let kind: &dyn Fn(&str, &str) -> AttributeKind = if schema_known { &kind } else { &unknown };
        let schema = schema();
        let one_by_one = Engine::new(schema.clone());
        let coalesced = Engine::new(schema);
        // The same starting state in both (possibly an existing gadget).
        for a in &before {
            apply(&one_by_one, a, WriteMode::Upsert);
            apply(&coalesced, a, WriteMode::Upsert);
        }
        prop_assume!(state(&one_by_one) == state(&coalesced));
        for a in &run {
            apply(&one_by_one, a, mode);
        }
        let mut rest: &[Assertion<'static>] = &run;
        let mut requests = 0;
        while let Some(c) = coalesce(rest, mode, kind) {
            prop_assert!(c.merged >= 1 && c.merged <= rest.len());
            apply(&coalesced, &c.assertion, mode);
            rest = &rest[c.merged..];
            requests += 1;
        }
        prop_assert!(requests <= run.len());
        prop_assert_eq!(state(&one_by_one), state(&coalesced), "run: {:?}", run);
    }
}

#[test]
fn a_run_of_identical_page_load_writes_becomes_one_request() {
    let mut a = Assertion::new(slug("gadgets"), AttributeSlug::parse("code").expect("slug"));
    a.set_json("code", JsonText::string("g1"));
    a.set_json("title", JsonText::string("same"));
    let run = vec![a; 10];
    let c = coalesce(&run, WriteMode::Upsert, &kind).expect("not empty");
    assert_eq!(c.merged, 10);
}
