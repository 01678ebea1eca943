//! The simulator's list entries and notes, read through its inspection endpoints.

use std::time::Duration;

use serde_json::Value;

use super::eventually;
use super::simulator::SimulatorProcess;

impl SimulatorProcess {
    async fn inspect(&self, path: &str) -> Result<Vec<Value>, String> {
        let r = super::http_client()
            .get(self.url(path))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let v: Value = r.json().await.map_err(|e| e.to_string())?;
        v.get("data")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| format!("GET {path}: {v}"))
    }

    /// The entries of `list`, oldest first, in Attio's output format.
    pub async fn entries(&self, list: &str) -> Vec<Value> {
        self.inspect(&format!("/_simulator/lists/{list}/entries"))
            .await
            .expect("list entries")
    }

    /// Every note, oldest first, in Attio's output format.
    pub async fn notes(&self) -> Vec<Value> {
        self.inspect("/_simulator/notes").await.expect("notes")
    }

    /// Polls the entries of `list` until `done` holds, or panics after `timeout`.
    pub async fn wait_for_entries(&self, list: &str, timeout: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let done = &done;
        eventually(&format!("entries of {list}"), timeout, || async move {
            let entries = self.entries(list).await;
            if done(&entries) {
                Ok(entries)
            } else {
                Err(format!("{entries:?}"))
            }
        })
        .await
    }
}
