//! What `find` answers for an event without a trace: built from the waiting event or
//! from its dead letters.

use crate::ports::{EventTraceRecord, SpooledEvent, StoredDeadLetter, SubscriptionTrace, TraceState};

/// The identifying fields of an event's JSON text (all `None` when it is not JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub message_id: Option<String>,
    pub event_type: Option<String>,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
}

impl Identity {
    pub fn of(payload: &str) -> Identity {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(payload) else {
            return Identity::default();
        };
        let text = |key: &str| match value.get(key) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Identity {
            message_id: text("messageId"),
            event_type: text("type"),
            user_id: text("userId"),
            group_id: text("groupId"),
        }
    }
}

pub fn waiting(event: &SpooledEvent) -> EventTraceRecord {
    let identity = Identity::of(&event.payload);
    EventTraceRecord {
        event_id: event.id,
        message_id: identity.message_id,
        event_type: identity.event_type,
        user_id: identity.user_id,
        group_id: identity.group_id,
        received_at: event.received_at,
        updated_at: event.received_at,
        state: TraceState::Waiting,
        reason: None,
        attempts: 0,
        subscriptions: Vec::new(),
        attio_requests: Vec::new(),
        attio_requests_omitted: 0,
    }
}

/// `None` when there are no letters.
pub fn dead_lettered(letters: &[StoredDeadLetter]) -> Option<EventTraceRecord> {
    let last = letters.last()?;
    let identity = Identity::of(&last.letter.payload);
    let rejected = letters.iter().all(|l| l.letter.attempts == 0);
    let reasons: Vec<String> = letters
        .iter()
        .map(|l| format!("{}: {}", l.letter.subscription, l.letter.reason))
        .collect();
    Some(EventTraceRecord {
        event_id: last.letter.event_id,
        message_id: identity.message_id,
        event_type: identity.event_type,
        user_id: identity.user_id,
        group_id: identity.group_id,
        received_at: last.letter.received_at,
        updated_at: last.letter.failed_at,
        state: if rejected {
            TraceState::Rejected
        } else {
            TraceState::DeadLettered
        },
        reason: Some(reasons.join("; ")),
        attempts: letters.iter().map(|l| l.letter.attempts).max().unwrap_or(0),
        subscriptions: letters
            .iter()
            .map(|l| SubscriptionTrace {
                name: l.letter.subscription.clone(),
                matched: true,
                why_not: None,
                outcome: Some(if l.letter.attempts == 0 {
                    TraceState::Rejected
                } else {
                    TraceState::DeadLettered
                }),
                reason: Some(l.letter.reason.clone()),
            })
            .collect(),
        attio_requests: Vec::new(),
        attio_requests_omitted: 0,
    })
}
