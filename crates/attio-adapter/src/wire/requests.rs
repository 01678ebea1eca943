//! Paths and bodies of the list-entry, note and record-query requests, and what their
//! answers mean. Each is written here once, for the gateway and for dry runs.

use domain::{AttributeSlug, FollowUp, JsonText, ListEntry, ListSlug, NoteDraft, ObjectSlug};
use serde_json::{json, Value};

use super::path::{encode_query_value, RECORD_ID_PLACEHOLDER};
use super::route::Route;

/// A request as it would go on the wire (the body as JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct WireRequest {
    pub method: &'static str,
    pub path_and_query: String,
    pub body: Option<Value>,
}

/// Shown in dry runs where the parent's `record_id` comes from the previous reply.
pub const PARENT_PLACEHOLDER: &str = RECORD_ID_PLACEHOLDER;

/// The request for `route`, with its method.
fn request(route: Route, body: Option<Value>) -> WireRequest {
    WireRequest {
        method: route.method(),
        path_and_query: route.path(),
        body,
    }
}

/// `PUT /v2/lists/{list}/entries`.
pub fn upsert_entry(entry: &ListEntry<'_>, parent_record_id: &str) -> WireRequest {
    let values: serde_json::Map<String, Value> = entry
        .entry_values
        .iter()
        .map(|(k, v)| (k.to_owned(), serde_json::from_str(v.as_str()).unwrap_or(Value::Null)))
        .collect();
    request(
        Route::AssertEntry(entry.list.as_str().to_owned()),
        Some(json!({"data": {
            "parent_record_id": parent_record_id,
            "parent_object": entry.parent_object.as_str(),
            "entry_values": values,
        }})),
    )
}

/// `POST /v2/lists/{list}/entries/query` for the entries of one parent record.
pub fn query_entries(
    list: &ListSlug,
    parent_object: &ObjectSlug,
    parent_record_id: &str,
    offset: usize,
) -> WireRequest {
    // The path filter of Attio's filtering guide: the entry's parent record, by id.
    request(
        Route::QueryEntries(list.as_str().to_owned()),
        Some(json!({
            "filter": {
                "path": [[list.as_str(), "parent_record"], [parent_object.as_str(), "record_id"]],
                "constraints": {"value": parent_record_id},
            },
            "limit": ENTRY_PAGE,
            "offset": offset,
        })),
    )
}

/// Entries asked for per query.
pub const ENTRY_PAGE: usize = 500;

/// `DELETE /v2/lists/{list}/entries/{entry_id}`.
pub fn delete_entry(list: &ListSlug, entry_id: &str) -> WireRequest {
    request(Route::DeleteEntry(list.as_str().to_owned(), entry_id.to_owned()), None)
}

/// `POST /v2/notes`.
pub fn create_note(note: &NoteDraft<'_>, parent_record_id: &str) -> WireRequest {
    request(
        Route::CreateNote,
        Some(json!({"data": {
            "parent_object": note.parent_object.as_str(),
            "parent_record_id": parent_record_id,
            "title": note.title,
            "format": note.format.as_str(),
            "content": note.content,
        }})),
    )
}

/// Notes asked for per page (Attio's largest).
pub const NOTE_PAGE: usize = 50;

/// `GET /v2/notes?parent_object=…&parent_record_id=…&limit=…&offset=…`.
pub fn list_notes(parent_object: &ObjectSlug, parent_record_id: &str, offset: usize) -> WireRequest {
    let route = Route::ListNotes;
    WireRequest {
        method: route.method(),
        path_and_query: format!(
            "{}?parent_object={}&parent_record_id={}&limit={NOTE_PAGE}&offset={offset}",
            route.path(),
            encode_query_value(parent_object.as_str()),
            encode_query_value(parent_record_id)
        ),
        body: None,
    }
}

/// `POST /v2/objects/{object}/records/query` for the record whose matching attribute
/// equals `value` (the shorthand filter).
pub fn find_record(object: &ObjectSlug, matching_attribute: &AttributeSlug, value: &JsonText<'_>) -> WireRequest {
    let value: Value = serde_json::from_str(value.as_str()).unwrap_or(Value::Null);
    // A multiselect matching value (`["a@b.co"]`) is looked up by its first element.
    let value = match value {
        Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
        other => other,
    };
    let mut filter = serde_json::Map::new();
    filter.insert(matching_attribute.as_str().to_owned(), value);
    request(
        Route::QueryRecords(object.as_str().to_owned()),
        Some(json!({"filter": filter, "limit": 1})),
    )
}

/// The first request of a follow-up, for dry runs (the parent's id is a placeholder).
pub fn follow_up_request(f: &FollowUp<'_>) -> WireRequest {
    match f {
        FollowUp::UpsertListEntry(e) => upsert_entry(e, PARENT_PLACEHOLDER),
        FollowUp::RemoveListEntries { list, parent_object } => {
            query_entries(list, parent_object, PARENT_PLACEHOLDER, 0)
        }
        FollowUp::CreateNote(n) => create_note(n, PARENT_PLACEHOLDER),
    }
}

/// `data[].id.entry_id` of an entries query.
pub fn entry_ids(reply: &Value) -> Vec<String> {
    ids(reply, "/id/entry_id")
}

fn ids(reply: &Value, pointer: &str) -> Vec<String> {
    reply["data"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.pointer(pointer).and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// `data[0].id.record_id` of a records query.
pub fn first_record_id(reply: &Value) -> Option<String> {
    ids(reply, "/id/record_id").into_iter().next()
}

/// `data.id.note_id` of a created note.
pub fn note_id(reply: &Value) -> Option<String> {
    reply
        .pointer("/data/id/note_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The notes of a `GET /v2/notes` page.
pub fn notes(reply: &Value) -> Vec<domain::ports::NoteSummary> {
    let text = |n: &Value, k: &str| n.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    reply["data"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|n| domain::ports::NoteSummary {
                    note_id: n
                        .pointer("/id/note_id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    title: text(n, "title"),
                    content_plaintext: text(n, "content_plaintext"),
                    content_markdown: text(n, "content_markdown"),
                    created_at: text(n, "created_at"),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{AttributeMap, NoteFormat};

    #[test]
    fn entries_are_queried_by_the_parent_record_path() {
        let r = query_entries(
            &ListSlug::parse("onboarding").unwrap(),
            &ObjectSlug::PEOPLE,
            "rec-1",
            500,
        );
        assert_eq!(
            (r.method, r.path_and_query.as_str()),
            ("POST", "/v2/lists/onboarding/entries/query")
        );
        assert_eq!(
            r.body.unwrap(),
            json!({"filter": {"path": [["onboarding", "parent_record"], ["people", "record_id"]], "constraints": {"value": "rec-1"}},
                   "limit": 500, "offset": 500})
        );
    }

    #[test]
    fn entry_upsert_names_the_parent_and_sends_entry_values_as_mapped() {
        let mut values = AttributeMap::new();
        values.insert("stage", JsonText::string("Activated"));
        values.insert("score", JsonText::trusted("7"));
        let entry = ListEntry {
            list: ListSlug::parse("on boarding").unwrap(),
            parent_object: ObjectSlug::PEOPLE,
            entry_values: values,
        };
        let r = upsert_entry(&entry, "rec-1");
        assert_eq!(
            (r.method, r.path_and_query.as_str()),
            ("PUT", "/v2/lists/on%20boarding/entries")
        );
        assert_eq!(
            r.body.unwrap(),
            json!({"data": {"parent_record_id": "rec-1", "parent_object": "people", "entry_values": {"stage": "Activated", "score": 7}}})
        );
    }

    #[test]
    fn notes_are_listed_by_parent_with_encoded_query_values() {
        let r = list_notes(&ObjectSlug::parse("my obj").unwrap(), "a&b", 50);
        assert_eq!(
            r.path_and_query,
            "/v2/notes?parent_object=my%20obj&parent_record_id=a%26b&limit=50&offset=50"
        );
    }

    #[test]
    fn note_body_has_the_documented_fields() {
        let note = NoteDraft {
            parent_object: ObjectSlug::PEOPLE,
            title: "T".into(),
            content: "**c**".into(),
            format: NoteFormat::Markdown,
        };
        assert_eq!(
            create_note(&note, "rec").body.unwrap(),
            json!({"data": {"parent_object": "people", "parent_record_id": "rec", "title": "T", "format": "markdown", "content": "**c**"}})
        );
    }

    #[test]
    fn record_lookup_uses_the_first_value_of_a_multiselect_matching_value() {
        let r = find_record(
            &ObjectSlug::PEOPLE,
            &AttributeSlug::EMAIL_ADDRESSES,
            &JsonText::trusted("[\"a@b.co\"]"),
        );
        assert_eq!(r.body.unwrap()["filter"], json!({"email_addresses": "a@b.co"}));
    }
}
