//! Personal-name values: first, last and full name.

use serde_json::{json, Map, Value};

use super::error::{json_kind, ValueProblem};
use super::json_form::{only_keys, required, wrong_type};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonalNameError {
    #[error("it is empty; send null to clear the name")]
    Empty,
}

/// A person's name. Parts are trimmed; any of them may be empty, but not all three.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonalName {
    first_name: String,
    last_name: String,
    full_name: String,
}

impl PersonalName {
    /// The three parts as given (trimmed). Attio does not check that `full_name` agrees with
    /// the other two, and neither does this.
    pub fn new(first_name: &str, last_name: &str, full_name: &str) -> Result<Self, PersonalNameError> {
        let (first_name, last_name, full_name) = (first_name.trim(), last_name.trim(), full_name.trim());
        if first_name.is_empty() && last_name.is_empty() && full_name.is_empty() {
            return Err(PersonalNameError::Empty);
        }
        Ok(Self {
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            full_name: full_name.to_owned(),
        })
    }

    /// Attio's shorthand, "Last name(s), First name(s)": `"Bloggs, Joe"` is Joe Bloggs. Without
    /// a comma the whole string is the first name; commas after the first belong to the first
    /// name. The full name is the first name, a space and the last name.
    pub fn parse(shorthand: &str) -> Result<Self, PersonalNameError> {
        let (last, first) = match shorthand.split_once(',') {
            Some((last, first)) => (last.trim(), first.trim()),
            None => ("", shorthand.trim()),
        };
        let full = match (first.is_empty(), last.is_empty()) {
            (false, false) => format!("{first} {last}"),
            (false, true) => first.to_owned(),
            (true, _) => last.to_owned(),
        };
        Self::new(first, last, &full)
    }

    pub fn first_name(&self) -> &str {
        &self.first_name
    }

    pub fn last_name(&self) -> &str {
        &self.last_name
    }

    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    /// `{"first_name", "last_name", "full_name"}`.
    pub fn to_write_json(&self) -> Value {
        json!({
            "first_name": self.first_name,
            "last_name": self.last_name,
            "full_name": self.full_name,
        })
    }
}

/// A part of the object form: a string, or null for an empty part.
fn part<'a>(map: &'a Map<String, Value>, key: &'static str) -> Result<&'a str, ValueProblem> {
    match required(map, key)? {
        Value::String(s) => Ok(s),
        Value::Null => Ok(""),
        other => Err(ValueProblem::WrongKeyType {
            key,
            found: json_kind(other),
            expected: "a string or null",
        }),
    }
}

/// `"Bloggs, Joe"` or `{"first_name", "last_name", "full_name"}` with all three keys.
pub(super) fn personal_name_from_json(v: &Value) -> Result<PersonalName, ValueProblem> {
    match v {
        Value::String(s) => Ok(PersonalName::parse(s)?),
        Value::Object(map) => {
            only_keys(map, &["first_name", "last_name", "full_name"])?;
            let (first, last, full) = (
                part(map, "first_name")?,
                part(map, "last_name")?,
                part(map, "full_name")?,
            );
            Ok(PersonalName::new(first, last, full)?)
        }
        other => Err(wrong_type(
            other,
            "\"Last, First\" or {\"first_name\", \"last_name\", \"full_name\"}",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(v: Value) -> (String, String, String) {
        let n = personal_name_from_json(&v).expect("valid name");
        (n.first_name().into(), n.last_name().into(), n.full_name().into())
    }

    fn t(first: &str, last: &str, full: &str) -> (String, String, String) {
        (first.into(), last.into(), full.into())
    }

    #[test]
    fn shorthand_is_last_comma_first() {
        assert_eq!(parts(json!("Bloggs, Joe")), t("Joe", "Bloggs", "Joe Bloggs"));
        assert_eq!(parts(json!("Joe Bloggs")), t("Joe Bloggs", "", "Joe Bloggs"));
        assert_eq!(
            parts(json!("Bloggs, Joe, Jr.")),
            t("Joe, Jr.", "Bloggs", "Joe, Jr. Bloggs")
        );
        assert_eq!(parts(json!("Bloggs,")), t("", "Bloggs", "Bloggs"));
        assert_eq!(parts(json!("  , Joe ")), t("Joe", "", "Joe"));
    }

    #[test]
    fn object_form_needs_all_three_keys() {
        let full = json!({"first_name": "Ada", "last_name": "Lovelace", "full_name": "Ada Lovelace"});
        assert_eq!(parts(full.clone()), t("Ada", "Lovelace", "Ada Lovelace"));
        assert_eq!(personal_name_from_json(&full).unwrap().to_write_json(), full);
        assert_eq!(
            personal_name_from_json(&json!({"first_name": "Ada", "last_name": "Lovelace"}))
                .unwrap_err()
                .to_string(),
            "lacks the required key \"full_name\""
        );
        assert_eq!(
            parts(json!({"first_name": "Ada", "last_name": null, "full_name": "Ada"})),
            t("Ada", "", "Ada")
        );
    }

    #[test]
    fn empty_names_are_refused() {
        for bad in [
            json!(""),
            json!(" , "),
            json!({"first_name": "", "last_name": " ", "full_name": null}),
        ] {
            assert_eq!(
                personal_name_from_json(&bad).unwrap_err().to_string(),
                "is not a valid personal name: it is empty; send null to clear the name",
                "{bad}"
            );
        }
        assert!(personal_name_from_json(&json!(["Joe"])).is_err());
        assert!(personal_name_from_json(&json!({"first_name": 1, "last_name": "", "full_name": ""})).is_err());
    }
}
