//! The error returned for an attribute value that cannot be written.

use std::fmt;

use serde_json::Value;

use super::actor_reference::ActorReferenceError;
use super::choice::ChoiceError;
use super::currency::CurrencyError;
use super::domain::DomainError;
use super::email::EmailError;
use super::location::LocationError;
use super::personal_name::PersonalNameError;
use super::phone::PhoneError;
use super::record_reference::RecordReferenceError;
use super::scalar::{NumberError, RatingError, TextError};
use super::temporal::TemporalError;
use super::AttributeType;

/// How many characters of the offending value an error message shows.
const SHOWN_VALUE_CHARS: usize = 80;

/// What is wrong with one value. The message reads as a predicate of the value, e.g.
/// `is not a valid E.164 phone number: too few digits`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueProblem {
    #[error("cannot be written: interaction values are recorded by Attio itself")]
    NotWritable,
    #[error("is {found}, expected {expected}")]
    WrongType {
        found: &'static str,
        expected: &'static str,
    },
    #[error("holds {count} values, but the attribute takes a single value")]
    TooManyValues { count: usize },
    #[error("is null inside an array; send null or [] alone to clear the attribute")]
    NullInArray,
    #[error("is an array inside an array")]
    NestedArray,
    #[error("lacks the required key \"{key}\"")]
    MissingKey { key: &'static str },
    #[error("has the unknown key \"{key}\"")]
    UnknownKey { key: String },
    #[error("has \"{key}\" set to {found}, expected {expected}")]
    WrongKeyType {
        key: &'static str,
        found: &'static str,
        expected: &'static str,
    },
    #[error("is not a valid text: {0}")]
    Text(#[from] TextError),
    #[error("is not a valid number: {0}")]
    Number(#[from] NumberError),
    #[error("is not a valid rating: {0}")]
    Rating(#[from] RatingError),
    #[error("is not a valid currency value: {0}")]
    Currency(#[from] CurrencyError),
    #[error("is not a valid date: {0}")]
    Date(TemporalError),
    #[error("is not a valid timestamp: {0}")]
    Timestamp(TemporalError),
    #[error("is not a valid status: {0}")]
    Status(ChoiceError),
    #[error("is not a valid select option: {0}")]
    Select(ChoiceError),
    #[error("is not a valid record reference: {0}")]
    RecordReference(#[from] RecordReferenceError),
    #[error("is not a valid actor reference: {0}")]
    ActorReference(#[from] ActorReferenceError),
    #[error("is not a valid location: {0}")]
    Location(#[from] LocationError),
    #[error("is not a valid domain: {0}")]
    Domain(#[from] DomainError),
    #[error("is not a valid email address: it {0}")]
    EmailAddress(#[from] EmailError),
    #[error("is not a valid E.164 phone number: {0}")]
    PhoneNumber(#[from] PhoneError),
    #[error("is not a valid personal name: {0}")]
    PersonalName(#[from] PersonalNameError),
}

/// A value that cannot be written to an attribute: names the attribute's slug and type, shows
/// the offending value (truncated) and says what is wrong with it.
///
/// Display: `attribute "phone_numbers" (phone-number): "+1123" is not a valid E.164 phone
/// number: too few digits`. When the value is one element of an array, its position is named:
/// `attribute "domains" (domain), item 2: …`.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueError {
    slug: String,
    attribute_type: AttributeType,
    item: Option<usize>,
    value: String,
    problem: Box<ValueProblem>,
}

impl ValueError {
    pub fn new(
        slug: &str,
        attribute_type: AttributeType,
        item: Option<usize>,
        value: &Value,
        problem: ValueProblem,
    ) -> Self {
        Self {
            slug: slug.to_owned(),
            attribute_type,
            item,
            value: shown_value(value),
            problem: Box::new(problem),
        }
    }

    /// The slug of the attribute the value was meant for.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    pub fn attribute_type(&self) -> AttributeType {
        self.attribute_type
    }

    /// The position of the offending value in the array it came in, if any.
    pub fn item(&self) -> Option<usize> {
        self.item
    }

    /// The offending value as compact JSON, cut to at most 80 characters (then ending in `…`).
    pub fn shown_value(&self) -> &str {
        &self.value
    }

    pub fn problem(&self) -> &ValueProblem {
        &self.problem
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attribute \"{}\" ({})", self.slug, self.attribute_type)?;
        if let Some(item) = self.item {
            write!(f, ", item {item}")?;
        }
        write!(f, ": {} {}", self.value, self.problem)
    }
}

impl std::error::Error for ValueError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.problem.as_ref())
    }
}

/// The JSON kind of a value, with its article, for messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn shown_value(v: &Value) -> String {
    let full = v.to_string();
    match full.char_indices().nth(SHOWN_VALUE_CHARS) {
        None => full,
        Some((cut, _)) => format!("{}…", &full[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn display_names_slug_type_value_and_problem() {
        let err = ValueError::new(
            "phone_numbers",
            AttributeType::PhoneNumber,
            None,
            &json!("+1123"),
            ValueProblem::PhoneNumber(PhoneError::TooFewDigits),
        );
        assert_eq!(
            err.to_string(),
            "attribute \"phone_numbers\" (phone-number): \"+1123\" is not a valid E.164 phone number: too few digits"
        );
    }

    #[test]
    fn display_names_the_array_position() {
        let err = ValueError::new(
            "domains",
            AttributeType::Domain,
            Some(2),
            &json!(null),
            ValueProblem::NullInArray,
        );
        assert!(err
            .to_string()
            .starts_with("attribute \"domains\" (domain), item 2: null is null"));
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let long = "é".repeat(200);
        let err = ValueError::new("t", AttributeType::Text, None, &json!(long), ValueProblem::NestedArray);
        assert_eq!(err.shown_value().chars().count(), SHOWN_VALUE_CHARS + 1);
        assert!(err.shown_value().ends_with('…'));
    }
}
