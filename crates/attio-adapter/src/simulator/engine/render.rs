//! Records in Attio's output format (attio-api.md §5b).

use serde_json::{json, Map, Value};

use super::Engine;
use crate::simulator::schema::ObjectDef;
use crate::simulator::store::Record;

impl Engine {
    /// `{id, created_at, web_url, values}` with every attribute slug present.
    pub fn render(&self, object: &ObjectDef, record: &Record) -> Value {
        let actor = json!({"type": "api-token", "id": self.token_actor});
        let mut values = Map::with_capacity(object.attributes.len());
        for attr in &object.attributes {
            let list: Vec<Value> = record.values[attr.index]
                .iter()
                .map(|sv| {
                    let mut v = Map::with_capacity(sv.fields.len() + 4);
                    v.insert("active_from".into(), Value::String(sv.active_from.clone()));
                    v.insert("active_until".into(), Value::Null);
                    v.insert("created_by_actor".into(), actor.clone());
                    for (k, f) in &sv.fields {
                        v.insert(k.clone(), f.clone());
                    }
                    v.insert(
                        "attribute_type".into(),
                        Value::String(attr.attribute_type.as_str().into()),
                    );
                    Value::Object(v)
                })
                .collect();
            values.insert(attr.slug.clone(), Value::Array(list));
        }
        json!({
            "id": {
                "workspace_id": self.schema.workspace_id,
                "object_id": object.id,
                "record_id": record.id,
            },
            "created_at": record.created_at,
            "web_url": format!(
                "https://app.attio.com/{}/{}/{}",
                self.schema.workspace_slug,
                object.singular_noun.to_lowercase(),
                record.id
            ),
            "values": values,
        })
    }
}
