//! Assembles a [`Schema`] from object specifications, checking Attio's rules.

use std::collections::HashMap;

use uuid::Uuid;

use super::file::SchemaFile;
use super::standard::standard_objects;
use super::{AttributeDef, AttributeType, Choice, ListDef, ObjectDef, Schema};
use crate::clock::now_timestamp;

/// Why a schema could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("object \"{0}\" is defined twice")]
    DuplicateObject(String),
    #[error("object \"{object}\": attribute \"{attribute}\" is defined twice")]
    DuplicateAttribute { object: String, attribute: String },
    #[error("attributes are added to object \"{0}\", which does not exist")]
    UnknownObject(String),
    #[error("object \"{object}\", attribute \"{attribute}\": {problem}")]
    InvalidAttribute {
        object: String,
        attribute: String,
        problem: String,
    },
    #[error("objects to deactivate: \"{0}\" does not exist")]
    UnknownInactiveObject(String),
    #[error("invalid slug \"{0}\": use lowercase letters, digits and underscores, starting with a letter")]
    InvalidSlug(String),
}

/// An attribute before ids are assigned.
#[derive(Debug, Clone)]
pub struct AttributeSpec {
    pub slug: String,
    pub title: Option<String>,
    pub attribute_type: AttributeType,
    pub is_system: bool,
    pub is_writable: bool,
    pub is_required: bool,
    pub is_unique: bool,
    pub is_multiselect: bool,
    pub default_currency_code: Option<String>,
    pub allowed_targets: Vec<String>,
    pub options: Vec<String>,
    pub statuses: Vec<String>,
    pub relationship: Option<(String, String)>,
}

impl AttributeSpec {
    pub fn new(slug: &str, attribute_type: AttributeType) -> Self {
        Self {
            slug: slug.to_owned(),
            title: None,
            attribute_type,
            is_system: true,
            is_writable: true,
            is_required: false,
            is_unique: false,
            is_multiselect: false,
            default_currency_code: None,
            allowed_targets: Vec::new(),
            options: Vec::new(),
            statuses: Vec::new(),
            relationship: None,
        }
    }
    pub fn reference(slug: &str, targets: &[&str]) -> Self {
        let mut a = Self::new(slug, AttributeType::RecordReference);
        a.allowed_targets = targets.iter().map(|s| s.to_string()).collect();
        a
    }
    pub fn unique(mut self) -> Self {
        self.is_unique = true;
        self
    }
    pub fn multi(mut self) -> Self {
        self.is_multiselect = true;
        self
    }
    pub fn required(mut self) -> Self {
        self.is_required = true;
        self
    }
    pub fn read_only(mut self) -> Self {
        self.is_writable = false;
        self
    }
    pub fn options(mut self, titles: &[&str]) -> Self {
        self.options = titles.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn statuses(mut self, titles: &[&str]) -> Self {
        self.statuses = titles.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn currency(mut self, code: &str) -> Self {
        self.default_currency_code = Some(code.to_owned());
        self
    }
}

/// An object before ids are assigned.
#[derive(Debug, Clone)]
pub struct ObjectSpec {
    pub api_slug: String,
    pub singular_noun: String,
    pub plural_noun: String,
    pub attributes: Vec<AttributeSpec>,
}

impl ObjectSpec {
    pub fn new(slug: &str, singular: &str, plural: &str, attributes: Vec<AttributeSpec>) -> Self {
        Self {
            api_slug: slug.to_owned(),
            singular_noun: singular.to_owned(),
            plural_noun: plural.to_owned(),
            attributes,
        }
    }
}

pub(crate) fn valid_slug(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn title_of(slug: &str) -> String {
    let mut out = String::with_capacity(slug.len());
    for (i, word) in slug.split('_').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let mut c = word.chars();
        if let Some(first) = c.next() {
            if i == 0 {
                out.extend(first.to_uppercase());
            } else {
                out.push(first);
            }
            out.extend(c);
        }
    }
    out
}

fn system_attributes() -> Vec<AttributeSpec> {
    vec![
        AttributeSpec::new("record_id", AttributeType::Text).read_only(),
        AttributeSpec::new("created_at", AttributeType::Timestamp).read_only(),
        AttributeSpec::new("created_by", AttributeType::ActorReference).read_only(),
    ]
}

pub(super) fn build(file: Option<&SchemaFile>, inactive: &[String]) -> Result<Schema, SchemaError> {
    let mut specs = standard_objects();
    let custom = match file {
        Some(f) => f.to_specs()?,
        None => Default::default(),
    };
    for obj in custom.objects {
        if specs.iter().any(|o| o.api_slug == obj.api_slug) {
            return Err(SchemaError::DuplicateObject(obj.api_slug));
        }
        specs.push(obj);
    }
    for (object, attr) in custom.extra_attributes {
        let spec = specs
            .iter_mut()
            .find(|o| o.api_slug == object)
            .ok_or_else(|| SchemaError::UnknownObject(object.clone()))?;
        if object == "companies" && attr.is_unique {
            return Err(SchemaError::InvalidAttribute {
                object,
                attribute: attr.slug,
                problem: "Attio does not allow custom unique attributes on companies".into(),
            });
        }
        spec.attributes.push(attr);
    }
    let mut inactive_all: Vec<String> = inactive.to_vec();
    inactive_all.extend(custom.inactive);
    for slug in &inactive_all {
        if !specs.iter().any(|o| &o.api_slug == slug) {
            return Err(SchemaError::UnknownInactiveObject(slug.clone()));
        }
    }
    let is_active = |slug: &str| !inactive_all.iter().any(|s| s == slug);

    let workspace_id = Uuid::new_v4();
    let created_at = now_timestamp();
    let mut objects = Vec::with_capacity(specs.len());
    let mut by_key = HashMap::new();
    for (index, spec) in specs.iter().enumerate() {
        let id = Uuid::new_v4();
        let mut attributes = Vec::new();
        let mut attr_by_key = HashMap::new();
        let all = system_attributes().into_iter().chain(spec.attributes.iter().cloned());
        for a in all {
            check_attribute(spec, &a, &specs)?;
            // A relationship to an inactive object does not exist in the workspace.
            if let Some((other, _)) = &a.relationship {
                if !is_active(other) {
                    continue;
                }
            }
            if attr_by_key.contains_key(&a.slug) {
                return Err(SchemaError::DuplicateAttribute {
                    object: spec.api_slug.clone(),
                    attribute: a.slug.clone(),
                });
            }
            let attr_id = Uuid::new_v4();
            let i = attributes.len();
            attr_by_key.insert(a.slug.clone(), i);
            attr_by_key.insert(attr_id.to_string(), i);
            attributes.push(AttributeDef {
                index: i,
                id: attr_id,
                title: a.title.clone().unwrap_or_else(|| title_of(&a.slug)),
                slug: a.slug,
                attribute_type: a.attribute_type,
                is_system_attribute: a.is_system,
                is_writable: a.is_writable,
                is_required: a.is_required,
                is_unique: a.is_unique,
                is_multiselect: a.is_multiselect,
                default_currency_code: a.default_currency_code,
                allowed_targets: a.allowed_targets,
                options: choices(&a.options),
                statuses: choices(&a.statuses),
                relationship: a.relationship,
                created_at: created_at.clone(),
            });
        }
        by_key.insert(spec.api_slug.clone(), index);
        by_key.insert(id.to_string(), index);
        objects.push(ObjectDef {
            index,
            id,
            api_slug: spec.api_slug.clone(),
            singular_noun: spec.singular_noun.clone(),
            plural_noun: spec.plural_noun.clone(),
            created_at: created_at.clone(),
            active: is_active(&spec.api_slug),
            attributes,
            attr_by_key,
        });
    }
    let lists = standard_lists()
        .into_iter()
        .enumerate()
        .filter(|(_, (_, _, parent, _))| is_active(parent))
        .map(|(index, (slug, name, parent, attributes))| ListDef {
            index,
            id: Uuid::new_v4(),
            api_slug: slug.to_owned(),
            name: name.to_owned(),
            parent_object: parent.to_owned(),
            created_at: created_at.clone(),
            entry: entry_object(slug, name, attributes, &created_at),
        })
        .collect();
    Ok(Schema {
        workspace_id,
        lists,
        workspace_slug: "simulated-workspace".into(),
        workspace_name: "Simulated Workspace".into(),
        objects,
        members: vec![super::WorkspaceMember {
            id: Uuid::new_v4(),
            email_address: "owner@simulated-workspace.example".into(),
        }],
        by_key,
    })
}

/// The built-in lists: `onboarding` of people, with a `stage` status and a `score`.
fn standard_lists() -> Vec<(&'static str, &'static str, &'static str, Vec<AttributeSpec>)> {
    vec![(
        "onboarding",
        "Onboarding",
        "people",
        vec![
            AttributeSpec::new("stage", AttributeType::Status).statuses(&["Signed up", "Activated", "Paying"]),
            AttributeSpec::new("score", AttributeType::Number),
        ],
    )]
}

/// The entry attributes of a list as an object definition (not one of the workspace's
/// objects: it is found through its list only).
fn entry_object(slug: &str, name: &str, specs: Vec<AttributeSpec>, created_at: &str) -> ObjectDef {
    let mut attributes = Vec::with_capacity(specs.len());
    let mut attr_by_key = HashMap::new();
    for (i, a) in specs.into_iter().enumerate() {
        let id = Uuid::new_v4();
        attr_by_key.insert(a.slug.clone(), i);
        attr_by_key.insert(id.to_string(), i);
        attributes.push(AttributeDef {
            index: i,
            id,
            title: a.title.clone().unwrap_or_else(|| title_of(&a.slug)),
            slug: a.slug,
            attribute_type: a.attribute_type,
            is_system_attribute: false,
            is_writable: a.is_writable,
            is_required: a.is_required,
            is_unique: a.is_unique,
            is_multiselect: a.is_multiselect,
            default_currency_code: a.default_currency_code,
            allowed_targets: a.allowed_targets,
            options: choices(&a.options),
            statuses: choices(&a.statuses),
            relationship: None,
            created_at: created_at.to_owned(),
        });
    }
    ObjectDef {
        index: usize::MAX,
        id: Uuid::new_v4(),
        api_slug: slug.to_owned(),
        singular_noun: name.to_owned(),
        plural_noun: name.to_owned(),
        created_at: created_at.to_owned(),
        active: true,
        attributes,
        attr_by_key,
    }
}

fn choices(titles: &[String]) -> Vec<Choice> {
    titles
        .iter()
        .map(|t| Choice {
            id: Uuid::new_v4(),
            title: t.clone(),
        })
        .collect()
}

fn check_attribute(object: &ObjectSpec, a: &AttributeSpec, all: &[ObjectSpec]) -> Result<(), SchemaError> {
    let fail = |problem: String| SchemaError::InvalidAttribute {
        object: object.api_slug.clone(),
        attribute: a.slug.clone(),
        problem,
    };
    if !valid_slug(&a.slug) {
        return Err(SchemaError::InvalidSlug(a.slug.clone()));
    }
    use AttributeType as T;
    let single_only = matches!(
        a.attribute_type,
        T::Text
            | T::Number
            | T::Checkbox
            | T::Currency
            | T::Date
            | T::Timestamp
            | T::Rating
            | T::Status
            | T::PersonalName
    );
    if single_only && a.is_multiselect {
        return Err(fail(format!("type {} cannot be multiselect", a.attribute_type)));
    }
    if a.attribute_type == T::Select && a.is_unique {
        return Err(fail("select attributes cannot be unique".into()));
    }
    if a.attribute_type == T::Select && a.options.is_empty() {
        return Err(fail("a select attribute needs at least one option".into()));
    }
    if a.attribute_type == T::Status && a.statuses.is_empty() {
        return Err(fail("a status attribute needs at least one status".into()));
    }
    for target in &a.allowed_targets {
        if !all.iter().any(|o| &o.api_slug == target) {
            return Err(fail(format!("target object \"{target}\" does not exist")));
        }
    }
    if let Some((other, other_attr)) = &a.relationship {
        let back = all
            .iter()
            .find(|o| &o.api_slug == other)
            .and_then(|o| o.attributes.iter().find(|b| &b.slug == other_attr));
        match back {
            Some(b) if b.relationship.as_ref() == Some(&(object.api_slug.clone(), a.slug.clone())) => {}
            _ => {
                return Err(fail(format!(
                    "relationship names {other}.{other_attr}, which does not point back"
                )))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_workspace_has_five_active_objects_with_system_attributes() {
        let s = build(None, &[]).expect("standard schema");
        let slugs: Vec<_> = s.active_objects().map(|o| o.api_slug.as_str()).collect();
        assert_eq!(slugs, ["people", "companies", "deals", "users", "workspaces"]);
        for o in s.active_objects() {
            for sys in ["record_id", "created_at", "created_by"] {
                let a = o.attribute(sys).expect("system attribute");
                assert!(!a.is_writable, "{}.{sys}", o.api_slug);
            }
        }
    }

    #[test]
    fn deactivated_object_is_not_found_and_its_relationships_vanish() {
        let s = build(None, &["deals".into()]).expect("schema");
        assert!(s.object("deals").is_none());
        let people = s.object("people").expect("people");
        assert!(people.attribute("associated_deals").is_none());
        assert!(people.attribute("associated_users").is_some());
    }

    #[test]
    fn objects_and_attributes_are_found_by_id_too() {
        let s = build(None, &[]).expect("schema");
        let users = s.object("users").expect("users");
        let by_id = s.object(&users.id.to_string()).expect("by id");
        assert_eq!(by_id.api_slug, "users");
        let a = users.attribute("user_id").expect("user_id");
        assert_eq!(
            users.attribute(&a.id.to_string()).map(|b| b.slug.as_str()),
            Some("user_id")
        );
        assert!(a.is_unique && a.is_required);
    }

    #[test]
    fn unknown_inactive_object_is_refused() {
        let e = build(None, &["nope".into()]).unwrap_err();
        assert_eq!(e, SchemaError::UnknownInactiveObject("nope".into()));
    }

    #[test]
    fn titles_are_derived_from_slugs() {
        assert_eq!(title_of("email_addresses"), "Email addresses");
        assert_eq!(title_of("name"), "Name");
    }
}
