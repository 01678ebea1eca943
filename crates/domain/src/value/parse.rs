//! Parsing a written value for an attribute: cardinality, clearing, and the per-type forms.

use serde_json::Value;

use super::actor_reference::actor_reference_from_json;
use super::attribute_value::{AttributeSpec, AttributeValue, WriteValue};
use super::choice::{option_from_json, status_from_json};
use super::currency::currency_from_json;
use super::domain::domain_from_json;
use super::email::EmailAddress;
use super::error::{ValueError, ValueProblem};
use super::json_form::{only_keys, required_str, wrong_type};
use super::location::location_from_json;
use super::personal_name::personal_name_from_json;
use super::phone::phone_from_json;
use super::record_reference::record_reference_from_json;
use super::scalar::{checkbox_from_json, number_from_json, rating_from_json, text_from_json};
use super::temporal::{date_from_json, timestamp_from_json};
use super::AttributeType;

/// Parses a value as written in an assert's `values` for this attribute: bare shorthand, the
/// full object form, an array of either; `null` (and `[]`) = Clear. Multiselect attributes take
/// arrays (a bare value for a multiselect attribute is accepted as one element, as the
/// "simple" endpoint does); single attributes take a bare value or a one-element array.
/// `interaction` is never writable.
///
/// Clearing is accepted for every type, including checkbox and currency, which Attio documents
/// as not supporting null: what Attio then does is not relied upon.
pub fn parse_write(spec: &AttributeSpec<'_>, value: &Value) -> Result<WriteValue, ValueError> {
    let fail =
        |item: Option<usize>, v: &Value, problem| ValueError::new(spec.slug, spec.attribute_type, item, v, problem);
    if spec.attribute_type == AttributeType::Interaction {
        return Err(fail(None, value, ValueProblem::NotWritable));
    }
    match value {
        Value::Null => Ok(WriteValue::Clear),
        Value::Array(items) if items.is_empty() => Ok(WriteValue::Clear),
        Value::Array(items) => {
            if !spec.is_multiselect && items.len() > 1 {
                return Err(fail(None, value, ValueProblem::TooManyValues { count: items.len() }));
            }
            let mut values = items
                .iter()
                .enumerate()
                .map(|(i, item)| parse_item(spec, item).map_err(|p| fail(Some(i), item, p)))
                .collect::<Result<Vec<_>, _>>()?;
            if spec.is_multiselect {
                Ok(WriteValue::Many(values))
            } else {
                // Exactly one item: the array is neither empty nor longer than one.
                Ok(WriteValue::One(values.remove(0)))
            }
        }
        bare => {
            let parsed = parse_item(spec, bare).map_err(|p| fail(None, bare, p))?;
            if spec.is_multiselect {
                Ok(WriteValue::Many(vec![parsed]))
            } else {
                Ok(WriteValue::One(parsed))
            }
        }
    }
}

/// One value (not an array, not null) of the attribute's type.
fn parse_item(spec: &AttributeSpec<'_>, v: &Value) -> Result<AttributeValue, ValueProblem> {
    match v {
        Value::Null => return Err(ValueProblem::NullInArray),
        Value::Array(_) => return Err(ValueProblem::NestedArray),
        _ => {}
    }
    Ok(match spec.attribute_type {
        AttributeType::Text => AttributeValue::Text(text_from_json(v)?),
        AttributeType::Number => AttributeValue::Number(number_from_json(v)?),
        AttributeType::Checkbox => AttributeValue::Checkbox(checkbox_from_json(v)?),
        AttributeType::Currency => AttributeValue::Currency(currency_from_json(v, spec.default_currency_code)?),
        AttributeType::Date => AttributeValue::Date(date_from_json(v)?),
        AttributeType::Timestamp => AttributeValue::Timestamp(timestamp_from_json(v)?),
        AttributeType::Rating => AttributeValue::Rating(rating_from_json(v)?),
        AttributeType::Status => AttributeValue::Status(status_from_json(v)?),
        AttributeType::Select => AttributeValue::Select(option_from_json(v)?),
        AttributeType::RecordReference => {
            AttributeValue::RecordReference(record_reference_from_json(v, spec.allowed_targets)?)
        }
        AttributeType::ActorReference => AttributeValue::ActorReference(actor_reference_from_json(v)?),
        AttributeType::Location => AttributeValue::Location(location_from_json(v)?),
        AttributeType::Domain => AttributeValue::Domain(domain_from_json(v)?),
        AttributeType::EmailAddress => AttributeValue::EmailAddress(email_from_json(v)?),
        AttributeType::PhoneNumber => AttributeValue::PhoneNumber(phone_from_json(v)?),
        AttributeType::PersonalName => AttributeValue::PersonalName(personal_name_from_json(v)?),
        AttributeType::Interaction => return Err(ValueProblem::NotWritable),
    })
}

/// `"a@b.com"` or `{"email_address": "a@b.com"}`; surrounding spaces are dropped.
fn email_from_json(v: &Value) -> Result<EmailAddress<'static>, ValueProblem> {
    let text = match v {
        Value::String(s) => s.as_str(),
        Value::Object(map) => {
            only_keys(map, &["email_address"])?;
            required_str(map, "email_address")?
        }
        other => {
            return Err(wrong_type(
                other,
                "an email address string or {\"email_address\": string}",
            ))
        }
    };
    Ok(EmailAddress::parse(text.trim().to_owned())?)
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
