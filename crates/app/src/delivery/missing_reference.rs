//! A record reference to a record that does not exist yet.
//!
//! Subscriptions are delivered independently, so a group (whose workspace lists the user)
//! can reach Attio before the identify that creates the user, although a client sent the
//! identify first (Segment's libraries send both in one batch). Attio then answers
//! `400 value_not_found`. Such a failure is retried a few times before the event is
//! dead-lettered, which gives the other subscription's delivery time to land.

use domain::{GatewayError, Retryability};

/// Whether Attio refused a value because the record it references was not found.
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
        } if body.code.as_deref() == Some("value_not_found") => body
            .message
            .as_deref()
            .is_none_or(|m| m.to_ascii_lowercase().contains("record")),
        _ => false,
    }
}

/// What to do about a failure that was the `attempts`-th: a missing reference is
/// retried until `limit` attempts have failed; anything else keeps its classification.
pub fn retryability(classified: Retryability, missing_reference: bool, attempts: u32, limit: u32) -> Retryability {
    match classified {
        Retryability::Permanent if missing_reference && attempts < limit => Retryability::Retryable { after: None },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::error::AttioErrorBody;

    fn status(status: u16, code: Option<&str>) -> GatewayError {
        with_message(
            status,
            code,
            "No record of \"users\" found where \"user_id\" is \"u1\".",
        )
    }

    fn with_message(status: u16, code: Option<&str>, message: &str) -> GatewayError {
        GatewayError::Status {
            status,
            status_text: String::new(),
            body: Some(AttioErrorBody {
                status_code: Some(status),
                kind: Some("invalid_request_error".into()),
                code: code.map(str::to_owned),
                message: Some(message.into()),
            }),
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
    fn missing_reference_is_retried_until_the_limit() {
        let retried = Retryability::Retryable { after: None };
        assert_eq!(retryability(Retryability::Permanent, true, 1, 4), retried);
        assert_eq!(retryability(Retryability::Permanent, true, 3, 4), retried);
        assert_eq!(
            retryability(Retryability::Permanent, true, 4, 4),
            Retryability::Permanent
        );
        assert_eq!(
            retryability(Retryability::Permanent, false, 1, 4),
            Retryability::Permanent
        );
        assert_eq!(
            retryability(Retryability::Authentication, true, 1, 4),
            Retryability::Authentication
        );
    }
}
