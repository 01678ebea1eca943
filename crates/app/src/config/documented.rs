//! Every key of the settings structs is documented in `docs/configuration.md`, and the
//! simulator's schema file example there is read by the simulator. The key list comes from
//! serializing the settings (defaults, plus one subscription and one destination), not from a
//! list kept by hand.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{DestinationEntry, Settings, SubscriptionSettings};

const DOC: &str = include_str!("../../../../docs/configuration.md");

/// `section -> keys` of the settings as serialized.
fn keys() -> BTreeMap<String, Vec<String>> {
    let mut settings = Settings::default();
    settings.subscriptions.push(SubscriptionSettings {
        name: "n".into(),
        action: "identifyUser".into(),
        subscribe: None,
        mapping: None,
        mapping_json: None,
        use_default_mapping: false,
        enable_batching: None,
        batch_size: None,
        write_mode: None,
        sync_nulls: None,
        multiselect: None,
        destination: None,
    });
    settings.destinations.push(DestinationEntry {
        name: "eu".into(),
        token: None,
        base_url: "https://api.attio.com".into(),
        write_rate: 25,
        read_rate: 100,
    });
    let value = serde_json::to_value(&settings).expect("the settings serialize");
    let mut out = BTreeMap::new();
    for (section, v) in value.as_object().expect("an object") {
        let fields = match v {
            Value::Array(items) => items.first().and_then(Value::as_object),
            other => other.as_object(),
        };
        let fields = fields.unwrap_or_else(|| panic!("section {section} has no keys"));
        out.insert(section.clone(), fields.keys().cloned().collect());
    }
    out
}

/// The `| `key` |` rows under the `## [section]` (or `## [[section]]`) heading.
fn documented(section: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut inside = false;
    for line in DOC.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            inside = heading.trim() == format!("[{section}]") || heading.trim() == format!("[[{section}]]");
            continue;
        }
        if inside {
            if let Some(key) = line.strip_prefix("| `").and_then(|rest| rest.split('`').next()) {
                rows.push(key.to_owned());
            }
        }
    }
    rows
}

#[test]
fn every_configuration_key_is_documented_in_its_section() {
    let keys = keys();
    assert!(keys.len() >= 8, "{keys:?}");
    let mut missing = Vec::new();
    for (section, fields) in &keys {
        let rows = documented(section);
        for f in fields {
            if !rows.contains(f) {
                missing.push(format!("{section}.{f}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/configuration.md does not document: {missing:?}"
    );
}

#[test]
fn the_documented_schema_file_example_is_read_by_the_simulator() {
    let start = DOC.find("## The simulator's `--schema` file").expect("the section");
    let block = DOC[start..]
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a TOML example");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("schema.toml");
    std::fs::write(&path, block).expect("written");
    let file = attio_simulator::load_schema_file(&path).expect("the example is a valid schema file");
    assert_eq!(file.inactive, ["deals"]);
    assert_eq!(file.objects.len(), 1);
    assert_eq!(file.attributes.len(), 1);
}
