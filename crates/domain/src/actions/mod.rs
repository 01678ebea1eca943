//! The three actions as pure functions from a validated payload to Attio commands,
//! and the executor that runs a plan against an [`AttioGateway`](crate::ports::AttioGateway).

mod assert_record;
mod create_note;
mod execute;
mod group_workspace;
mod identify_user;
mod list_entry;
mod object_choices;
mod text;

pub use assert_record::AssertRecord;
pub use create_note::CreateNote;
pub use execute::{execute_plan, execute_plan_with, ExecContext, ExecError, Executed};
pub use group_workspace::GroupWorkspace;
pub use identify_user::IdentifyUser;
pub use list_entry::{ParentRecord, RemoveListEntry, UpsertListEntry};
pub use object_choices::{choice_error, object_choices, Choice, ChoiceError};
pub use text::{NonEmptyText, TextError};

use chrono::{DateTime, Utc};

use crate::{Assertion, Plan, ReceivedAtError};

/// The actions: the reference's three, and the list and note actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ActionKind {
    #[serde(rename = "identifyUser")]
    IdentifyUser,
    #[serde(rename = "groupWorkspace")]
    GroupWorkspace,
    #[serde(rename = "assertRecord")]
    AssertRecord,
    #[serde(rename = "upsertListEntry")]
    UpsertListEntry,
    #[serde(rename = "removeListEntry")]
    RemoveListEntry,
    #[serde(rename = "createNote")]
    CreateNote,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::IdentifyUser => "identifyUser",
            ActionKind::GroupWorkspace => "groupWorkspace",
            ActionKind::AssertRecord => "assertRecord",
            ActionKind::UpsertListEntry => "upsertListEntry",
            ActionKind::RemoveListEntry => "removeListEntry",
            ActionKind::CreateNote => "createNote",
        }
    }

    /// Every action, in the order the documentation lists them.
    pub const ALL: [ActionKind; 6] = [
        ActionKind::IdentifyUser,
        ActionKind::GroupWorkspace,
        ActionKind::AssertRecord,
        ActionKind::UpsertListEntry,
        ActionKind::RemoveListEntry,
        ActionKind::CreateNote,
    ];

    /// The names of every action, for messages.
    pub fn names() -> String {
        Self::ALL.map(ActionKind::as_str).join(", ")
    }

    /// Whether events of this action may be sent in batch requests.
    pub fn batches(self) -> bool {
        matches!(
            self,
            ActionKind::IdentifyUser | ActionKind::GroupWorkspace | ActionKind::AssertRecord
        )
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "identifyUser" => Some(ActionKind::IdentifyUser),
            "groupWorkspace" => Some(ActionKind::GroupWorkspace),
            "assertRecord" => Some(ActionKind::AssertRecord),
            "upsertListEntry" => Some(ActionKind::UpsertListEntry),
            "removeListEntry" => Some(ActionKind::RemoveListEntry),
            "createNote" => Some(ActionKind::CreateNote),
            _ => None,
        }
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated payload of any action.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionPayload<'a> {
    IdentifyUser(IdentifyUser<'a>),
    GroupWorkspace(GroupWorkspace<'a>),
    AssertRecord(AssertRecord<'a>),
    UpsertListEntry(UpsertListEntry<'a>),
    RemoveListEntry(RemoveListEntry<'a>),
    CreateNote(CreateNote<'a>),
}

impl<'a> ActionPayload<'a> {
    pub fn kind(&self) -> ActionKind {
        match self {
            ActionPayload::IdentifyUser(_) => ActionKind::IdentifyUser,
            ActionPayload::GroupWorkspace(_) => ActionKind::GroupWorkspace,
            ActionPayload::AssertRecord(_) => ActionKind::AssertRecord,
            ActionPayload::UpsertListEntry(_) => ActionKind::UpsertListEntry,
            ActionPayload::RemoveListEntry(_) => ActionKind::RemoveListEntry,
            ActionPayload::CreateNote(_) => ActionKind::CreateNote,
        }
    }

    /// The commands of single mode (`perform`).
    pub fn single_plan(self) -> Plan<'a> {
        match self {
            ActionPayload::IdentifyUser(p) => p.single_plan(),
            ActionPayload::GroupWorkspace(p) => p.single_plan(),
            ActionPayload::AssertRecord(p) => p.single_plan(),
            ActionPayload::UpsertListEntry(p) => p.single_plan(),
            ActionPayload::RemoveListEntry(p) => p.single_plan(),
            ActionPayload::CreateNote(p) => p.single_plan(),
        }
    }

    /// This event's assertion in a batch (`performBatch`).
    pub fn batch_assertion(self, now: DateTime<Utc>) -> Result<Assertion<'a>, ReceivedAtError> {
        match self {
            ActionPayload::IdentifyUser(p) => p.batch_assertion(now),
            ActionPayload::GroupWorkspace(p) => p.batch_assertion(now),
            ActionPayload::AssertRecord(p) => p.batch_assertion(now),
            ActionPayload::UpsertListEntry(p) => p.parent.batch_assertion(p.received_at.as_ref(), now),
            ActionPayload::RemoveListEntry(p) => p.parent.batch_assertion(p.received_at.as_ref(), now),
            ActionPayload::CreateNote(p) => p.parent.batch_assertion(p.received_at.as_ref(), now),
        }
    }

    /// The record this event touches: action, object and matching value. Events with
    /// the same key are delivered in order.
    pub fn ordering_key(&self) -> String {
        match self {
            ActionPayload::IdentifyUser(p) => format!("identifyUser\u{1f}{}", p.user_id.as_str()),
            ActionPayload::GroupWorkspace(p) => format!("groupWorkspace\u{1f}{}", p.workspace_id.as_str()),
            ActionPayload::AssertRecord(p) => format!(
                "assertRecord\u{1f}{}\u{1f}{}\u{1f}{}",
                p.object,
                p.matching_attribute,
                p.attributes
                    .get(p.matching_attribute.as_str())
                    .map(|v| v.as_str())
                    .unwrap_or("")
            ),
            ActionPayload::UpsertListEntry(p) => format!("upsertListEntry\u{1f}{}\u{1f}{}", p.list, p.parent.key()),
            ActionPayload::RemoveListEntry(p) => format!("removeListEntry\u{1f}{}\u{1f}{}", p.list, p.parent.key()),
            ActionPayload::CreateNote(p) => format!("createNote\u{1f}{}", p.parent.key()),
        }
    }
}
