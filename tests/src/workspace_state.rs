//! A simulator's records in a form two runs can be compared in: without what differs
//! between runs (record ids, creation and write times, actor ids), references named by
//! their target's matching value, and each object's records keyed by their matching value.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::service::SimulatorProcess;

/// The matching attribute and field that name a record of each standard object.
const KEYS: &[(&str, &str, &str)] = &[
    ("people", "email_addresses", "email_address"),
    ("users", "user_id", "value"),
    ("companies", "domains", "domain"),
    ("workspaces", "workspace_id", "value"),
];

/// Values every record has that differ from one run to another.
const VOLATILE_ATTRIBUTES: &[&str] = &["record_id", "created_at", "created_by"];
const VOLATILE_FIELDS: &[&str] = &["active_from", "active_until", "created_by_actor"];

fn key(record: &Value, slug: &str, field: &str) -> String {
    record
        .pointer(&format!("/values/{slug}/0/{field}"))
        .map(Value::to_string)
        .unwrap_or_else(|| "<none>".to_owned())
}

/// `object -> record key -> attribute -> values`, for the standard objects.
pub async fn workspace_state(sim: &SimulatorProcess) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut records: Vec<(&str, String, Value)> = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (object, slug, field) in KEYS {
        for r in sim
            .records(object)
            .await
            .unwrap_or_else(|e| panic!("{object} records: {e}"))
        {
            let k = key(&r, slug, field);
            if let Some(id) = r.pointer("/id/record_id").and_then(Value::as_str) {
                names.insert(id.to_owned(), format!("{object}:{k}"));
            }
            records.push((object, k, r));
        }
    }
    let mut out: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for (object, k, r) in records {
        let mut values = BTreeMap::new();
        for (slug, list) in r.get("values").and_then(Value::as_object).into_iter().flatten() {
            if VOLATILE_ATTRIBUTES.contains(&slug.as_str()) {
                continue;
            }
            let list: Vec<Value> = list
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| {
                    let mut v = v.clone();
                    if let Some(m) = v.as_object_mut() {
                        m.retain(|f, _| !VOLATILE_FIELDS.contains(&f.as_str()));
                        if let Some(Value::String(id)) = m.get("target_record_id").cloned() {
                            let name = names.get(&id).cloned().unwrap_or(id);
                            m.insert("target_record_id".into(), json!(name));
                        }
                    }
                    v
                })
                .collect();
            values.insert(slug.clone(), Value::Array(list));
        }
        out.entry(object.to_owned()).or_default().insert(k, json!(values));
    }
    out
}

/// Write requests (every method but `GET`, whatever the answer) a simulator received,
/// from its `/_simulator/stats`.
pub fn write_requests(stats: &Value) -> u64 {
    stats
        .get("requests")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| r.get("method").and_then(Value::as_str) != Some("GET"))
        .filter_map(|r| r.get("count").and_then(Value::as_u64))
        .sum()
}
