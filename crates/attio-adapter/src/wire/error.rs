//! Attio's error body, `{"status_code", "type", "code", "message"}`, and what its codes
//! mean to the delivery: the simulator answers with [`ErrorBody`], the transport reads it
//! back with [`parse_error_body`] into the domain's [`ErrorDetail`].

use domain::error::ErrorDetail;
use domain::GatewayError;
use serde::Serialize;

/// The `type` values Attio uses.
pub mod kind {
    pub const INVALID_REQUEST: &str = "invalid_request_error";
    pub const AUTH: &str = "auth_error";
    pub const RATE_LIMIT: &str = "rate_limit_error";
    pub const INTERNAL: &str = "internal_server_error";
}

/// The `code` values whose meaning the service relies on (and the simulator answers).
pub mod code {
    pub const NOT_FOUND: &str = "not_found";
    pub const VALUE_NOT_FOUND: &str = "value_not_found";
    pub const VALIDATION_TYPE: &str = "validation_type";
    pub const MISSING_VALUE: &str = "missing_value";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const RATE_LIMIT_EXCEEDED: &str = "rate_limit_exceeded";
    pub const INTERNAL_SERVER_ERROR: &str = "internal_server_error";
    /// Two writes to one record at once: Attio documents it as "please try again".
    pub const CONCURRENT_WRITE_CONFLICT: &str = "concurrent_write_conflict";
}

/// Attio's error body as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody<'a> {
    pub status_code: u16,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub code: &'a str,
    pub message: &'a str,
}

impl ErrorBody<'_> {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// Attio's `{status_code,type,code,message}`: a JSON object carrying at least one of those
/// fields (others are ignored). Anything else is not Attio's shape.
pub fn parse_error_body(body: &[u8]) -> Option<ErrorDetail> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = value.as_object()?;
    let text = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let code = text("code");
    let parsed = ErrorDetail {
        status_code: obj
            .get("status_code")
            .and_then(|v| v.as_u64())
            .and_then(|n| u16::try_from(n).ok()),
        kind: text("type"),
        transient: code.as_deref() == Some(code::CONCURRENT_WRITE_CONFLICT),
        code,
        message: text("message"),
    };
    if parsed == ErrorDetail::default() {
        None
    } else {
        Some(parsed)
    }
}

/// The detail written back in Attio's shape (traces show it as Attio sent it).
pub fn render_error_body(detail: &ErrorDetail) -> String {
    let mut obj = serde_json::Map::new();
    if let Some(s) = detail.status_code {
        obj.insert("status_code".into(), s.into());
    }
    for (key, value) in [
        ("type", &detail.kind),
        ("code", &detail.code),
        ("message", &detail.message),
    ] {
        if let Some(v) = value {
            obj.insert(key.into(), v.as_str().into());
        }
    }
    serde_json::Value::Object(obj).to_string()
}

/// Whether Attio refused a value because the record it references was not found (a
/// reference to a record that may still appear, see the delivery's missing-reference
/// retries).
///
/// Attio answers `400 value_not_found` both for a missing record and for things that
/// cannot appear by waiting (an unknown attribute, select option, status or workspace
/// member); only a message about a record is a missing reference. A `value_not_found`
/// without a message is taken as one (its retries are bounded).
pub fn is_missing_reference(error: &GatewayError) -> bool {
    match error {
        GatewayError::Status {
            status: 400,
            body: Some(body),
            ..
        } if body.code.as_deref() == Some(code::VALUE_NOT_FOUND) => body
            .message
            .as_deref()
            .is_none_or(|m| m.to_ascii_lowercase().contains("record")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{Retryability, Retryable};

    fn status(status: u16, code: Option<&str>) -> GatewayError {
        with_message(
            status,
            code,
            "No record of \"users\" found where \"user_id\" is \"u1\".",
        )
    }

    fn with_message(status: u16, code: Option<&str>, message: &str) -> GatewayError {
        let body = ErrorBody {
            status_code: status,
            kind: kind::INVALID_REQUEST,
            code: code.unwrap_or(""),
            message,
        };
        let mut detail = parse_error_body(body.to_json().to_string().as_bytes()).expect("Attio's shape");
        if code.is_none() {
            detail.code = None;
        }
        GatewayError::Status {
            status,
            status_text: String::new(),
            body: Some(detail),
            raw_body: None,
            retry_after: None,
        }
    }

    #[test]
    fn value_not_found_is_a_missing_reference() {
        assert!(is_missing_reference(&status(400, Some("value_not_found"))));
        assert!(!is_missing_reference(&status(400, Some("validation_type"))));
        assert!(!is_missing_reference(&status(404, Some("value_not_found"))));
        assert!(!is_missing_reference(&status(400, None)));
    }

    #[test]
    fn unknown_attribute_option_status_or_member_is_not_a_missing_reference() {
        for message in [
            "Cannot find attribute with slug/ID \"plan\".",
            "No attribute was found for matching_attribute slug/ID \"sku\".",
            "Cannot find select attribute with select option title \"Gold\".",
            "Cannot find status attribute with status title \"Done\".",
            "No workspace member found for attribute \"owner\".",
        ] {
            assert!(
                !is_missing_reference(&with_message(400, Some("value_not_found"), message)),
                "{message}"
            );
        }
        assert!(is_missing_reference(&with_message(
            400,
            Some("value_not_found"),
            "Record with ID \"x\" not found in object \"users\"."
        )));
    }

    #[test]
    fn concurrent_write_conflict_is_read_as_transient_and_retried() {
        let conflict = with_message(409, Some(code::CONCURRENT_WRITE_CONFLICT), "please try again");
        assert!(conflict.retryability().is_retryable());
        let uniqueness = with_message(409, Some("uniqueness_conflict"), "taken");
        assert_eq!(uniqueness.retryability(), Retryability::Permanent);
    }

    #[test]
    fn attio_body_with_extra_fields_is_parsed() {
        let b = br#"{"status_code":400,"type":"invalid_request_error","code":"validation_type","message":"m","validation_errors":[{"path":["x"]}]}"#;
        let parsed = parse_error_body(b).unwrap();
        assert_eq!(parsed.code.as_deref(), Some("validation_type"));
        assert_eq!(parsed.status_code, Some(400));
    }

    #[test]
    fn json_without_attio_fields_is_not_attios_shape() {
        assert_eq!(parse_error_body(br#"{"error":"x"}"#), None);
        assert_eq!(parse_error_body(b"[1]"), None);
    }

    #[test]
    fn a_rendered_body_reads_back_the_same() {
        let b = br#"{"status_code":404,"type":"invalid_request_error","code":"not_found","message":"gone"}"#;
        let detail = parse_error_body(b).unwrap();
        assert_eq!(parse_error_body(render_error_body(&detail).as_bytes()), Some(detail));
    }
}
