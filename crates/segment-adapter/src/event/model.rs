use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{EventError, EventType};

/// A Segment event (identify, track, page, screen, group or alias), kept loss-free: the
/// parsed JSON object with every field the client sent, in the client's key order,
/// plus typed read access to the common fields of the Spec.
///
/// Identity fields (`userId`, `anonymousId`, `groupId`, `previousId`) are read as raw JSON
/// values because clients send numbers as well as strings. Enrichment edits the object
/// in place, so the event is parsed once and serialized once.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Event {
    body: Map<String, Value>,
}

impl Event {
    pub fn from_map(body: Map<String, Value>) -> Self {
        Event { body }
    }

    /// The event in a parsed JSON value, which must be an object.
    pub fn from_value(value: Value) -> Result<Self, EventError> {
        match value {
            Value::Object(body) => Ok(Event { body }),
            _ => Err(EventError::NotAnObject),
        }
    }

    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    pub fn body_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.body
    }

    pub fn into_body(self) -> Map<String, Value> {
        self.body
    }

    /// Any top-level field, as sent.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.body.get(key)
    }

    /// `type` as sent, when it is a string.
    pub fn type_name(&self) -> Option<&str> {
        self.str_field("type")
    }

    /// `type`, when it names one of the six calls.
    pub fn event_type(&self) -> Option<EventType> {
        self.type_name().and_then(EventType::parse)
    }

    /// Sets `type` (a single-call path implies it and wins over the body), keeping the
    /// key's position when the body already had one.
    pub fn set_type(&mut self, kind: EventType) {
        self.body
            .insert("type".to_owned(), Value::String(kind.as_str().to_owned()));
    }

    /// Removes and returns the top-level `writeKey`: a credential, not event data, so it
    /// is never stored with the event.
    pub fn take_write_key(&mut self) -> Option<Value> {
        self.body.shift_remove("writeKey")
    }

    pub fn message_id(&self) -> Option<&str> {
        self.str_field("messageId")
    }

    pub fn user_id(&self) -> Option<&Value> {
        self.non_null("userId")
    }

    pub fn anonymous_id(&self) -> Option<&Value> {
        self.non_null("anonymousId")
    }

    pub fn timestamp(&self) -> Option<&str> {
        self.str_field("timestamp")
    }

    pub fn original_timestamp(&self) -> Option<&str> {
        self.str_field("originalTimestamp")
    }

    pub fn sent_at(&self) -> Option<&str> {
        self.str_field("sentAt")
    }

    pub fn received_at(&self) -> Option<&str> {
        self.str_field("receivedAt")
    }

    pub fn context(&self) -> Option<&Map<String, Value>> {
        self.object_field("context")
    }

    pub fn integrations(&self) -> Option<&Map<String, Value>> {
        self.object_field("integrations")
    }

    pub fn traits(&self) -> Option<&Map<String, Value>> {
        self.object_field("traits")
    }

    pub fn properties(&self) -> Option<&Map<String, Value>> {
        self.object_field("properties")
    }

    /// The track call's `event` (its name).
    pub fn event_name(&self) -> Option<&str> {
        self.str_field("event")
    }

    pub fn name(&self) -> Option<&str> {
        self.str_field("name")
    }

    pub fn category(&self) -> Option<&str> {
        self.str_field("category")
    }

    pub fn group_id(&self) -> Option<&Value> {
        self.non_null("groupId")
    }

    pub fn previous_id(&self) -> Option<&Value> {
        self.non_null("previousId")
    }

    /// Compact JSON text, keys in order.
    pub fn to_json(&self) -> String {
        Value::Object(self.body.clone()).to_string()
    }

    /// Compact JSON text, consuming the event (no copy of the map).
    pub fn into_json(self) -> String {
        Value::Object(self.body).to_string()
    }

    fn non_null(&self, key: &str) -> Option<&Value> {
        self.body.get(key).filter(|v| !v.is_null())
    }

    fn str_field(&self, key: &str) -> Option<&str> {
        self.body.get(key).and_then(Value::as_str)
    }

    fn object_field(&self, key: &str) -> Option<&Map<String, Value>> {
        self.body.get(key).and_then(Value::as_object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(value: Value) -> Event {
        Event::from_value(value).expect("an object")
    }

    #[test]
    fn unknown_fields_and_key_order_survive_a_round_trip() {
        let text = r#"{"zeta":1,"type":"track","nested":{"b":[1,{"c":null}],"a":"x"},"event":"E","userId":7,"_metadata":{"jsRuntime":"node"}}"#;
        let parsed: Event = serde_json::from_str(text).expect("valid");
        assert_eq!(parsed.to_json(), text);
        assert_eq!(parsed.clone().into_json(), text);
    }

    #[test]
    fn non_object_is_rejected() {
        assert_eq!(Event::from_value(json!([1])), Err(EventError::NotAnObject));
        assert_eq!(Event::from_value(json!("track")), Err(EventError::NotAnObject));
    }

    #[test]
    fn typed_accessors_read_the_common_fields() {
        let e = event(json!({
            "type": "group", "messageId": "m1", "userId": 42, "anonymousId": null,
            "groupId": "g", "previousId": 5, "timestamp": "t", "sentAt": "s", "receivedAt": "r",
            "originalTimestamp": "o", "context": {"ip": "1"}, "integrations": {"All": true},
            "traits": {"name": "A"}, "properties": {"p": 1}, "event": "E", "name": "N", "category": "C"
        }));
        assert_eq!(e.event_type(), Some(EventType::Group));
        assert_eq!(e.message_id(), Some("m1"));
        assert_eq!(e.user_id(), Some(&json!(42)));
        assert_eq!(e.anonymous_id(), None, "null reads as absent");
        assert_eq!(e.group_id(), Some(&json!("g")));
        assert_eq!(e.previous_id(), Some(&json!(5)));
        assert_eq!(
            (e.timestamp(), e.sent_at(), e.received_at(), e.original_timestamp()),
            (Some("t"), Some("s"), Some("r"), Some("o"))
        );
        assert_eq!(e.context().and_then(|c| c.get("ip")), Some(&json!("1")));
        assert_eq!(e.integrations().and_then(|c| c.get("All")), Some(&json!(true)));
        assert_eq!(e.traits().and_then(|c| c.get("name")), Some(&json!("A")));
        assert_eq!(e.properties().and_then(|c| c.get("p")), Some(&json!(1)));
        assert_eq!(
            (e.event_name(), e.name(), e.category()),
            (Some("E"), Some("N"), Some("C"))
        );
    }

    #[test]
    fn set_type_replaces_in_place() {
        let mut e = event(json!({"a": 1, "type": "identify", "b": 2}));
        e.set_type(EventType::Track);
        assert_eq!(e.to_json(), r#"{"a":1,"type":"track","b":2}"#);
    }

    #[test]
    fn write_key_is_taken_out_of_the_event() {
        let mut e = event(json!({"type": "track", "writeKey": "k", "event": "E"}));
        assert_eq!(e.take_write_key(), Some(json!("k")));
        assert_eq!(e.to_json(), r#"{"type":"track","event":"E"}"#);
    }
}
