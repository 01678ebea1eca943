//! The merge of two assertions for one record.

use std::borrow::Cow;

use serde_json::Value;

use crate::fingerprint::record_key;
use crate::ports::AttributeDefinition;
use crate::value::AttributeType;
use crate::{AssertValue, Assertion, JsonText, Multiselect, WriteMode};

/// What an attribute holds, as far as merging writes to it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeKind {
    /// One value (text, number, select, ...): a later write replaces it.
    Single,
    /// Several values that are not record references (multiselect select, email
    /// addresses, domains, ...).
    Multiselect,
    /// A record reference (one or several): writing one may create the person it names.
    Reference,
    /// Not known (no schema at hand): never merged with an earlier write of it.
    Unknown,
}

impl AttributeKind {
    /// The kind of an attribute as the workspace describes it.
    pub fn of(definition: &AttributeDefinition) -> Self {
        if definition.attribute_type == AttributeType::RecordReference {
            AttributeKind::Reference
        } else if definition.is_multiselect {
            AttributeKind::Multiselect
        } else {
            AttributeKind::Single
        }
    }
}

/// The merged assertion, and how many assertions of the run (from the first) it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Coalesced<'a> {
    pub assertion: Assertion<'a>,
    pub merged: usize,
}

/// Merges the longest prefix of `run` (assertions for one record, in the order they
/// would be sent) that one assertion can stand for; `kind(object, attribute)` tells what
/// an attribute holds. `None` when `run` is empty.
pub fn coalesce<'a>(
    run: &[Assertion<'a>],
    write_mode: WriteMode,
    kind: &dyn Fn(&str, &str) -> AttributeKind,
) -> Option<Coalesced<'a>> {
    let (first, rest) = run.split_first()?;
    let mut acc = first.clone();
    let mut merged = 1;
    if write_mode == WriteMode::CreateOnly {
        // The first creates the record if it is missing; the others change nothing.
        let key = record_key(first);
        merged += rest
            .iter()
            .take_while(|next| key.is_some() && record_key(next) == key && !has_nested_or_reply(next))
            .count();
        let merged = if has_nested_or_reply(first) { 1 } else { merged };
        return Some(Coalesced { assertion: acc, merged });
    }
    for next in rest {
        match merged_pair(&acc, next, kind) {
            Some(m) => {
                acc = m;
                merged += 1;
            }
            None => break,
        }
    }
    Some(Coalesced { assertion: acc, merged })
}

fn has_nested_or_reply(a: &Assertion<'_>) -> bool {
    a.values
        .iter()
        .any(|(_, v)| matches!(v, AssertValue::Nested(_) | AssertValue::RecordIdOfPreviousReply))
}

/// `acc` then `next` as one assertion, or `None` when no one assertion is equivalent.
fn merged_pair<'a>(
    acc: &Assertion<'a>,
    next: &Assertion<'a>,
    kind: &dyn Fn(&str, &str) -> AttributeKind,
) -> Option<Assertion<'a>> {
    if acc.object != next.object
        || acc.matching_attribute != next.matching_attribute
        || acc.multiselect != next.multiselect
    {
        return None;
    }
    let key = record_key(acc)?;
    if record_key(next)? != key {
        return None;
    }
    let mut out = acc.clone();
    for (name, value) in &next.values {
        let merged = match (out.get(name), value) {
            (_, AssertValue::RecordIdOfPreviousReply) | (Some(AssertValue::RecordIdOfPreviousReply), _) => return None,
            (None, v) => v.clone(),
            (Some(AssertValue::Nested(old)), AssertValue::Nested(new)) => {
                AssertValue::Nested(Box::new(merged_pair(old, new, kind)?))
            }
            // The earlier nested record would be written, the later value would not say so.
            (Some(AssertValue::Nested(_)), AssertValue::Json(_)) => return None,
            (Some(AssertValue::Json(old)), AssertValue::Nested(new)) => {
                if !is_clear(old) && kind(acc.object.as_str(), name) != AttributeKind::Single {
                    return None;
                }
                AssertValue::Nested(new.clone())
            }
            (Some(AssertValue::Json(old)), AssertValue::Json(new)) => {
                let matching = name.as_ref() == acc.matching_attribute.as_str();
                let attribute = if matching {
                    // Both name the same record.
                    AttributeKind::Single
                } else {
                    kind(acc.object.as_str(), name)
                };
                AssertValue::Json(merged_json(old, new, attribute, acc.multiselect)?)
            }
        };
        out.set(name.clone(), merged);
    }
    if next.received_at.is_some() {
        out.received_at = next.received_at.clone();
    }
    Some(out)
}

/// An attribute's value after `old` then `new`, written with `multiselect`.
fn merged_json<'a>(
    old: &JsonText<'a>,
    new: &JsonText<'a>,
    kind: AttributeKind,
    multiselect: Multiselect,
) -> Option<JsonText<'a>> {
    if old.as_str() == new.as_str() || old.to_value() == new.to_value() {
        // Writing the same value twice is writing it once, whatever the attribute holds.
        return Some(new.clone());
    }
    match kind {
        AttributeKind::Single => Some(new.clone()),
        AttributeKind::Unknown => None,
        AttributeKind::Reference => {
            // Only what writing the old value did (create the person it names) is safe
            // to drop: nothing, when it was a clear or the same value.
            (is_clear(old) || old.to_value() == new.to_value()).then(|| new.clone())
        }
        AttributeKind::Multiselect => match multiselect {
            Multiselect::Replace => Some(new.clone()),
            Multiselect::Append if is_clear(new) => Some(new.clone()),
            // A clear followed by values: no one `append` write does both.
            Multiselect::Append if is_clear(old) => None,
            Multiselect::Append => Some(union(old, new)),
        },
    }
}

/// `null` and `[]` both clear an attribute.
fn is_clear(v: &JsonText<'_>) -> bool {
    v.is_null() || matches!(v.to_value(), Value::Array(items) if items.is_empty())
}

/// The values of `old` then those of `new` not already there, as one JSON array.
fn union<'a>(old: &JsonText<'a>, new: &JsonText<'a>) -> JsonText<'a> {
    let mut items = items(old.to_value());
    for item in items_of(new.to_value()) {
        if !items.contains(&item) {
            items.push(item);
        }
    }
    JsonText::trusted(Cow::Owned(Value::Array(items).to_string()))
}

fn items(v: Value) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in items_of(v) {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn items_of(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        other => vec![other],
    }
}
