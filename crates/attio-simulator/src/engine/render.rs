//! Records in Attio's output format (attio-api.md §5b), serialised straight from the
//! store without building an intermediate JSON tree.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use uuid::Uuid;

use super::Engine;
use crate::schema::{AttributeDef, ObjectDef};
use crate::store::{Record, StoredValue};

/// `{id, created_at, web_url, values}` with every attribute slug present.
pub struct RecordView<'a> {
    engine: &'a Engine,
    object: &'a ObjectDef,
    record: &'a Record,
}

struct IdView<'a>(&'a RecordView<'a>);
struct ValuesView<'a>(&'a RecordView<'a>);
struct ListView<'a> {
    attr: &'a AttributeDef,
    values: &'a [StoredValue],
    actor: Uuid,
}
struct ValueView<'a> {
    attr: &'a AttributeDef,
    value: &'a StoredValue,
    actor: Uuid,
}
struct ActorView(Uuid);

impl Serialize for RecordView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("id", &IdView(self))?;
        m.serialize_entry("created_at", &self.record.created_at)?;
        let url = format!(
            "https://app.attio.com/{}/{}/{}",
            self.engine.schema.workspace_slug,
            self.object.singular_noun.to_lowercase(),
            self.record.id
        );
        m.serialize_entry("web_url", &url)?;
        m.serialize_entry("values", &ValuesView(self))?;
        m.end()
    }
}

impl Serialize for IdView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("workspace_id", &self.0.engine.schema.workspace_id)?;
        m.serialize_entry("object_id", &self.0.object.id)?;
        m.serialize_entry("record_id", &self.0.record.id)?;
        m.end()
    }
}

impl Serialize for ValuesView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        let mut m = s.serialize_map(Some(v.object.attributes.len()))?;
        for attr in &v.object.attributes {
            let list = ListView {
                attr,
                values: &v.record.values[attr.index],
                actor: v.engine.token_actor,
            };
            m.serialize_entry(&attr.slug, &list)?;
        }
        m.end()
    }
}

impl Serialize for ListView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.values.iter().map(|value| ValueView {
            attr: self.attr,
            value,
            actor: self.actor,
        }))
    }
}

impl Serialize for ValueView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.value.fields.len() + 4))?;
        m.serialize_entry("active_from", &self.value.active_from)?;
        m.serialize_entry("active_until", &Value::Null)?;
        m.serialize_entry("created_by_actor", &ActorView(self.actor))?;
        for (k, f) in &self.value.fields {
            m.serialize_entry(k, f)?;
        }
        m.serialize_entry("attribute_type", self.attr.attribute_type.as_str())?;
        m.end()
    }
}

impl Serialize for ActorView {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("type", "api-token")?;
        m.serialize_entry("id", &self.0)?;
        m.end()
    }
}

/// The values of a list entry, every entry attribute present.
struct EntryValuesView<'a> {
    object: &'a ObjectDef,
    values: &'a [Vec<StoredValue>],
    actor: Uuid,
}

impl Serialize for EntryValuesView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.object.attributes.len()))?;
        for attr in &self.object.attributes {
            let values = self.values.get(attr.index).map_or(&[][..], Vec::as_slice);
            m.serialize_entry(
                &attr.slug,
                &ListView {
                    attr,
                    values,
                    actor: self.actor,
                },
            )?;
        }
        m.end()
    }
}

impl Engine {
    /// Entry values in the output format.
    pub fn render_values(&self, object: &ObjectDef, values: &[Vec<StoredValue>]) -> Value {
        serde_json::to_value(EntryValuesView {
            object,
            values,
            actor: self.token_actor,
        })
        .unwrap_or(Value::Null)
    }

    pub fn view<'a>(&'a self, object: &'a ObjectDef, record: &'a Record) -> RecordView<'a> {
        RecordView {
            engine: self,
            object,
            record,
        }
    }

    /// The record as a JSON value.
    pub fn render(&self, object: &ObjectDef, record: &Record) -> Value {
        serde_json::to_value(self.view(object, record)).unwrap_or(Value::Null)
    }

    /// The record as JSON text.
    pub fn render_text(&self, object: &ObjectDef, record: &Record) -> String {
        serde_json::to_string(&self.view(object, record)).unwrap_or_else(|_| "null".to_owned())
    }
}
