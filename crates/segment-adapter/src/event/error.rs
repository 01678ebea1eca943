/// Why an event breaks the Segment Spec. Every message starts with the name of the
/// field it is about (except [`EventError::NotAnObject`]), so a batch can prefix it with
/// the event's position: `batch[3].event is missing`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the event is not a JSON object")]
    NotAnObject,
    #[error("{field} is missing")]
    Missing { field: &'static str },
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("{field} must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    /// `found` is the offending value as JSON, shortened.
    #[error("type {found} is not one of identify, track, page, screen, group, alias")]
    UnknownType { found: String },
    #[error("userId and anonymousId are both missing or empty; one of them is required")]
    NoIdentity,
    #[error("messageId is {length} characters long; it must be shorter than 100")]
    MessageIdTooLong { length: usize },
    #[error("{field} is not an ISO-8601 date")]
    NotADate { field: &'static str },
}

impl EventError {
    /// The top-level field the problem is about.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            EventError::NotAnObject => None,
            EventError::Missing { field }
            | EventError::Empty { field }
            | EventError::WrongType { field, .. }
            | EventError::NotADate { field } => Some(field),
            EventError::UnknownType { .. } => Some("type"),
            EventError::NoIdentity => Some("userId"),
            EventError::MessageIdTooLong { .. } => Some("messageId"),
        }
    }

    /// A stable, machine-readable code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            EventError::NotAnObject => "event_not_object",
            EventError::Missing { .. } => "missing_field",
            EventError::Empty { .. } => "empty_field",
            EventError::WrongType { .. } => "invalid_field",
            EventError::UnknownType { .. } => "invalid_type",
            EventError::NoIdentity => "missing_identity",
            EventError::MessageIdTooLong { .. } => "message_id_too_long",
            EventError::NotADate { .. } => "invalid_date",
        }
    }

    /// The field path below `prefix` (e.g. `batch[3].event`), or `prefix` itself.
    pub fn path_at(&self, prefix: &str) -> String {
        match self.field() {
            Some(field) if prefix.is_empty() => field.to_owned(),
            Some(field) => format!("{prefix}.{field}"),
            None => prefix.to_owned(),
        }
    }

    /// The message for an event found at `prefix` (e.g. `batch[3]`); an empty prefix
    /// gives the plain message.
    pub fn describe_at(&self, prefix: &str) -> String {
        match self {
            _ if prefix.is_empty() => self.to_string(),
            EventError::NotAnObject => format!("{prefix} is not a JSON object"),
            _ => format!("{prefix}.{self}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_prefix_names_the_event_position_and_field() {
        let err = EventError::Missing { field: "event" };
        assert_eq!(err.describe_at("batch[3]"), "batch[3].event is missing");
        assert_eq!(err.path_at("batch[3]"), "batch[3].event");
        assert_eq!(err.describe_at(""), "event is missing");
        assert_eq!(err.path_at(""), "event");
    }

    #[test]
    fn non_object_event_is_described_by_its_position() {
        let err = EventError::NotAnObject;
        assert_eq!(err.describe_at("batch[0]"), "batch[0] is not a JSON object");
        assert_eq!(err.path_at("batch[0]"), "batch[0]");
        assert_eq!(err.field(), None);
    }

    #[test]
    fn every_message_starts_with_its_field() {
        let errors = [
            EventError::Missing { field: "groupId" },
            EventError::Empty { field: "event" },
            EventError::WrongType {
                field: "context",
                expected: "an object",
            },
            EventError::UnknownType { found: "\"x\"".into() },
            EventError::NoIdentity,
            EventError::MessageIdTooLong { length: 120 },
            EventError::NotADate { field: "timestamp" },
        ];
        for err in errors {
            let field = err.field().expect("these errors name a field");
            assert!(err.to_string().starts_with(field), "{err}");
        }
    }
}
