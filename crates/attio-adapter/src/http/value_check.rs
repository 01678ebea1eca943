//! Whether one value can be a valid write to an attribute, by the domain's value parser
//! ([`domain::value::parse_write`]).

use domain::ports::AttributeDefinition;
use domain::value::{parse_write, AttributeSpec, AttributeType, WriteValue};
use serde_json::Value;

/// What is known of the objects a record-reference attribute may point to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets<'a> {
    /// The slugs of the allowed objects.
    Known(&'a [&'a str]),
    /// The attribute's configuration could not be resolved to object slugs.
    Unknown,
}

fn has_string(v: &Value) -> bool {
    match v {
        Value::String(_) => true,
        Value::Array(items) => items.iter().any(Value::is_string),
        _ => false,
    }
}

/// The parsed value if `value` can be written to `def`; otherwise the parser's message,
/// which names the attribute, its type and the value.
///
/// A record-reference string is shorthand whose meaning depends on the target object; when
/// the targets are unknown such a value is let through for Attio to judge (`Ok(None)`).
pub fn check_write(
    def: &AttributeDefinition,
    targets: Targets<'_>,
    value: &Value,
) -> Result<Option<WriteValue>, String> {
    let allowed_targets = match targets {
        Targets::Known(t) => t,
        Targets::Unknown if def.attribute_type == AttributeType::RecordReference && has_string(value) => {
            return Ok(None)
        }
        Targets::Unknown => &[],
    };
    let spec = AttributeSpec {
        slug: &def.api_slug,
        attribute_type: def.attribute_type,
        is_multiselect: def.is_multiselect,
        // `get` twice, not `pointer`: this runs for every value sent, and `pointer`
        // allocates for each step of the path.
        default_currency_code: def
            .config
            .get("currency")
            .and_then(|c| c.get("default_currency_code"))
            .and_then(Value::as_str),
        allowed_targets,
    };
    parse_write(&spec, value).map(Some).map_err(|e| e.to_string())
}

/// The object ids a record-reference attribute allows (`config.record_reference.allowed_object_ids`).
pub fn allowed_object_ids(def: &AttributeDefinition) -> Vec<&str> {
    def.config
        .get("record_reference")
        .and_then(|r| r.get("allowed_object_ids"))
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(slug: &str, t: AttributeType, multi: bool) -> AttributeDefinition {
        AttributeDefinition {
            api_slug: slug.into(),
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
            (T::Checkbox, json!(true)),
            (T::Currency, json!({"currency_value": 4.99})),
            (T::Date, json!("2023-11-24")),
            (T::Rating, json!(5)),
            (T::Select, json!({"option": "A"})),
            (T::Domain, json!("acme.com")),
            (T::EmailAddress, json!("a@b.co")),
            (T::PersonalName, json!("Bloggs, Joe")),
            (T::Text, json!(null)),
        ] {
            assert!(
                check_write(&def("a", t, false), Targets::Unknown, &v).is_ok(),
                "{t} {v}"
            );
        }
    }

    #[test]
    fn wrong_values_are_refused_with_attribute_type_and_value() {
        use AttributeType as T;
        for (t, v) in [
            (T::Number, json!("twelve")),
            (T::Rating, json!(6)),
            (T::EmailAddress, json!("not-an-email")),
            (T::Interaction, json!("x")),
        ] {
            let err = check_write(&def("attr_x", t, false), Targets::Unknown, &v).unwrap_err();
            assert!(err.contains("\"attr_x\"") && err.contains(t.as_str()), "{err}");
        }
    }

    #[test]
    fn several_values_for_a_single_value_attribute_are_refused() {
        let err = check_write(
            &def("a", AttributeType::Text, false),
            Targets::Unknown,
            &json!(["a", "b"]),
        )
        .unwrap_err();
        assert!(err.contains("2 values"), "{err}");
    }

    #[test]
    fn reference_shorthand_is_checked_only_when_the_target_is_known() {
        let d = def("person", AttributeType::RecordReference, false);
        assert_eq!(check_write(&d, Targets::Unknown, &json!("not-an-email")), Ok(None));
        assert!(check_write(&d, Targets::Known(&["people"]), &json!("not-an-email")).is_err());
        assert!(check_write(&d, Targets::Known(&["people"]), &json!("a@b.co")).is_ok_and(|v| v.is_some()));
    }

    #[test]
    fn allowed_object_ids_come_from_the_config() {
        let mut d = def("company", AttributeType::RecordReference, false);
        d.config = json!({"record_reference": {"allowed_object_ids": ["o1", "o2"]}});
        assert_eq!(allowed_object_ids(&d), ["o1", "o2"]);
    }
}
