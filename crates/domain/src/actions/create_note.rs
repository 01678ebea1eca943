//! "Create Note": the parent record is asserted, then a note is created on it, once per
//! event.

use crate::ReceivedAt;
use crate::{AttioCommand, FollowUp, NoteDraft, Plan};

use super::ParentRecord;

#[derive(Debug, Clone, PartialEq)]
pub struct CreateNote<'a> {
    pub parent: ParentRecord<'a>,
    /// `parent_object` is the parent's object.
    pub note: NoteDraft<'a>,
    pub received_at: Option<ReceivedAt<'a>>,
}

impl<'a> CreateNote<'a> {
    pub fn single_plan(self) -> Plan<'a> {
        Plan {
            follow_up: Some(FollowUp::CreateNote(self.note)),
            ..Plan::asserts(vec![AttioCommand::SimpleAssert(self.parent.assertion())])
        }
    }
}
