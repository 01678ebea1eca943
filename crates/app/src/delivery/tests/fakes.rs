//! The in-memory spool and trace and the scripted Attio gateway the delivery tests run
//! against.

use std::collections::BTreeMap;

use attio_adapter::wire::CommandWire;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use domain::ports::{
    AssertReply, AttioGateway, AttioObject, AttributeDefinition, EventTrace, EventTraceRecord, SpoolError, TraceFilter,
};
use domain::{Assertion, AttioCommand, GatewayError, ObjectSlug};
use serde_json::{json, Value};
use tokio::time::Instant;

pub use domain::ports::MemSpool;

/// One request the gateway received.
#[derive(Debug, Clone)]
pub struct Call {
    pub at: Instant,
    pub batch: bool,
    /// The object of each assertion it carried, in order.
    pub objects: Vec<String>,
    /// The `seq` values of the events it carried, in order.
    pub seqs: Vec<String>,
    /// Whether the script answered with success.
    pub ok: bool,
    /// The request body.
    pub body: Value,
}

/// What the scripted gateway answers to a write carrying `seqs` (`attempt` counts earlier
/// writes that carried the same first seq).
pub type Script = dyn Fn(&[String], usize) -> Result<(), GatewayError> + Send + Sync;

/// A trace store in memory: the last record written for each event.
#[derive(Default)]
pub struct MemTrace {
    records: Mutex<BTreeMap<i64, EventTraceRecord>>,
}

impl MemTrace {
    pub fn get(&self, event_id: i64) -> Option<EventTraceRecord> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&event_id)
            .cloned()
    }
}

#[async_trait]
impl EventTrace for MemTrace {
    async fn record(&self, traces: Vec<EventTraceRecord>) -> Result<(), SpoolError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        for trace in traces {
            records.insert(trace.event_id, trace);
        }
        Ok(())
    }

    async fn find(&self, id: &str) -> Result<Option<EventTraceRecord>, SpoolError> {
        Ok(id.parse().ok().and_then(|id| self.get(id)))
    }

    async fn list(&self, _filter: TraceFilter) -> Result<Vec<EventTraceRecord>, SpoolError> {
        Ok(self
            .records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect())
    }
}

/// A gateway that records writes and answers from a script.
pub struct FakeGateway {
    script: Box<Script>,
    calls: Mutex<Vec<Call>>,
    /// Whether `check_credentials` succeeds.
    pub credentials_ok: AtomicBool,
    pub credential_checks: Mutex<Vec<Instant>>,
    /// Events (by seq) the pre-send check refuses.
    pub refused_seqs: Mutex<Vec<String>>,
}

impl FakeGateway {
    pub fn new(script: impl Fn(&[String], usize) -> Result<(), GatewayError> + Send + Sync + 'static) -> Self {
        FakeGateway {
            script: Box::new(script),
            calls: Mutex::new(Vec::new()),
            credentials_ok: AtomicBool::new(true),
            credential_checks: Mutex::new(Vec::new()),
            refused_seqs: Mutex::new(Vec::new()),
        }
    }

    /// The pre-send check refuses the events carrying these seqs.
    pub fn refusing(self, seqs: &[&str]) -> Self {
        *self.refused_seqs.lock().unwrap_or_else(|p| p.into_inner()) = seqs.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn accepting() -> Self {
        Self::new(|_, _| Ok(()))
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn record(&self, batch: bool, objects: Vec<String>, body: &str) -> Result<(), GatewayError> {
        let value: Value = serde_json::from_str(body).expect("the command body is JSON");
        let mut seqs = Vec::new();
        collect_seqs(&value, &mut seqs);
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        let attempt = calls.iter().filter(|c| c.seqs.first() == seqs.first()).count();
        let outcome = (self.script)(&seqs, attempt);
        calls.push(Call {
            at: Instant::now(),
            batch,
            objects,
            seqs,
            ok: outcome.is_ok(),
            body: value.clone(),
        });
        outcome
    }
}

fn collect_seqs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("seq", Value::String(s)) => out.push(s.clone()),
                    _ => collect_seqs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_seqs(v, out)),
        _ => {}
    }
}

#[async_trait]
impl AttioGateway for FakeGateway {
    async fn simple_assert<'a>(
        &self,
        assertion: &Assertion<'a>,
        previous_record_id: Option<&'a str>,
    ) -> Result<AssertReply, GatewayError> {
        let body = AttioCommand::SimpleAssert(assertion.clone()).body(previous_record_id);
        // A request takes a little time, so that overlapping deliveries are visible.
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.record(false, vec![assertion.object.as_str().to_owned()], &body)?;
        Ok(AssertReply {
            status: 200,
            body: json!({"data": {"id": {"record_id": "00000000-0000-4000-8000-000000000001"}}}),
        })
    }

    async fn batch_assert<'a>(&self, assertions: &[Assertion<'a>]) -> Result<u16, GatewayError> {
        let body = AttioCommand::BatchAssert(assertions.to_vec()).body(None);
        tokio::time::sleep(Duration::from_millis(5)).await;
        let objects = assertions.iter().map(|a| a.object.as_str().to_owned()).collect();
        self.record(true, objects, &body)?;
        Ok(202)
    }

    async fn check_assertions<'a>(&self, assertions: &[Assertion<'a>]) -> Vec<Result<(), GatewayError>> {
        let refused = self.refused_seqs.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assertions
            .iter()
            .map(|a| {
                let body: Value = serde_json::from_str(&AttioCommand::SimpleAssert(a.clone()).body(None))
                    .expect("the command body is JSON");
                let mut seqs = Vec::new();
                collect_seqs(&body, &mut seqs);
                match seqs.iter().find(|s| refused.contains(s)) {
                    Some(seq) => Err(GatewayError::Rejected(format!(
                        "refused before sending to Attio: object \"people\": attribute \"seq\" (number) cannot take {seq:?}"
                    ))),
                    None => Ok(()),
                }
            })
            .collect()
    }

    async fn list_objects(&self) -> Result<Vec<AttioObject>, GatewayError> {
        Ok(Vec::new())
    }

    async fn list_attributes(&self, _object: &ObjectSlug) -> Result<Vec<AttributeDefinition>, GatewayError> {
        Ok(Vec::new())
    }

    async fn check_credentials(&self) -> Result<(), GatewayError> {
        self.credential_checks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Instant::now());
        if self.credentials_ok.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(status(401, None))
        }
    }

    async fn find_record<'a>(
        &self,
        _object: &ObjectSlug,
        _matching_attribute: &domain::AttributeSlug,
        _value: &domain::JsonText<'a>,
    ) -> Result<Option<String>, GatewayError> {
        Ok(None)
    }

    async fn upsert_list_entry<'a>(&self, entry: &domain::ListEntry<'a>, _parent: &str) -> Result<(), GatewayError> {
        self.record(false, vec![entry.list.as_str().to_owned()], "{}")
    }

    async fn list_entry_ids(
        &self,
        _list: &domain::ListSlug,
        _parent_object: &ObjectSlug,
        _parent: &str,
    ) -> Result<Vec<String>, GatewayError> {
        Ok(Vec::new())
    }

    async fn delete_list_entry(&self, _list: &domain::ListSlug, _entry_id: &str) -> Result<(), GatewayError> {
        Ok(())
    }

    async fn create_note<'a>(&self, _note: &domain::NoteDraft<'a>, _parent: &str) -> Result<String, GatewayError> {
        self.record(false, vec!["notes".to_owned()], "{}")
            .map(|_| "note".to_owned())
    }

    async fn notes_of(
        &self,
        _parent_object: &ObjectSlug,
        _parent: &str,
    ) -> Result<Vec<domain::ports::NoteSummary>, GatewayError> {
        Ok(Vec::new())
    }
}

/// An Attio error answer.
pub fn status(code: u16, retry_after: Option<Duration>) -> GatewayError {
    GatewayError::Status {
        status: code,
        status_text: format!("status {code}"),
        body: None,
        raw_body: Some(format!("{{\"status_code\":{code},\"message\":\"scripted {code}\"}}")),
        retry_after,
    }
}
