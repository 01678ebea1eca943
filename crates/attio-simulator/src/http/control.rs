//! `/_simulator/…`: inspection and fault control for tests in other processes.
//! No authentication, faults or rate limits apply here.

use serde_json::{json, Value};

use crate::config::Faults;
use crate::server::State;

fn error(status: u16, message: impl Into<String>) -> (u16, Value) {
    (status, json!({"status_code": status, "message": message.into()}))
}

pub fn handle(state: &State, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let rest = path.trim_start_matches("/_simulator").trim_matches('/');
    match (method, rest.split('/').collect::<Vec<_>>().as_slice()) {
        ("GET", ["stats"]) => match serde_json::to_value(state.snapshot()) {
            Ok(v) => (200, v),
            Err(e) => error(500, e.to_string()),
        },
        ("GET", ["records", object]) => match state.engine.records(object) {
            Some(records) => (200, json!({ "data": records })),
            None => error(404, format!("no active object \"{object}\"")),
        },
        ("GET", ["lists", list, "entries"]) => match state.engine.entries(list) {
            Some(entries) => (200, json!({ "data": entries })),
            None => error(404, format!("no list \"{list}\"")),
        },
        ("GET", ["notes"]) => (200, json!({ "data": state.engine.all_notes() })),
        ("GET", ["faults"]) => (200, json!(*state.faults.lock().unwrap_or_else(|p| p.into_inner()))),
        ("POST", ["faults"]) => {
            let faults: Faults = match serde_json::from_slice(body) {
                Ok(f) => f,
                Err(e) => return error(400, format!("invalid faults: {e}")),
            };
            if let Err(e) = faults.validate() {
                return error(400, format!("invalid faults: {e}"));
            }
            *state.faults.lock().unwrap_or_else(|p| p.into_inner()) = faults.clone();
            (200, json!(faults))
        }
        _ => error(404, format!("no simulator endpoint {method} {path}")),
    }
}
