//! Assert, create and update: the one write algorithm behind every write endpoint.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::relations::{self, Edit};
use super::Engine;
use crate::api_error::ApiError;
use crate::clock::now_timestamp;
use crate::schema::{AttributeDef, ObjectDef};
use crate::store::{ObjectStore, StoredValue};
use crate::values::{parse_write, unique_key, Parsed, ValueContext, WriteMode};

/// Which record a write targets.
#[derive(Debug, Clone, Copy)]
pub enum WriteKind<'a> {
    /// Match on the unique attribute named (slug or id); create when nothing matches.
    Assert {
        matching: &'a str,
    },
    Create,
    /// PATCH (`append`) or PUT (overwrite) of an existing record.
    Update {
        record_id: &'a str,
        append: bool,
    },
}

/// One write: the `values` object of the body and how to apply it.
#[derive(Debug, Clone, Copy)]
pub struct WriteRequest<'a> {
    pub kind: WriteKind<'a>,
    pub values: &'a Value,
    pub mode: WriteMode,
    /// Append to every multiselect attribute instead of replacing.
    pub append_all: bool,
    /// A reference to a person by email creates the person when none exists.
    pub create_missing_people: bool,
}

/// New values of one attribute: `None` clears.
type Resolved<'o> = (&'o AttributeDef, Option<Vec<Map<String, Value>>>);

impl Engine {
    /// Applies a write and returns the record's id and its JSON text in the output format.
    pub fn write(&self, object: &ObjectDef, req: WriteRequest<'_>) -> Result<(Uuid, String), ApiError> {
        let matching = match req.kind {
            WriteKind::Assert { matching } => Some(matching_attribute(object, matching)?),
            _ => None,
        };
        let values = req
            .values
            .as_object()
            .ok_or_else(|| ApiError::validation("The body must have the form {\"data\":{\"values\":{…}}}."))?;
        let ctx = ValueContext {
            schema: &self.schema,
            object,
            mode: req.mode,
        };
        let mut writes: Vec<Resolved<'_>> = Vec::with_capacity(values.len());
        for (key, raw) in values {
            let attr = object
                .attribute(key)
                .ok_or_else(|| ApiError::value_not_found(format!("Cannot find attribute with slug/ID \"{key}\".")))?;
            let items = match parse_write(&ctx, attr, raw)? {
                Parsed::Clear => None,
                Parsed::Items(items) => Some(
                    items
                        .into_iter()
                        .map(|i| self.resolve(i, req.create_missing_people))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            writes.retain(|(a, _)| a.index != attr.index);
            writes.push((attr, items));
        }

        let mut store = self.store.lock(object.index);
        let existing = match (req.kind, matching) {
            (WriteKind::Assert { .. }, Some(m)) => find_match(&store, m, &writes)?,
            (WriteKind::Update { record_id, .. }, _) => {
                let id = Uuid::parse_str(record_id).map_err(|_| ApiError::record_not_found(record_id))?;
                if !store.records.contains_key(&id) {
                    return Err(ApiError::record_not_found(record_id));
                }
                Some(id)
            }
            _ => None,
        };
        let patch = matches!(req.kind, WriteKind::Update { append: true, .. });
        let now = now_timestamp();
        let mut changes: Vec<(usize, Vec<StoredValue>)> = Vec::with_capacity(writes.len());
        for (attr, items) in writes {
            let old: &[StoredValue] = existing
                .and_then(|id| store.records.get(&id))
                .map_or(&[], |r| r.values[attr.index].as_slice());
            let append =
                attr.is_multiselect && (req.append_all || patch || matching.is_some_and(|m| m.index == attr.index));
            changes.push((attr.index, merge(attr, old, items, append, &now)?));
        }
        if existing.is_none() {
            check_required(object, &changes)?;
        }
        check_unique(object, &store, existing, &changes)?;

        let id = match existing {
            Some(id) => id,
            None => self.create_empty(object, &mut store, &now),
        };
        let mut edits: Vec<Edit> = Vec::new();
        let mut reindex: Vec<(usize, Vec<StoredValue>, Vec<StoredValue>)> = Vec::new();
        if let Some(record) = store.records.get_mut(&id) {
            for (index, new) in changes {
                let attr = &object.attributes[index];
                let old = std::mem::replace(&mut record.values[index], new);
                if attr.relationship.is_some() {
                    edits.extend(relations::diff(object, attr, id, &old, &record.values[index]));
                }
                if attr.is_unique {
                    reindex.push((index, old, record.values[index].clone()));
                }
            }
        }
        for (index, old, new) in reindex {
            let t = object.attributes[index].attribute_type;
            for sv in &old {
                store.unindex(index, &unique_key(t, &sv.fields), id);
            }
            for sv in new {
                store.index(index, unique_key(t, &sv.fields), id);
            }
        }
        let rendered = store
            .records
            .get(&id)
            .map(|r| self.render_text(object, r))
            .unwrap_or_else(|| "null".to_owned());
        drop(store);
        self.apply_edits(edits);
        Ok((id, rendered))
    }

    /// Inserts a record holding only its system values; returns its id.
    pub(super) fn create_empty(&self, object: &ObjectDef, store: &mut ObjectStore, now: &str) -> Uuid {
        let id = Uuid::new_v4();
        let record = store.insert_new(id, now.to_owned(), object.attributes.len());
        let system = [
            ("record_id", json!({"value": id.to_string()})),
            ("created_at", json!({"value": now})),
            (
                "created_by",
                json!({"referenced_actor_type": "api-token", "referenced_actor_id": self.token_actor}),
            ),
        ];
        for (slug, fields) in system {
            if let (Some(a), Value::Object(fields)) = (object.attribute(slug), fields) {
                record.values[a.index] = vec![StoredValue {
                    active_from: now.to_owned(),
                    fields,
                }];
            }
        }
        id
    }
}

fn matching_attribute<'o>(object: &'o ObjectDef, matching: &str) -> Result<&'o AttributeDef, ApiError> {
    let attr = object.attribute(matching).ok_or_else(|| {
        ApiError::value_not_found(format!(
            "No attribute was found for matching_attribute slug/ID \"{matching}\"."
        ))
    })?;
    if !attr.is_unique {
        return Err(ApiError::invalid(
            400,
            "matching_attribute_definition_not_unique",
            "The matching attribute specified is not a unique attribute.",
        ));
    }
    Ok(attr)
}

fn find_match(store: &ObjectStore, m: &AttributeDef, writes: &[Resolved<'_>]) -> Result<Option<Uuid>, ApiError> {
    let items = writes
        .iter()
        .find(|(a, _)| a.index == m.index)
        .and_then(|(_, items)| items.as_ref())
        .ok_or_else(|| {
            ApiError::missing_value(format!(
                "A value for the matching attribute \"{}\" must be included in values.",
                m.slug
            ))
        })?;
    let mut found: Vec<Uuid> = Vec::new();
    for fields in items {
        if let Some(id) = store.lookup(m.index, &unique_key(m.attribute_type, fields)) {
            if !found.contains(&id) {
                found.push(id);
            }
        }
    }
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(ApiError::invalid(
            400,
            "multiple_match_results",
            format!("Multiple records match the value of matching attribute \"{}\".", m.slug),
        )),
    }
}

/// The attribute's values after the write.
fn merge(
    attr: &AttributeDef,
    old: &[StoredValue],
    items: Option<Vec<Map<String, Value>>>,
    append: bool,
    now: &str,
) -> Result<Vec<StoredValue>, ApiError> {
    let Some(items) = items else {
        if attr.is_required {
            return Err(required_missing(attr));
        }
        return Ok(Vec::new());
    };
    let mut out: Vec<StoredValue> = if append { old.to_vec() } else { Vec::new() };
    for fields in items {
        let key = unique_key(attr.attribute_type, &fields);
        if let Some(pos) = out
            .iter()
            .position(|sv| unique_key(attr.attribute_type, &sv.fields) == key)
        {
            if out[pos].fields != fields {
                out[pos] = StoredValue {
                    active_from: now.to_owned(),
                    fields,
                };
            }
            continue;
        }
        let kept = old.iter().find(|sv| sv.fields == fields).cloned();
        out.push(kept.unwrap_or_else(|| StoredValue {
            active_from: now.to_owned(),
            fields,
        }));
    }
    Ok(out)
}

fn required_missing(attr: &AttributeDef) -> ApiError {
    ApiError::missing_value(format!(
        "Required value for attribute with ID \"{}\" was not provided.",
        attr.id
    ))
}

fn check_required(object: &ObjectDef, changes: &[(usize, Vec<StoredValue>)]) -> Result<(), ApiError> {
    for attr in object.attributes.iter().filter(|a| a.is_required && a.is_writable) {
        let given = changes.iter().any(|(i, v)| *i == attr.index && !v.is_empty());
        if !given {
            return Err(required_missing(attr));
        }
    }
    Ok(())
}

fn check_unique(
    object: &ObjectDef,
    store: &ObjectStore,
    this: Option<Uuid>,
    changes: &[(usize, Vec<StoredValue>)],
) -> Result<(), ApiError> {
    for (index, values) in changes {
        let attr = &object.attributes[*index];
        if !attr.is_unique {
            continue;
        }
        for sv in values {
            if let Some(other) = store.lookup(*index, &unique_key(attr.attribute_type, &sv.fields)) {
                if Some(other) != this {
                    return Err(ApiError::invalid(
                        400,
                        "uniqueness_conflict",
                        format!(
                            "The value \"{}\" provided for attribute with ID \"{}\" conflicts with one already in the system. Conflicting record IDs: {other}",
                            Value::Object(sv.fields.clone()),
                            attr.id
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}
