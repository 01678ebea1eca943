//! Notes on records: create, list by parent, get and delete.

use serde_json::{json, Value};
use uuid::Uuid;

use super::Engine;
use crate::api_error::ApiError;
use crate::clock::now_timestamp;

/// Attio's default and largest page of `GET /v2/notes`.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 50;

#[derive(Debug, Clone)]
pub struct Note {
    pub id: Uuid,
    pub parent_object: String,
    pub parent_record_id: Uuid,
    pub title: String,
    pub content_plaintext: String,
    pub content_markdown: String,
    pub created_at: String,
}

/// Which notes `GET /v2/notes` lists.
#[derive(Debug, Default)]
pub struct NoteQuery {
    pub parent_object: Option<String>,
    pub parent_record_id: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// The text of markdown without its markup (headings, list markers, emphasis, links),
/// which is what `content_plaintext` holds for a markdown note.
fn markdown_to_plaintext(md: &str) -> String {
    let mut out = Vec::new();
    for line in md.lines() {
        let mut l = line.trim_start();
        l = l.trim_start_matches('#').trim_start();
        for marker in ["- ", "* ", "+ "] {
            if let Some(rest) = l.strip_prefix(marker) {
                l = rest;
            }
        }
        let mut text = String::with_capacity(l.len());
        let mut chars = l.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' | '_' | '~' | '=' => {}
                '[' => {
                    let label: String = chars.by_ref().take_while(|&c| c != ']').collect();
                    text.push_str(&label);
                    if chars.peek() == Some(&'(') {
                        for c in chars.by_ref() {
                            if c == ')' {
                                break;
                            }
                        }
                    }
                }
                other => text.push(other),
            }
        }
        out.push(text);
    }
    out.join("\n")
}

fn text_field<'b>(data: &'b serde_json::Map<String, Value>, k: &str) -> Result<&'b str, ApiError> {
    match data.get(k) {
        None | Some(Value::Null) => Err(ApiError::validation(format!(
            "Body parameter \"data.{k}\" is required."
        ))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::validation(format!(
            "Body parameter \"data.{k}\" must be a string."
        ))),
    }
}

impl Engine {
    /// `POST /v2/notes`.
    pub fn create_note(&self, body: &Value) -> Result<Value, ApiError> {
        let data = body
            .get("data")
            .and_then(Value::as_object)
            .ok_or_else(|| ApiError::validation("The body must have the form {\"data\":{…}}."))?;
        let parent_object = text_field(data, "parent_object")?;
        let record = text_field(data, "parent_record_id")?;
        let title = text_field(data, "title")?;
        let format = text_field(data, "format")?;
        let content = text_field(data, "content")?;
        let (plain, markdown) = match format {
            "plaintext" => (content.to_owned(), content.to_owned()),
            "markdown" => (markdown_to_plaintext(content), content.to_owned()),
            other => {
                return Err(ApiError::validation(format!(
                    "Body parameter \"data.format\" must be \"plaintext\" or \"markdown\", not \"{other}\"."
                )))
            }
        };
        let object = self.object(parent_object)?;
        let id = Uuid::parse_str(record)
            .map_err(|_| ApiError::validation("Body parameter \"data.parent_record_id\" must be a UUID."))?;
        if !self.store.lock(object.index).records.contains_key(&id) {
            return Err(ApiError::record_not_found(record));
        }
        let created_at = match data.get("created_at") {
            None | Some(Value::Null) => now_timestamp(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(ApiError::validation(
                    "Body parameter \"data.created_at\" must be a string.",
                ))
            }
        };
        let note = Note {
            id: Uuid::new_v4(),
            parent_object: object.api_slug.clone(),
            parent_record_id: id,
            title: title.to_owned(),
            content_plaintext: plain,
            content_markdown: markdown,
            created_at,
        };
        let json = self.note_json(&note);
        self.notes.lock().unwrap_or_else(|p| p.into_inner()).push(note);
        Ok(json)
    }

    /// `GET /v2/notes?parent_object=…&parent_record_id=…&limit=…&offset=…`, oldest first.
    pub fn list_notes(&self, q: &NoteQuery) -> Result<Vec<Value>, ApiError> {
        let number = |v: &Option<String>, name: &str, default: usize| match v {
            None => Ok(default),
            Some(s) => s.parse::<usize>().map_err(|_| {
                ApiError::validation(format!("Query parameter \"{name}\" must be a non-negative integer."))
            }),
        };
        let limit = number(&q.limit, "limit", DEFAULT_LIMIT)?;
        if limit > MAX_LIMIT {
            return Err(ApiError::validation(format!(
                "Query parameter \"limit\" must be at most {MAX_LIMIT}."
            )));
        }
        let offset = number(&q.offset, "offset", 0)?;
        let object = match &q.parent_object {
            Some(o) => Some(self.object(o)?.api_slug.clone()),
            None => None,
        };
        let record = match &q.parent_record_id {
            Some(r) => Some(
                Uuid::parse_str(r)
                    .map_err(|_| ApiError::validation("Query parameter \"parent_record_id\" must be a UUID."))?,
            ),
            None => None,
        };
        let notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        Ok(notes
            .iter()
            .filter(|n| object.as_deref().is_none_or(|o| n.parent_object == o))
            .filter(|n| record.is_none_or(|r| n.parent_record_id == r))
            .skip(offset)
            .take(limit)
            .map(|n| self.note_json(n))
            .collect())
    }

    pub fn get_note(&self, note_id: &str) -> Result<Value, ApiError> {
        let notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        let i = find_note(&notes, note_id)?;
        Ok(self.note_json(&notes[i]))
    }

    pub fn delete_note(&self, note_id: &str) -> Result<(), ApiError> {
        let mut notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        let i = find_note(&notes, note_id)?;
        notes.remove(i);
        Ok(())
    }

    /// Every note, oldest first (inspection).
    pub fn all_notes(&self) -> Vec<Value> {
        let notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        notes.iter().map(|n| self.note_json(n)).collect()
    }

    fn note_json(&self, n: &Note) -> Value {
        json!({
            "id": {"workspace_id": self.schema.workspace_id, "note_id": n.id},
            "parent_object": n.parent_object,
            "parent_record_id": n.parent_record_id,
            "title": n.title,
            "meeting_id": null,
            "content_plaintext": n.content_plaintext,
            "content_markdown": n.content_markdown,
            "tags": [],
            "created_by_actor": {"type": "api-token", "id": self.token_actor},
            "created_at": n.created_at,
        })
    }

    /// `GET /v2/workspace_members` items.
    pub fn members_json(&self) -> Vec<Value> {
        let s = &self.schema;
        s.members
            .iter()
            .map(|m| {
                json!({
                    "id": {"workspace_id": s.workspace_id, "workspace_member_id": m.id},
                    "first_name": "Workspace",
                    "last_name": "Owner",
                    "avatar_url": null,
                    "email_address": m.email_address,
                    "created_at": s.objects.first().map(|o| o.created_at.clone()),
                    "access_level": "admin",
                })
            })
            .collect()
    }
}

fn find_note(notes: &[Note], note_id: &str) -> Result<usize, ApiError> {
    let not_found = || {
        ApiError::invalid(
            404,
            attio_adapter::wire::error::code::NOT_FOUND,
            format!("Note with ID \"{note_id}\" not found."),
        )
    };
    let id = Uuid::parse_str(note_id).map_err(|_| not_found())?;
    notes.iter().position(|n| n.id == id).ok_or_else(not_found)
}

#[cfg(test)]
mod tests {
    use super::markdown_to_plaintext;

    #[test]
    fn markdown_markup_is_dropped_from_the_plaintext() {
        assert_eq!(
            markdown_to_plaintext("# Plan\n- **Paying** since [today](https://x.io)"),
            "Plan\nPaying since today"
        );
    }
}
