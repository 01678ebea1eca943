//! The workspace's behaviour: asserting, creating, updating, deleting, reading and
//! querying records over the [`Store`], with the relationship pairs kept in step.

mod lists;
mod notes;
mod query;
mod relations;
mod render;
mod resolve;
mod write;

use std::sync::{Arc, Mutex};

use serde_json::Value;
use uuid::Uuid;

use super::api_error::ApiError;
use super::schema::{ObjectDef, Schema};
use super::store::Store;
pub use lists::EntryStore;
pub use notes::{Note, NoteQuery};
pub use write::{WriteKind, WriteRequest};

/// The schema, the records and the identity the simulator writes as.
#[derive(Debug)]
pub struct Engine {
    pub schema: Arc<Schema>,
    pub store: Store,
    /// The entries of every list.
    pub entries: Mutex<EntryStore>,
    pub notes: Mutex<Vec<Note>>,
    /// The id of the API token actor that `created_by_actor` names.
    pub token_actor: Uuid,
}

impl Engine {
    pub fn new(schema: Schema) -> Self {
        let store = Store::new(schema.objects.len());
        Self {
            schema: Arc::new(schema),
            store,
            entries: Mutex::new(EntryStore::default()),
            notes: Mutex::new(Vec::new()),
            token_actor: Uuid::new_v4(),
        }
    }

    pub fn object(&self, slug_or_id: &str) -> Result<&ObjectDef, ApiError> {
        self.schema
            .object(slug_or_id)
            .ok_or_else(|| ApiError::object_not_found(slug_or_id))
    }

    /// `GET /v2/objects/{o}/records/{id}`.
    pub fn get_record(&self, object: &ObjectDef, record_id: &str) -> Result<Value, ApiError> {
        let id = Uuid::parse_str(record_id).map_err(|_| ApiError::record_not_found(record_id))?;
        let store = self.store.lock(object.index);
        let record = store
            .records
            .get(&id)
            .ok_or_else(|| ApiError::record_not_found(record_id))?;
        Ok(self.render(object, record))
    }

    /// `DELETE /v2/objects/{o}/records/{id}`: removes the record and its links.
    pub fn delete_record(&self, object: &ObjectDef, record_id: &str) -> Result<(), ApiError> {
        let id = Uuid::parse_str(record_id).map_err(|_| ApiError::record_not_found(record_id))?;
        let removed = self
            .store
            .lock(object.index)
            .remove(id)
            .ok_or_else(|| ApiError::record_not_found(record_id))?;
        let edits = relations::unlink_all(object, &removed);
        self.apply_edits(edits);
        self.forget_parent(id);
        self.notes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|n| n.parent_record_id != id);
        Ok(())
    }

    /// Every record of an active object in creation order, in the output format.
    pub fn records(&self, object: &str) -> Option<Vec<Value>> {
        let o = self.schema.object(object)?;
        let store = self.store.lock(o.index);
        Some(store.in_order().map(|r| self.render(o, r)).collect())
    }

    /// Record counts per active object.
    pub fn record_counts(&self) -> Vec<(String, usize)> {
        self.schema
            .active_objects()
            .map(|o| (o.api_slug.clone(), self.store.lock(o.index).len()))
            .collect()
    }
}
