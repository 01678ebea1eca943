//! record-reference values: which record of which object a write points at.

use serde_json::Value;
use uuid::Uuid;

use super::{RefSpec, ValueContext, WriteMode};
use crate::simulator::api_error::ApiError;
use crate::simulator::schema::AttributeDef;

/// The unique attribute a bare string is matched on, per standard target object.
pub fn shorthand_attribute(object: &str) -> Option<&'static str> {
    match object {
        "people" => Some("email_addresses"),
        "companies" => Some("domains"),
        "users" => Some("user_id"),
        "workspaces" => Some("workspace_id"),
        _ => None,
    }
}

fn single_target<'a>(attr: &'a AttributeDef) -> Result<&'a str, ApiError> {
    match attr.allowed_targets.as_slice() {
        [one] => Ok(one),
        _ => Err(ApiError::invalid_value_because(
            &attr.slug,
            "a bare value is only accepted when the attribute allows exactly one target object; use {\"target_object\", \"target_record_id\"}.",
        )),
    }
}

pub fn reference(ctx: &ValueContext<'_>, attr: &AttributeDef, v: &Value) -> Result<RefSpec, ApiError> {
    match v {
        Value::String(s) => {
            let target = single_target(attr)?;
            if ctx.mode == WriteMode::Simple {
                if let Ok(id) = Uuid::parse_str(s) {
                    return Ok(RefSpec::Id {
                        object: target.to_owned(),
                        record_id: id,
                    });
                }
            }
            let attribute = shorthand_attribute(target).ok_or_else(|| {
                ApiError::invalid_value_because(
                    &attr.slug,
                    "a bare string only references people, companies, users or workspaces.",
                )
            })?;
            Ok(RefSpec::Match {
                object: target.to_owned(),
                attribute: attribute.to_owned(),
                raw: v.clone(),
            })
        }
        Value::Object(o) => {
            let target = o
                .get("target_object")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid_value_because(&attr.slug, "target_object is required."))?;
            let object = ctx.schema.object(target).ok_or_else(|| {
                ApiError::invalid_value_because(&attr.slug, &format!("unknown target_object \"{target}\"."))
            })?;
            if !attr.allowed_targets.is_empty() && !attr.allowed_targets.contains(&object.api_slug) {
                return Err(ApiError::invalid_value_because(
                    &attr.slug,
                    &format!("records of \"{}\" cannot be referenced here.", object.api_slug),
                ));
            }
            if let Some(id) = o.get("target_record_id") {
                let record_id = id
                    .as_str()
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .ok_or_else(|| ApiError::invalid_value_because(&attr.slug, "target_record_id must be a UUID."))?;
                return Ok(RefSpec::Id {
                    object: object.api_slug.clone(),
                    record_id,
                });
            }
            let mut matches = o.iter().filter(|(k, _)| k.as_str() != "target_object");
            let (key, value) = match (matches.next(), matches.next()) {
                (Some(kv), None) => kv,
                _ => {
                    return Err(ApiError::invalid_value_because(
                        &attr.slug,
                        "give target_record_id or exactly one matching attribute.",
                    ))
                }
            };
            let matching = object
                .attribute(key)
                .ok_or_else(|| ApiError::value_not_found(format!("Cannot find attribute with slug/ID \"{key}\".")))?;
            let raw = match value {
                Value::Array(items) if items.len() == 1 => items[0].clone(),
                other => other.clone(),
            };
            Ok(RefSpec::Match {
                object: object.api_slug.clone(),
                attribute: matching.slug.clone(),
                raw,
            })
        }
        _ => Err(ApiError::invalid_value_because(
            &attr.slug,
            "expected a record reference.",
        )),
    }
}
