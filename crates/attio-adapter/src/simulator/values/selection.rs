//! status, select and actor-reference: values chosen from what the workspace defines.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::{one_field, unwrap_field, ValueContext};
use crate::simulator::api_error::ApiError;
use crate::simulator::schema::AttributeDef;

pub fn status(ctx: &ValueContext<'_>, attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let key = unwrap_field(v, "status")
        .as_str()
        .ok_or_else(|| ApiError::invalid_value_because(&attr.slug, "expected a status title or id."))?;
    let choice = AttributeDef::find_choice(&attr.statuses, key).ok_or_else(|| {
        ApiError::value_not_found(format!("Cannot find status attribute with status title \"{key}\"."))
    })?;
    Ok(one_field("status", ctx.schema.status_json(ctx.object, attr, choice)))
}

pub fn select(ctx: &ValueContext<'_>, attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let key = unwrap_field(v, "option")
        .as_str()
        .ok_or_else(|| ApiError::invalid_value_because(&attr.slug, "expected a select option title or id."))?;
    let choice = AttributeDef::find_choice(&attr.options, key).ok_or_else(|| {
        ApiError::value_not_found(format!(
            "Cannot find select attribute with select option title \"{key}\"."
        ))
    })?;
    Ok(one_field("option", ctx.schema.option_json(ctx.object, attr, choice)))
}

pub fn actor(ctx: &ValueContext<'_>, attr: &AttributeDef, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let members = &ctx.schema.members;
    let member = match v {
        Value::String(email) => members.iter().find(|m| m.email_address.eq_ignore_ascii_case(email)),
        Value::Object(o) => {
            if let Some(email) = o.get("workspace_member_email_address").and_then(Value::as_str) {
                members.iter().find(|m| m.email_address.eq_ignore_ascii_case(email))
            } else {
                if o.get("referenced_actor_type").and_then(Value::as_str) != Some("workspace-member") {
                    return Err(ApiError::invalid_value_because(
                        &attr.slug,
                        "only workspace-member actors can be written.",
                    ));
                }
                let id = o
                    .get("referenced_actor_id")
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .ok_or_else(|| {
                        ApiError::invalid_value_because(&attr.slug, "referenced_actor_id must be a UUID.")
                    })?;
                members.iter().find(|m| m.id == id)
            }
        }
        _ => {
            return Err(ApiError::invalid_value_because(
                &attr.slug,
                "expected a workspace member's email address.",
            ))
        }
    }
    .ok_or_else(|| ApiError::value_not_found(format!("No workspace member found for attribute \"{}\".", attr.slug)))?;
    let mut m = Map::new();
    m.insert("referenced_actor_type".into(), Value::String("workspace-member".into()));
    m.insert("referenced_actor_id".into(), Value::String(member.id.to_string()));
    Ok(m)
}
