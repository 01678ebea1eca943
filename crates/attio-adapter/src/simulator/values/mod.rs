//! Validation and normalisation of written values: every write to the simulator goes
//! through [`parse_write`], which turns the JSON of one attribute into the stored value
//! objects (the type-specific fields of Attio's output form), or record references still
//! to be resolved against the store.

mod contact;
mod reference;
mod scalar;
mod selection;

use serde_json::{Map, Value};
use uuid::Uuid;

use super::api_error::ApiError;
use super::schema::{AttributeDef, AttributeType, ObjectDef, Schema};

/// How lenient the endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// The documented endpoints: a multiselect attribute needs an array.
    Strict,
    /// `/records/simple` and `/v2/batch/records`: bare values are accepted for
    /// multiselect attributes, and a bare UUID names a target record.
    Simple,
}

/// A record reference as written, before the target is looked up.
#[derive(Debug, Clone, PartialEq)]
pub enum RefSpec {
    /// A record id of `object`.
    Id { object: String, record_id: Uuid },
    /// The record of `object` whose unique `attribute` has the value `raw`.
    Match {
        object: String,
        attribute: String,
        raw: Value,
    },
}

/// One written value.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// The type-specific fields of the stored value object.
    Plain(Map<String, Value>),
    Reference(RefSpec),
}

/// What a write does to one attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Clear,
    Items(Vec<Item>),
}

/// What value parsing needs to know beyond the attribute.
pub struct ValueContext<'a> {
    pub schema: &'a Schema,
    pub object: &'a ObjectDef,
    pub mode: WriteMode,
}

/// Parses the JSON written to `attr`, checking cardinality and the type's forms.
pub fn parse_write(ctx: &ValueContext<'_>, attr: &AttributeDef, raw: &Value) -> Result<Parsed, ApiError> {
    if !attr.is_writable {
        return Err(ApiError::invalid_value_because(
            &attr.slug,
            "the attribute is not writable.",
        ));
    }
    parse_value(ctx, attr, raw)
}

/// Like [`parse_write`] without the writability check (for filters).
pub fn parse_value(ctx: &ValueContext<'_>, attr: &AttributeDef, raw: &Value) -> Result<Parsed, ApiError> {
    match raw {
        Value::Null => Ok(Parsed::Clear),
        Value::Array(items) if items.is_empty() => Ok(Parsed::Clear),
        Value::Array(items) => {
            if !attr.is_multiselect && items.len() > 1 {
                return Err(ApiError::invalid_value_because(
                    &attr.slug,
                    "the attribute takes a single value but several were given.",
                ));
            }
            let parsed = items
                .iter()
                .map(|v| parse_one(ctx, attr, v))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Parsed::Items(parsed))
        }
        single => {
            if attr.is_multiselect && ctx.mode == WriteMode::Strict {
                return Err(ApiError::invalid_value_because(
                    &attr.slug,
                    "multiselect attributes take an array of values.",
                ));
            }
            Ok(Parsed::Items(vec![parse_one(ctx, attr, single)?]))
        }
    }
}

fn parse_one(ctx: &ValueContext<'_>, attr: &AttributeDef, v: &Value) -> Result<Item, ApiError> {
    use AttributeType as T;
    let plain = |r: Result<Map<String, Value>, ApiError>| r.map(Item::Plain);
    match attr.attribute_type {
        T::Text => plain(scalar::text(attr, v)),
        T::Number => plain(scalar::number(attr, v)),
        T::Checkbox => plain(scalar::checkbox(attr, v)),
        T::Currency => plain(scalar::currency(attr, v)),
        T::Date => plain(scalar::date(attr, v)),
        T::Timestamp => plain(scalar::timestamp(attr, v)),
        T::Rating => plain(scalar::rating(attr, v)),
        T::Status => plain(selection::status(ctx, attr, v)),
        T::Select => plain(selection::select(ctx, attr, v)),
        T::ActorReference => plain(selection::actor(ctx, attr, v)),
        T::Location => plain(contact::location(attr, v)),
        T::Domain => plain(contact::domain(attr, v)),
        T::EmailAddress => plain(contact::email(attr, v)),
        T::PhoneNumber => plain(contact::phone(attr, v)),
        T::PersonalName => plain(contact::personal_name(attr, v)),
        T::RecordReference => reference::reference(ctx, attr, v).map(Item::Reference),
        T::Interaction => Err(ApiError::invalid_value_because(
            &attr.slug,
            "interaction values are written by Attio only.",
        )),
    }
}

/// Unwraps the object form `{"<key>": x}` into `x`; other values pass through.
pub(super) fn unwrap_field<'v>(v: &'v Value, key: &str) -> &'v Value {
    match v {
        Value::Object(m) => m.get(key).unwrap_or(v),
        _ => v,
    }
}

pub(super) fn one_field(key: &str, v: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(key.to_owned(), v);
    m
}

/// The key under which a stored value of a unique attribute is indexed.
pub fn unique_key(attribute_type: AttributeType, fields: &Map<String, Value>) -> String {
    let field = match attribute_type {
        AttributeType::EmailAddress => "email_address",
        AttributeType::Domain => "domain",
        AttributeType::PhoneNumber => "phone_number",
        AttributeType::RecordReference => "target_record_id",
        _ => "value",
    };
    match fields.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => Value::Object(fields.clone()).to_string(),
    }
}
