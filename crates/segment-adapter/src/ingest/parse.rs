//! From request bytes to events: the single-event body, the batch envelope, per-event
//! limits. Each event is parsed once, straight from its slice of the body.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::IngestError;
use crate::event::time::parse_timestamp;
use crate::event::{EnvelopeDefaults, Event};

/// The limits that apply while parsing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_event_bytes: usize,
    pub max_batch_events: usize,
}

/// A parsed request body, before authentication and validation.
#[derive(Debug)]
pub(crate) struct ParsedBody {
    /// `writeKey` from the body, removed from the events.
    pub write_key: Option<String>,
    pub envelope: EnvelopeDefaults,
    pub events: Vec<Event>,
    /// Whether the events came in a `batch` array (error positions are `batch[i]`).
    pub batched: bool,
}

/// The batch envelope: everything but `batch` is optional and unknown fields are
/// ignored. `batch` is kept as raw text so each event is parsed from its own slice.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    batch: Option<&'a RawValue>,
    context: Option<Value>,
    integrations: Option<Value>,
    #[serde(rename = "writeKey")]
    write_key: Option<Value>,
    #[serde(rename = "sentAt")]
    sent_at: Option<Value>,
}

fn first_byte(bytes: &[u8]) -> Option<u8> {
    bytes.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// Tells apart "not JSON at all" from "JSON, but not an object".
fn not_an_object(bytes: &[u8]) -> IngestError {
    match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        Ok(_) => IngestError::BodyNotObject,
        Err(e) => IngestError::InvalidJson(e.to_string()),
    }
}

fn key_text(value: Option<Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

fn object_or_none(value: Option<Value>, field: &'static str) -> Result<Option<Map<String, Value>>, IngestError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(IngestError::InvalidEnvelopeField {
            field,
            expected: "an object",
        }),
    }
}

/// One event per request (`/v1/track`, `/v1/t`, `/webhook`, ...).
pub(crate) fn parse_single(bytes: &[u8], limits: Limits) -> Result<ParsedBody, IngestError> {
    if first_byte(bytes) != Some(b'{') {
        return Err(not_an_object(bytes));
    }
    if bytes.len() > limits.max_event_bytes {
        return Err(IngestError::EventTooLarge {
            at: "event".to_owned(),
            size: bytes.len(),
            limit: limits.max_event_bytes,
        });
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| IngestError::InvalidJson(e.to_string()))?;
    let mut event = Event::from_value(value).map_err(|_| IngestError::BodyNotObject)?;
    let write_key = key_text(event.take_write_key());
    Ok(ParsedBody {
        write_key,
        envelope: EnvelopeDefaults::default(),
        events: vec![event],
        batched: false,
    })
}

/// A batch envelope (`/v1/batch`, `/v1/import`, `/v1/b`).
pub(crate) fn parse_batch(bytes: &[u8], limits: Limits) -> Result<ParsedBody, IngestError> {
    if first_byte(bytes) != Some(b'{') {
        return Err(not_an_object(bytes));
    }
    let envelope: Envelope<'_> = serde_json::from_slice(bytes).map_err(|e| IngestError::InvalidJson(e.to_string()))?;
    let raw_batch = envelope.batch.ok_or(IngestError::BatchMissing)?;
    if first_byte(raw_batch.get().as_bytes()) != Some(b'[') {
        return Err(IngestError::BatchNotArray);
    }
    let raw_events: Vec<&RawValue> = serde_json::from_str(raw_batch.get()).map_err(|_| IngestError::BatchNotArray)?;
    if raw_events.len() > limits.max_batch_events {
        return Err(IngestError::TooManyEvents {
            count: raw_events.len(),
            limit: limits.max_batch_events,
        });
    }
    let sent_at = match envelope.sent_at {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if parse_timestamp(&s).is_some() => Some(Value::String(s)),
        Some(_) => {
            return Err(IngestError::InvalidEnvelopeField {
                field: "sentAt",
                expected: "an ISO-8601 date string",
            })
        }
    };
    let defaults = EnvelopeDefaults {
        context: object_or_none(envelope.context, "context")?,
        integrations: object_or_none(envelope.integrations, "integrations")?,
        sent_at,
    };
    let mut events = Vec::with_capacity(raw_events.len());
    for (index, raw) in raw_events.into_iter().enumerate() {
        let text = raw.get();
        if text.len() > limits.max_event_bytes {
            return Err(IngestError::EventTooLarge {
                at: format!("batch[{index}]"),
                size: text.len(),
                limit: limits.max_event_bytes,
            });
        }
        let value: Value = serde_json::from_str(text).map_err(|e| IngestError::InvalidEventJson {
            at: format!("batch[{index}]"),
            detail: e.to_string(),
        })?;
        let event = Event::from_value(value).map_err(|source| IngestError::InvalidEvent {
            at: format!("batch[{index}]"),
            source,
        })?;
        events.push(event);
    }
    Ok(ParsedBody {
        write_key: key_text(envelope.write_key),
        envelope: defaults,
        events,
        batched: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LIMITS: Limits = Limits {
        max_event_bytes: 200,
        max_batch_events: 3,
    };

    fn batch(value: Value) -> Result<ParsedBody, IngestError> {
        parse_batch(value.to_string().as_bytes(), LIMITS)
    }

    #[test]
    fn batch_envelope_fields_are_read_and_write_key_kept_apart() {
        let parsed = batch(json!({
            "batch": [{"type": "track", "event": "E", "writeKey": "inner"}],
            "writeKey": "WK", "sentAt": "2024-05-01T12:00:00Z",
            "context": {"ip": "1"}, "integrations": {"All": false}, "unknown": 1
        }))
        .expect("valid");
        assert_eq!(parsed.write_key.as_deref(), Some("WK"));
        assert_eq!(parsed.events.len(), 1);
        assert_eq!(parsed.envelope.sent_at, Some(json!("2024-05-01T12:00:00Z")));
        assert_eq!(parsed.envelope.context.map(Value::Object), Some(json!({"ip": "1"})));
        assert!(parsed.batched);
    }

    #[test]
    fn batch_must_be_present_and_an_array() {
        assert!(matches!(
            batch(json!({"writeKey": "k"})),
            Err(IngestError::BatchMissing)
        ));
        assert!(matches!(
            batch(json!({"batch": {"type": "track"}})),
            Err(IngestError::BatchNotArray)
        ));
        assert!(matches!(batch(json!({"batch": null})), Err(IngestError::BatchMissing)));
        assert!(matches!(batch(json!({"batch": "[]"})), Err(IngestError::BatchNotArray)));
    }

    #[test]
    fn too_many_events_are_refused() {
        let err = batch(json!({"batch": [{}, {}, {}, {}]})).expect_err("4 > 3");
        assert!(matches!(err, IngestError::TooManyEvents { count: 4, limit: 3 }));
    }

    #[test]
    fn oversized_event_is_named_by_position() {
        let big = "x".repeat(300);
        let err = batch(json!({"batch": [{"type": "track"}, {"type": "track", "event": big}]})).expect_err("too big");
        assert_eq!(err.field().as_deref(), Some("batch[1]"));
        assert_eq!(err.code(), "event_too_large");
    }

    #[test]
    fn non_object_batch_element_is_named_by_position() {
        let err = batch(json!({"batch": [{}, 5]})).expect_err("not an object");
        assert_eq!(err.to_string(), "batch[1] is not a JSON object");
    }

    #[test]
    fn envelope_context_must_be_an_object() {
        let err = batch(json!({"batch": [], "context": [1]})).expect_err("array");
        assert_eq!(err.field().as_deref(), Some("context"));
    }

    #[test]
    fn envelope_sent_at_must_be_a_date() {
        let err = batch(json!({"batch": [], "sentAt": "later"})).expect_err("bad date");
        assert_eq!(err.field().as_deref(), Some("sentAt"));
    }

    #[test]
    fn non_object_bodies_and_broken_json_are_told_apart() {
        assert!(matches!(parse_batch(b"[1,2]", LIMITS), Err(IngestError::BodyNotObject)));
        assert!(matches!(
            parse_single(b" \"x\" ", LIMITS),
            Err(IngestError::BodyNotObject)
        ));
        assert!(matches!(
            parse_batch(b"{\"batch\":", LIMITS),
            Err(IngestError::InvalidJson(_))
        ));
        assert!(matches!(
            parse_single(b"nope", LIMITS),
            Err(IngestError::InvalidJson(_))
        ));
        assert!(matches!(parse_single(b"", LIMITS), Err(IngestError::InvalidJson(_))));
    }

    #[test]
    fn single_event_body_gives_up_its_write_key() {
        let parsed = parse_single(br#"{"type":"t","writeKey":"WK","sentAt":"x"}"#, LIMITS).expect("valid");
        assert_eq!(parsed.write_key.as_deref(), Some("WK"));
        assert_eq!(parsed.events[0].get("writeKey"), None);
        assert!(!parsed.batched);
    }

    #[test]
    fn oversized_single_event_is_refused() {
        let body = json!({"type": "track", "event": "x".repeat(300)}).to_string();
        assert!(matches!(
            parse_single(body.as_bytes(), LIMITS),
            Err(IngestError::EventTooLarge { .. })
        ));
    }

    #[test]
    fn deep_nesting_is_a_bad_request_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let single = format!(r#"{{"type":"track","x":{deep}}}"#);
        assert!(matches!(
            parse_single(
                single.as_bytes(),
                Limits {
                    max_event_bytes: 1 << 20,
                    ..LIMITS
                }
            ),
            Err(IngestError::InvalidJson(_))
        ));
        let batched = format!(r#"{{"batch":[{{"x":{deep}}}]}}"#);
        let err = parse_batch(
            batched.as_bytes(),
            Limits {
                max_event_bytes: 1 << 20,
                ..LIMITS
            },
        );
        assert!(matches!(
            err,
            Err(IngestError::InvalidJson(_) | IngestError::InvalidEventJson { .. })
        ));
    }
}
