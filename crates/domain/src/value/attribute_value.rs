//! One typed attribute value, and what a write does to an attribute.

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::actor_reference::ActorReference;
use super::choice::{OptionRef, StatusRef};
use super::currency::Currency;
use super::domain::Domain;
use super::email::EmailAddress;
use super::location::Location;
use super::personal_name::PersonalName;
use super::phone::PhoneNumber;
use super::record_reference::RecordReference;
use super::scalar::Rating;
use super::temporal::{format_date, Timestamp};
use super::AttributeType;

/// What is known of the target attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeSpec<'a> {
    pub slug: &'a str,
    pub attribute_type: AttributeType,
    pub is_multiselect: bool,
    /// currency attributes: config.currency.default_currency_code
    pub default_currency_code: Option<&'a str>,
    /// record-reference: slugs of allowed target objects when known (e.g. ["companies"])
    pub allowed_targets: &'a [&'a str],
}

impl<'a> AttributeSpec<'a> {
    /// A single-value attribute with no currency and no known reference targets.
    pub fn new(slug: &'a str, attribute_type: AttributeType) -> Self {
        Self {
            slug,
            attribute_type,
            is_multiselect: false,
            default_currency_code: None,
            allowed_targets: &[],
        }
    }

    pub fn multiselect(self, is_multiselect: bool) -> Self {
        Self { is_multiselect, ..self }
    }

    pub fn default_currency_code(self, code: Option<&'a str>) -> Self {
        Self {
            default_currency_code: code,
            ..self
        }
    }

    pub fn allowed_targets(self, targets: &'a [&'a str]) -> Self {
        Self {
            allowed_targets: targets,
            ..self
        }
    }
}

/// A value of one of the writable attribute types (all but `interaction`).
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Text(String),
    Number(f64),
    Checkbox(bool),
    Currency(Currency),
    Date(NaiveDate),
    Timestamp(Timestamp),
    Rating(Rating),
    Status(StatusRef),
    Select(OptionRef),
    RecordReference(RecordReference),
    ActorReference(ActorReference),
    Location(Location),
    Domain(Domain),
    EmailAddress(EmailAddress<'static>),
    PhoneNumber(PhoneNumber),
    PersonalName(PersonalName),
}

impl AttributeValue {
    pub fn attribute_type(&self) -> AttributeType {
        match self {
            Self::Text(_) => AttributeType::Text,
            Self::Number(_) => AttributeType::Number,
            Self::Checkbox(_) => AttributeType::Checkbox,
            Self::Currency(_) => AttributeType::Currency,
            Self::Date(_) => AttributeType::Date,
            Self::Timestamp(_) => AttributeType::Timestamp,
            Self::Rating(_) => AttributeType::Rating,
            Self::Status(_) => AttributeType::Status,
            Self::Select(_) => AttributeType::Select,
            Self::RecordReference(_) => AttributeType::RecordReference,
            Self::ActorReference(_) => AttributeType::ActorReference,
            Self::Location(_) => AttributeType::Location,
            Self::Domain(_) => AttributeType::Domain,
            Self::EmailAddress(_) => AttributeType::EmailAddress,
            Self::PhoneNumber(_) => AttributeType::PhoneNumber,
            Self::PersonalName(_) => AttributeType::PersonalName,
        }
    }

    /// The canonical full object write form (e.g. {"first_name","last_name","full_name"}).
    pub fn to_write_json(&self) -> Value {
        match self {
            Self::Text(s) => json!({ "value": s }),
            Self::Number(n) => json!({ "value": n }),
            Self::Checkbox(b) => json!({ "value": b }),
            Self::Currency(c) => c.to_write_json(),
            Self::Date(d) => json!({ "value": format_date(*d) }),
            Self::Timestamp(t) => json!({ "value": t.to_string() }),
            Self::Rating(r) => json!({ "value": r.stars() }),
            Self::Status(s) => s.to_write_json(),
            Self::Select(o) => o.to_write_json(),
            Self::RecordReference(r) => r.to_write_json(),
            Self::ActorReference(a) => a.to_write_json(),
            Self::Location(l) => l.to_write_json(),
            Self::Domain(d) => d.to_write_json(),
            Self::EmailAddress(e) => json!({ "email_address": e.as_str() }),
            Self::PhoneNumber(p) => p.to_write_json(),
            Self::PersonalName(n) => n.to_write_json(),
        }
    }
}

/// What a write does to an attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteValue {
    /// Remove the attribute's value(s): `null` or `[]` was written.
    Clear,
    /// The value of a single-value attribute.
    One(AttributeValue),
    /// The values of a multiselect attribute (never empty: an empty array is `Clear`).
    Many(Vec<AttributeValue>),
}

impl WriteValue {
    /// The values written, none for `Clear`.
    pub fn values(&self) -> &[AttributeValue] {
        match self {
            Self::Clear => &[],
            Self::One(v) => std::slice::from_ref(v),
            Self::Many(vs) => vs,
        }
    }

    pub fn is_clear(&self) -> bool {
        matches!(self, Self::Clear)
    }

    /// The write in canonical form: `[]` to clear (accepted for every attribute, where `null`
    /// is documented for single-value ones only), the object form for one value, an array of
    /// object forms for several.
    pub fn to_write_json(&self) -> Value {
        match self {
            Self::Clear => json!([]),
            Self::One(v) => v.to_write_json(),
            Self::Many(vs) => Value::Array(vs.iter().map(AttributeValue::to_write_json).collect()),
        }
    }
}
