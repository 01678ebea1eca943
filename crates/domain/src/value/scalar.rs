//! The plain value types: text, number, checkbox and rating.

use std::fmt;

use serde_json::Value;

use super::error::ValueProblem;
use super::json_form::{unwrap_value_form, wrong_type};

/// The most bytes Attio stores in one text value (10 MB).
pub const MAX_TEXT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("it is {bytes} bytes long; at most 10 MB (10485760 bytes) are stored")]
    TooLong { bytes: usize },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("it is not finite")]
    NotFinite,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("it must be a whole number from 0 to 5")]
    OutOfRange,
}

/// A star rating: a whole number from 0 to 5 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rating(u8);

impl Rating {
    pub const MAX: u8 = 5;

    pub fn new(stars: u8) -> Result<Self, RatingError> {
        if stars <= Self::MAX {
            Ok(Self(stars))
        } else {
            Err(RatingError::OutOfRange)
        }
    }

    pub fn stars(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Checks a text value's size.
pub fn check_text(s: &str) -> Result<(), TextError> {
    if s.len() > MAX_TEXT_BYTES {
        Err(TextError::TooLong { bytes: s.len() })
    } else {
        Ok(())
    }
}

/// `"…"` or `{"value": "…"}`.
pub(super) fn text_from_json(v: &Value) -> Result<String, ValueProblem> {
    match unwrap_value_form(v)? {
        Value::String(s) => {
            check_text(s)?;
            Ok(s.clone())
        }
        other => Err(wrong_type(other, "a string or {\"value\": string}")),
    }
}

/// A JSON number or `{"value": number}`. Strings are not numbers.
pub(super) fn number_from_json(v: &Value) -> Result<f64, ValueProblem> {
    match unwrap_value_form(v)? {
        Value::Number(n) => {
            let f = n.as_f64().ok_or(NumberError::NotFinite)?;
            if f.is_finite() {
                Ok(f)
            } else {
                Err(NumberError::NotFinite.into())
            }
        }
        other => Err(wrong_type(other, "a number or {\"value\": number}")),
    }
}

/// `true`/`false`, `"true"`/`"false"`, or either inside `{"value": …}`.
pub(super) fn checkbox_from_json(v: &Value) -> Result<bool, ValueProblem> {
    const EXPECTED: &str = "true, false, \"true\", \"false\" or {\"value\": boolean}";
    match unwrap_value_form(v)? {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        other => Err(wrong_type(other, EXPECTED)),
    }
}

/// A whole number 0–5 (`4` or `4.0`), or `{"value": …}`.
pub(super) fn rating_from_json(v: &Value) -> Result<Rating, ValueProblem> {
    match unwrap_value_form(v)? {
        Value::Number(n) => {
            let f = n.as_f64().ok_or(RatingError::OutOfRange)?;
            if f.fract() != 0.0 || !(0.0..=f64::from(Rating::MAX)).contains(&f) {
                return Err(RatingError::OutOfRange.into());
            }
            // In 0..=5 and whole, so the conversion is exact.
            Ok(Rating::new(f as u8)?)
        }
        other => Err(wrong_type(other, "a whole number from 0 to 5 or {\"value\": number}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_takes_a_string_bare_or_wrapped() {
        assert_eq!(text_from_json(&json!("hi")), Ok("hi".to_owned()));
        assert_eq!(text_from_json(&json!({"value": ""})), Ok(String::new()));
    }

    #[test]
    fn text_refuses_numbers_and_extra_keys() {
        assert_eq!(
            text_from_json(&json!(12)).unwrap_err().to_string(),
            "is a number, expected a string or {\"value\": string}"
        );
        assert_eq!(
            text_from_json(&json!({"value": "a", "x": 1})).unwrap_err().to_string(),
            "has the unknown key \"x\""
        );
    }

    #[test]
    fn text_over_ten_megabytes_is_refused() {
        let big = "a".repeat(MAX_TEXT_BYTES + 1);
        assert!(matches!(
            text_from_json(&json!(big)),
            Err(ValueProblem::Text(TextError::TooLong { .. }))
        ));
    }

    #[test]
    fn number_takes_integers_and_floats() {
        assert_eq!(number_from_json(&json!(3)), Ok(3.0));
        assert_eq!(number_from_json(&json!({"value": -12.375})), Ok(-12.375));
        assert_eq!(number_from_json(&json!(u64::MAX)), Ok(u64::MAX as f64));
    }

    #[test]
    fn number_refuses_numeric_strings() {
        assert_eq!(
            number_from_json(&json!("3")).unwrap_err().to_string(),
            "is a string, expected a number or {\"value\": number}"
        );
    }

    #[test]
    fn checkbox_takes_booleans_and_their_strings() {
        assert_eq!(checkbox_from_json(&json!(true)), Ok(true));
        assert_eq!(checkbox_from_json(&json!("false")), Ok(false));
        assert_eq!(checkbox_from_json(&json!({"value": "true"})), Ok(true));
        assert!(checkbox_from_json(&json!("yes")).is_err());
        assert!(checkbox_from_json(&json!(1)).is_err());
    }

    #[test]
    fn rating_takes_whole_numbers_zero_to_five() {
        assert_eq!(rating_from_json(&json!(0)).map(Rating::stars), Ok(0));
        assert_eq!(rating_from_json(&json!({"value": 5.0})).map(Rating::stars), Ok(5));
        for bad in [json!(6), json!(-1), json!(2.5)] {
            assert_eq!(
                rating_from_json(&bad).unwrap_err().to_string(),
                "is not a valid rating: it must be a whole number from 0 to 5",
                "{bad}"
            );
        }
        assert!(rating_from_json(&json!("4")).is_err());
    }

    #[test]
    fn rating_constructor_checks_the_range() {
        assert_eq!(Rating::new(6), Err(RatingError::OutOfRange));
        assert_eq!(Rating::new(3).map(|r| r.to_string()), Ok("3".to_owned()));
    }
}
