//! The workspace schema: objects and their attribute definitions, fixed when the
//! simulator starts.

mod build;
mod file;
mod render;
mod standard;

use std::collections::HashMap;

pub use build::SchemaError;
pub use domain::value::AttributeType;
pub use file::{load_schema_file, SchemaFile, SchemaFileError};
use uuid::Uuid;

/// A select option or a status of an attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub id: Uuid,
    pub title: String,
}

/// One attribute of an object.
#[derive(Debug, Clone)]
pub struct AttributeDef {
    pub index: usize,
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub attribute_type: AttributeType,
    pub is_system_attribute: bool,
    pub is_writable: bool,
    pub is_required: bool,
    pub is_unique: bool,
    pub is_multiselect: bool,
    pub default_currency_code: Option<String>,
    /// Slugs of the objects a record-reference may point at (empty = any).
    pub allowed_targets: Vec<String>,
    pub options: Vec<Choice>,
    pub statuses: Vec<Choice>,
    /// The other side of a relationship: (object slug, attribute slug).
    pub relationship: Option<(String, String)>,
    pub created_at: String,
}

/// A workspace member (the only writable kind of actor).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceMember {
    pub id: Uuid,
    pub email_address: String,
}

/// One object (standard or custom).
#[derive(Debug, Clone)]
pub struct ObjectDef {
    pub index: usize,
    pub id: Uuid,
    pub api_slug: String,
    pub singular_noun: String,
    pub plural_noun: String,
    pub created_at: String,
    pub active: bool,
    pub attributes: Vec<AttributeDef>,
    attr_by_key: HashMap<String, usize>,
}

impl ObjectDef {
    /// Finds an attribute by slug or by attribute id.
    pub fn attribute(&self, slug_or_id: &str) -> Option<&AttributeDef> {
        self.attr_by_key
            .get(slug_or_id)
            .or_else(|| self.attr_by_key.get(&slug_or_id.to_ascii_lowercase()))
            .map(|&i| &self.attributes[i])
    }
}

/// The whole workspace.
#[derive(Debug, Clone)]
pub struct Schema {
    pub workspace_id: Uuid,
    pub workspace_slug: String,
    pub workspace_name: String,
    pub objects: Vec<ObjectDef>,
    /// Workspace members that actor-reference values may name.
    pub members: Vec<WorkspaceMember>,
    /// Lists, each with its entry attributes.
    pub lists: Vec<ListDef>,
    by_key: HashMap<String, usize>,
}

/// A list: records of its parent object become its entries, with entry attributes.
#[derive(Debug, Clone)]
pub struct ListDef {
    pub index: usize,
    pub id: Uuid,
    pub api_slug: String,
    pub name: String,
    /// The slug of the object whose records the list holds.
    pub parent_object: String,
    pub created_at: String,
    /// The entry attributes, held as an object definition so that written values are
    /// checked like record values.
    pub entry: ObjectDef,
}

impl Schema {
    /// Finds an **active** object by slug or object id.
    pub fn object(&self, slug_or_id: &str) -> Option<&ObjectDef> {
        let i = self
            .by_key
            .get(slug_or_id)
            .or_else(|| self.by_key.get(&slug_or_id.to_ascii_lowercase()))?;
        let o = &self.objects[*i];
        o.active.then_some(o)
    }

    /// Finds a list by slug or list id.
    pub fn list(&self, slug_or_id: &str) -> Option<&ListDef> {
        self.lists
            .iter()
            .find(|l| l.api_slug == slug_or_id || l.id.to_string() == slug_or_id.to_ascii_lowercase())
    }

    pub fn active_objects(&self) -> impl Iterator<Item = &ObjectDef> {
        self.objects.iter().filter(|o| o.active)
    }

    /// The standard workspace plus the custom definitions of `file`, with the objects
    /// named in `inactive` switched off.
    pub fn build(file: Option<&SchemaFile>, inactive: &[String]) -> Result<Schema, SchemaError> {
        build::build(file, inactive)
    }
}
