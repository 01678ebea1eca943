//! What an action does with the record it asserted (list entries, notes), and how an
//! assert may write (write modes), as data. The Attio adapter turns them into requests.

use std::borrow::Cow;

use crate::{AttributeMap, ListSlug, ObjectSlug};

/// How an assert may change the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    /// Create the record when missing, else update it (the reference's behaviour).
    #[default]
    Upsert,
    /// Never create: an event for an unknown record is skipped.
    UpdateOnly,
    /// Never change an existing record: only missing records are created.
    CreateOnly,
}

impl WriteMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "upsert" => Some(WriteMode::Upsert),
            "update_only" => Some(WriteMode::UpdateOnly),
            "create_only" => Some(WriteMode::CreateOnly),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WriteMode::Upsert => "upsert",
            WriteMode::UpdateOnly => "update_only",
            WriteMode::CreateOnly => "create_only",
        }
    }
}

/// What a write does to a multiselect attribute's existing values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Multiselect {
    /// Add the written values to the existing ones (the reference's behaviour).
    #[default]
    Append,
    /// The written values replace the existing ones.
    Replace,
}

impl Multiselect {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "append" => Some(Multiselect::Append),
            "replace" => Some(Multiselect::Replace),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Multiselect::Append => "append",
            Multiselect::Replace => "replace",
        }
    }

    /// The batch endpoint's `multiselect_values`.
    pub fn batch_value(self) -> &'static str {
        match self {
            Multiselect::Append => "append",
            Multiselect::Replace => "overwrite",
        }
    }
}

/// An entry of the parent record in a list, with its entry attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct ListEntry<'a> {
    pub list: ListSlug,
    pub parent_object: ObjectSlug,
    pub entry_values: AttributeMap<'a>,
}

/// `plaintext` or `markdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteFormat {
    Plaintext,
    Markdown,
}

impl NoteFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "plaintext" => Some(NoteFormat::Plaintext),
            "markdown" => Some(NoteFormat::Markdown),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NoteFormat::Plaintext => "plaintext",
            NoteFormat::Markdown => "markdown",
        }
    }
}

/// A note to create on the parent record.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteDraft<'a> {
    pub parent_object: ObjectSlug,
    pub title: Cow<'a, str>,
    pub content: Cow<'a, str>,
    pub format: NoteFormat,
}

/// What is done with the record the plan's last assert returned (its `record_id`).
#[derive(Debug, Clone, PartialEq)]
pub enum FollowUp<'a> {
    /// Create or update the record's entry in a list (`PUT /v2/lists/{list}/entries`).
    UpsertListEntry(ListEntry<'a>),
    /// Delete every entry of the record in `list` (none is not an error).
    RemoveListEntries { list: ListSlug, parent_object: ObjectSlug },
    /// Create a note on the record, at most once per event.
    CreateNote(NoteDraft<'a>),
}

impl FollowUp<'_> {
    /// A one-line description, for dry runs and traces.
    pub fn describe(&self) -> String {
        match self {
            FollowUp::UpsertListEntry(e) => format!("upsert the record's entry in list {}", e.list.as_str()),
            FollowUp::RemoveListEntries { list, .. } => {
                format!("remove the record's entries from list {}", list.as_str())
            }
            FollowUp::CreateNote(n) => format!("create a note titled {:?} on the record", n.title),
        }
    }
}
