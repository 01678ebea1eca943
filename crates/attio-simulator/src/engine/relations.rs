//! Relationship pairs: writing one side of a relationship updates the other side.

use std::collections::VecDeque;

use serde_json::{Map, Value};
use uuid::Uuid;

use super::Engine;
use crate::clock::now_timestamp;
use crate::schema::{AttributeDef, ObjectDef};
use crate::store::{Record, StoredValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOp {
    Add,
    Remove,
}

/// Add or remove `target` in attribute `attribute` of record `record` of `object`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub object: String,
    pub record: Uuid,
    pub attribute: String,
    pub op: EditOp,
    pub target_object: String,
    pub target: Uuid,
    /// Whether displacing a single value must be mirrored on the displaced record.
    pub cascade: bool,
}

pub fn target_id(sv: &StoredValue) -> Option<Uuid> {
    sv.fields
        .get("target_record_id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// The mirror edits for a change of relationship attribute `attr` of `record`.
pub fn diff(
    object: &ObjectDef,
    attr: &AttributeDef,
    record: Uuid,
    old: &[StoredValue],
    new: &[StoredValue],
) -> Vec<Edit> {
    let Some((other_object, other_attr)) = &attr.relationship else {
        return Vec::new();
    };
    let old_ids: Vec<Uuid> = old.iter().filter_map(target_id).collect();
    let new_ids: Vec<Uuid> = new.iter().filter_map(target_id).collect();
    let edit = |target: Uuid, op| Edit {
        object: other_object.clone(),
        record: target,
        attribute: other_attr.clone(),
        op,
        target_object: object.api_slug.clone(),
        target: record,
        cascade: true,
    };
    let removed = old_ids
        .iter()
        .filter(|id| !new_ids.contains(id))
        .map(|&t| edit(t, EditOp::Remove));
    let added = new_ids
        .iter()
        .filter(|id| !old_ids.contains(id))
        .map(|&t| edit(t, EditOp::Add));
    removed.chain(added).collect()
}

/// The edits that remove a deleted record from the other side of its relationships.
pub fn unlink_all(object: &ObjectDef, record: &Record) -> Vec<Edit> {
    object
        .attributes
        .iter()
        .filter(|a| a.relationship.is_some())
        .flat_map(|a| diff(object, a, record.id, &record.values[a.index], &[]))
        .collect()
}

impl Engine {
    /// Applies mirror edits one object lock at a time.
    pub(super) fn apply_edits(&self, edits: Vec<Edit>) {
        let mut queue = VecDeque::from(edits);
        while let Some(e) = queue.pop_front() {
            let Some(object) = self.schema.object(&e.object) else {
                continue;
            };
            let Some(attr) = object.attribute(&e.attribute) else {
                continue;
            };
            let mut store = self.store.lock(object.index);
            let Some(record) = store.records.get_mut(&e.record) else {
                continue;
            };
            let values = &mut record.values[attr.index];
            let points_at_target = |sv: &StoredValue| target_id(sv) == Some(e.target);
            match e.op {
                EditOp::Remove => values.retain(|sv| !points_at_target(sv)),
                EditOp::Add if values.iter().any(points_at_target) => {}
                EditOp::Add => {
                    if !attr.is_multiselect {
                        let displaced: Vec<Uuid> = values.drain(..).filter_map(|sv| target_id(&sv)).collect();
                        if e.cascade {
                            if let Some((_, back_attr)) = &attr.relationship {
                                queue.extend(displaced.into_iter().map(|d| Edit {
                                    object: e.target_object.clone(),
                                    record: d,
                                    attribute: back_attr.clone(),
                                    op: EditOp::Remove,
                                    target_object: e.object.clone(),
                                    target: e.record,
                                    cascade: false,
                                }));
                            }
                        }
                    }
                    let mut fields = Map::new();
                    fields.insert("target_object".into(), Value::String(e.target_object.clone()));
                    fields.insert("target_record_id".into(), Value::String(e.target.to_string()));
                    values.push(StoredValue {
                        active_from: now_timestamp(),
                        fields,
                    });
                }
            }
        }
    }
}
