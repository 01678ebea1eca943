//! "Upsert List Entry" and "Remove List Entry": the parent record is asserted (like
//! identifyUser's Person), then its entry in a list is written or removed.

use chrono::{DateTime, Utc};

use crate::{Assertion, AttioCommand, AttributeMap, AttributeSlug, FollowUp, ListEntry, ListSlug, ObjectSlug, Plan};
use crate::{ReceivedAt, ReceivedAtError};

/// The record a list entry or a note belongs to, asserted on its matching attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct ParentRecord<'a> {
    pub object: ObjectSlug,
    pub matching_attribute: AttributeSlug,
    /// Holds the matching attribute's value.
    pub attributes: AttributeMap<'a>,
}

impl<'a> ParentRecord<'a> {
    pub fn assertion(self) -> Assertion<'a> {
        let mut a = Assertion::with_capacity(self.object, self.matching_attribute, self.attributes.len());
        a.spread(self.attributes);
        a
    }

    /// `object`, matching attribute and its value, for ordering deliveries.
    pub fn key(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}",
            self.object,
            self.matching_attribute,
            self.attributes
                .get(self.matching_attribute.as_str())
                .map(|v| v.as_str())
                .unwrap_or("")
        )
    }

    /// Batching is refused for the actions with a parent record; a batch can only carry
    /// the parent's assertion.
    pub fn batch_assertion(
        self,
        received_at: Option<&ReceivedAt<'a>>,
        now: DateTime<Utc>,
    ) -> Result<Assertion<'a>, ReceivedAtError> {
        let mut a = self.assertion();
        a.received_at = Some(ReceivedAt::render(received_at, now)?);
        Ok(a)
    }
}

/// "Upsert List Entry".
#[derive(Debug, Clone, PartialEq)]
pub struct UpsertListEntry<'a> {
    pub list: ListSlug,
    pub parent: ParentRecord<'a>,
    pub entry_attributes: AttributeMap<'a>,
    pub received_at: Option<ReceivedAt<'a>>,
}

impl<'a> UpsertListEntry<'a> {
    pub fn single_plan(self) -> Plan<'a> {
        let entry = ListEntry {
            list: self.list,
            parent_object: self.parent.object.clone(),
            entry_values: self.entry_attributes,
        };
        Plan {
            follow_up: Some(FollowUp::UpsertListEntry(entry)),
            ..Plan::asserts(vec![AttioCommand::SimpleAssert(self.parent.assertion())])
        }
    }
}

/// "Remove List Entry".
#[derive(Debug, Clone, PartialEq)]
pub struct RemoveListEntry<'a> {
    pub list: ListSlug,
    pub parent: ParentRecord<'a>,
    pub received_at: Option<ReceivedAt<'a>>,
}

impl<'a> RemoveListEntry<'a> {
    pub fn single_plan(self) -> Plan<'a> {
        let follow_up = FollowUp::RemoveListEntries {
            list: self.list,
            parent_object: self.parent.object.clone(),
        };
        Plan {
            follow_up: Some(follow_up),
            ..Plan::asserts(vec![AttioCommand::SimpleAssert(self.parent.assertion())])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonText;

    fn parent() -> ParentRecord<'static> {
        let mut attrs = AttributeMap::new();
        attrs.insert("email_addresses", JsonText::string("a@b.co"));
        ParentRecord {
            object: ObjectSlug::PEOPLE,
            matching_attribute: AttributeSlug::EMAIL_ADDRESSES,
            attributes: attrs,
        }
    }

    #[test]
    fn upsert_asserts_the_parent_then_writes_its_entry() {
        let mut entry = AttributeMap::new();
        entry.insert("stage", JsonText::string("Activated"));
        let plan = UpsertListEntry {
            list: ListSlug::parse("onboarding").unwrap(),
            parent: parent(),
            entry_attributes: entry.clone(),
            received_at: None,
        }
        .single_plan();
        assert_eq!(
            plan.commands[0].test_view("")["values"],
            serde_json::json!({"email_addresses": "a@b.co"})
        );
        assert_eq!(
            plan.follow_up,
            Some(FollowUp::UpsertListEntry(ListEntry {
                list: ListSlug::parse("onboarding").unwrap(),
                parent_object: ObjectSlug::PEOPLE,
                entry_values: entry,
            }))
        );
    }

    #[test]
    fn remove_asserts_the_parent_then_removes_its_entries() {
        let plan = RemoveListEntry {
            list: ListSlug::parse("onboarding").unwrap(),
            parent: parent(),
            received_at: None,
        }
        .single_plan();
        assert_eq!(plan.commands.len(), 1);
        assert!(matches!(plan.follow_up, Some(FollowUp::RemoveListEntries { .. })));
    }
}
