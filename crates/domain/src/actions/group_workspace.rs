use chrono::{DateTime, Utc};

use super::NonEmptyText;
use crate::{AssertValue, Assertion, AttioCommand, AttributeMap, AttributeSlug, JsonText, ObjectSlug, Plan};
use crate::{ReceivedAt, ReceivedAtError};

/// "Group Workspace": a Company (matched on `domains`) and a Workspace (matched on
/// `workspace_id`) linked to it, optionally linked to an existing User.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupWorkspace<'a> {
    /// Sent as mapped: no URL or domain normalisation (Attio does that).
    pub domain: NonEmptyText<'a>,
    pub workspace_id: NonEmptyText<'a>,
    /// `users: [user_id]` is sent only when present and non-empty.
    pub user_id: Option<NonEmptyText<'a>>,
    pub company_attributes: AttributeMap<'a>,
    pub workspace_attributes: AttributeMap<'a>,
    pub received_at: Option<ReceivedAt<'a>>,
}

fn users_value(user_id: &NonEmptyText<'_>) -> JsonText<'static> {
    let mut s = String::with_capacity(user_id.as_str().len() + 4);
    s.push('[');
    crate::json_text::write_json_str(&mut s, user_id.as_str());
    s.push(']');
    JsonText::trusted(s)
}

impl<'a> GroupWorkspace<'a> {
    /// Company, then Workspace with `company` = the company reply's `data.id.record_id`.
    pub fn single_plan(self) -> Plan<'a> {
        let mut company = Assertion::new(ObjectSlug::COMPANIES, AttributeSlug::DOMAINS);
        company.set_json("domains", JsonText::string(self.domain.as_str()));
        company.spread(self.company_attributes);

        let mut workspace = Assertion::new(ObjectSlug::WORKSPACES, AttributeSlug::WORKSPACE_ID);
        workspace.set_json("workspace_id", JsonText::string(self.workspace_id.as_str()));
        workspace.set("company", AssertValue::RecordIdOfPreviousReply);
        if let Some(u) = &self.user_id {
            workspace.set_json("users", users_value(u));
        }
        workspace.spread(self.workspace_attributes);

        Plan::asserts(vec![
            AttioCommand::SimpleAssert(company),
            AttioCommand::SimpleAssert(workspace),
        ])
    }

    /// A `workspaces` assertion with the Company nested under `company`, set last.
    pub fn batch_assertion(self, now: DateTime<Utc>) -> Result<Assertion<'a>, ReceivedAtError> {
        let received_at = ReceivedAt::render(self.received_at.as_ref(), now)?;

        let mut company = Assertion::new(ObjectSlug::COMPANIES, AttributeSlug::DOMAINS);
        company.set_json("domains", JsonText::string(self.domain.as_str()));
        company.spread(self.company_attributes);
        company.received_at = Some(received_at.clone());

        let mut workspace = Assertion::new(ObjectSlug::WORKSPACES, AttributeSlug::WORKSPACE_ID);
        workspace.set_json("workspace_id", JsonText::string(self.workspace_id.as_str()));
        if let Some(u) = &self.user_id {
            workspace.set_json("users", users_value(u));
        }
        workspace.spread(self.workspace_attributes);
        workspace.set("company", AssertValue::Nested(Box::new(company)));
        workspace.received_at = Some(received_at);
        Ok(workspace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(user: Option<&'static str>) -> GroupWorkspace<'static> {
        GroupWorkspace {
            domain: NonEmptyText::parse("example.com").unwrap(),
            workspace_id: NonEmptyText::parse("42").unwrap(),
            user_id: user.map(|u| NonEmptyText::parse(u).unwrap()),
            company_attributes: AttributeMap::new(),
            workspace_attributes: AttributeMap::new(),
            received_at: None,
        }
    }

    #[test]
    fn workspace_links_company_record_id_and_user() {
        let plan = payload(Some("user1234")).single_plan();
        assert_eq!(
            plan.commands[1].test_view("record_id")["values"],
            json!({"workspace_id":"42","company":"record_id","users":["user1234"]})
        );
    }

    #[test]
    fn group_without_user_id_sends_no_users_link() {
        let plan = payload(None).single_plan();
        assert!(plan.commands[1].test_view("r")["values"].get("users").is_none());
    }

    #[test]
    fn batch_uses_now_when_received_at_is_missing() {
        let now = DateTime::parse_from_rfc3339("2030-01-02T03:04:05.678Z")
            .unwrap()
            .with_timezone(&Utc);
        let a = payload(Some("u")).batch_assertion(now).unwrap();
        assert_eq!(a.received_at.as_deref(), Some("2030-01-02T03:04:05.678Z"));
        assert!(matches!(a.values.last(), Some((k, AssertValue::Nested(_))) if k == "company"));
    }
}
