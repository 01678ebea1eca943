//! Record-reference values: a record of another object, by id or by a unique attribute.

use serde_json::{json, Map, Value};

use super::country::CountryCode;
use super::domain::{Domain, DomainError};
use super::email::{EmailAddress, EmailError};
use super::error::{json_kind, ValueProblem};
use super::json_form::{optional_str, wrong_type};
use super::phone::{PhoneError, PhoneNumber};
use super::uuid::Uuid;
use crate::slug::{AttributeSlug, ObjectSlug, SlugError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordReferenceError {
    #[error(
        "a string names a record only when the attribute targets exactly one of companies, people, users or \
         workspaces (known targets: {0}); write {{\"target_object\", \"target_record_id\"}} instead"
    )]
    AmbiguousShorthand(String),
    #[error("target_object {0}")]
    TargetObject(SlugError),
    #[error("target object \"{target}\" is not one this attribute allows ({allowed})")]
    TargetNotAllowed { target: String, allowed: String },
    #[error("target_record_id \"{0}\" is not a hyphenated UUID")]
    RecordId(String),
    #[error("it names no record: add \"target_record_id\" or one matching attribute")]
    NoRecord,
    #[error("it matches on more than one attribute ({0}); give exactly one")]
    SeveralMatches(String),
    #[error("matching attribute {0}")]
    MatchingAttribute(SlugError),
    #[error("\"{0}\" must hold an array with exactly one value object")]
    MatchShape(String),
    #[error("the value to match on under \"{0}\" is not a domain, email_address, value or phone number object")]
    MatchValue(String),
    #[error("the domain to match on {0}")]
    Domain(#[from] DomainError),
    #[error("the email address to match on {0}")]
    Email(#[from] EmailError),
    #[error("the phone number to match on {0}")]
    Phone(#[from] PhoneError),
    #[error("the value to match on is empty")]
    EmptyText,
}

/// A value of a unique attribute of the target object, to find the record by.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchValue {
    Domain(Domain),
    EmailAddress(EmailAddress<'static>),
    Text(String),
    Number(f64),
    PhoneNumber(PhoneNumber),
}

impl MatchValue {
    /// The value object written in the array under the matching attribute.
    pub fn to_write_json(&self) -> Value {
        match self {
            Self::Domain(d) => d.to_write_json(),
            Self::EmailAddress(e) => json!({ "email_address": e.as_str() }),
            Self::Text(t) => json!({ "value": t }),
            Self::Number(n) => json!({ "value": n }),
            Self::PhoneNumber(p) => p.to_write_json(),
        }
    }
}

/// A record of `target_object` (a slug or an object id), by id or by a unique attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordReference {
    Id {
        target_object: ObjectSlug,
        target_record_id: Uuid,
    },
    Match {
        target_object: ObjectSlug,
        matching_attribute: AttributeSlug,
        value: MatchValue,
    },
}

impl RecordReference {
    pub fn target_object(&self) -> &ObjectSlug {
        match self {
            Self::Id { target_object, .. } | Self::Match { target_object, .. } => target_object,
        }
    }

    /// `{"target_object", "target_record_id"}` or `{"target_object", <attribute>: [value]}`.
    pub fn to_write_json(&self) -> Value {
        match self {
            Self::Id {
                target_object,
                target_record_id,
            } => json!({
                "target_object": target_object.as_str(),
                "target_record_id": target_record_id.to_string(),
            }),
            Self::Match {
                target_object,
                matching_attribute,
                value,
            } => {
                let mut map = Map::new();
                map.insert("target_object".into(), json!(target_object.as_str()));
                map.insert(matching_attribute.as_str().into(), json!([value.to_write_json()]));
                Value::Object(map)
            }
        }
    }
}

fn listed(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        "not known".to_owned()
    } else {
        allowed.join(", ")
    }
}

fn non_empty_text(s: &str) -> Result<MatchValue, RecordReferenceError> {
    if s.trim().is_empty() {
        Err(RecordReferenceError::EmptyText)
    } else {
        Ok(MatchValue::Text(s.to_owned()))
    }
}

/// The shorthand string, for an attribute with exactly one allowed target: companies by domain,
/// people by email address, users by `user_id`, workspaces by `workspace_id`. A bare UUID is a
/// record id for companies, people and custom objects; for users and workspaces it is read as
/// the `user_id`/`workspace_id`, since those ids are often UUIDs themselves.
fn from_shorthand(s: &str, allowed: &[&str]) -> Result<RecordReference, RecordReferenceError> {
    let [target] = allowed else {
        return Err(RecordReferenceError::AmbiguousShorthand(listed(allowed)));
    };
    let target_object = ObjectSlug::parse(*target).map_err(RecordReferenceError::TargetObject)?;
    let by = |attribute: AttributeSlug, value: MatchValue| RecordReference::Match {
        target_object: target_object.clone(),
        matching_attribute: attribute,
        value,
    };
    let as_id = Uuid::parse(s.trim()).ok().map(|id| RecordReference::Id {
        target_object: target_object.clone(),
        target_record_id: id,
    });
    match (*target, as_id) {
        ("users", _) => Ok(by(AttributeSlug::USER_ID, non_empty_text(s)?)),
        ("workspaces", _) => Ok(by(AttributeSlug::WORKSPACE_ID, non_empty_text(s)?)),
        (_, Some(by_id)) => Ok(by_id),
        ("companies", None) => Ok(by(AttributeSlug::DOMAINS, MatchValue::Domain(Domain::parse(s)?))),
        ("people", None) => {
            let email = EmailAddress::parse(s.trim())?.into_owned();
            Ok(by(AttributeSlug::EMAIL_ADDRESSES, MatchValue::EmailAddress(email)))
        }
        _ => Err(RecordReferenceError::AmbiguousShorthand(listed(allowed))),
    }
}

/// The single value object under a matching attribute, its type told by its keys.
fn match_value(key: &str, v: &Value) -> Result<MatchValue, ValueProblem> {
    let shape = || RecordReferenceError::MatchShape(key.to_owned());
    let item = match v {
        Value::Array(items) if items.len() == 1 => &items[0],
        _ => return Err(shape().into()),
    };
    let Value::Object(map) = item else {
        return Err(shape().into());
    };
    let unknown = || RecordReferenceError::MatchValue(key.to_owned());
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    let value = match (keys.as_slice(), map.values().next()) {
        (["domain"], Some(Value::String(d))) => {
            MatchValue::Domain(Domain::parse(d).map_err(RecordReferenceError::from)?)
        }
        (["email_address"], Some(Value::String(e))) => MatchValue::EmailAddress(
            EmailAddress::parse(e.trim())
                .map_err(RecordReferenceError::from)?
                .into_owned(),
        ),
        (["value"], Some(Value::String(t))) => non_empty_text(t)?,
        (["value"], Some(Value::Number(n))) => MatchValue::Number(n.as_f64().ok_or_else(unknown)?),
        _ if map.contains_key("original_phone_number")
            && keys
                .iter()
                .all(|k| matches!(*k, "original_phone_number" | "country_code")) =>
        {
            let original = match &map["original_phone_number"] {
                Value::String(s) => s,
                _ => return Err(unknown().into()),
            };
            let country = optional_str(map, "country_code")?
                .map(CountryCode::parse)
                .transpose()
                .map_err(PhoneError::from)
                .map_err(RecordReferenceError::from)?;
            MatchValue::PhoneNumber(PhoneNumber::parse(original, country).map_err(RecordReferenceError::from)?)
        }
        _ => return Err(unknown().into()),
    };
    Ok(value)
}

fn from_object(map: &Map<String, Value>, allowed: &[&str]) -> Result<RecordReference, ValueProblem> {
    let target = match map.get("target_object") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(ValueProblem::WrongKeyType {
                key: "target_object",
                found: json_kind(other),
                expected: "an object slug or id",
            })
        }
        None => return Err(ValueProblem::MissingKey { key: "target_object" }),
    };
    let target_object = ObjectSlug::parse(target).map_err(RecordReferenceError::TargetObject)?;
    // An object id cannot be checked against slugs.
    if !allowed.is_empty() && !allowed.contains(&target) && Uuid::parse(target).is_err() {
        return Err(RecordReferenceError::TargetNotAllowed {
            target: target.to_owned(),
            allowed: listed(allowed),
        }
        .into());
    }
    let others: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| *k != "target_object").collect();
    match others.as_slice() {
        [] => Err(RecordReferenceError::NoRecord.into()),
        [(key, id)] if key.as_str() == "target_record_id" => {
            let id = match id {
                Value::String(s) => Uuid::parse(s).map_err(|_| RecordReferenceError::RecordId(s.clone()))?,
                other => {
                    return Err(ValueProblem::WrongKeyType {
                        key: "target_record_id",
                        found: json_kind(other),
                        expected: "a UUID string",
                    })
                }
            };
            Ok(RecordReference::Id {
                target_object,
                target_record_id: id,
            })
        }
        [(key, value)] => {
            let matching_attribute =
                AttributeSlug::parse(key.as_str()).map_err(RecordReferenceError::MatchingAttribute)?;
            let value = match_value(key, value)?;
            Ok(RecordReference::Match {
                target_object,
                matching_attribute,
                value,
            })
        }
        several => {
            let keys: Vec<&str> = several.iter().map(|(k, _)| k.as_str()).collect();
            Err(RecordReferenceError::SeveralMatches(keys.join(", ")).into())
        }
    }
}

/// The shorthand string (see [`from_shorthand`]) or either object form.
pub(super) fn record_reference_from_json(v: &Value, allowed: &[&str]) -> Result<RecordReference, ValueProblem> {
    match v {
        Value::String(s) => Ok(from_shorthand(s, allowed)?),
        Value::Object(map) => from_object(map, allowed),
        other => Err(wrong_type(
            other,
            "a string or {\"target_object\", \"target_record_id\"} or {\"target_object\", <attribute>: [value]}",
        )),
    }
}

#[cfg(test)]
#[path = "record_reference_tests.rs"]
mod tests;
