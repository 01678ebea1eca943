//! Reading Attio records (as the simulator returns them): attribute values, references.

use serde_json::Value;

/// The record's id (`id.record_id`).
pub fn record_id(record: &Value) -> &str {
    record["id"]["record_id"].as_str().unwrap_or_default()
}

/// The `field` of every current value of `attribute`, e.g.
/// `strings(person, "email_addresses", "email_address")` or `strings(user, "user_id", "value")`.
pub fn strings<'a>(record: &'a Value, attribute: &str, field: &str) -> Vec<&'a str> {
    record["values"][attribute]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["active_until"].is_null())
        .filter_map(|v| v[field].as_str())
        .collect()
}

/// The record ids a record-reference `attribute` points at.
pub fn targets<'a>(record: &'a Value, attribute: &str) -> Vec<&'a str> {
    strings(record, attribute, "target_record_id")
}

/// The records whose `attribute` has a value whose `field` is `wanted`.
pub fn with<'a>(records: &'a [Value], attribute: &str, field: &str, wanted: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| strings(r, attribute, field).contains(&wanted))
        .collect()
}

/// The one record whose `attribute` has a value whose `field` is `wanted`; a complaint
/// naming the object when there is none or more than one.
pub fn one<'a>(
    records: &'a [Value],
    object: &str,
    attribute: &str,
    field: &str,
    wanted: &str,
) -> Result<&'a Value, String> {
    match with(records, attribute, field, wanted).as_slice() {
        [record] => Ok(record),
        [] => Err(format!("no {object} record with {attribute} {wanted:?}")),
        many => Err(format!("{} {object} records with {attribute} {wanted:?}", many.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn person(id: &str, email: &str) -> Value {
        json!({"id": {"record_id": id}, "values": {
            "email_addresses": [{"active_until": null, "email_address": email}],
            "associated_users": [{"active_until": null, "target_record_id": "u1"}],
            "job_title": [{"active_until": "2024-01-01T00:00:00Z", "value": "old"}]
        }})
    }

    #[test]
    fn one_finds_by_value_and_names_what_is_missing() {
        let records = vec![person("p1", "a@x.com"), person("p2", "b@x.com")];
        let found = one(&records, "people", "email_addresses", "email_address", "b@x.com").expect("found");
        assert_eq!(record_id(found), "p2");
        assert_eq!(targets(found, "associated_users"), ["u1"]);
        let err = one(&records, "people", "email_addresses", "email_address", "c@x.com").expect_err("absent");
        assert!(err.contains("people") && err.contains("c@x.com"), "{err}");
    }

    #[test]
    fn historic_values_are_not_current() {
        let record = person("p1", "a@x.com");
        assert!(strings(&record, "job_title", "value").is_empty());
    }
}
