//! `PUT /v2/batch/records`: assertions applied in order by one background task.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::api_error::ApiError;
use super::engine::{Engine, WriteKind, WriteRequest};
use super::server::State;
use super::values::WriteMode;

/// Checks the batch body and returns its assertions.
pub fn parse_batch(body: &Value) -> Result<Vec<Value>, ApiError> {
    body.get("assertions")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| ApiError::validation("The body must have the form {\"assertions\":[…]}."))
}

fn is_nested_assertion(v: &Value) -> bool {
    v.get("object").is_some_and(Value::is_string) && v.get("values").is_some_and(Value::is_object)
}

/// Applies one assertion (nested assertions first) and returns the record id.
pub fn apply_assertion(engine: &Engine, create_missing_people: bool, a: &Value) -> Result<String, ApiError> {
    let field = |k: &str| {
        a.get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::validation(format!("Assertion field \"{k}\" is required and must be a string.")))
    };
    let object = engine.object(field("object")?)?;
    let mode = field("mode")?;
    if mode != "create-or-update" {
        return Err(ApiError::validation(format!("Unsupported assertion mode \"{mode}\".")));
    }
    let matching = field("matching_attribute")?;
    let append_all = match a.get("multiselect_values").and_then(Value::as_str) {
        None | Some("append") => true,
        Some("overwrite") => false,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "Unsupported multiselect_values \"{other}\"."
            )))
        }
    };
    let raw = a
        .get("values")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::validation("Assertion field \"values\" must be an object."))?;
    let mut values = Map::with_capacity(raw.len());
    for (k, v) in raw {
        if is_nested_assertion(v) {
            let id = apply_assertion(engine, create_missing_people, v)?;
            let target = v.get("object").cloned().unwrap_or(Value::Null);
            let mut reference = Map::new();
            reference.insert("target_object".into(), target);
            reference.insert("target_record_id".into(), Value::String(id));
            values.insert(k.clone(), Value::Object(reference));
        } else {
            values.insert(k.clone(), v.clone());
        }
    }
    let values = Value::Object(values);
    let (id, _) = engine.write(
        object,
        WriteRequest {
            kind: WriteKind::Assert { matching },
            values: &values,
            mode: WriteMode::Simple,
            append_all,
            create_missing_people,
        },
    )?;
    Ok(id.to_string())
}

/// Applies queued batches in arrival order until the channel closes.
pub async fn run_worker(state: Arc<State>, mut rx: mpsc::UnboundedReceiver<Vec<Value>>) {
    while let Some(assertions) = rx.recv().await {
        for (i, a) in assertions.iter().enumerate() {
            match apply_assertion(&state.engine, state.create_missing_people, a) {
                Ok(_) => {
                    state.stats.batch_applied.fetch_add(1, Ordering::SeqCst);
                }
                Err(e) => {
                    tracing::warn!(index = i, code = e.code, message = %e.message, "batch assertion dropped");
                    state.stats.batch_dropped.fetch_add(1, Ordering::SeqCst);
                }
            }
            state.batch_progress.notify_waiters();
        }
    }
}
