//! Errors of the Attio gateway port, with the retryability the delivery loop reads.

use std::time::Duration;

/// What the delivery loop should do with a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retryability {
    /// Try again later; `after` is the server's suggested delay (`Retry-After`).
    Retryable { after: Option<Duration> },
    /// The credentials are missing, invalid or lack a permission: retrying will not
    /// help until they are fixed (deviation D6).
    Authentication,
    /// The request itself is wrong: retrying will never help.
    Permanent,
}

impl Retryability {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Retryability::Retryable { .. })
    }
}

/// Errors that know whether they are worth retrying (after Quickwit's `Retryable`).
pub trait Retryable {
    fn retryability(&self) -> Retryability;
}

/// What the server said about a refused request, as the Attio adapter read it from the
/// reply's error body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    pub status_code: Option<u16>,
    /// The error's category (Attio's `type`).
    pub kind: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    /// The server said the same request can succeed later (a conflict with a concurrent
    /// write): it is retried whatever its status.
    pub transient: bool,
}

/// A failure of one request to Attio.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GatewayError {
    /// Attio answered with a non-2xx status.
    #[error("Attio answered {status} {status_text}{}", describe_body(.body))]
    Status {
        status: u16,
        status_text: String,
        body: Option<ErrorDetail>,
        /// The raw reply body when it was not Attio's error shape (truncated).
        raw_body: Option<String>,
        retry_after: Option<Duration>,
    },
    #[error("request to Attio timed out after {}s", .after.as_secs_f64())]
    Timeout { after: Duration },
    #[error("could not reach Attio: {0}")]
    Connection(String),
    #[error("Attio's reply could not be read: {0}")]
    InvalidReply(String),
    /// Refused before sending (for example by the attribute schema check).
    #[error("{0}")]
    Rejected(String),
}

fn describe_body(body: &Option<ErrorDetail>) -> String {
    match body {
        Some(b) => {
            let mut s = String::new();
            if let Some(code) = &b.code {
                s.push_str(&format!(" ({code})"));
            }
            if let Some(m) = &b.message {
                s.push_str(&format!(": {m}"));
            }
            s
        }
        None => String::new(),
    }
}

impl GatewayError {
    /// The HTTP status, where there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            GatewayError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Classification of an HTTP status as Segment's platform and Attio's docs suggest:
    /// 408, 423, 429 and 5xx except 501 are retried; 401 and 403 are authentication
    /// failures; other 4xx are permanent.
    pub fn classify_status(status: u16, retry_after: Option<Duration>) -> Retryability {
        match status {
            401 | 403 => Retryability::Authentication,
            408 | 423 | 429 => Retryability::Retryable { after: retry_after },
            501 => Retryability::Permanent,
            500..=599 => Retryability::Retryable { after: retry_after },
            _ => Retryability::Permanent,
        }
    }
}

impl Retryable for GatewayError {
    fn retryability(&self) -> Retryability {
        match self {
            GatewayError::Status {
                body: Some(ErrorDetail { transient: true, .. }),
                retry_after,
                ..
            } => Retryability::Retryable { after: *retry_after },
            GatewayError::Status {
                status, retry_after, ..
            } => Self::classify_status(*status, *retry_after),
            GatewayError::Timeout { .. } | GatewayError::Connection(_) => Retryability::Retryable { after: None },
            GatewayError::InvalidReply(_) => Retryability::Retryable { after: None },
            GatewayError::Rejected(_) => Retryability::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16) -> GatewayError {
        GatewayError::Status {
            status: s,
            status_text: String::new(),
            body: None,
            raw_body: None,
            retry_after: None,
        }
    }

    #[test]
    fn statuses_are_classified_like_segment_does() {
        for s in [408, 423, 429, 500, 502, 503, 504, 599] {
            assert!(status(s).retryability().is_retryable(), "{s}");
        }
        for s in [400, 404, 409, 422, 501] {
            assert_eq!(status(s).retryability(), Retryability::Permanent, "{s}");
        }
        for s in [401, 403] {
            assert_eq!(status(s).retryability(), Retryability::Authentication, "{s}");
        }
    }

    #[test]
    fn a_transient_refusal_is_retryable_and_other_refusals_keep_their_status_class() {
        let conflict = |transient: bool| GatewayError::Status {
            status: 409,
            status_text: "Conflict".into(),
            body: Some(ErrorDetail {
                status_code: Some(409),
                code: Some("conflict".into()),
                transient,
                ..ErrorDetail::default()
            }),
            raw_body: None,
            retry_after: None,
        };
        assert!(conflict(true).retryability().is_retryable());
        assert_eq!(conflict(false).retryability(), Retryability::Permanent);
    }

    #[test]
    fn retry_after_is_carried_into_the_retryability() {
        let e = GatewayError::Status {
            status: 429,
            status_text: "Too Many Requests".into(),
            body: None,
            raw_body: None,
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(
            e.retryability(),
            Retryability::Retryable {
                after: Some(Duration::from_secs(2))
            }
        );
    }

    #[test]
    fn message_names_status_code_and_attio_message() {
        let e = GatewayError::Status {
            status: 400,
            status_text: "Bad Request".into(),
            body: Some(ErrorDetail {
                status_code: Some(400),
                kind: Some("invalid_request_error".into()),
                code: Some("validation_type".into()),
                message: Some("bad value".into()),
                transient: false,
            }),
            raw_body: None,
            retry_after: None,
        };
        assert_eq!(
            e.to_string(),
            "Attio answered 400 Bad Request (validation_type): bad value"
        );
    }
}
