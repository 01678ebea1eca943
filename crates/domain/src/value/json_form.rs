//! Small helpers to read the object write forms: known keys only, typed key access.

use serde_json::{Map, Value};

use super::error::{json_kind, ValueProblem};

/// Refuses any key of `map` not in `allowed`.
pub(super) fn only_keys(map: &Map<String, Value>, allowed: &[&'static str]) -> Result<(), ValueProblem> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(ValueProblem::UnknownKey { key: key.clone() }),
        None => Ok(()),
    }
}

/// The value under a required key.
pub(super) fn required<'a>(map: &'a Map<String, Value>, key: &'static str) -> Result<&'a Value, ValueProblem> {
    map.get(key).ok_or(ValueProblem::MissingKey { key })
}

/// The string under a required key.
pub(super) fn required_str<'a>(map: &'a Map<String, Value>, key: &'static str) -> Result<&'a str, ValueProblem> {
    match required(map, key)? {
        Value::String(s) => Ok(s),
        other => Err(ValueProblem::WrongKeyType {
            key,
            found: json_kind(other),
            expected: "a string",
        }),
    }
}

/// The string under a key that may be absent or null.
pub(super) fn optional_str<'a>(
    map: &'a Map<String, Value>,
    key: &'static str,
) -> Result<Option<&'a str>, ValueProblem> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ValueProblem::WrongKeyType {
            key,
            found: json_kind(other),
            expected: "a string or null",
        }),
    }
}

/// For the types whose object form is `{"value": …}`: the inner value of that form, or the
/// bare value itself.
pub(super) fn unwrap_value_form(v: &Value) -> Result<&Value, ValueProblem> {
    match v {
        Value::Object(map) => {
            only_keys(map, &["value"])?;
            required(map, "value")
        }
        other => Ok(other),
    }
}

/// The error for a value of the wrong JSON kind.
pub(super) fn wrong_type(v: &Value, expected: &'static str) -> ValueProblem {
    ValueProblem::WrongType {
        found: json_kind(v),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test input is an object"),
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let m = map(json!({"value": 1, "colour": "red"}));
        assert_eq!(
            only_keys(&m, &["value"]),
            Err(ValueProblem::UnknownKey { key: "colour".into() })
        );
    }

    #[test]
    fn required_string_reports_the_key_and_kind() {
        let m = map(json!({"status": 3}));
        assert_eq!(
            required_str(&m, "status").unwrap_err().to_string(),
            "has \"status\" set to a number, expected a string"
        );
        assert_eq!(
            required_str(&m, "option").unwrap_err().to_string(),
            "lacks the required key \"option\""
        );
    }

    #[test]
    fn value_form_unwraps_and_bare_values_pass_through() {
        assert_eq!(unwrap_value_form(&json!({"value": 3})), Ok(&json!(3)));
        assert_eq!(unwrap_value_form(&json!(3)), Ok(&json!(3)));
        assert!(unwrap_value_form(&json!({})).is_err());
    }
}
