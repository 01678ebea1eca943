use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::http::StatusCode;
use chrono::{DateTime, TimeZone, Utc};
use domain::ports::{EventSpool, FixedClock, NewEvent, SpoolError, SpoolStats, SpooledEvent};
use secrecy::SecretString;
use serde_json::Value;

use crate::ingest::{serve, IngestConfig, IngestState};

/// An in-memory spool that can be told to fail.
#[derive(Default)]
pub struct MemorySpool {
    events: Mutex<Vec<NewEvent>>,
    failure: Mutex<Option<SpoolError>>,
    calls: Mutex<usize>,
}

impl MemorySpool {
    pub fn fail_with(&self, err: SpoolError) {
        *self.failure.lock().expect("not poisoned") = Some(err);
    }

    pub fn events(&self) -> Vec<NewEvent> {
        self.events.lock().expect("not poisoned").clone()
    }

    /// The stored payloads, parsed.
    pub fn payloads(&self) -> Vec<Value> {
        self.events()
            .iter()
            .map(|e| serde_json::from_str(&e.payload).expect("stored payloads are JSON"))
            .collect()
    }

    pub fn append_calls(&self) -> usize {
        *self.calls.lock().expect("not poisoned")
    }
}

#[async_trait]
impl EventSpool for MemorySpool {
    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<i64>, SpoolError> {
        *self.calls.lock().expect("not poisoned") += 1;
        if let Some(err) = self.failure.lock().expect("not poisoned").clone() {
            return Err(err);
        }
        let mut stored = self.events.lock().expect("not poisoned");
        let first = stored.len() as i64 + 1;
        let ids = (first..first + events.len() as i64).collect();
        stored.extend(events);
        Ok(ids)
    }

    async fn read_after(&self, _after_id: i64, _limit: usize) -> Result<Vec<SpooledEvent>, SpoolError> {
        Ok(Vec::new())
    }

    async fn ack(&self, _ids: Vec<i64>) -> Result<(), SpoolError> {
        Ok(())
    }

    async fn dead_letter(
        &self,
        _letters: Vec<domain::ports::DeadLetter>,
        _remove_events: Vec<i64>,
    ) -> Result<(), SpoolError> {
        Ok(())
    }

    async fn check_writable(&self) -> Result<(), SpoolError> {
        Ok(())
    }

    async fn close(&self) -> Result<(), SpoolError> {
        Ok(())
    }

    async fn stats(&self) -> Result<SpoolStats, SpoolError> {
        Ok(SpoolStats::default())
    }
}

pub const KEY: &str = "WK123";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).single().expect("valid")
}

pub fn keyed_config() -> IngestConfig {
    IngestConfig {
        write_keys: vec![SecretString::from(KEY), SecretString::from("second-key")],
        ..IngestConfig::default()
    }
}

pub fn state(config: IngestConfig) -> (IngestState, Arc<MemorySpool>) {
    let spool = Arc::new(MemorySpool::default());
    let state = IngestState::new(spool.clone(), Arc::new(FixedClock(now())), config);
    (state, spool)
}

/// A server on 127.0.0.1 with its own spool.
pub struct Server {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub spool: Arc<MemorySpool>,
    pub state: IngestState,
    pub client: reqwest::Client,
}

impl Server {
    pub async fn start(config: IngestConfig) -> Server {
        let (state, spool) = state(config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("bound");
        tokio::spawn(serve(listener, state.clone(), std::future::pending()));
        Server {
            base: format!("http://{addr}"),
            addr,
            spool,
            state,
            client: reqwest::Client::new(),
        }
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
    }

    /// POSTs JSON with the write key as HTTP Basic.
    pub async fn send(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        answer(
            self.post(path)
                .basic_auth(KEY, Some(""))
                .body(body.to_string())
                .send()
                .await,
        )
        .await
    }
}

/// Status and JSON body (Null when the body is not JSON).
pub async fn answer(response: reqwest::Result<reqwest::Response>) -> (StatusCode, Value) {
    let response = response.expect("the server answers");
    let status = StatusCode::from_u16(response.status().as_u16()).expect("valid status");
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no code>")
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}
