//! Status and select values: a reference to an existing status or option, by title or by id.
//!
//! A string that has the shape of a UUID is taken as an id; any other non-blank string as a
//! title. Attio never creates statuses or options on write, so whether the title or id exists is
//! checked against the attribute's configuration, not here.

use serde_json::{json, Value};

use super::error::ValueProblem;
use super::json_form::{only_keys, required, wrong_type};
use super::uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    #[error("the title is blank")]
    BlankTitle,
}

macro_rules! choice_ref {
    ($(#[$doc:meta])* $name:ident, $key:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            Id(Uuid),
            Title(String),
        }

        impl $name {
            /// A UUID-shaped string is an id; anything else not blank is a title (kept verbatim).
            pub fn parse(s: &str) -> Result<Self, ChoiceError> {
                if let Ok(id) = Uuid::parse(s) {
                    return Ok(Self::Id(id));
                }
                if s.trim().is_empty() {
                    return Err(ChoiceError::BlankTitle);
                }
                Ok(Self::Title(s.to_owned()))
            }

            pub fn id(&self) -> Option<Uuid> {
                match self {
                    Self::Id(id) => Some(*id),
                    Self::Title(_) => None,
                }
            }

            pub fn title(&self) -> Option<&str> {
                match self {
                    Self::Id(_) => None,
                    Self::Title(t) => Some(t),
                }
            }

            /// The text that is written: the id or the title.
            pub fn to_text(&self) -> String {
                match self {
                    Self::Id(id) => id.to_string(),
                    Self::Title(t) => t.clone(),
                }
            }

            #[doc = concat!("`{\"", $key, "\": <title or id>}`.")]
            pub fn to_write_json(&self) -> Value {
                json!({ $key: self.to_text() })
            }
        }
    };
}

choice_ref!(
    /// A status of a status attribute, by title or by status id.
    StatusRef,
    "status"
);
choice_ref!(
    /// An option of a select attribute, by title or by option id.
    OptionRef,
    "option"
);

fn choice_text<'a>(v: &'a Value, key: &'static str, expected: &'static str) -> Result<&'a str, ValueProblem> {
    let inner = match v {
        Value::Object(map) => {
            only_keys(map, &[key])?;
            required(map, key)?
        }
        other => other,
    };
    match inner {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(other, expected)),
    }
}

pub(super) fn status_from_json(v: &Value) -> Result<StatusRef, ValueProblem> {
    let text = choice_text(v, "status", "a status title or {\"status\": title or id}")?;
    StatusRef::parse(text).map_err(ValueProblem::Status)
}

pub(super) fn option_from_json(v: &Value) -> Result<OptionRef, ValueProblem> {
    let text = choice_text(v, "option", "an option title or {\"option\": title or id}")?;
    OptionRef::parse(text).map_err(ValueProblem::Select)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "50cf242c-7fa3-4cad-87d0-75b1af71c57b";

    #[test]
    fn titles_and_ids_in_both_forms() {
        assert_eq!(
            status_from_json(&json!("In Progress")),
            Ok(StatusRef::Title("In Progress".into()))
        );
        assert_eq!(
            status_from_json(&json!({ "status": ID }))
                .unwrap()
                .id()
                .map(|u| u.to_string()),
            Some(ID.into())
        );
        assert_eq!(
            option_from_json(&json!({"option": "Won 🎉"})).unwrap().title(),
            Some("Won 🎉")
        );
        assert_eq!(
            option_from_json(&json!(ID)).unwrap().to_write_json(),
            json!({ "option": ID })
        );
    }

    #[test]
    fn blank_titles_and_other_kinds_are_refused() {
        assert_eq!(
            status_from_json(&json!("  ")).unwrap_err().to_string(),
            "is not a valid status: the title is blank"
        );
        assert_eq!(
            option_from_json(&json!({"option": ""})).unwrap_err().to_string(),
            "is not a valid select option: the title is blank"
        );
        assert_eq!(
            option_from_json(&json!(3)).unwrap_err().to_string(),
            "is a number, expected an option title or {\"option\": title or id}"
        );
        assert!(status_from_json(&json!({"option": "A"})).is_err());
    }
}
