//! JSON forms of objects and attributes, as `GET /v2/objects…` returns them.

use serde_json::{json, Value};

use super::{AttributeDef, Choice, ObjectDef, Schema};

impl Schema {
    pub fn object_json(&self, o: &ObjectDef) -> Value {
        json!({
            "id": {"workspace_id": self.workspace_id, "object_id": o.id},
            "api_slug": o.api_slug,
            "singular_noun": o.singular_noun,
            "plural_noun": o.plural_noun,
            "created_at": o.created_at,
        })
    }

    pub fn attribute_json(&self, o: &ObjectDef, a: &AttributeDef) -> Value {
        let allowed: Option<Vec<_>> = (a.attribute_type == super::AttributeType::RecordReference).then(|| {
            a.allowed_targets
                .iter()
                .filter_map(|slug| self.object(slug))
                .map(|t| t.id.to_string())
                .collect()
        });
        let relationship = a.relationship.as_ref().and_then(|(obj, attr)| {
            let other = self.object(obj)?;
            let back = other.attribute(attr)?;
            Some(json!({
                "id": {"workspace_id": self.workspace_id, "object_id": other.id, "attribute_id": back.id},
                "object_slug": other.api_slug,
                "title": back.title,
                "api_slug": back.slug,
                "is_multiselect": back.is_multiselect,
            }))
        });
        json!({
            "id": {"workspace_id": self.workspace_id, "object_id": o.id, "attribute_id": a.id},
            "title": a.title,
            "description": null,
            "api_slug": a.slug,
            "type": a.attribute_type.as_str(),
            "is_system_attribute": a.is_system_attribute,
            "is_writable": a.is_writable,
            "is_required": a.is_required,
            "is_unique": a.is_unique,
            "is_multiselect": a.is_multiselect,
            "is_default_value_enabled": false,
            "is_archived": false,
            "default_value": null,
            "relationship": relationship,
            "created_at": a.created_at,
            "config": {
                "currency": {
                    "default_currency_code": a.default_currency_code,
                    "display_type": a.default_currency_code.as_ref().map(|_| "symbol"),
                },
                "record_reference": {"allowed_object_ids": allowed},
            },
        })
    }

    pub fn option_json(&self, o: &ObjectDef, a: &AttributeDef, c: &Choice) -> Value {
        json!({
            "id": {"workspace_id": self.workspace_id, "object_id": o.id, "attribute_id": a.id, "option_id": c.id},
            "title": c.title,
            "is_archived": false,
        })
    }

    pub fn status_json(&self, o: &ObjectDef, a: &AttributeDef, c: &Choice) -> Value {
        json!({
            "id": {"workspace_id": self.workspace_id, "object_id": o.id, "attribute_id": a.id, "status_id": c.id},
            "title": c.title,
            "is_archived": false,
            "celebration_enabled": c.title.contains('🎉'),
            "target_time_in_status": null,
        })
    }
}
