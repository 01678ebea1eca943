//! One dead letter as the command line (`dead-letters list --json`, `show`) and the HTTP
//! API (`GET /dead-letters`) show it: the event's identity first, the payload as JSON.

use domain::ports::StoredDeadLetter;
use serde_json::{json, Value};

pub fn view(letter: &StoredDeadLetter) -> Value {
    let l = &letter.letter;
    let payload: Value = serde_json::from_str(&l.payload).unwrap_or_else(|_| Value::String(l.payload.clone()));
    let field = |key: &str| {
        payload
            .get(key)
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or(Value::Null)
    };
    json!({
        "event_id": l.event_id,
        "message_id": field("messageId"),
        "type": field("type"),
        "user_id": field("userId"),
        "group_id": field("groupId"),
        "subscription": l.subscription,
        "destination": letter.destination,
        "attempts": l.attempts,
        "reason": l.reason,
        "last_error": l.last_error,
        "received_at": l.received_at,
        "failed_at": l.failed_at,
        "dead_letter_id": letter.id,
        "payload": payload,
    })
}
