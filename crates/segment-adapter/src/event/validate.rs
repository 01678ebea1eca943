//! The Spec's requirements on an event (§1.1, §1.2).

use serde_json::Value;

use super::time::parse_timestamp;
use super::{Event, EventError, EventType};

/// `messageId` must be shorter than this many characters.
pub const MAX_MESSAGE_ID_CHARS: usize = 100;

const ID_TYPES: &str = "a string or a number";

/// Whether an identifier field carries an id.
enum Id {
    Absent,
    Empty,
    Present,
}

fn identifier(event: &Event, field: &'static str) -> Result<Id, EventError> {
    match event.get(field) {
        None | Some(Value::Null) => Ok(Id::Absent),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Id::Empty),
        Some(Value::String(_)) | Some(Value::Number(_)) => Ok(Id::Present),
        Some(_) => Err(EventError::WrongType {
            field,
            expected: ID_TYPES,
        }),
    }
}

fn required_id(event: &Event, field: &'static str) -> Result<(), EventError> {
    match identifier(event, field)? {
        Id::Present => Ok(()),
        Id::Empty => Err(EventError::Empty { field }),
        Id::Absent => Err(EventError::Missing { field }),
    }
}

fn optional_object(event: &Event, field: &'static str) -> Result<(), EventError> {
    match event.get(field) {
        None | Some(Value::Null) | Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(EventError::WrongType {
            field,
            expected: "an object",
        }),
    }
}

fn optional_date(event: &Event, field: &'static str) -> Result<(), EventError> {
    match event.get(field) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if parse_timestamp(s).is_some() => Ok(()),
        Some(Value::String(_)) => Err(EventError::NotADate { field }),
        Some(_) => Err(EventError::WrongType {
            field,
            expected: "an ISO-8601 date string",
        }),
    }
}

fn kind(event: &Event) -> Result<EventType, EventError> {
    match event.get("type") {
        None | Some(Value::Null) => Err(EventError::Missing { field: "type" }),
        Some(Value::String(s)) => EventType::parse(s).ok_or_else(|| EventError::UnknownType { found: shorten(s) }),
        Some(other) => Err(EventError::UnknownType {
            found: shorten(&other.to_string()),
        }),
    }
}

/// The value quoted in an error, cut to 40 characters.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 40;
    let mut out: String = text.chars().take(LIMIT).collect();
    if text.chars().nth(LIMIT).is_some() {
        out.push('…');
    }
    format!("{out:?}")
}

fn message_id(event: &Event) -> Result<(), EventError> {
    match event.get("messageId") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) => {
            let length = s.chars().count();
            if length >= MAX_MESSAGE_ID_CHARS {
                Err(EventError::MessageIdTooLong { length })
            } else {
                Ok(())
            }
        }
        Some(_) => Err(EventError::WrongType {
            field: "messageId",
            expected: "a string",
        }),
    }
}

fn track_name(event: &Event) -> Result<(), EventError> {
    match event.get("event") {
        None | Some(Value::Null) => Err(EventError::Missing { field: "event" }),
        Some(Value::String(s)) if s.trim().is_empty() => Err(EventError::Empty { field: "event" }),
        Some(Value::String(_)) => Ok(()),
        Some(_) => Err(EventError::WrongType {
            field: "event",
            expected: "a string",
        }),
    }
}

impl Event {
    /// Checks the event against the Spec and returns its type. Null counts as absent.
    ///
    /// Rules: `type` is one of the six calls; `messageId`, when given, is a string shorter
    /// than 100 characters; `userId` or `anonymousId` is a non-empty string or a number;
    /// a track has a non-empty `event`; a group has a `groupId`; an alias has a
    /// `previousId` and a `userId`; `context`, `integrations`, `traits` and `properties`
    /// are objects; `timestamp` and `sentAt` are ISO-8601 dates.
    pub fn validate(&self) -> Result<EventType, EventError> {
        let kind = kind(self)?;
        message_id(self)?;
        let user = identifier(self, "userId")?;
        let anonymous = identifier(self, "anonymousId")?;
        if !matches!(user, Id::Present) && !matches!(anonymous, Id::Present) {
            return Err(EventError::NoIdentity);
        }
        match kind {
            EventType::Track => track_name(self)?,
            EventType::Group => required_id(self, "groupId")?,
            EventType::Alias => {
                required_id(self, "previousId")?;
                required_id(self, "userId")?;
            }
            EventType::Identify | EventType::Page | EventType::Screen => {}
        }
        for field in ["context", "integrations", "traits", "properties"] {
            optional_object(self, field)?;
        }
        for field in ["timestamp", "sentAt"] {
            optional_date(self, field)?;
        }
        Ok(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: Value) -> Result<EventType, EventError> {
        Event::from_value(value).expect("an object").validate()
    }

    #[test]
    fn minimal_events_of_every_type_are_valid() {
        let cases = [
            (json!({"type": "identify", "userId": "u"}), EventType::Identify),
            (
                json!({"type": "track", "anonymousId": "a", "event": "Signed Up"}),
                EventType::Track,
            ),
            (json!({"type": "page", "userId": 1}), EventType::Page),
            (json!({"type": "screen", "anonymousId": "a"}), EventType::Screen),
            (json!({"type": "group", "userId": "u", "groupId": 9}), EventType::Group),
            (
                json!({"type": "alias", "userId": "u", "previousId": "a"}),
                EventType::Alias,
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(check(value.clone()), Ok(expected), "{value}");
        }
    }

    #[test]
    fn missing_type_is_named() {
        assert_eq!(
            check(json!({"userId": "u"})),
            Err(EventError::Missing { field: "type" })
        );
        assert_eq!(
            check(json!({"type": null, "userId": "u"})),
            Err(EventError::Missing { field: "type" })
        );
    }

    #[test]
    fn unknown_type_quotes_the_value() {
        let err = check(json!({"type": "purchase", "userId": "u"})).expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "type \"purchase\" is not one of identify, track, page, screen, group, alias"
        );
        assert!(matches!(
            check(json!({"type": 3, "userId": "u"})),
            Err(EventError::UnknownType { .. })
        ));
    }

    #[test]
    fn long_unknown_type_is_shortened_in_the_message() {
        let err = check(json!({"type": "x".repeat(500), "userId": "u"})).expect_err("invalid");
        assert!(err.to_string().len() < 120, "{err}");
    }

    #[test]
    fn event_without_user_id_or_anonymous_id_is_rejected() {
        for value in [
            json!({"type": "identify"}),
            json!({"type": "identify", "userId": null, "anonymousId": ""}),
            json!({"type": "identify", "userId": "  "}),
        ] {
            assert_eq!(check(value.clone()), Err(EventError::NoIdentity), "{value}");
        }
    }

    #[test]
    fn numeric_ids_count_as_present() {
        assert!(check(json!({"type": "identify", "anonymousId": 0})).is_ok());
    }

    #[test]
    fn id_of_wrong_type_is_named() {
        assert_eq!(
            check(json!({"type": "identify", "userId": {"id": 1}})),
            Err(EventError::WrongType {
                field: "userId",
                expected: ID_TYPES
            })
        );
        assert!(matches!(
            check(json!({"type": "identify", "userId": "u", "anonymousId": true})),
            Err(EventError::WrongType {
                field: "anonymousId",
                ..
            })
        ));
    }

    #[test]
    fn track_needs_a_non_empty_event_name() {
        assert_eq!(
            check(json!({"type": "track", "userId": "u"})),
            Err(EventError::Missing { field: "event" })
        );
        assert_eq!(
            check(json!({"type": "track", "userId": "u", "event": " "})),
            Err(EventError::Empty { field: "event" })
        );
        assert!(matches!(
            check(json!({"type": "track", "userId": "u", "event": 5})),
            Err(EventError::WrongType { field: "event", .. })
        ));
    }

    #[test]
    fn group_needs_a_group_id() {
        assert_eq!(
            check(json!({"type": "group", "userId": "u"})),
            Err(EventError::Missing { field: "groupId" })
        );
        assert_eq!(
            check(json!({"type": "group", "userId": "u", "groupId": ""})),
            Err(EventError::Empty { field: "groupId" })
        );
    }

    #[test]
    fn alias_needs_previous_id_and_user_id() {
        assert_eq!(
            check(json!({"type": "alias", "userId": "u"})),
            Err(EventError::Missing { field: "previousId" })
        );
        assert_eq!(
            check(json!({"type": "alias", "anonymousId": "a", "previousId": "p"})),
            Err(EventError::Missing { field: "userId" })
        );
    }

    #[test]
    fn message_id_must_be_shorter_than_100_characters() {
        let ok = json!({"type": "identify", "userId": "u", "messageId": "é".repeat(99)});
        assert!(check(ok).is_ok());
        let long = json!({"type": "identify", "userId": "u", "messageId": "m".repeat(100)});
        assert_eq!(check(long), Err(EventError::MessageIdTooLong { length: 100 }));
        assert!(matches!(
            check(json!({"type": "identify", "userId": "u", "messageId": 12})),
            Err(EventError::WrongType { field: "messageId", .. })
        ));
    }

    #[test]
    fn object_fields_must_be_objects() {
        for field in ["context", "integrations", "traits", "properties"] {
            let mut value = json!({"type": "identify", "userId": "u"});
            value[field] = json!("text");
            assert_eq!(
                check(value),
                Err(EventError::WrongType {
                    field,
                    expected: "an object"
                })
            );
        }
    }

    #[test]
    fn timestamps_must_be_iso_dates() {
        for field in ["timestamp", "sentAt"] {
            let mut value = json!({"type": "identify", "userId": "u"});
            value[field] = json!("soon");
            assert_eq!(check(value.clone()), Err(EventError::NotADate { field }));
            value[field] = json!(1714557600);
            assert!(matches!(check(value), Err(EventError::WrongType { .. })));
        }
    }
}
