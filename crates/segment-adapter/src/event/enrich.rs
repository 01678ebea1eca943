//! What the server adds to an event on receipt (Spec §1.1): `receivedAt`, a `messageId`
//! where absent, `originalTimestamp` and a skew-corrected `timestamp`, and the batch
//! envelope's `context`, `integrations` and `sentAt`.

use chrono::{DateTime, Utc};
use domain::ports::Clock;
use serde_json::{Map, Value};

use super::time::{format_timestamp, parse_timestamp};
use super::Event;

/// The fields of a batch envelope (`{"batch": [...], "context", "integrations",
/// "sentAt"}`) that apply to each of its events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvelopeDefaults {
    pub context: Option<Map<String, Value>>,
    pub integrations: Option<Map<String, Value>>,
    pub sent_at: Option<Value>,
}

impl EnvelopeDefaults {
    pub fn is_empty(&self) -> bool {
        self.context.is_none() && self.integrations.is_none() && self.sent_at.is_none()
    }
}

/// How timestamps are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StampMode {
    /// Straight from a client library: `receivedAt` is always the server's clock, and
    /// with `sentAt` the client's `timestamp` is corrected for its clock skew.
    Client,
    /// Relayed by Segment (its Webhooks destination): Segment has stamped and corrected
    /// the event already, so only missing fields are filled.
    Relayed,
}

/// One receipt: the server's clock read once for all events of a request.
#[derive(Debug, Clone)]
pub struct Enrichment {
    received_at: DateTime<Utc>,
    received_at_text: String,
    mode: StampMode,
}

impl Enrichment {
    pub fn new(clock: &dyn Clock, mode: StampMode) -> Self {
        Self::at(clock.now(), mode)
    }

    pub fn at(received_at: DateTime<Utc>, mode: StampMode) -> Self {
        Enrichment {
            received_at,
            received_at_text: format_timestamp(received_at),
            mode,
        }
    }

    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }
}

/// Copies `defaults` into `target` where `target` has no value; objects on both sides
/// are merged key by key, so the target's values win at every depth.
fn merge_under(target: &mut Map<String, Value>, defaults: &Map<String, Value>) {
    for (key, default) in defaults {
        match target.get_mut(key) {
            None => {
                target.insert(key.clone(), default.clone());
            }
            Some(Value::Object(inner)) => {
                if let Value::Object(default_inner) = default {
                    merge_under(inner, default_inner);
                }
            }
            Some(_) => {}
        }
    }
}

fn is_absent(value: Option<&Value>) -> bool {
    matches!(value, None | Some(Value::Null))
}

fn is_blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

impl Event {
    /// Merges the envelope's `context` and `integrations` into the event's own (event
    /// values win), and gives the event the envelope's `sentAt` when it has none. A
    /// non-object `context` or `integrations` on the event is left for validation.
    pub fn merge_envelope(&mut self, envelope: &EnvelopeDefaults) {
        let body = self.body_mut();
        for (field, defaults) in [("context", &envelope.context), ("integrations", &envelope.integrations)] {
            let Some(defaults) = defaults else { continue };
            match body.get_mut(field) {
                None | Some(Value::Null) => {
                    body.insert(field.to_owned(), Value::Object(defaults.clone()));
                }
                Some(Value::Object(own)) => merge_under(own, defaults),
                Some(_) => {}
            }
        }
        if let Some(sent_at) = &envelope.sent_at {
            if is_absent(body.get("sentAt")) {
                body.insert("sentAt".to_owned(), sent_at.clone());
            }
        }
    }

    /// Stamps the event on receipt.
    ///
    /// * `receivedAt`: the server's clock (RFC 3339, ms). In [`StampMode::Relayed`] an
    ///   existing value is kept.
    /// * `messageId`: a new UUID when absent or empty.
    /// * `timestamp`: with `sentAt` (client mode), the client's `timestamp` moves to
    ///   `originalTimestamp` and `timestamp` becomes
    ///   `receivedAt - (sentAt - originalTimestamp)`; without a `timestamp` at all it is
    ///   `receivedAt`.
    pub fn enrich(&mut self, stamp: &Enrichment) {
        let body = self.body_mut();
        let keep_received = stamp.mode == StampMode::Relayed && !is_absent(body.get("receivedAt"));
        if !keep_received {
            body.insert("receivedAt".to_owned(), Value::String(stamp.received_at_text.clone()));
        }
        if is_blank(body.get("messageId")) {
            body.insert("messageId".to_owned(), Value::String(uuid::Uuid::new_v4().to_string()));
        }
        if is_absent(body.get("timestamp")) {
            body.insert("timestamp".to_owned(), Value::String(stamp.received_at_text.clone()));
            return;
        }
        if stamp.mode == StampMode::Relayed {
            return;
        }
        let parse = |key: &str| body.get(key).and_then(Value::as_str).and_then(parse_timestamp);
        let (Some(sent_at), Some(original)) = (parse("sentAt"), parse("timestamp")) else {
            return;
        };
        let corrected = stamp
            .received_at
            .signed_duration_since(sent_at)
            .checked_add(&original.signed_duration_since(DateTime::<Utc>::UNIX_EPOCH))
            .and_then(|offset| DateTime::<Utc>::UNIX_EPOCH.checked_add_signed(offset));
        let Some(corrected) = corrected else { return };
        if let Some(original_text) = body.insert("timestamp".to_owned(), Value::String(format_timestamp(corrected))) {
            body.insert("originalTimestamp".to_owned(), original_text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::ports::FixedClock;
    use serde_json::json;

    fn event(value: Value) -> Event {
        Event::from_value(value).expect("an object")
    }

    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).single().expect("valid")
    }

    fn client_stamp() -> Enrichment {
        Enrichment::new(&FixedClock(noon()), StampMode::Client)
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn received_at_is_the_server_clock_in_milliseconds() {
        let mut e = event(json!({"type": "identify", "userId": "u", "receivedAt": "2000-01-01T00:00:00Z"}));
        e.enrich(&client_stamp());
        assert_eq!(e.received_at(), Some("2024-05-01T12:00:00.000Z"));
    }

    #[test]
    fn relayed_events_keep_their_received_at() {
        let mut e = event(json!({"type": "identify", "userId": "u", "receivedAt": "2000-01-01T00:00:00Z"}));
        e.enrich(&Enrichment::at(noon(), StampMode::Relayed));
        assert_eq!(e.received_at(), Some("2000-01-01T00:00:00Z"));
        let mut bare = event(json!({"type": "identify", "userId": "u"}));
        bare.enrich(&Enrichment::at(noon(), StampMode::Relayed));
        assert_eq!(bare.received_at(), Some("2024-05-01T12:00:00.000Z"));
    }

    #[test]
    fn missing_or_empty_message_id_gets_a_fresh_uuid() {
        let mut a = event(json!({"type": "identify", "userId": "u"}));
        let mut b = event(json!({"type": "identify", "userId": "u", "messageId": ""}));
        a.enrich(&client_stamp());
        b.enrich(&client_stamp());
        let (a, b) = (a.message_id().expect("set"), b.message_id().expect("set"));
        assert!(uuid::Uuid::parse_str(a).is_ok(), "{a}");
        assert!(uuid::Uuid::parse_str(b).is_ok(), "{b}");
        assert_ne!(a, b);
    }

    #[test]
    fn existing_message_id_is_kept() {
        let mut e = event(json!({"type": "identify", "userId": "u", "messageId": "m-1"}));
        e.enrich(&client_stamp());
        assert_eq!(e.message_id(), Some("m-1"));
    }

    #[test]
    fn timestamp_defaults_to_received_at() {
        let mut e = event(json!({"type": "identify", "userId": "u"}));
        e.enrich(&client_stamp());
        assert_eq!(e.timestamp(), Some("2024-05-01T12:00:00.000Z"));
        assert_eq!(e.original_timestamp(), None);
    }

    #[test]
    fn timestamp_without_sent_at_is_kept_verbatim() {
        let mut e = event(json!({"type": "identify", "userId": "u", "timestamp": "2020-01-01T00:00:00+01:00"}));
        e.enrich(&client_stamp());
        assert_eq!(e.timestamp(), Some("2020-01-01T00:00:00+01:00"));
        assert_eq!(e.original_timestamp(), None);
    }

    #[test]
    fn clock_skew_is_corrected_with_sent_at() {
        // The client's clock runs 1 h 30 s fast; the event happened 10 s before sending.
        let mut e = event(json!({
            "type": "track", "userId": "u", "event": "E",
            "timestamp": "2024-05-01T13:00:20.000Z", "sentAt": "2024-05-01T13:00:30.000Z"
        }));
        e.enrich(&client_stamp());
        assert_eq!(e.original_timestamp(), Some("2024-05-01T13:00:20.000Z"));
        assert_eq!(e.timestamp(), Some("2024-05-01T11:59:50.000Z"));
    }

    #[test]
    fn relayed_events_are_not_corrected_again() {
        let mut e = event(json!({
            "type": "track", "userId": "u", "event": "E",
            "timestamp": "2024-05-01T13:00:20.000Z", "sentAt": "2024-05-01T13:00:30.000Z"
        }));
        e.enrich(&Enrichment::at(noon(), StampMode::Relayed));
        assert_eq!(e.timestamp(), Some("2024-05-01T13:00:20.000Z"));
        assert_eq!(e.original_timestamp(), None);
    }

    #[test]
    fn envelope_context_and_integrations_merge_with_event_values_winning() {
        let mut e = event(json!({
            "type": "track", "context": {"ip": "1.1.1.1", "library": {"name": "own"}},
            "integrations": {"Attio (Actions)": true}
        }));
        e.merge_envelope(&EnvelopeDefaults {
            context: Some(object(
                json!({"ip": "9.9.9.9", "locale": "fr", "library": {"name": "env", "version": "1"}}),
            )),
            integrations: Some(object(json!({"All": false, "Attio (Actions)": false}))),
            sent_at: None,
        });
        assert_eq!(
            e.get("context"),
            Some(&json!({"ip": "1.1.1.1", "library": {"name": "own", "version": "1"}, "locale": "fr"}))
        );
        assert_eq!(
            e.get("integrations"),
            Some(&json!({"Attio (Actions)": true, "All": false}))
        );
    }

    #[test]
    fn envelope_fills_absent_or_null_context_and_sent_at() {
        let mut e = event(json!({"type": "track", "context": null}));
        e.merge_envelope(&EnvelopeDefaults {
            context: Some(object(json!({"ip": "9.9.9.9"}))),
            integrations: Some(object(json!({"All": true}))),
            sent_at: Some(json!("2024-05-01T12:00:00Z")),
        });
        assert_eq!(e.get("context"), Some(&json!({"ip": "9.9.9.9"})));
        assert_eq!(e.get("integrations"), Some(&json!({"All": true})));
        assert_eq!(e.sent_at(), Some("2024-05-01T12:00:00Z"));
    }

    #[test]
    fn event_sent_at_wins_over_the_envelope() {
        let mut e = event(json!({"type": "track", "sentAt": "2024-01-01T00:00:00Z"}));
        e.merge_envelope(&EnvelopeDefaults {
            sent_at: Some(json!("2024-05-01T12:00:00Z")),
            ..EnvelopeDefaults::default()
        });
        assert_eq!(e.sent_at(), Some("2024-01-01T00:00:00Z"));
    }

    #[test]
    fn non_object_context_is_left_for_validation() {
        let mut e = event(json!({"type": "track", "context": "x"}));
        e.merge_envelope(&EnvelopeDefaults {
            context: Some(object(json!({"ip": "9.9.9.9"}))),
            ..EnvelopeDefaults::default()
        });
        assert_eq!(e.get("context"), Some(&json!("x")));
    }
}
