//! Validation and normalisation of written values: every write to the simulator goes
//! through [`parse_write`]. The shapes of the 17 attribute types are checked by
//! [`domain::value::parse_write`]; this module adds what needs the workspace (writable
//! attributes, the strict array rule of the documented endpoints, select options,
//! statuses, workspace members, target objects) and turns each value into the
//! type-specific fields of Attio's output form ([`convert`]).

mod convert;

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

/// Parses the JSON written to `attr`, checking writability, cardinality and the type.
pub fn parse_write(ctx: &ValueContext<'_>, attr: &AttributeDef, raw: &Value) -> Result<Parsed, ApiError> {
    if !attr.is_writable {
        return Err(ApiError::invalid_value_because(
            &attr.slug,
            "the attribute is not writable.",
        ));
    }
    if attr.is_multiselect && ctx.mode == WriteMode::Strict && !matches!(raw, Value::Array(_) | Value::Null) {
        return Err(ApiError::invalid_value_because(
            &attr.slug,
            "multiselect attributes take an array of values.",
        ));
    }
    if ctx.mode == WriteMode::Strict && attr.attribute_type == AttributeType::RecordReference && has_bare_uuid(raw) {
        // The documented endpoint reads a bare string for a companies or people
        // reference as a domain or an email address, which a UUID is not.
        if let [target] = attr.allowed_targets.as_slice() {
            if target == "companies" || target == "people" {
                return Err(ApiError::invalid_value_because(
                    &attr.slug,
                    "a bare string names the target by its domain or email address; use {\"target_object\", \"target_record_id\"} for a record id.",
                ));
            }
        }
    }
    parse_value(ctx, attr, raw)
}

fn has_bare_uuid(raw: &Value) -> bool {
    let is_uuid = |v: &Value| v.as_str().is_some_and(|s| Uuid::parse_str(s.trim()).is_ok());
    match raw {
        Value::Array(items) => items.iter().any(is_uuid),
        other => is_uuid(other),
    }
}

/// Like [`parse_write`] without the writability and array checks (for filters).
pub fn parse_value(ctx: &ValueContext<'_>, attr: &AttributeDef, raw: &Value) -> Result<Parsed, ApiError> {
    let raw = match ctx.mode {
        WriteMode::Simple if attr.attribute_type == AttributeType::RecordReference => bare_ids_to_objects(attr, raw),
        _ => std::borrow::Cow::Borrowed(raw),
    };
    let targets: Vec<&str> = attr.allowed_targets.iter().map(String::as_str).collect();
    let spec = domain::value::AttributeSpec::new(&attr.slug, attr.attribute_type)
        .multiselect(attr.is_multiselect)
        .default_currency_code(attr.default_currency_code.as_deref())
        .allowed_targets(&targets);
    let written = domain::value::parse_write(&spec, &raw)
        .map_err(|e| ApiError::invalid_value_because(&attr.slug, &format!("{e}.")))?;
    let values = match written {
        domain::value::WriteValue::Clear => return Ok(Parsed::Clear),
        domain::value::WriteValue::One(v) => vec![v],
        domain::value::WriteValue::Many(vs) => vs,
    };
    values
        .into_iter()
        .map(|v| convert::item(ctx, attr, v))
        .collect::<Result<Vec<_>, _>>()
        .map(Parsed::Items)
}

/// On the simple endpoint a bare UUID string names a record of the single target object
/// (users and workspaces excepted: there a string is always a `user_id`/`workspace_id`).
fn bare_ids_to_objects<'v>(attr: &AttributeDef, raw: &'v Value) -> std::borrow::Cow<'v, Value> {
    let [target] = attr.allowed_targets.as_slice() else {
        return std::borrow::Cow::Borrowed(raw);
    };
    if target == "users" || target == "workspaces" {
        return std::borrow::Cow::Borrowed(raw);
    }
    let convert = |v: &Value| match v {
        Value::String(s) if Uuid::parse_str(s).is_ok() => {
            serde_json::json!({"target_object": target, "target_record_id": s.to_ascii_lowercase()})
        }
        other => other.clone(),
    };
    match raw {
        Value::String(_) => std::borrow::Cow::Owned(convert(raw)),
        Value::Array(items) if items.iter().any(Value::is_string) => {
            std::borrow::Cow::Owned(Value::Array(items.iter().map(convert).collect()))
        }
        _ => std::borrow::Cow::Borrowed(raw),
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

#[cfg(test)]
mod tests;
