use domain::value::EmailError;
use domain::{ReceivedAtError, SlugError};

/// Why a mapped payload was refused. Every variant names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    #[error("the mapping produced {got}, not an object of fields")]
    NotAnObject { got: &'static str },
    #[error("{field} is missing (required)")]
    Missing { field: &'static str },
    #[error("{field} is empty (required)")]
    Empty { field: &'static str },
    #[error("{field} must be {expected} but it was {got}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        got: &'static str,
    },
    #[error("{field} must be a valid email address but {value:?} {reason}")]
    InvalidEmail {
        field: &'static str,
        value: String,
        reason: EmailError,
    },
    #[error("{field} must be a date (ISO 8601, RFC 2822 or a Unix timestamp) but it was {value:?}")]
    NotDateLike { field: &'static str, value: String },
    #[error("{field}: {source}")]
    InvalidSlug { field: &'static str, source: SlugError },
    #[error("received_at: {0}")]
    ReceivedAt(#[from] ReceivedAtError),
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
}

impl PayloadError {
    /// The field the error is about, if one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PayloadError::NotAnObject { .. } => None,
            PayloadError::Missing { field }
            | PayloadError::Empty { field }
            | PayloadError::WrongType { field, .. }
            | PayloadError::InvalidEmail { field, .. }
            | PayloadError::NotDateLike { field, .. }
            | PayloadError::InvalidSlug { field, .. }
            | PayloadError::Invalid { field, .. } => Some(field),
            PayloadError::ReceivedAt(_) => Some("received_at"),
        }
    }
}

/// Shortens a value quoted in an error message.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}
