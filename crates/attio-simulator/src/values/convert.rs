//! From a typed [`AttributeValue`] to the stored fields of Attio's output form, resolving
//! what the workspace defines (options, statuses, members, target objects).

use domain::value::{format_date, ActorReference, AttributeValue, OptionRef, RecordReference, StatusRef};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::{one_field, Item, RefSpec, ValueContext};
use crate::api_error::ApiError;
use crate::clock::format_timestamp;
use crate::schema::{AttributeDef, Choice};

fn to_uuid(id: domain::value::Uuid) -> Uuid {
    Uuid::from_u128(id.as_u128())
}

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => one_field("value", other),
    }
}

fn choice<'a>(choices: &'a [Choice], id: Option<domain::value::Uuid>, title: Option<&str>) -> Option<&'a Choice> {
    match (id, title) {
        (Some(id), _) => choices.iter().find(|c| c.id == to_uuid(id)),
        (None, Some(t)) => choices.iter().find(|c| c.title == t),
        (None, None) => None,
    }
}

pub fn item(ctx: &ValueContext<'_>, attr: &AttributeDef, v: AttributeValue) -> Result<Item, ApiError> {
    let plain = |m: Map<String, Value>| Ok(Item::Plain(m));
    match v {
        AttributeValue::Text(s) => plain(one_field("value", Value::String(s))),
        AttributeValue::Number(n) => plain(one_field("value", json!(n))),
        AttributeValue::Checkbox(b) => plain(one_field("value", Value::Bool(b))),
        AttributeValue::Currency(c) => plain(fields(json!({
            "currency_value": c.value(),
            "currency_code": c.code().map(|c| c.as_str().to_owned()).or_else(|| attr.default_currency_code.clone()),
        }))),
        AttributeValue::Date(d) => plain(one_field("value", Value::String(format_date(d)))),
        AttributeValue::Timestamp(t) => plain(one_field("value", Value::String(format_timestamp(t.as_datetime())))),
        AttributeValue::Rating(r) => plain(one_field("value", json!(r.stars()))),
        AttributeValue::Status(s) => status(ctx, attr, &s).map(Item::Plain),
        AttributeValue::Select(o) => option(ctx, attr, &o).map(Item::Plain),
        AttributeValue::ActorReference(a) => actor(ctx, attr, &a).map(Item::Plain),
        AttributeValue::RecordReference(r) => reference(ctx, attr, r).map(Item::Reference),
        AttributeValue::Location(l) => plain(fields(json!({
            "line_1": l.line(1), "line_2": l.line(2), "line_3": l.line(3), "line_4": l.line(4),
            "locality": l.locality(), "region": l.region(), "postcode": l.postcode(),
            "country_code": l.country_code().map(|c| c.to_string()),
            "latitude": l.latitude(), "longitude": l.longitude(),
        }))),
        AttributeValue::Domain(d) => plain(fields(json!({"domain": d.as_str(), "root_domain": d.root_domain()}))),
        AttributeValue::EmailAddress(e) => {
            let original = e.as_str().to_owned();
            let lower = original.to_lowercase();
            let (local, host) = lower.rsplit_once('@').unwrap_or((lower.as_str(), ""));
            let root = domain::value::Domain::parse(host)
                .map(|d| d.root_domain().to_owned())
                .unwrap_or_else(|_| host.to_owned());
            plain(fields(json!({
                "original_email_address": original,
                "email_address": lower,
                "email_domain": host,
                "email_root_domain": root,
                "email_local_specifier": local.split('+').next().unwrap_or(local),
            })))
        }
        AttributeValue::PhoneNumber(p) => plain(fields(json!({
            "original_phone_number": p.original(),
            "country_code": p.country_code().map(|c| c.to_string()),
            "phone_number": p.e164(),
        }))),
        AttributeValue::PersonalName(n) => plain(fields(json!({
            "first_name": n.first_name(), "last_name": n.last_name(), "full_name": n.full_name(),
        }))),
    }
}

fn status(ctx: &ValueContext<'_>, attr: &AttributeDef, s: &StatusRef) -> Result<Map<String, Value>, ApiError> {
    let c = choice(&attr.statuses, s.id(), s.title()).ok_or_else(|| {
        ApiError::value_not_found(format!(
            "Cannot find status attribute with status title \"{}\".",
            s.to_text()
        ))
    })?;
    Ok(one_field("status", ctx.schema.status_json(ctx.object, attr, c)))
}

fn option(ctx: &ValueContext<'_>, attr: &AttributeDef, o: &OptionRef) -> Result<Map<String, Value>, ApiError> {
    let c = choice(&attr.options, o.id(), o.title()).ok_or_else(|| {
        ApiError::value_not_found(format!(
            "Cannot find select attribute with select option title \"{}\".",
            o.to_text()
        ))
    })?;
    Ok(one_field("option", ctx.schema.option_json(ctx.object, attr, c)))
}

fn actor(ctx: &ValueContext<'_>, attr: &AttributeDef, a: &ActorReference) -> Result<Map<String, Value>, ApiError> {
    let members = &ctx.schema.members;
    let member = match a {
        ActorReference::WorkspaceMemberEmail(e) => members
            .iter()
            .find(|m| m.email_address.eq_ignore_ascii_case(e.as_str())),
        ActorReference::WorkspaceMember(id) => members.iter().find(|m| m.id == to_uuid(*id)),
    }
    .ok_or_else(|| ApiError::value_not_found(format!("No workspace member found for attribute \"{}\".", attr.slug)))?;
    Ok(fields(json!({
        "referenced_actor_type": "workspace-member",
        "referenced_actor_id": member.id.to_string(),
    })))
}

fn reference(ctx: &ValueContext<'_>, attr: &AttributeDef, r: RecordReference) -> Result<RefSpec, ApiError> {
    let target = r.target_object().as_str();
    let object = ctx
        .schema
        .object(target)
        .ok_or_else(|| ApiError::invalid_value_because(&attr.slug, &format!("unknown target_object \"{target}\".")))?;
    if !attr.allowed_targets.is_empty() && !attr.allowed_targets.contains(&object.api_slug) {
        return Err(ApiError::invalid_value_because(
            &attr.slug,
            &format!("records of \"{}\" cannot be referenced here.", object.api_slug),
        ));
    }
    Ok(match r {
        RecordReference::Id { target_record_id, .. } => RefSpec::Id {
            object: object.api_slug.clone(),
            record_id: to_uuid(target_record_id),
        },
        RecordReference::Match {
            matching_attribute,
            value,
            ..
        } => {
            let matching = object.attribute(matching_attribute.as_str()).ok_or_else(|| {
                ApiError::value_not_found(format!("Cannot find attribute with slug/ID \"{matching_attribute}\"."))
            })?;
            RefSpec::Match {
                object: object.api_slug.clone(),
                attribute: matching.slug.clone(),
                raw: value.to_write_json(),
            }
        }
    })
}
