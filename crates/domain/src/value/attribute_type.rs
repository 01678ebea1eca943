use std::fmt;

use serde::{Deserialize, Serialize};

/// The type of an Attio attribute (`type` in the attribute definition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttributeType {
    Text,
    Number,
    Checkbox,
    Currency,
    Date,
    Timestamp,
    Rating,
    Status,
    Select,
    RecordReference,
    ActorReference,
    Location,
    Domain,
    EmailAddress,
    PhoneNumber,
    Interaction,
    PersonalName,
}

impl AttributeType {
    pub const ALL: [AttributeType; 17] = [
        AttributeType::Text,
        AttributeType::Number,
        AttributeType::Checkbox,
        AttributeType::Currency,
        AttributeType::Date,
        AttributeType::Timestamp,
        AttributeType::Rating,
        AttributeType::Status,
        AttributeType::Select,
        AttributeType::RecordReference,
        AttributeType::ActorReference,
        AttributeType::Location,
        AttributeType::Domain,
        AttributeType::EmailAddress,
        AttributeType::PhoneNumber,
        AttributeType::Interaction,
        AttributeType::PersonalName,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::Text => "text",
            AttributeType::Number => "number",
            AttributeType::Checkbox => "checkbox",
            AttributeType::Currency => "currency",
            AttributeType::Date => "date",
            AttributeType::Timestamp => "timestamp",
            AttributeType::Rating => "rating",
            AttributeType::Status => "status",
            AttributeType::Select => "select",
            AttributeType::RecordReference => "record-reference",
            AttributeType::ActorReference => "actor-reference",
            AttributeType::Location => "location",
            AttributeType::Domain => "domain",
            AttributeType::EmailAddress => "email-address",
            AttributeType::PhoneNumber => "phone-number",
            AttributeType::Interaction => "interaction",
            AttributeType::PersonalName => "personal-name",
        }
    }
}

impl fmt::Display for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_are_attios() {
        for t in AttributeType::ALL {
            let s = serde_json::to_string(&t).unwrap();
            assert_eq!(s, format!("\"{}\"", t.as_str()));
        }
    }
}
