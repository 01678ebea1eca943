//! The journal key under which a plan's note is recorded (one note per event).
//!
//! A replayed dead letter is spooled again under a new event id, so a key made of the
//! event id would not find the note the first delivery may already have created (its
//! answer lost). The event's `messageId`, which the service gives every event on receipt
//! and which a replay keeps, names the event across replays; the spool id is used only for
//! an event without one (spooled by an older version).

/// `msg:{messageId}/{subscription}`, else `{event_id}/{subscription}`.
pub fn note_journal_key(message_id: Option<&str>, event_id: i64, subscription: &str) -> String {
    match message_id.filter(|m| !m.trim().is_empty()) {
        Some(message_id) => format!("msg:{message_id}/{subscription}"),
        None => format!("{event_id}/{subscription}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use segment_adapter::json::Val;

    fn message_id<'a>(event: &'a Val<'_>) -> Option<&'a str> {
        event.get("messageId").and_then(Val::as_str)
    }

    #[test]
    fn the_key_follows_the_message_id_so_a_replay_under_a_new_id_keeps_it() {
        let event = Val::parse(r#"{"type":"track","messageId":"m-1"}"#).unwrap();
        assert_eq!(note_journal_key(message_id(&event), 7, "notes"), "msg:m-1/notes");
        assert_eq!(
            note_journal_key(message_id(&event), 8, "notes"),
            note_journal_key(message_id(&event), 7, "notes")
        );
        assert_ne!(
            note_journal_key(message_id(&event), 7, "other"),
            note_journal_key(message_id(&event), 7, "notes")
        );
    }

    #[test]
    fn an_event_without_a_message_id_is_keyed_by_its_spool_id() {
        for text in [r#"{"type":"track"}"#, r#"{"messageId":""}"#, r#"{"messageId":3}"#] {
            let event = Val::parse(text).unwrap();
            assert_eq!(note_journal_key(message_id(&event), 7, "notes"), "7/notes", "{text}");
        }
    }
}
