//! Whether one value can possibly be a valid write to an attribute of a given type.
//!
//! The check is deliberately coarse: it refuses only values Attio is certain to refuse (a
//! wrong JSON shape, an out-of-range rating, a malformed email), and lets through anything
//! Attio might coerce. Exact per-type parsing lives in `domain::value` once available.

use domain::ports::AttributeDefinition;
use domain::value::{AttributeType, EmailAddress};
use serde_json::Value;

/// `Ok` if `value` may be a valid write to `def`; otherwise the reason.
pub fn check_write(def: &AttributeDefinition, value: &Value) -> Result<(), String> {
    match value {
        // Clearing a value: Attio decides.
        Value::Null => Ok(()),
        Value::Array(items) => {
            if !def.is_multiselect && items.len() > 1 {
                return Err(format!(
                    "{} values were given but the attribute holds a single value",
                    items.len()
                ));
            }
            items.iter().try_for_each(|v| check_one(def.attribute_type, v))
        }
        v => check_one(def.attribute_type, v),
    }
}

fn has_any(v: &Value, keys: &[&str]) -> bool {
    v.as_object().is_some_and(|o| keys.iter().any(|k| o.contains_key(*k)))
}

fn is_numeric_string(s: &str) -> bool {
    s.trim().parse::<f64>().is_ok_and(f64::is_finite)
}

fn check_one(t: AttributeType, v: &Value) -> Result<(), String> {
    use AttributeType as T;
    let ok = match (t, v) {
        (T::Interaction, _) => return Err("interaction values cannot be written".into()),
        (_, Value::Null) => true,
        (T::Text, Value::String(_) | Value::Number(_) | Value::Bool(_)) => true,
        (T::Text, o @ Value::Object(_)) => has_any(o, &["value"]),
        (T::Number, Value::Number(_)) => true,
        (T::Number, Value::String(s)) => is_numeric_string(s),
        (T::Number, Value::Object(o)) => o.get("value").is_some_and(|x| x.is_number() || x.is_null()),
        (T::Checkbox, Value::Bool(_)) => true,
        (T::Checkbox, Value::String(s)) => s == "true" || s == "false",
        (T::Checkbox, Value::Object(o)) => o.get("value").is_some_and(Value::is_boolean),
        (T::Currency, Value::Number(_)) => true,
        (T::Currency, Value::String(s)) => is_numeric_string(s),
        (T::Currency, o @ Value::Object(_)) => has_any(o, &["currency_value"]),
        (T::Date | T::Timestamp, Value::String(s)) => s.len() >= 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit),
        (T::Date | T::Timestamp, o @ Value::Object(_)) => has_any(o, &["value"]),
        (T::Rating, Value::Number(n)) => return rating(n),
        (T::Rating, Value::Object(o)) => match o.get("value") {
            Some(Value::Number(n)) => return rating(n),
            _ => false,
        },
        (T::Status, Value::String(_)) => true,
        (T::Status, o @ Value::Object(_)) => has_any(o, &["status"]),
        (T::Select, Value::String(_)) => true,
        (T::Select, o @ Value::Object(_)) => has_any(o, &["option"]),
        (T::RecordReference, Value::String(_)) => true,
        (T::RecordReference, o @ Value::Object(_)) => has_any(o, &["target_object", "object"]),
        (T::ActorReference, Value::String(_)) => true,
        (T::ActorReference, o @ Value::Object(_)) => {
            has_any(o, &["workspace_member_email_address", "referenced_actor_id"])
        }
        (T::Location, Value::String(_)) => true,
        (T::Location, o @ Value::Object(_)) => has_any(o, &["line_1", "locality", "country_code", "postcode"]),
        (T::Domain, Value::String(s)) => !s.trim().is_empty(),
        (T::Domain, o @ Value::Object(_)) => has_any(o, &["domain"]),
        (T::EmailAddress, Value::String(s)) => {
            return EmailAddress::parse(s.as_str())
                .map(|_| ())
                .map_err(|e| format!("the email address {e}"))
        }
        (T::EmailAddress, o @ Value::Object(_)) => has_any(o, &["email_address"]),
        (T::PhoneNumber, Value::String(s)) => s.trim_start().starts_with('+'),
        (T::PhoneNumber, o @ Value::Object(_)) => has_any(o, &["original_phone_number"]),
        (T::PersonalName, Value::String(_)) => true,
        (T::PersonalName, o @ Value::Object(_)) => has_any(o, &["first_name", "last_name", "full_name"]),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("this is not a valid {t} value"))
    }
}

fn rating(n: &serde_json::Number) -> Result<(), String> {
    match n.as_u64() {
        Some(0..=5) => Ok(()),
        _ => Err("a rating must be a whole number from 0 to 5".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(t: AttributeType, multi: bool) -> AttributeDefinition {
        AttributeDefinition {
            api_slug: "a".into(),
            title: String::new(),
            attribute_type: t,
            is_unique: false,
            is_multiselect: multi,
            is_writable: true,
            is_required: false,
            is_system_attribute: false,
            config: Value::Null,
        }
    }

    #[test]
    fn shorthand_and_object_forms_are_accepted() {
        use AttributeType as T;
        for (t, v) in [
            (T::Text, json!("x")),
            (T::Number, json!(3.5)),
            (T::Number, json!("12")),
            (T::Checkbox, json!("true")),
            (T::Currency, json!({"currency_value": 4.99})),
            (T::Date, json!("2023-11-24")),
            (T::Rating, json!(5)),
            (T::Select, json!({"option": "A"})),
            (
                T::RecordReference,
                json!({"target_object": "companies", "target_record_id": "x"}),
            ),
            (T::Domain, json!("acme.com")),
            (T::EmailAddress, json!("a@b.co")),
            (T::PhoneNumber, json!("+447777777777")),
            (T::PersonalName, json!("Bloggs, Joe")),
        ] {
            assert_eq!(check_write(&def(t, false), &v), Ok(()), "{t} {v}");
        }
    }

    #[test]
    fn wrong_shapes_are_refused() {
        use AttributeType as T;
        for (t, v) in [
            (T::Number, json!("twelve")),
            (T::Number, json!(true)),
            (T::Checkbox, json!("yes")),
            (T::Rating, json!(6)),
            (T::Rating, json!(2.5)),
            (T::Date, json!(20231124)),
            (T::EmailAddress, json!("not-an-email")),
            (T::PhoneNumber, json!(447777777777u64)),
            (T::Interaction, json!("x")),
            (T::Text, json!({"nope": 1})),
        ] {
            assert!(check_write(&def(t, false), &v).is_err(), "{t} {v}");
        }
    }

    #[test]
    fn several_values_for_a_single_value_attribute_are_refused() {
        let err = check_write(&def(AttributeType::Text, false), &json!(["a", "b"])).unwrap_err();
        assert!(err.contains("2 values"), "{err}");
        assert_eq!(
            check_write(&def(AttributeType::Domain, true), &json!(["a.co", "b.co"])),
            Ok(())
        );
    }
}
