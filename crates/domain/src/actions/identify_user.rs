use chrono::{DateTime, Utc};

use super::NonEmptyText;
use crate::value::EmailAddress;
use crate::{AssertValue, Assertion, AttioCommand, AttributeMap, AttributeSlug, JsonText, ObjectSlug, Plan};
use crate::{ReceivedAt, ReceivedAtError};

/// "Identify User": a Person (matched on `email_addresses`) and a User (matched on
/// `user_id`) linked through the email address.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentifyUser<'a> {
    pub email_address: EmailAddress<'a>,
    pub user_id: NonEmptyText<'a>,
    pub user_attributes: AttributeMap<'a>,
    pub person_attributes: AttributeMap<'a>,
    pub received_at: Option<ReceivedAt<'a>>,
}

impl<'a> IdentifyUser<'a> {
    /// Person, then User. The User's `person` is the email address (a record reference
    /// by email); `user_attributes` are spread last and may override the link fields.
    pub fn single_plan(self) -> Plan<'a> {
        let email = JsonText::string(self.email_address.as_str());

        let mut person = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
        person.set_json("email_addresses", email.clone());
        person.spread(self.person_attributes);

        let mut user = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        user.set_json("primary_email_address", email.clone());
        user.set_json("person", email);
        user.set_json("user_id", JsonText::string(self.user_id.as_str()));
        user.spread(self.user_attributes);

        Plan::asserts(vec![
            AttioCommand::SimpleAssert(person),
            AttioCommand::SimpleAssert(user),
        ])
    }

    /// A `users` assertion with the Person nested under `person`, set last so that
    /// `user_attributes` cannot override it.
    pub fn batch_assertion(self, now: DateTime<Utc>) -> Result<Assertion<'a>, ReceivedAtError> {
        let received_at = ReceivedAt::render(self.received_at.as_ref(), now)?;
        let email = JsonText::string(self.email_address.as_str());

        let n = 1 + self.person_attributes.len();
        let mut person = Assertion::with_capacity(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES, n);
        person.set_json("email_addresses", email.clone());
        person.spread(self.person_attributes);
        person.received_at = Some(received_at.clone());

        let n = 3 + self.user_attributes.len();
        let mut user = Assertion::with_capacity(ObjectSlug::USERS, AttributeSlug::USER_ID, n);
        user.set_json("primary_email_address", email);
        user.set_json("user_id", JsonText::string(self.user_id.as_str()));
        user.spread(self.user_attributes);
        user.set("person", AssertValue::Nested(Box::new(person)));
        user.received_at = Some(received_at);
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload() -> IdentifyUser<'static> {
        let mut ua = AttributeMap::new();
        ua.insert("name", JsonText::string("George Oscar Bluth"));
        IdentifyUser {
            email_address: EmailAddress::parse("gob@bluth.example").unwrap(),
            user_id: NonEmptyText::parse("9").unwrap(),
            user_attributes: ua,
            person_attributes: AttributeMap::new(),
            received_at: Some(ReceivedAt::Text("2024-05-24T10:00:00.000Z".into())),
        }
    }

    fn body(c: &AttioCommand<'_>) -> serde_json::Value {
        c.test_view("")["values"].clone()
    }

    #[test]
    fn single_mode_asserts_person_then_user_linked_by_email() {
        let plan = payload().single_plan();
        assert_eq!(plan.commands.len(), 2);
        let first = plan.commands[0].test_view("");
        assert_eq!(
            (&first["object"], &first["matching_attribute"], &first["multiselect"]),
            (&json!("people"), &json!("email_addresses"), &json!("append"))
        );
        assert_eq!(body(&plan.commands[0]), json!({"email_addresses":"gob@bluth.example"}));
        assert_eq!(
            body(&plan.commands[1]),
            json!({"primary_email_address":"gob@bluth.example","person":"gob@bluth.example","user_id":"9","name":"George Oscar Bluth"})
        );
    }

    #[test]
    fn user_attributes_override_link_fields_in_single_mode_keeping_position() {
        let mut p = payload();
        p.user_attributes.insert("person", JsonText::string("other@x.io"));
        let plan = p.single_plan();
        let b = body(&plan.commands[1]);
        let keys: Vec<&String> = b.as_object().unwrap().keys().collect();
        assert_eq!(keys[..2], ["primary_email_address", "person"], "{b}");
        assert_eq!(b["person"], "other@x.io");
    }

    #[test]
    fn batch_assertion_nests_person_last() {
        let a = payload().batch_assertion(Utc::now()).unwrap();
        let b = AttioCommand::BatchAssert(vec![a]).test_view("");
        assert_eq!(
            b,
            json!({"object":"users","matching_attribute":"user_id","multiselect":"append",
              "values":{"primary_email_address":"gob@bluth.example","user_id":"9","name":"George Oscar Bluth",
                "person":{"object":"people","matching_attribute":"email_addresses","multiselect":"append",
                  "values":{"email_addresses":"gob@bluth.example"},"received_at":"2024-05-24T10:00:00.000Z"}},
              "received_at":"2024-05-24T10:00:00.000Z"})
        );
        assert_eq!(
            b["values"].as_object().unwrap().keys().next_back().map(String::as_str),
            Some("person")
        );
    }
}
