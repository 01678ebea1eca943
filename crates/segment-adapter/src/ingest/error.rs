use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::event::EventError;

/// Why a request was not accepted. Each variant maps to one HTTP status and a stable
/// `code`; the message names the field and the problem, and never contains a key.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("{at} is not valid JSON: {detail}")]
    InvalidEventJson { at: String, detail: String },
    #[error("the body must be a JSON object")]
    BodyNotObject,
    #[error("batch is missing")]
    BatchMissing,
    #[error("batch must be an array")]
    BatchNotArray,
    #[error("{field} must be {expected}")]
    InvalidEnvelopeField {
        field: &'static str,
        expected: &'static str,
    },
    #[error("the batch has {count} events; at most {limit} are accepted per request")]
    TooManyEvents { count: usize, limit: usize },
    #[error("{at} is {size} bytes; an event may be at most {limit} bytes")]
    EventTooLarge { at: String, size: usize, limit: usize },
    #[error("{}", source.describe_at(at))]
    InvalidEvent { at: String, source: EventError },
    #[error("the body is not valid gzip: {0}")]
    InvalidGzip(String),
    #[error("the body is not valid deflate: {0}")]
    InvalidDeflate(String),
    #[error("the request body could not be read: {0}")]
    BodyRead(String),
    #[error("a write key is required (HTTP Basic username, X-Write-Key header or writeKey in the body)")]
    MissingWriteKey,
    #[error("the write key is not valid")]
    WrongWriteKey,
    #[error("the Authorization header is not valid HTTP Basic credentials")]
    MalformedAuthorization,
    #[error("no write keys are configured, so only loopback clients are accepted")]
    NotLoopback,
    #[error("no write keys are configured, so requests relayed by a proxy (Forwarded or X-Forwarded-* headers) are refused; configure write keys")]
    ForwardedWithoutKeys,
    #[error("the X-Signature header is missing")]
    MissingSignature,
    #[error("the X-Signature header does not match the body")]
    WrongSignature,
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error(
        "the body is not JSON (content type {0:?}); send the events as JSON, e.g. with Content-Type: application/json"
    )]
    UnsupportedMediaType(String),
    #[error("content encoding {0:?} is not accepted; send gzip, deflate or no encoding")]
    UnsupportedEncoding(String),
    #[error("the event spool is full; retry later")]
    SpoolFull { retry_after_seconds: u64 },
    #[error("the service is shutting down; retry later")]
    Draining { retry_after_seconds: u64 },
    #[error("the events could not be stored; retry later")]
    SpoolFailed { retry_after_seconds: u64 },
    #[error("the request body did not arrive within {seconds} s")]
    BodyTimeout { seconds: u64 },
    #[error("the service is busy reading other requests; retry later")]
    Overloaded { retry_after_seconds: u64 },
    #[error("the write key is not known")]
    UnknownSettingsKey,
}

impl IngestError {
    pub fn status(&self) -> StatusCode {
        use IngestError::*;
        match self {
            InvalidJson(_)
            | InvalidEventJson { .. }
            | BodyNotObject
            | BatchMissing
            | BatchNotArray
            | InvalidEnvelopeField { .. }
            | TooManyEvents { .. }
            | EventTooLarge { .. }
            | InvalidEvent { .. }
            | InvalidGzip(_)
            | InvalidDeflate(_)
            | BodyRead(_) => StatusCode::BAD_REQUEST,
            MissingWriteKey
            | WrongWriteKey
            | MalformedAuthorization
            | NotLoopback
            | MissingSignature
            | WrongSignature => StatusCode::UNAUTHORIZED,
            ForwardedWithoutKeys => StatusCode::FORBIDDEN,
            BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType(_) | UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            SpoolFull { .. } => StatusCode::TOO_MANY_REQUESTS,
            Draining { .. } | SpoolFailed { .. } | Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            UnknownSettingsKey => StatusCode::NOT_FOUND,
        }
    }

    /// Stable, machine-readable; also the `reason` label of the rejection counter.
    pub fn code(&self) -> &'static str {
        use IngestError::*;
        match self {
            InvalidJson(_) | InvalidEventJson { .. } => "invalid_json",
            BodyNotObject => "body_not_object",
            BatchMissing => "batch_missing",
            BatchNotArray => "batch_not_array",
            InvalidEnvelopeField { .. } => "invalid_field",
            TooManyEvents { .. } => "too_many_events",
            EventTooLarge { .. } => "event_too_large",
            InvalidEvent { source, .. } => source.code(),
            InvalidGzip(_) => "invalid_gzip",
            InvalidDeflate(_) => "invalid_deflate",
            BodyRead(_) => "body_read_failed",
            MissingWriteKey => "missing_write_key",
            WrongWriteKey => "invalid_write_key",
            MalformedAuthorization => "malformed_authorization",
            NotLoopback => "loopback_only",
            ForwardedWithoutKeys => "forwarded_without_keys",
            BodyTimeout { .. } => "body_timeout",
            Overloaded { .. } => "overloaded",
            MissingSignature => "missing_signature",
            WrongSignature => "invalid_signature",
            PayloadTooLarge { .. } => "payload_too_large",
            UnsupportedMediaType(_) => "unsupported_media_type",
            UnsupportedEncoding(_) => "unsupported_encoding",
            SpoolFull { .. } => "spool_full",
            Draining { .. } => "draining",
            SpoolFailed { .. } => "spool_unavailable",
            UnknownSettingsKey => "unknown_write_key",
        }
    }

    /// The field the problem is about, as a path (`batch[3].event`).
    pub fn field(&self) -> Option<String> {
        use IngestError::*;
        match self {
            InvalidEventJson { at, .. } | EventTooLarge { at, .. } => Some(at.clone()),
            InvalidEvent { at, source } => Some(source.path_at(at)).filter(|p| !p.is_empty()),
            BatchMissing | BatchNotArray | TooManyEvents { .. } => Some("batch".to_owned()),
            InvalidEnvelopeField { field, .. } => Some((*field).to_owned()),
            MissingSignature | WrongSignature => Some("X-Signature".to_owned()),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            IngestError::SpoolFull { retry_after_seconds }
            | IngestError::Draining { retry_after_seconds }
            | IngestError::SpoolFailed { retry_after_seconds }
            | IngestError::Overloaded { retry_after_seconds } => Some(*retry_after_seconds),
            _ => None,
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code(), "message": self.to_string()});
        if let Some(field) = self.field() {
            error["field"] = json!(field);
        }
        let status = self.status();
        let body_unread = matches!(
            self,
            IngestError::BodyTimeout { .. } | IngestError::Overloaded { .. } | IngestError::PayloadTooLarge { .. }
        );
        let mut response = (status, axum::Json(json!({ "error": error }))).into_response();
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if body_unread {
            // The body is not read (in full): the connection cannot carry another request.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_errors_carry_the_batch_position_in_message_and_field() {
        let err = IngestError::InvalidEvent {
            at: "batch[3]".into(),
            source: EventError::Missing { field: "event" },
        };
        assert_eq!(err.to_string(), "batch[3].event is missing");
        assert_eq!(err.field().as_deref(), Some("batch[3].event"));
        assert_eq!(err.code(), "missing_field");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn single_event_errors_name_the_bare_field() {
        let err = IngestError::InvalidEvent {
            at: String::new(),
            source: EventError::Missing { field: "groupId" },
        };
        assert_eq!(err.to_string(), "groupId is missing");
        assert_eq!(err.field().as_deref(), Some("groupId"));
    }

    #[test]
    fn back_pressure_answers_carry_retry_after() {
        for (err, status) in [
            (
                IngestError::SpoolFull { retry_after_seconds: 7 },
                StatusCode::TOO_MANY_REQUESTS,
            ),
            (
                IngestError::Draining { retry_after_seconds: 7 },
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                IngestError::SpoolFailed { retry_after_seconds: 7 },
                StatusCode::SERVICE_UNAVAILABLE,
            ),
        ] {
            let response = err.into_response();
            assert_eq!(response.status(), status);
            assert_eq!(
                response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok()),
                Some("7")
            );
        }
    }
}
