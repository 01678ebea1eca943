//! A gateway that notes each Attio request it passes on (method, path, status, Attio's
//! error body, timing), for the event trace.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use attio_adapter::wire::error::render_error_body;
use attio_adapter::wire::requests::{self as wire, WireRequest};
use attio_adapter::wire::simple_assert_path;
use chrono::Utc;
use domain::ports::{AssertReply, AttioGateway, AttioObject, AttioRequestTrace, AttributeDefinition, NoteSummary};
use domain::{Assertion, AttributeSlug, GatewayError, JsonText, ListEntry, ListSlug, NoteDraft, ObjectSlug};

/// Wraps the delivery's gateway for one send.
pub struct RecordingGateway {
    inner: Arc<dyn AttioGateway>,
    subscription: String,
    requests: Mutex<Vec<AttioRequestTrace>>,
}

impl RecordingGateway {
    pub fn new(inner: Arc<dyn AttioGateway>, subscription: &str) -> Self {
        Self {
            inner,
            subscription: subscription.to_owned(),
            requests: Mutex::new(Vec::new()),
        }
    }

    /// The requests made so far, in order (taken: a second call returns the later ones).
    pub fn take_requests(&self) -> Vec<AttioRequestTrace> {
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Notes one list, note or query request (its first page for a paged listing); a
    /// success is noted as 200, the status the gateway accepts these answers with.
    fn note_wire<T>(
        &self,
        request: WireRequest,
        started_at: chrono::DateTime<Utc>,
        started: Instant,
        result: &Result<T, GatewayError>,
    ) {
        self.note(
            request.method,
            request.path_and_query,
            started_at,
            started,
            result,
            |_| 200,
        );
    }

    fn note<T>(
        &self,
        method: &str,
        path: String,
        started_at: chrono::DateTime<Utc>,
        started: Instant,
        result: &Result<T, GatewayError>,
        status_of: impl Fn(&T) -> u16,
    ) {
        let (status, error) = match result {
            Ok(value) => (Some(status_of(value)), None),
            Err(GatewayError::Status {
                status, raw_body, body, ..
            }) => {
                let text = match (raw_body, body) {
                    (Some(raw), _) => Some(raw.clone()),
                    (None, Some(body)) => Some(render_error_body(body)),
                    (None, None) => None,
                };
                (Some(*status), text)
            }
            Err(other) => (None, Some(other.to_string())),
        };
        let trace = AttioRequestTrace {
            subscription: self.subscription.clone(),
            method: method.to_owned(),
            path,
            status,
            error,
            started_at,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        self.requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(trace);
    }
}

#[async_trait]
impl AttioGateway for RecordingGateway {
    async fn simple_assert<'a>(
        &self,
        assertion: &Assertion<'a>,
        previous_record_id: Option<&'a str>,
    ) -> Result<AssertReply, GatewayError> {
        let (started_at, started) = (Utc::now(), Instant::now());
        let result = self.inner.simple_assert(assertion, previous_record_id).await;
        self.note(
            "PUT",
            simple_assert_path(assertion),
            started_at,
            started,
            &result,
            |reply| reply.status,
        );
        result
    }

    async fn check_assertions<'a>(&self, assertions: &[Assertion<'a>]) -> Vec<Result<(), GatewayError>> {
        self.inner.check_assertions(assertions).await
    }

    async fn batch_assert<'a>(&self, assertions: &[Assertion<'a>]) -> Result<u16, GatewayError> {
        let (started_at, started) = (Utc::now(), Instant::now());
        let result = self.inner.batch_assert(assertions).await;
        self.note(
            "PUT",
            attio_adapter::wire::route::BATCH_RECORDS.to_owned(),
            started_at,
            started,
            &result,
            |status| *status,
        );
        result
    }

    async fn list_objects(&self) -> Result<Vec<AttioObject>, GatewayError> {
        self.inner.list_objects().await
    }

    async fn list_attributes(&self, object: &ObjectSlug) -> Result<Vec<AttributeDefinition>, GatewayError> {
        self.inner.list_attributes(object).await
    }

    async fn check_credentials(&self) -> Result<(), GatewayError> {
        self.inner.check_credentials().await
    }

    async fn find_record<'a>(
        &self,
        object: &ObjectSlug,
        matching_attribute: &AttributeSlug,
        value: &JsonText<'a>,
    ) -> Result<Option<String>, GatewayError> {
        let (started_at, started) = (Utc::now(), Instant::now());
        let result = self.inner.find_record(object, matching_attribute, value).await;
        self.note_wire(
            wire::find_record(object, matching_attribute, value),
            started_at,
            started,
            &result,
        );
        result
    }

    async fn upsert_list_entry<'a>(&self, entry: &ListEntry<'a>, parent_record_id: &str) -> Result<(), GatewayError> {
        let (started_at, started) = (Utc::now(), Instant::now());
        let result = self.inner.upsert_list_entry(entry, parent_record_id).await;
        self.note_wire(
            wire::upsert_entry(entry, parent_record_id),
            started_at,
            started,
            &result,
        );
        result
    }

    async fn list_entry_ids(
        &self,
        list: &ListSlug,
        parent_object: &ObjectSlug,
        parent_record_id: &str,
    ) -> Result<Vec<String>, GatewayError> {
        let (started_at, started) = (Utc::now(), Instant::now());
        let result = self.inner.list_entry_ids(list, parent_object, parent_record_id).await;
        self.note_wire(
            wire::query_entries(list, parent_object, parent_record_id, 0),
            started_at,
            started,
            &result,
        );
        result
    }

    async fn delete_list_entry(&self, list: &ListSlug, entry_id: &str) -> Result<(), GatewayError> {
        let (started_at, started) = (Utc::now(), Instant::now());
        let result = self.inner.delete_list_entry(list, entry_id).await;
        self.note_wire(wire::delete_entry(list, entry_id), started_at, started, &result);
        result
    }

    async fn create_note<'a>(&self, note: &NoteDraft<'a>, parent_record_id: &str) -> Result<String, GatewayError> {
        let (started_at, started) = (Utc::now(), Instant::now());
        let result = self.inner.create_note(note, parent_record_id).await;
        self.note_wire(wire::create_note(note, parent_record_id), started_at, started, &result);
        result
    }

    async fn notes_of(
        &self,
        parent_object: &ObjectSlug,
        parent_record_id: &str,
    ) -> Result<Vec<NoteSummary>, GatewayError> {
        let (started_at, started) = (Utc::now(), Instant::now());
        let result = self.inner.notes_of(parent_object, parent_record_id).await;
        self.note_wire(
            wire::list_notes(parent_object, parent_record_id, 0),
            started_at,
            started,
            &result,
        );
        result
    }
}
