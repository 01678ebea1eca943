//! Looking up the target of a record reference, creating a person when asked.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::Engine;
use crate::api_error::ApiError;
use crate::clock::now_timestamp;
use crate::store::StoredValue;
use crate::values::{parse_write, unique_key, Item, Parsed, RefSpec, ValueContext, WriteMode};

impl Engine {
    /// The stored fields of a written item; references become `{target_object, target_record_id}`.
    pub(super) fn resolve(&self, item: Item, create_missing_people: bool) -> Result<Map<String, Value>, ApiError> {
        let (object, id) = match item {
            Item::Plain(m) => return Ok(m),
            Item::Reference(r) => self.resolve_reference(r, create_missing_people)?,
        };
        let mut m = Map::new();
        m.insert("target_object".into(), Value::String(object));
        m.insert("target_record_id".into(), Value::String(id.to_string()));
        Ok(m)
    }

    /// Finds a referenced record without creating it (for filters).
    pub(super) fn find_reference(&self, r: RefSpec) -> Result<Option<Uuid>, ApiError> {
        match self.resolve_reference(r, false) {
            Ok((_, id)) => Ok(Some(id)),
            Err(e) if e.code == attio_adapter::wire::error::code::VALUE_NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn resolve_reference(&self, r: RefSpec, create_missing_people: bool) -> Result<(String, Uuid), ApiError> {
        match r {
            RefSpec::Id { object, record_id } => {
                let o = self.object(&object)?;
                if self.store.lock(o.index).records.contains_key(&record_id) {
                    Ok((o.api_slug.clone(), record_id))
                } else {
                    Err(ApiError::value_not_found(format!(
                        "Record with ID \"{record_id}\" not found in object \"{object}\"."
                    )))
                }
            }
            RefSpec::Match { object, attribute, raw } => {
                let o = self.object(&object)?;
                let a = o
                    .attribute(&attribute)
                    .ok_or_else(|| ApiError::attribute_not_found(&attribute))?;
                if !a.is_unique {
                    return Err(ApiError::validation(format!(
                        "Records of \"{object}\" can only be referenced by a unique attribute; \"{attribute}\" is not unique."
                    )));
                }
                let ctx = ValueContext {
                    schema: &self.schema,
                    object: o,
                    mode: WriteMode::Simple,
                };
                let fields = match parse_write(&ctx, a, &raw)? {
                    Parsed::Items(mut items) if items.len() == 1 => match items.remove(0) {
                        Item::Plain(m) => m,
                        Item::Reference(_) => return Err(ApiError::invalid_value(&attribute)),
                    },
                    _ => return Err(ApiError::invalid_value(&attribute)),
                };
                let key = unique_key(a.attribute_type, &fields);
                let mut store = self.store.lock(o.index);
                if let Some(id) = store.lookup(a.index, &key) {
                    return Ok((o.api_slug.clone(), id));
                }
                if create_missing_people && o.api_slug == "people" && a.slug == "email_addresses" {
                    let now = now_timestamp();
                    let id = self.create_empty(o, &mut store, &now);
                    if let Some(record) = store.records.get_mut(&id) {
                        record.values[a.index] = vec![StoredValue {
                            active_from: now,
                            fields,
                        }];
                    }
                    store.index(a.index, key, id);
                    return Ok((o.api_slug.clone(), id));
                }
                Err(ApiError::value_not_found(format!(
                    "No record of \"{object}\" found where \"{attribute}\" is {raw}."
                )))
            }
        }
    }
}
