//! Owned copies of the borrowed record types: work rendered from an event once, kept
//! after the event's parse is gone and sent again as is on a retry.

use std::borrow::Cow;

use super::{AssertValue, Assertion, AttioCommand, AttributeMap, FollowUp, ListEntry, NoteDraft, Plan};

fn owned(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

impl Assertion<'_> {
    /// The assertion owning every value it holds.
    pub fn into_owned(self) -> Assertion<'static> {
        Assertion {
            object: self.object,
            matching_attribute: self.matching_attribute,
            values: self
                .values
                .into_iter()
                .map(|(k, v)| (owned(k), v.into_owned()))
                .collect(),
            received_at: self.received_at.map(owned),
            multiselect: self.multiselect,
        }
    }
}

impl AssertValue<'_> {
    pub fn into_owned(self) -> AssertValue<'static> {
        match self {
            AssertValue::Json(j) => AssertValue::Json(j.into_owned()),
            AssertValue::Nested(n) => AssertValue::Nested(Box::new(n.into_owned())),
            AssertValue::RecordIdOfPreviousReply => AssertValue::RecordIdOfPreviousReply,
        }
    }
}

impl AttributeMap<'_> {
    pub fn into_owned(self) -> AttributeMap<'static> {
        self.into_iter().map(|(k, v)| (owned(k), v.into_owned())).collect()
    }
}

impl AttioCommand<'_> {
    pub fn into_owned(self) -> AttioCommand<'static> {
        match self {
            AttioCommand::SimpleAssert(a) => AttioCommand::SimpleAssert(a.into_owned()),
            AttioCommand::BatchAssert(list) => {
                AttioCommand::BatchAssert(list.into_iter().map(Assertion::into_owned).collect())
            }
        }
    }
}

impl FollowUp<'_> {
    pub fn into_owned(self) -> FollowUp<'static> {
        match self {
            FollowUp::UpsertListEntry(e) => FollowUp::UpsertListEntry(ListEntry {
                list: e.list,
                parent_object: e.parent_object,
                entry_values: e.entry_values.into_owned(),
            }),
            FollowUp::RemoveListEntries { list, parent_object } => FollowUp::RemoveListEntries { list, parent_object },
            FollowUp::CreateNote(n) => FollowUp::CreateNote(NoteDraft {
                parent_object: n.parent_object,
                title: owned(n.title),
                content: owned(n.content),
                format: n.format,
            }),
        }
    }
}

impl Plan<'_> {
    /// The plan owning every value its requests carry.
    pub fn into_owned(self) -> Plan<'static> {
        Plan {
            commands: self.commands.into_iter().map(AttioCommand::into_owned).collect(),
            follow_up: self.follow_up.map(FollowUp::into_owned),
            write_mode: self.write_mode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AttributeSlug, JsonText, ObjectSlug};

    #[test]
    fn an_owned_assertion_equals_the_borrowed_one_it_was_made_from() {
        let text = String::from(r#""ada@example.com""#);
        let mut a = Assertion::new(
            ObjectSlug::parse("people").expect("slug"),
            AttributeSlug::parse("email_addresses").expect("slug"),
        );
        a.set_json("email_addresses", JsonText::trusted(text.as_str()));
        a.received_at = Some(Cow::Borrowed("2026-01-01T00:00:00.000Z"));
        let owned = a.clone().into_owned();
        drop(text);
        assert_eq!(
            owned.get("email_addresses").map(|v| format!("{v:?}")),
            Some(r#"Json("ada@example.com")"#.to_owned())
        );
        assert_eq!(owned.received_at.as_deref(), Some("2026-01-01T00:00:00.000Z"));
    }

    #[test]
    fn a_borrowed_copy_equals_its_original_and_borrows_its_text() {
        let mut nested = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
        nested.set_json("email_addresses", JsonText::string("ada@example.com"));
        let mut a = Assertion::new(
            ObjectSlug::parse("users").expect("slug"),
            AttributeSlug::parse("user_id").expect("slug"),
        )
        .into_owned();
        a.set_json("user_id", JsonText::string("u-1"));
        a.set("person", crate::AssertValue::Nested(Box::new(nested.into_owned())));
        a.set("company", crate::AssertValue::RecordIdOfPreviousReply);
        a.received_at = Some(Cow::Owned("2026-01-01T00:00:00.000Z".to_owned()));
        a.multiselect = crate::Multiselect::Replace;
        let copy = a.borrowed();
        assert_eq!(copy, a);
        assert!(copy.values.iter().all(|(key, _)| matches!(key, Cow::Borrowed(_))));
        assert!(matches!(copy.received_at, Some(Cow::Borrowed(_))));
    }
}
