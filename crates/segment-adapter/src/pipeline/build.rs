//! From coerced fields to the domain's validated action payloads.

use std::borrow::Cow;

use domain::actions::{
    ActionKind, ActionPayload, AssertRecord, CreateNote, GroupWorkspace, IdentifyUser, NonEmptyText, ParentRecord,
    RemoveListEntry, UpsertListEntry,
};
use domain::value::EmailAddress;
use domain::{AttributeMap, AttributeSlug, JsonText, ListSlug, NoteDraft, NoteFormat, ObjectSlug, ReceivedAt};

use super::error::excerpt;
use super::fields::{FieldDef, MAX_FIELDS};
use super::{Coerced, PayloadError};
use crate::json::{Obj, Val};

/// The fields of one payload, taken by key.
struct Fields<'a> {
    defs: &'static [FieldDef],
    values: [Option<Coerced<'a>>; MAX_FIELDS],
}

impl<'a> Fields<'a> {
    fn take(&mut self, key: &str) -> Option<Coerced<'a>> {
        let i = self.defs.iter().position(|d| d.key == key)?;
        self.values[i].take()
    }

    fn text(&mut self, key: &'static str) -> Result<Option<Cow<'a, str>>, PayloadError> {
        match self.take(key) {
            Some(Coerced::Str(s)) => Ok(Some(s)),
            None => Ok(None),
            Some(_) => Err(PayloadError::WrongType {
                field: key,
                expected: "a string",
                got: "another type",
            }),
        }
    }

    /// A required text: present (checked before) and, deviation D2, not empty.
    fn required_text(&mut self, key: &'static str) -> Result<NonEmptyText<'a>, PayloadError> {
        let s = self.text(key)?.ok_or(PayloadError::Missing { field: key })?;
        NonEmptyText::parse(s).map_err(|_| PayloadError::Empty { field: key })
    }

    fn attributes(&mut self, key: &str) -> AttributeMap<'a> {
        match self.take(key) {
            Some(Coerced::Obj(o)) => attribute_map(o),
            _ => AttributeMap::new(),
        }
    }

    fn object(&mut self, key: &'static str) -> Result<ObjectSlug, PayloadError> {
        let s = self.required_text(key)?;
        ObjectSlug::parse(s.as_str()).map_err(|source| PayloadError::InvalidSlug { field: key, source })
    }

    fn attribute(&mut self, key: &'static str) -> Result<AttributeSlug, PayloadError> {
        let s = self.required_text(key)?;
        AttributeSlug::parse(s.as_str()).map_err(|source| PayloadError::InvalidSlug { field: key, source })
    }

    fn list(&mut self) -> Result<ListSlug, PayloadError> {
        let s = self.required_text("list")?;
        ListSlug::parse(s.as_str()).map_err(|source| PayloadError::InvalidSlug { field: "list", source })
    }

    /// `parent_object`, `parent_matching_attribute` and `parent_attributes`, which must
    /// hold the matching attribute's value.
    fn parent(&mut self) -> Result<ParentRecord<'a>, PayloadError> {
        let object = self.object("parent_object")?;
        let matching_attribute = self.attribute("parent_matching_attribute")?;
        let attributes = self.attributes("parent_attributes");
        match attributes.get(matching_attribute.as_str()).map(|v| v.as_str()) {
            None | Some("null") | Some("\"\"") | Some("[]") => Err(PayloadError::Invalid {
                field: "parent_attributes",
                problem: format!(
                    "must hold a value for the matching attribute {:?} (parent_matching_attribute)",
                    matching_attribute.as_str()
                ),
            }),
            Some(_) => Ok(ParentRecord {
                object,
                matching_attribute,
                attributes,
            }),
        }
    }

    fn received_at(&mut self) -> Option<ReceivedAt<'a>> {
        match self.take("received_at") {
            Some(Coerced::DateText(s)) => Some(ReceivedAt::Text(s)),
            Some(Coerced::DateNum(n)) => Some(ReceivedAt::UnixMillis(n)),
            _ => None,
        }
    }
}

/// A key-value mapping field as an attribute map; every value is sent as mapped.
pub fn attribute_map(o: Obj<'_>) -> AttributeMap<'_> {
    let mut m = AttributeMap::with_capacity(o.len());
    for (k, v) in o {
        match v {
            Val::Undefined => {}
            Val::Str(s) => m.insert(k, JsonText::string(&s)),
            other => {
                let mut json = String::with_capacity(16);
                other.write_json(&mut json);
                m.insert(k, JsonText::trusted(json));
            }
        }
    }
    m
}

pub(super) fn build<'a>(
    action: ActionKind,
    defs: &'static [FieldDef],
    values: [Option<Coerced<'a>>; MAX_FIELDS],
) -> Result<ActionPayload<'a>, PayloadError> {
    let mut f = Fields { defs, values };
    Ok(match action {
        ActionKind::IdentifyUser => {
            let email = f
                .text("email_address")?
                .ok_or(PayloadError::Missing { field: "email_address" })?;
            let email_address = match EmailAddress::parse(email.clone()) {
                Ok(e) => e,
                Err(reason) => {
                    return Err(PayloadError::InvalidEmail {
                        field: "email_address",
                        value: excerpt(&email),
                        reason,
                    })
                }
            };
            ActionPayload::IdentifyUser(IdentifyUser {
                email_address,
                user_id: f.required_text("user_id")?,
                user_attributes: f.attributes("user_attributes"),
                person_attributes: f.attributes("person_attributes"),
                received_at: f.received_at(),
            })
        }
        ActionKind::GroupWorkspace => ActionPayload::GroupWorkspace(GroupWorkspace {
            domain: f.required_text("domain")?,
            workspace_id: f.required_text("workspace_id")?,
            user_id: f.text("user_id")?.and_then(|s| NonEmptyText::parse(s).ok()),
            company_attributes: f.attributes("company_attributes"),
            workspace_attributes: f.attributes("workspace_attributes"),
            received_at: f.received_at(),
        }),
        ActionKind::AssertRecord => {
            let object = f.required_text("object")?;
            let matching = f.required_text("matching_attribute")?;
            ActionPayload::AssertRecord(AssertRecord {
                object: ObjectSlug::parse(object.as_str()).map_err(|source| PayloadError::InvalidSlug {
                    field: "object",
                    source,
                })?,
                matching_attribute: AttributeSlug::parse(matching.as_str()).map_err(|source| {
                    PayloadError::InvalidSlug {
                        field: "matching_attribute",
                        source,
                    }
                })?,
                attributes: f.attributes("attributes"),
                received_at: f.received_at(),
            })
        }
        ActionKind::UpsertListEntry => ActionPayload::UpsertListEntry(UpsertListEntry {
            list: f.list()?,
            parent: f.parent()?,
            entry_attributes: f.attributes("entry_attributes"),
            received_at: f.received_at(),
        }),
        ActionKind::RemoveListEntry => ActionPayload::RemoveListEntry(RemoveListEntry {
            list: f.list()?,
            parent: f.parent()?,
            received_at: f.received_at(),
        }),
        ActionKind::CreateNote => {
            let parent = f.parent()?;
            let format = match f.text("format")? {
                None => NoteFormat::Plaintext,
                Some(s) => NoteFormat::parse(&s).ok_or_else(|| PayloadError::Invalid {
                    field: "format",
                    problem: format!("must be \"plaintext\" or \"markdown\", not {:?}", excerpt(&s)),
                })?,
            };
            let title = f.required_text("title")?;
            let content = f.text("content")?.ok_or(PayloadError::Missing { field: "content" })?;
            ActionPayload::CreateNote(CreateNote {
                note: NoteDraft {
                    parent_object: parent.object.clone(),
                    title: title.into_cow(),
                    content,
                    format,
                },
                parent,
                received_at: f.received_at(),
            })
        }
    })
}
