//! Custom objects and attributes from a TOML or JSON file.
//!
//! ```toml
//! # Objects to switch off (their API answers 404, as for a non-activated object).
//! inactive = ["deals"]
//!
//! [[objects]]
//! api_slug = "projects"
//! singular_noun = "Project"
//! plural_noun = "Projects"
//!
//! [[objects.attributes]]
//! slug = "code"
//! type = "text"            # one of Attio's attribute types, e.g. "select", "record-reference"
//! unique = true            # optional flags, all false by default
//! multiselect = false
//! required = false
//! title = "Project code"   # optional; derived from the slug otherwise
//!
//! [[objects.attributes]]
//! slug = "phase"
//! type = "select"
//! options = ["Discovery", "Build"]     # select options (titles)
//!
//! [[objects.attributes]]
//! slug = "owner_people"
//! type = "record-reference"
//! multiselect = true
//! target_objects = ["people"]
//!
//! # Attributes added to an existing (standard or custom) object.
//! [[attributes]]
//! object = "people"
//! slug = "plan"
//! type = "status"
//! statuses = ["Free", "Paid"]
//! ```
//!
//! The JSON form has the same structure. `default_currency_code` sets the currency of a
//! `currency` attribute. Slugs are lowercase letters, digits and underscores.

use std::path::Path;

use serde::Deserialize;

use super::build::{AttributeSpec, ObjectSpec, SchemaError};
use super::AttributeType;

/// The parsed schema file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaFile {
    #[serde(default)]
    pub inactive: Vec<String>,
    #[serde(default)]
    pub objects: Vec<FileObject>,
    #[serde(default)]
    pub attributes: Vec<FileExtraAttribute>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileObject {
    pub api_slug: String,
    pub singular_noun: String,
    pub plural_noun: String,
    #[serde(default)]
    pub attributes: Vec<FileAttribute>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAttribute {
    pub slug: String,
    #[serde(rename = "type")]
    pub attribute_type: AttributeType,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub multiselect: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub statuses: Vec<String>,
    #[serde(default)]
    pub target_objects: Vec<String>,
    #[serde(default)]
    pub default_currency_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileExtraAttribute {
    pub object: String,
    #[serde(flatten)]
    pub attribute: FileAttribute,
}

/// Custom definitions ready to merge into the standard workspace.
#[derive(Debug, Default)]
pub(super) struct CustomSpecs {
    pub objects: Vec<ObjectSpec>,
    pub extra_attributes: Vec<(String, AttributeSpec)>,
    pub inactive: Vec<String>,
}

/// Why a schema file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SchemaFileError {
    #[error("cannot read schema file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("schema file {path} is not valid TOML: {message}")]
    Toml { path: String, message: String },
    #[error("schema file {path} is not valid JSON: {source}")]
    Json { path: String, source: serde_json::Error },
}

/// Reads a schema file; `.json` files are JSON, anything else is TOML.
pub fn load_schema_file(path: &Path) -> Result<SchemaFile, SchemaFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SchemaFileError::Read {
        path: shown.clone(),
        source,
    })?;
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        serde_json::from_str(&text).map_err(|source| SchemaFileError::Json { path: shown, source })
    } else {
        toml::from_str(&text).map_err(|e| SchemaFileError::Toml {
            path: shown,
            message: e.to_string(),
        })
    }
}

impl FileAttribute {
    fn to_spec(&self, object: &str) -> Result<AttributeSpec, SchemaError> {
        let fail = |problem: &str| SchemaError::InvalidAttribute {
            object: object.to_owned(),
            attribute: self.slug.clone(),
            problem: problem.to_owned(),
        };
        match self.attribute_type {
            AttributeType::Interaction | AttributeType::PersonalName => {
                return Err(fail("this type is reserved for Attio's system attributes"))
            }
            AttributeType::Domain | AttributeType::EmailAddress => {
                return Err(fail(
                    "Attio does not let users create domain or email-address attributes",
                ))
            }
            _ => {}
        }
        if self.attribute_type != AttributeType::RecordReference && !self.target_objects.is_empty() {
            return Err(fail("target_objects is only for record-reference attributes"));
        }
        let mut a = AttributeSpec::new(&self.slug, self.attribute_type);
        a.title = self.title.clone();
        a.is_system = false;
        a.is_unique = self.unique;
        a.is_multiselect = self.multiselect;
        a.is_required = self.required;
        a.options = self.options.clone();
        a.statuses = self.statuses.clone();
        a.allowed_targets = self.target_objects.clone();
        a.default_currency_code = self.default_currency_code.clone();
        Ok(a)
    }
}

impl SchemaFile {
    pub(super) fn to_specs(&self) -> Result<CustomSpecs, SchemaError> {
        let mut out = CustomSpecs {
            inactive: self.inactive.clone(),
            ..Default::default()
        };
        for o in &self.objects {
            if !super::build::valid_slug(&o.api_slug) {
                return Err(SchemaError::InvalidSlug(o.api_slug.clone()));
            }
            if out.objects.iter().any(|x| x.api_slug == o.api_slug) {
                return Err(SchemaError::DuplicateObject(o.api_slug.clone()));
            }
            let attributes = o
                .attributes
                .iter()
                .map(|a| a.to_spec(&o.api_slug))
                .collect::<Result<_, _>>()?;
            out.objects.push(ObjectSpec::new(
                &o.api_slug,
                &o.singular_noun,
                &o.plural_noun,
                attributes,
            ));
        }
        for extra in &self.attributes {
            out.extra_attributes
                .push((extra.object.clone(), extra.attribute.to_spec(&extra.object)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;

    const TOML: &str = r#"
inactive = ["deals"]

[[objects]]
api_slug = "projects"
singular_noun = "Project"
plural_noun = "Projects"

[[objects.attributes]]
slug = "code"
type = "text"
unique = true

[[objects.attributes]]
slug = "phase"
type = "select"
options = ["Discovery", "Build"]

[[objects.attributes]]
slug = "members"
type = "record-reference"
multiselect = true
target_objects = ["people"]

[[attributes]]
object = "people"
slug = "plan"
type = "status"
statuses = ["Free", "Paid"]
"#;

    #[test]
    fn toml_file_adds_objects_attributes_and_deactivations() {
        let file: SchemaFile = toml::from_str(TOML).expect("parse");
        let s = Schema::build(Some(&file), &[]).expect("build");
        let p = s.object("projects").expect("projects");
        assert!(p.attribute("code").expect("code").is_unique);
        assert!(!p.attribute("code").expect("code").is_system_attribute);
        assert_eq!(p.attribute("phase").expect("phase").options.len(), 2);
        assert_eq!(p.attribute("members").expect("m").allowed_targets, ["people"]);
        assert_eq!(
            s.object("people")
                .and_then(|o| o.attribute("plan"))
                .map(|a| a.statuses.len()),
            Some(2)
        );
        assert!(s.object("deals").is_none());
    }

    #[test]
    fn json_file_has_the_same_structure() {
        let file: SchemaFile = serde_json::from_str(
            r#"{"objects":[{"api_slug":"tickets","singular_noun":"Ticket","plural_noun":"Tickets",
                "attributes":[{"slug":"number","type":"number","unique":true}]}]}"#,
        )
        .expect("parse");
        let s = Schema::build(Some(&file), &[]).expect("build");
        assert!(s.object("tickets").and_then(|o| o.attribute("number")).is_some());
    }

    #[test]
    fn custom_unique_attribute_on_companies_is_refused() {
        let file: SchemaFile = toml::from_str(
            "[[attributes]]\nobject = \"companies\"\nslug = \"ext_id\"\ntype = \"text\"\nunique = true\n",
        )
        .expect("parse");
        let e = Schema::build(Some(&file), &[]).unwrap_err();
        assert!(e.to_string().contains("companies"), "{e}");
    }

    #[test]
    fn unique_select_and_unknown_target_are_refused() {
        let bad_select = "[[attributes]]\nobject = \"people\"\nslug = \"tier\"\ntype = \"select\"\nunique = true\noptions = [\"A\"]\n";
        let file: SchemaFile = toml::from_str(bad_select).expect("parse");
        assert!(Schema::build(Some(&file), &[])
            .unwrap_err()
            .to_string()
            .contains("cannot be unique"));
        let bad_target = "[[attributes]]\nobject = \"people\"\nslug = \"pet\"\ntype = \"record-reference\"\ntarget_objects = [\"pets\"]\n";
        let file: SchemaFile = toml::from_str(bad_target).expect("parse");
        assert!(Schema::build(Some(&file), &[])
            .unwrap_err()
            .to_string()
            .contains("pets"));
    }

    #[test]
    fn unknown_type_is_a_parse_error() {
        let r: Result<SchemaFile, _> =
            toml::from_str("[[attributes]]\nobject = \"people\"\nslug = \"x\"\ntype = \"blob\"\n");
        assert!(r.is_err());
    }
}
