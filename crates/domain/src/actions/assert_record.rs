use chrono::{DateTime, Utc};

use crate::{Assertion, AttioCommand, AttributeMap, AttributeSlug, ObjectSlug, Plan};
use crate::{ReceivedAt, ReceivedAtError};

/// "Assert Record": one record of any object, matched on any unique attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertRecord<'a> {
    pub object: ObjectSlug,
    pub matching_attribute: AttributeSlug,
    pub attributes: AttributeMap<'a>,
    pub received_at: Option<ReceivedAt<'a>>,
}

impl<'a> AssertRecord<'a> {
    pub fn single_plan(self) -> Plan<'a> {
        let mut a = Assertion::new(self.object, self.matching_attribute);
        a.spread(self.attributes);
        Plan::asserts(vec![AttioCommand::SimpleAssert(a)])
    }

    pub fn batch_assertion(self, now: DateTime<Utc>) -> Result<Assertion<'a>, ReceivedAtError> {
        let mut a = Assertion::new(self.object, self.matching_attribute);
        a.spread(self.attributes);
        a.received_at = Some(ReceivedAt::render(self.received_at.as_ref(), now)?);
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonText;

    #[test]
    fn single_mode_sends_attributes_as_values() {
        let mut attrs = AttributeMap::new();
        attrs.insert("name", JsonText::string("Stair car"));
        attrs.insert("number_of_wheels", JsonText::trusted("4"));
        let p = AssertRecord {
            object: ObjectSlug::parse("vehicles").unwrap(),
            matching_attribute: AttributeSlug::parse("name").unwrap(),
            attributes: attrs,
            received_at: None,
        };
        let plan = p.single_plan();
        assert_eq!(
            plan.commands[0].test_view(""),
            serde_json::json!({"object": "vehicles", "matching_attribute": "name", "multiselect": "append",
                               "values": {"name": "Stair car", "number_of_wheels": 4}})
        );
    }
}
