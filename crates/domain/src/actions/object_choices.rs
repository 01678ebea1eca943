//! The "Attio Object" dropdown of `assertRecord`: the workspace's objects as choices.

use serde::{Deserialize, Serialize};

use crate::ports::AttioObject;
use crate::GatewayError;

/// One dropdown choice: `value` is the object's `api_slug`, `label` its singular noun.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Why the choices could not be listed: `code` is Attio's `status_code` as a string (or
/// `"unknown"`), `message` Attio's message, else the HTTP status text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceError {
    pub code: String,
    pub message: String,
}

/// The choices sorted by singular noun as lodash's `sortBy` does: stable, by UTF-16 code
/// units (so upper case sorts before lower case), objects without a noun last.
pub fn object_choices(objects: Vec<AttioObject>) -> Vec<Choice> {
    let mut objects = objects;
    objects.sort_by(|a, b| match (&a.singular_noun, &b.singular_noun) {
        (Some(x), Some(y)) => x.encode_utf16().cmp(y.encode_utf16()),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    objects
        .into_iter()
        .map(|o| Choice {
            value: o.api_slug,
            label: o.singular_noun,
        })
        .collect()
}

/// The error the dropdown shows when listing failed.
pub fn choice_error(error: &GatewayError) -> ChoiceError {
    match error {
        GatewayError::Status { status_text, body, .. } => ChoiceError {
            code: body
                .as_ref()
                .and_then(|b| b.status_code)
                .map(|c| c.to_string())
                .unwrap_or_else(|| "unknown".to_owned()),
            message: body
                .as_ref()
                .and_then(|b| b.message.clone())
                .or_else(|| (!status_text.is_empty()).then(|| status_text.clone()))
                .unwrap_or_else(|| "Unknown error".to_owned()),
        },
        other => ChoiceError {
            code: "unknown".to_owned(),
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorDetail;

    fn obj(slug: &str, noun: Option<&str>) -> AttioObject {
        AttioObject {
            api_slug: Some(slug.into()),
            singular_noun: noun.map(Into::into),
            plural_noun: None,
        }
    }

    #[test]
    fn choices_sort_upper_case_before_lower_case_and_missing_last() {
        let c = object_choices(vec![
            obj("t", Some("ticket")),
            obj("x", None),
            obj("v", Some("Vehicle")),
            obj("c", Some("Company")),
        ]);
        let labels: Vec<_> = c.iter().map(|c| c.value.clone().unwrap()).collect();
        assert_eq!(labels, ["c", "v", "t", "x"]);
    }

    #[test]
    fn error_uses_attio_status_code_and_message() {
        let e = GatewayError::Status {
            status: 401,
            status_text: "Unauthorized".into(),
            body: Some(ErrorDetail {
                status_code: Some(400),
                message: Some("Something went wrong".into()),
                ..Default::default()
            }),
            raw_body: None,
            retry_after: None,
        };
        assert_eq!(
            choice_error(&e),
            ChoiceError {
                code: "400".into(),
                message: "Something went wrong".into()
            }
        );
        let bare = GatewayError::Status {
            status: 500,
            status_text: "Internal Server Error".into(),
            body: None,
            raw_body: None,
            retry_after: None,
        };
        assert_eq!(
            choice_error(&bare),
            ChoiceError {
                code: "unknown".into(),
                message: "Internal Server Error".into()
            }
        );
    }
}
