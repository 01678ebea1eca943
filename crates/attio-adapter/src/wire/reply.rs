//! What the service reads of Attio's record replies: only `data.id.record_id`. The rest of
//! a reply (every value of the record, with its history metadata) is skipped without being
//! built, so that a large record costs a scan, not a tree of allocations.

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Reply {
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    id: Option<Id>,
}

#[derive(Deserialize)]
struct Id {
    record_id: Option<Value>,
}

/// `data.id.record_id` of a record reply, when the reply is JSON and carries it as a string.
pub fn record_id_of_reply(body: &[u8]) -> Option<String> {
    let reply: Reply = serde_json::from_slice(body).ok()?;
    match reply.data?.id?.record_id? {
        Value::String(id) => Some(id),
        _ => None,
    }
}

/// The reply as the domain keeps it: `{"data":{"id":{"record_id":..}}}` when the reply
/// names its record, else `Null`.
pub fn record_reply_body(body: &[u8]) -> Value {
    match record_id_of_reply(body) {
        Some(id) => serde_json::json!({"data": {"id": {"record_id": id}}}),
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_id_is_read_whatever_else_the_reply_holds() {
        let body = br#"{"data":{"id":{"workspace_id":"w","object_id":"o","record_id":"rec-1"},
            "created_at":"2026-01-01T00:00:00Z","values":{"name":[{"value":"A","active_from":"x"}],
            "nested":{"deep":[1,2,{"k":null}]}}}}"#;
        assert_eq!(record_id_of_reply(body).as_deref(), Some("rec-1"));
        assert_eq!(
            record_reply_body(body).pointer("/data/id/record_id"),
            Some(&Value::from("rec-1"))
        );
    }

    #[test]
    fn a_reply_without_a_string_record_id_names_no_record() {
        for body in [
            &b"not json"[..],
            br#"{}"#,
            br#"{"data":null}"#,
            br#"{"data":{"id":{}}}"#,
            br#"{"data":{"id":{"record_id":7}}}"#,
            br#"[1,2]"#,
        ] {
            assert_eq!(record_id_of_reply(body), None, "{}", String::from_utf8_lossy(body));
            assert_eq!(record_reply_body(body), Value::Null);
        }
    }
}
