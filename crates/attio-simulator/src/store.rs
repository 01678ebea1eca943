//! In-memory records: one lock per object, with an index per unique attribute so an
//! assert never scans the object's records.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value};
use uuid::Uuid;

/// One active value of an attribute: when it became active and its type-specific fields.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredValue {
    pub active_from: String,
    pub fields: Map<String, Value>,
}

/// One record; `values[i]` holds the values of the object's attribute with index `i`.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: Uuid,
    pub created_at: String,
    pub seq: u64,
    pub values: Vec<Vec<StoredValue>>,
}

/// The records of one object.
#[derive(Debug, Default)]
pub struct ObjectStore {
    pub records: HashMap<Uuid, Record>,
    order: BTreeMap<u64, Uuid>,
    next_seq: u64,
    /// attribute index → unique key → record id.
    unique: HashMap<usize, HashMap<String, Uuid>>,
}

impl ObjectStore {
    pub fn lookup(&self, attribute: usize, key: &str) -> Option<Uuid> {
        self.unique.get(&attribute).and_then(|m| m.get(key)).copied()
    }

    pub fn index(&mut self, attribute: usize, key: String, id: Uuid) {
        self.unique.entry(attribute).or_default().insert(key, id);
    }

    pub fn unindex(&mut self, attribute: usize, key: &str, id: Uuid) {
        if let Some(m) = self.unique.get_mut(&attribute) {
            if m.get(key) == Some(&id) {
                m.remove(key);
            }
        }
    }

    /// Adds a new record with `attribute_count` empty attributes and returns it.
    pub fn insert_new(&mut self, id: Uuid, created_at: String, attribute_count: usize) -> &mut Record {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, id);
        self.records.entry(id).or_insert(Record {
            id,
            created_at,
            seq,
            values: vec![Vec::new(); attribute_count],
        })
    }

    pub fn remove(&mut self, id: Uuid) -> Option<Record> {
        let r = self.records.remove(&id)?;
        self.order.remove(&r.seq);
        for m in self.unique.values_mut() {
            m.retain(|_, v| *v != id);
        }
        Some(r)
    }

    /// Records in creation order.
    pub fn in_order(&self) -> impl Iterator<Item = &Record> {
        self.order.values().filter_map(|id| self.records.get(id))
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }
}

/// Every object's records, one mutex each, indexed like `Schema::objects`.
#[derive(Debug)]
pub struct Store {
    objects: Vec<Mutex<ObjectStore>>,
}

impl Store {
    pub fn new(object_count: usize) -> Self {
        Self {
            objects: (0..object_count).map(|_| Mutex::new(ObjectStore::default())).collect(),
        }
    }

    /// Locks one object's records. A poisoned lock is recovered: each write leaves the
    /// store consistent before it can panic.
    pub fn lock(&self, object_index: usize) -> MutexGuard<'_, ObjectStore> {
        self.objects[object_index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_records_leave_order_and_index() {
        let mut s = ObjectStore::default();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        s.insert_new(a, "t".into(), 2);
        s.insert_new(b, "t".into(), 2);
        s.index(0, "x@y.com".into(), a);
        assert_eq!(s.lookup(0, "x@y.com"), Some(a));
        s.remove(a);
        assert_eq!(s.lookup(0, "x@y.com"), None);
        assert_eq!(s.in_order().map(|r| r.id).collect::<Vec<_>>(), vec![b]);
    }

    #[test]
    fn unindex_only_removes_the_owner() {
        let mut s = ObjectStore::default();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        s.index(1, "k".into(), a);
        s.unindex(1, "k", b);
        assert_eq!(s.lookup(1, "k"), Some(a));
    }
}
