//! Empty-value stripping and the JSON-schema coercions (`coerceTypes: "array"`) the
//! reference applies to each top-level field before the action runs.

use std::borrow::Cow;

use super::date_like::is_date_like;
use super::error::excerpt;
use super::fields::{FieldDef, FieldType};
use super::{Mode, PayloadError};
use crate::json::{js_number_to_string, Obj, Val};

/// A field value after coercion.
#[derive(Debug, Clone, PartialEq)]
pub enum Coerced<'a> {
    Str(Cow<'a, str>),
    Obj(Obj<'a>),
    Bool(bool),
    Num(f64),
    /// A datetime: a date-like string or a number.
    DateText(Cow<'a, str>),
    DateNum(f64),
}

/// Removes what the reference's `removeEmptyValues` removes at the root: `null` always
/// (no field allows null), `""` on non-string fields, and — in single mode only — `""`
/// on every field.
pub fn strip_empty<'a>(v: Val<'a>, field: &FieldDef, mode: Mode) -> Option<Val<'a>> {
    match &v {
        Val::Undefined | Val::Null => None,
        Val::Str(s) if s.is_empty() => {
            let string_field = matches!(field.ty, FieldType::String { .. });
            if mode == Mode::Single || !string_field {
                None
            } else {
                Some(v)
            }
        }
        _ => Some(v),
    }
}

/// Coerces one field's value the way ajv does with `coerceTypes: "array"`.
pub fn coerce<'a>(v: Val<'a>, field: &FieldDef) -> Result<Coerced<'a>, PayloadError> {
    // A one-element array stands for its element.
    let v = match v {
        Val::Arr(mut items) if items.len() == 1 && field.ty != FieldType::Object => items.pop().unwrap_or_default(),
        other => other,
    };
    let wrong = |expected: &'static str, got: &Val<'_>| PayloadError::WrongType {
        field: field.key,
        expected,
        got: article(got.type_name()),
    };
    match field.ty {
        FieldType::String { .. } => match v {
            Val::Str(s) => Ok(Coerced::Str(s)),
            Val::Num(n) => Ok(Coerced::Str(Cow::Owned(js_number_to_string(n)))),
            Val::Bool(b) => Ok(Coerced::Str(Cow::Borrowed(if b { "true" } else { "false" }))),
            Val::Null => Ok(Coerced::Str(Cow::Borrowed(""))),
            other => Err(wrong("a string", &other)),
        },
        FieldType::Object => match v {
            Val::Obj(o) => Ok(Coerced::Obj(o)),
            other => Err(wrong("an object", &other)),
        },
        FieldType::Boolean => match v {
            Val::Bool(b) => Ok(Coerced::Bool(b)),
            Val::Str(s) if s == "true" => Ok(Coerced::Bool(true)),
            Val::Str(s) if s == "false" => Ok(Coerced::Bool(false)),
            Val::Num(1.0) => Ok(Coerced::Bool(true)),
            Val::Num(0.0) => Ok(Coerced::Bool(false)),
            Val::Null => Ok(Coerced::Bool(false)),
            other => Err(wrong("a boolean", &other)),
        },
        FieldType::Number => match v {
            Val::Num(n) => Ok(Coerced::Num(n)),
            Val::Bool(b) => Ok(Coerced::Num(if b { 1.0 } else { 0.0 })),
            Val::Null => Ok(Coerced::Num(0.0)),
            Val::Str(s) => match js_numeric_string(&s) {
                Some(n) => Ok(Coerced::Num(n)),
                None => Err(wrong("a number", &Val::Str(s))),
            },
            other => Err(wrong("a number", &other)),
        },
        FieldType::Datetime => match v {
            Val::Num(n) => Ok(Coerced::DateNum(n)),
            Val::Str(s) => {
                if is_date_like(&s) {
                    Ok(Coerced::DateText(s))
                } else {
                    Err(PayloadError::NotDateLike {
                        field: field.key,
                        value: excerpt(&s),
                    })
                }
            }
            Val::Bool(b) => {
                // Coerced to the string "true"/"false", which is not date-like.
                Err(PayloadError::NotDateLike {
                    field: field.key,
                    value: b.to_string(),
                })
            }
            other => Err(wrong("a date string or a number", &other)),
        },
    }
}

/// `data == +data` for a non-empty string (ajv's numeric-string test).
fn js_numeric_string(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let n = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()? as f64
    } else {
        match t {
            "Infinity" | "+Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            _ if t.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') => return None,
            _ => t.parse::<f64>().ok()?,
        }
    };
    Some(n)
}

fn article(type_name: &'static str) -> &'static str {
    match type_name {
        "array" => "an array",
        "object" => "an object",
        "number" => "a number",
        "string" => "a string",
        "boolean" => "a boolean",
        "null" => "null",
        _ => "undefined",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: FieldDef = FieldDef {
        key: "user_id",
        ty: FieldType::String { email: false },
        required: true,
    };
    const B: FieldDef = FieldDef {
        key: "enable_batching",
        ty: FieldType::Boolean,
        required: false,
    };
    const N: FieldDef = FieldDef {
        key: "batch_size",
        ty: FieldType::Number,
        required: false,
    };
    const O: FieldDef = FieldDef {
        key: "attributes",
        ty: FieldType::Object,
        required: false,
    };

    fn v(s: &str) -> Val<'_> {
        Val::parse(s).unwrap()
    }

    #[test]
    fn numbers_and_booleans_become_strings_like_javascript() {
        assert_eq!(coerce(v("9"), &S).unwrap(), Coerced::Str("9".into()));
        assert_eq!(coerce(v("0"), &S).unwrap(), Coerced::Str("0".into()));
        assert_eq!(coerce(v("1.50"), &S).unwrap(), Coerced::Str("1.5".into()));
        assert_eq!(coerce(v("true"), &S).unwrap(), Coerced::Str("true".into()));
    }

    #[test]
    fn one_element_array_stands_for_its_element() {
        assert_eq!(coerce(v(r#"["a@b.co"]"#), &S).unwrap(), Coerced::Str("a@b.co".into()));
        assert_eq!(coerce(v("[5]"), &S).unwrap(), Coerced::Str("5".into()));
    }

    #[test]
    fn object_for_a_string_field_names_the_field() {
        let e = coerce(v(r#"{"a":1}"#), &S).unwrap_err();
        assert_eq!(e.to_string(), "user_id must be a string but it was an object");
    }

    #[test]
    fn boolean_and_number_coercions() {
        assert_eq!(coerce(v(r#""true""#), &B).unwrap(), Coerced::Bool(true));
        assert!(coerce(v(r#""yes""#), &B).is_err());
        assert_eq!(coerce(v(r#""250""#), &N).unwrap(), Coerced::Num(250.0));
        assert!(coerce(v(r#""many""#), &N).is_err());
    }

    #[test]
    fn attribute_maps_must_be_objects() {
        assert_eq!(
            coerce(v(r#""x""#), &O).unwrap_err().to_string(),
            "attributes must be an object but it was a string"
        );
        assert!(coerce(v("[{}]"), &O).is_err());
    }

    #[test]
    fn empty_string_is_stripped_in_single_mode_only_for_string_fields() {
        assert!(strip_empty(v(r#""""#), &S, Mode::Single).is_none());
        assert!(strip_empty(v(r#""""#), &S, Mode::Batch).is_some());
        assert!(strip_empty(v(r#""""#), &N, Mode::Batch).is_none());
        assert!(strip_empty(v("null"), &S, Mode::Batch).is_none());
    }
}
