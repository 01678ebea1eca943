//! Lists and their entries: upsert by parent, create, query, get and delete.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::Engine;
use crate::api_error::ApiError;
use crate::clock::now_timestamp;
use crate::schema::{ListDef, ObjectDef};
use crate::store::StoredValue;
use crate::values::{parse_write, unique_key, Parsed, ValueContext, WriteMode};

const DEFAULT_LIMIT: u64 = 500;

/// One entry of a list.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: Uuid,
    pub list: usize,
    pub parent_object: String,
    pub parent_record_id: Uuid,
    pub created_at: String,
    /// `values[i]` holds the values of the list's entry attribute `i`.
    pub values: Vec<Vec<StoredValue>>,
}

/// Every list's entries, in creation order.
#[derive(Debug, Default)]
pub struct EntryStore {
    pub entries: Vec<Entry>,
}

/// The `data` of an entry write.
struct EntryWrite<'e, 'b> {
    parent_object: &'e ObjectDef,
    parent_record_id: Uuid,
    values: &'b Map<String, Value>,
}

impl Engine {
    pub fn list(&self, slug_or_id: &str) -> Result<&ListDef, ApiError> {
        self.schema.list(slug_or_id).ok_or_else(|| {
            ApiError::invalid(
                404,
                attio_adapter::wire::error::code::NOT_FOUND,
                format!("List with slug/ID \"{slug_or_id}\" not found."),
            )
        })
    }

    pub fn list_json(&self, list: &ListDef) -> Value {
        json!({
            "id": {"workspace_id": self.schema.workspace_id, "list_id": list.id},
            "api_slug": list.api_slug,
            "name": list.name,
            "parent_object": [list.parent_object],
            "workspace_access": "full-access",
            "workspace_member_access": [],
            "created_by_actor": {"type": "api-token", "id": self.token_actor},
            "created_at": list.created_at,
        })
    }

    /// `PUT /v2/lists/{list}/entries`: updates the parent's entry, or creates one.
    /// Multiselect values are replaced, as Attio documents for this endpoint.
    pub fn assert_entry(&self, list: &ListDef, body: &Value) -> Result<Value, ApiError> {
        self.write_entry(list, body, true)
    }

    /// `POST /v2/lists/{list}/entries`: always a new entry.
    pub fn create_entry(&self, list: &ListDef, body: &Value) -> Result<Value, ApiError> {
        self.write_entry(list, body, false)
    }

    fn write_entry(&self, list: &ListDef, body: &Value, by_parent: bool) -> Result<Value, ApiError> {
        let w = self.entry_write(list, body)?;
        let ctx = ValueContext {
            schema: &self.schema,
            object: &list.entry,
            mode: WriteMode::Strict,
        };
        let mut changes: Vec<(usize, Vec<Map<String, Value>>)> = Vec::with_capacity(w.values.len());
        for (key, raw) in w.values {
            let attr = list
                .entry
                .attribute(key)
                .ok_or_else(|| ApiError::value_not_found(format!("Cannot find attribute with slug/ID \"{key}\".")))?;
            let items = match parse_write(&ctx, attr, raw)? {
                Parsed::Clear => Vec::new(),
                Parsed::Items(items) => items
                    .into_iter()
                    .map(|i| self.resolve(i, false))
                    .collect::<Result<Vec<_>, _>>()?,
            };
            changes.retain(|(i, _)| *i != attr.index);
            changes.push((attr.index, items));
        }
        let now = now_timestamp();
        let mut store = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let matches: Vec<usize> = if by_parent {
            store
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.list == list.index && e.parent_record_id == w.parent_record_id)
                .map(|(i, _)| i)
                .collect()
        } else {
            Vec::new()
        };
        let index = match matches.as_slice() {
            [] => {
                store.entries.push(Entry {
                    id: Uuid::new_v4(),
                    list: list.index,
                    parent_object: w.parent_object.api_slug.clone(),
                    parent_record_id: w.parent_record_id,
                    created_at: now.clone(),
                    values: vec![Vec::new(); list.entry.attributes.len()],
                });
                store.entries.len() - 1
            }
            [one] => *one,
            _ => {
                return Err(ApiError::invalid(
                    400,
                    "multiple_match_results",
                    format!(
                        "Multiple entries with parent record \"{}\" were found in list \"{}\".",
                        w.parent_record_id, list.api_slug
                    ),
                ))
            }
        };
        let entry = &mut store.entries[index];
        for (attr_index, items) in changes {
            let t = list.entry.attributes[attr_index].attribute_type;
            let old = std::mem::take(&mut entry.values[attr_index]);
            entry.values[attr_index] = items
                .into_iter()
                .map(|fields| {
                    let key = unique_key(t, &fields);
                    old.iter()
                        .find(|sv| unique_key(t, &sv.fields) == key && sv.fields == fields)
                        .cloned()
                        .unwrap_or(StoredValue {
                            active_from: now.clone(),
                            fields,
                        })
                })
                .collect();
        }
        Ok(self.entry_json(list, &store.entries[index]))
    }

    fn entry_write<'e, 'b>(&'e self, list: &ListDef, body: &'b Value) -> Result<EntryWrite<'e, 'b>, ApiError> {
        let data = body
            .get("data")
            .and_then(Value::as_object)
            .ok_or_else(|| ApiError::validation("The body must have the form {\"data\":{…}}."))?;
        let field = |k: &str| {
            data.get(k)
                .filter(|v| !v.is_null())
                .ok_or_else(|| ApiError::validation(format!("Body parameter \"data.{k}\" is required.")))
        };
        let parent_object = field("parent_object")?
            .as_str()
            .ok_or_else(|| ApiError::validation("Body parameter \"data.parent_object\" must be a string."))?;
        let record = field("parent_record_id")?
            .as_str()
            .ok_or_else(|| ApiError::validation("Body parameter \"data.parent_record_id\" must be a string."))?;
        let values = field("entry_values")?
            .as_object()
            .ok_or_else(|| ApiError::validation("Body parameter \"data.entry_values\" must be an object."))?;
        let object = self.object(parent_object)?;
        if object.api_slug != list.parent_object {
            return Err(ApiError::validation(format!(
                "Object \"{}\" is not a parent object of list \"{}\" (its parent object is \"{}\").",
                object.api_slug, list.api_slug, list.parent_object
            )));
        }
        let id = Uuid::parse_str(record)
            .map_err(|_| ApiError::validation("Body parameter \"data.parent_record_id\" must be a UUID.".to_owned()))?;
        if !self.store.lock(object.index).records.contains_key(&id) {
            return Err(ApiError::record_not_found(record));
        }
        Ok(EntryWrite {
            parent_object: object,
            parent_record_id: id,
            values,
        })
    }

    /// `POST /v2/lists/{list}/entries/query`.
    pub fn query_entries(&self, list: &ListDef, body: &Value) -> Result<Vec<Value>, ApiError> {
        if !body.is_object() && !body.is_null() {
            return Err(ApiError::validation("The body must be a JSON object."));
        }
        let count = |key: &str, default: u64| match body.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_u64()
                .ok_or_else(|| ApiError::validation(format!("\"{key}\" must be a non-negative integer."))),
        };
        let limit = count("limit", DEFAULT_LIMIT)? as usize;
        let offset = count("offset", 0)? as usize;
        let filter = entry_filter(list, body.get("filter"))?;
        let store = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Ok(store
            .entries
            .iter()
            .filter(|e| e.list == list.index && filter.matches(e))
            .skip(offset)
            .take(limit)
            .map(|e| self.entry_json(list, e))
            .collect())
    }

    pub fn get_entry(&self, list: &ListDef, entry_id: &str) -> Result<Value, ApiError> {
        let store = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let e = find_entry(&store, list, entry_id)?;
        Ok(self.entry_json(list, &store.entries[e]))
    }

    pub fn delete_entry(&self, list: &ListDef, entry_id: &str) -> Result<(), ApiError> {
        let mut store = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let e = find_entry(&store, list, entry_id)?;
        store.entries.remove(e);
        Ok(())
    }

    /// Removes the entries whose parent record was deleted.
    pub(super) fn forget_parent(&self, record_id: Uuid) {
        let mut store = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        store.entries.retain(|e| e.parent_record_id != record_id);
    }

    fn entry_json(&self, list: &ListDef, e: &Entry) -> Value {
        json!({
            "id": {"workspace_id": self.schema.workspace_id, "list_id": list.id, "entry_id": e.id},
            "parent_record_id": e.parent_record_id,
            "parent_object": e.parent_object,
            "created_at": e.created_at,
            "entry_values": self.render_values(&list.entry, &e.values),
        })
    }

    /// Every entry of `list` in creation order (inspection).
    pub fn entries(&self, list: &str) -> Option<Vec<Value>> {
        let list = self.schema.list(list)?;
        let store = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Some(
            store
                .entries
                .iter()
                .filter(|e| e.list == list.index)
                .map(|e| self.entry_json(list, e))
                .collect(),
        )
    }
}

fn find_entry(store: &EntryStore, list: &ListDef, entry_id: &str) -> Result<usize, ApiError> {
    let not_found = || {
        ApiError::invalid(
            404,
            attio_adapter::wire::error::code::NOT_FOUND,
            format!("List entry with ID \"{entry_id}\" not found."),
        )
    };
    let id = Uuid::parse_str(entry_id).map_err(|_| not_found())?;
    store
        .entries
        .iter()
        .position(|e| e.list == list.index && e.id == id)
        .ok_or_else(not_found)
}

/// The filters the simulator understands on entries: the parent record (by
/// `parent_record_id`, shorthand or `{"$eq": …}`, or by the `path`
/// `[[list, "parent_record"], [object, "record_id"]]`) and the parent object.
#[derive(Default)]
struct EntryFilter {
    parent_record_id: Option<Uuid>,
    parent_object: Option<String>,
}

impl EntryFilter {
    fn matches(&self, e: &Entry) -> bool {
        self.parent_record_id.is_none_or(|id| e.parent_record_id == id)
            && self.parent_object.as_deref().is_none_or(|o| e.parent_object == o)
    }
}

fn filter_error(detail: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(400, "filter_error", format!("Error in filter: {detail}"))
}

fn eq_text(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(m) => m.get("$eq").and_then(Value::as_str),
        _ => None,
    }
}

fn record_uuid(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| filter_error(format!("\"{s}\" is not a record ID.")))
}

fn entry_filter(list: &ListDef, filter: Option<&Value>) -> Result<EntryFilter, ApiError> {
    let mut f = EntryFilter::default();
    let Some(filter) = filter.filter(|v| !v.is_null()) else {
        return Ok(f);
    };
    let obj = filter
        .as_object()
        .ok_or_else(|| filter_error("the filter must be an object."))?;
    if let Some(path) = obj.get("path") {
        let names_list = |v: &Value| {
            v.as_str()
                .is_some_and(|s| s == list.api_slug || s.eq_ignore_ascii_case(&list.id.to_string()))
        };
        let ok = path.as_array().is_some_and(|steps| {
            steps.len() == 2
                && steps[0].get(0).is_some_and(names_list)
                && steps[0].get(1).and_then(Value::as_str) == Some("parent_record")
                && steps[1].get(1).and_then(Value::as_str) == Some("record_id")
        });
        let value = obj.get("constraints").and_then(|c| c.get("value")).and_then(eq_text);
        return match (ok, value) {
            (true, Some(v)) => {
                f.parent_record_id = Some(record_uuid(v)?);
                Ok(f)
            }
            _ => Err(filter_error(
                "only the path [[list, \"parent_record\"], [object, \"record_id\"]] with constraints {\"value\": <record id>} is supported.",
            )),
        };
    }
    for (k, v) in obj {
        match k.as_str() {
            "parent_record_id" => {
                let s = eq_text(v).ok_or_else(|| filter_error("parent_record_id must be a string or {\"$eq\": string}."))?;
                f.parent_record_id = Some(record_uuid(s)?);
            }
            "parent_object" => {
                let s = eq_text(v).ok_or_else(|| filter_error("parent_object must be a string or {\"$eq\": string}."))?;
                f.parent_object = Some(s.to_owned());
            }
            other => {
                return Err(filter_error(format!(
                    "unknown attribute or field \"{other}\" (the simulator filters entries by parent_record_id and parent_object)."
                )))
            }
        }
    }
    Ok(f)
}
