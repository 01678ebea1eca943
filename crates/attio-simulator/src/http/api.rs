//! The Attio endpoints: from a route and a body to a status and a JSON answer.

use std::sync::atomic::Ordering;

use serde_json::{json, Value};

use crate::api_error::ApiError;
use crate::batch::parse_batch;
use crate::engine::{NoteQuery, WriteKind, WriteRequest};
use crate::server::State;
use crate::values::WriteMode;
use attio_adapter::wire::route::{query_param, Route};

/// A successful answer body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Empty,
    Json(Value),
    /// JSON text, already serialised.
    Text(String),
}

/// A successful answer: status and body.
pub type Answer = (u16, Body);

fn data(v: Value) -> Answer {
    (200, Body::Json(json!({ "data": v })))
}

/// `{"data": <record>}` around a record's JSON text.
fn data_text((_, record): (uuid::Uuid, String)) -> Answer {
    let mut out = String::with_capacity(record.len() + 9);
    out.push_str("{\"data\":");
    out.push_str(&record);
    out.push('}');
    (200, Body::Text(out))
}

fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| ApiError::validation(format!("The request body is not valid JSON: {e}")))
}

/// `{"data":{"values":{…}}}` → the values object.
fn record_values(body: &Value) -> Result<&Value, ApiError> {
    body.get("data")
        .and_then(|d| d.get("values"))
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::validation("The body must have the form {\"data\":{\"values\":{…}}}."))
}

fn identify(state: &State) -> Value {
    let s = &state.engine.schema;
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    json!({
        "active": true,
        "scope": "record_permission:read-write object_configuration:read user_management:read",
        "client_id": state.engine.token_actor,
        "token_type": "Bearer",
        "exp": null,
        "iat": iat,
        "sub": s.workspace_id,
        "aud": state.engine.token_actor,
        "iss": "attio.com",
        "authorized_by_workspace_member_id": s.members.first().map(|m| m.id),
        "workspace_id": s.workspace_id,
        "workspace_name": s.workspace_name,
        "workspace_slug": s.workspace_slug,
        "workspace_logo_url": null,
    })
}

pub fn handle(state: &State, route: &Route, query: Option<&str>, body: &[u8]) -> Result<Answer, ApiError> {
    let engine = &state.engine;
    let schema = &engine.schema;
    match route {
        Route::Identify | Route::LegacyToken => Ok((200, Body::Json(identify(state)))),
        Route::ListObjects => Ok(data(schema.active_objects().map(|o| schema.object_json(o)).collect())),
        Route::GetObject(o) => Ok(data(schema.object_json(engine.object(o)?))),
        Route::ListAttributes(o) => {
            let object = engine.object(o)?;
            let offset = query_param(query, "offset").and_then(|v| v.parse().ok()).unwrap_or(0);
            let limit = query_param(query, "limit")
                .and_then(|v| v.parse().ok())
                .unwrap_or(usize::MAX);
            let list = object
                .attributes
                .iter()
                .skip(offset)
                .take(limit)
                .map(|a| schema.attribute_json(object, a))
                .collect();
            Ok(data(list))
        }
        Route::GetAttribute(o, a) | Route::ListOptions(o, a) | Route::ListStatuses(o, a) => {
            let object = engine.object(o)?;
            let attr = object.attribute(a).ok_or_else(|| ApiError::attribute_not_found(a))?;
            Ok(data(match route {
                Route::ListOptions(..) => attr
                    .options
                    .iter()
                    .map(|c| schema.option_json(object, attr, c))
                    .collect(),
                Route::ListStatuses(..) => attr
                    .statuses
                    .iter()
                    .map(|c| schema.status_json(object, attr, c))
                    .collect(),
                _ => schema.attribute_json(object, attr),
            }))
        }
        Route::Assert(o) | Route::AssertSimple(o) => {
            let object = engine.object(o)?;
            let matching = query_param(query, "matching_attribute")
                .ok_or_else(|| ApiError::validation("The query parameter \"matching_attribute\" is required."))?;
            let simple = matches!(route, Route::AssertSimple(_));
            let body = parse_body(body)?;
            let request = WriteRequest {
                kind: WriteKind::Assert { matching: &matching },
                values: record_values(&body)?,
                mode: if simple { WriteMode::Simple } else { WriteMode::Strict },
                append_all: simple && query_param(query, "append_to_existing_values").as_deref() == Some("true"),
                create_missing_people: simple && state.create_missing_people,
            };
            Ok(data_text(engine.write(object, request)?))
        }
        Route::CreateRecord(o) => {
            let object = engine.object(o)?;
            let body = parse_body(body)?;
            let request = WriteRequest {
                kind: WriteKind::Create,
                values: record_values(&body)?,
                mode: WriteMode::Strict,
                append_all: false,
                create_missing_people: false,
            };
            Ok(data_text(engine.write(object, request)?))
        }
        Route::UpdateRecord { object, record, append } => {
            let object = engine.object(object)?;
            let body = parse_body(body)?;
            let request = WriteRequest {
                kind: WriteKind::Update {
                    record_id: record,
                    append: *append,
                },
                values: record_values(&body)?,
                mode: WriteMode::Strict,
                append_all: false,
                create_missing_people: false,
            };
            Ok(data_text(engine.write(object, request)?))
        }
        Route::QueryRecords(o) => {
            let object = engine.object(o)?;
            let body = parse_body(body)?;
            Ok(data(Value::Array(engine.query(object, &body)?)))
        }
        Route::GetRecord(o, id) => Ok(data(engine.get_record(engine.object(o)?, id)?)),
        Route::DeleteRecord(o, id) => {
            engine.delete_record(engine.object(o)?, id)?;
            Ok((200, Body::Json(json!({}))))
        }
        Route::Batch => {
            let assertions = parse_batch(&parse_body(body)?)?;
            state
                .stats
                .batch_received
                .fetch_add(assertions.len() as u64, Ordering::SeqCst);
            if state.batch_tx.send(assertions).is_err() {
                return Err(ApiError::server_error(503));
            }
            Ok((202, Body::Empty))
        }
        Route::ListLists => Ok(data(schema.lists.iter().map(|l| engine.list_json(l)).collect())),
        Route::GetList(l) => Ok(data(engine.list_json(engine.list(l)?))),
        Route::ListListAttributes(l) => {
            let list = engine.list(l)?;
            Ok(data(
                list.entry
                    .attributes
                    .iter()
                    .map(|a| schema.attribute_json(&list.entry, a))
                    .collect(),
            ))
        }
        Route::AssertEntry(l) => Ok(data(engine.assert_entry(engine.list(l)?, &parse_body(body)?)?)),
        Route::CreateEntry(l) => Ok(data(engine.create_entry(engine.list(l)?, &parse_body(body)?)?)),
        Route::QueryEntries(l) => Ok(data(Value::Array(
            engine.query_entries(engine.list(l)?, &parse_body(body)?)?,
        ))),
        Route::GetEntry(l, e) => Ok(data(engine.get_entry(engine.list(l)?, e)?)),
        Route::DeleteEntry(l, e) => {
            engine.delete_entry(engine.list(l)?, e)?;
            Ok((200, Body::Json(json!({}))))
        }
        Route::CreateNote => Ok(data(engine.create_note(&parse_body(body)?)?)),
        Route::ListNotes => {
            let q = NoteQuery {
                parent_object: query_param(query, "parent_object"),
                parent_record_id: query_param(query, "parent_record_id"),
                limit: query_param(query, "limit"),
                offset: query_param(query, "offset"),
            };
            Ok(data(Value::Array(engine.list_notes(&q)?)))
        }
        Route::GetNote(n) => Ok(data(engine.get_note(n)?)),
        Route::DeleteNote(n) => {
            engine.delete_note(n)?;
            Ok((200, Body::Json(json!({}))))
        }
        Route::ListMembers => Ok(data(Value::Array(engine.members_json()))),
        Route::GetMember(id) => engine
            .members_json()
            .into_iter()
            .find(|m| m.pointer("/id/workspace_member_id").and_then(Value::as_str) == Some(id.as_str()))
            .map(data)
            .ok_or_else(|| {
                ApiError::invalid(
                    404,
                    attio_adapter::wire::error::code::NOT_FOUND,
                    format!("Workspace member with ID \"{id}\" not found."),
                )
            }),
        Route::Unknown => Err(ApiError::route_not_found("", "this path")),
    }
}
