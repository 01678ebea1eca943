//! The [`AttioGateway`] port over HTTP: each of its operations as requests of
//! [`HttpAttioGateway`]'s stack.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use domain::ports::{AssertReply, AttioGateway, AttioObject, AttributeDefinition, NoteSummary};
use domain::{Assertion, AttributeSlug, GatewayError, JsonText, ListEntry, ListSlug, NoteDraft, ObjectSlug};
use http::Method;
use serde::Deserialize;

use super::fallback::endpoint_missing;
use super::gateway::HttpAttioGateway;
use super::send::RawResponse;
use super::validate::objects_in;
use crate::wire::requests as wire;
use crate::wire::Route;

fn reply_body(response: &RawResponse) -> serde_json::Value {
    crate::wire::record_reply_body(&response.body)
}

#[derive(Deserialize)]
struct DataList<T> {
    data: Vec<T>,
}

/// Writes are not checked here: the caller checks them first with
/// [`AttioGateway::check_assertions`] (every step of a plan before the first is sent, each
/// member of a batch so that an invalid one can be taken out instead of refusing the batch).
#[async_trait]
impl AttioGateway for HttpAttioGateway {
    async fn simple_assert<'a>(
        &self,
        assertion: &Assertion<'a>,
        previous_record_id: Option<&'a str>,
    ) -> Result<AssertReply, GatewayError> {
        if !self.inner.simple_missing.load(Ordering::Relaxed) {
            let body = crate::wire::simple_assert_body(assertion, previous_record_id);
            let path = crate::wire::simple_assert_path(assertion);
            match self.execute(Method::PUT, &path, Some(body)).await {
                Ok(response) => {
                    return Ok(AssertReply {
                        status: response.status,
                        body: reply_body(&response),
                    })
                }
                Err(e) if self.inner.documented_fallback && endpoint_missing(&e, &[&assertion.object]) => {
                    self.note_missing(&self.inner.simple_missing, "simple assert (/records/simple)");
                }
                Err(e) => {
                    self.note_refusal(&e);
                    return Err(e);
                }
            }
        }
        self.assert_documented(assertion, previous_record_id).await
    }

    async fn batch_assert<'a>(&self, assertions: &[Assertion<'a>]) -> Result<u16, GatewayError> {
        if !self.inner.batch_missing.load(Ordering::Relaxed) {
            let body = crate::wire::batch_assert_body(assertions);
            match self
                .execute(Method::PUT, crate::wire::route::BATCH_RECORDS, Some(body))
                .await
            {
                Ok(response) => return Ok(response.status),
                Err(e)
                    if self.inner.documented_fallback && {
                        let mut objects = Vec::new();
                        assertions.iter().for_each(|a| objects_in(a, &mut objects));
                        endpoint_missing(&e, &objects)
                    } =>
                {
                    self.note_missing(&self.inner.batch_missing, "batch assert (/v2/batch/records)");
                }
                Err(e) => {
                    self.note_refusal(&e);
                    return Err(e);
                }
            }
        }
        let mut status = 200;
        for a in assertions {
            status = self.assert_documented(a, None).await?.status;
        }
        Ok(status)
    }

    async fn check_assertions<'a>(&self, assertions: &[Assertion<'a>]) -> Vec<Result<(), GatewayError>> {
        if !self.inner.validate_schema {
            return assertions.iter().map(|_| Ok(())).collect();
        }
        self.check_each(assertions).await
    }

    async fn list_objects(&self) -> Result<Vec<AttioObject>, GatewayError> {
        let value = self.get_json(&Route::ListObjects.path()).await?;
        serde_json::from_value::<DataList<AttioObject>>(value)
            .map(|l| l.data)
            .map_err(|e| GatewayError::InvalidReply(format!("GET /v2/objects: unexpected reply: {e}")))
    }

    async fn list_attributes(&self, object: &ObjectSlug) -> Result<Vec<AttributeDefinition>, GatewayError> {
        Ok(self.schema(object).await?.attributes.clone())
    }

    async fn check_credentials(&self) -> Result<(), GatewayError> {
        self.execute(Method::GET, &Route::LegacyToken.path(), None)
            .await
            .map(|_| ())
    }

    async fn find_record<'a>(
        &self,
        object: &ObjectSlug,
        matching_attribute: &AttributeSlug,
        value: &JsonText<'a>,
    ) -> Result<Option<String>, GatewayError> {
        let reply = self
            .send_wire(wire::find_record(object, matching_attribute, value))
            .await?;
        Ok(wire::first_record_id(&reply))
    }

    async fn upsert_list_entry<'a>(&self, entry: &ListEntry<'a>, parent_record_id: &str) -> Result<(), GatewayError> {
        self.send_wire(wire::upsert_entry(entry, parent_record_id))
            .await
            .map(|_| ())
    }

    async fn list_entry_ids(
        &self,
        list: &ListSlug,
        parent_object: &ObjectSlug,
        parent_record_id: &str,
    ) -> Result<Vec<String>, GatewayError> {
        let mut all = Vec::new();
        loop {
            let reply = self
                .send_wire(wire::query_entries(list, parent_object, parent_record_id, all.len()))
                .await?;
            let page = wire::entry_ids(&reply);
            // A short page ends the list; so does one that repeats an id (a server that
            // ignores `offset` must not make this loop forever).
            let fresh: Vec<String> = page.iter().filter(|id| !all.contains(*id)).cloned().collect();
            let last = page.len() < wire::ENTRY_PAGE || fresh.len() < page.len();
            all.extend(fresh);
            if last {
                return Ok(all);
            }
        }
    }

    async fn delete_list_entry(&self, list: &ListSlug, entry_id: &str) -> Result<(), GatewayError> {
        match self.send_wire(wire::delete_entry(list, entry_id)).await {
            // Already gone (deleted by a retry whose answer was lost): the goal is met.
            Err(e) if e.status() == Some(404) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn create_note<'a>(&self, note: &NoteDraft<'a>, parent_record_id: &str) -> Result<String, GatewayError> {
        let reply = self.send_wire(wire::create_note(note, parent_record_id)).await?;
        wire::note_id(&reply)
            .ok_or_else(|| GatewayError::InvalidReply("POST /v2/notes: the reply has no data.id.note_id".into()))
    }

    async fn notes_of(
        &self,
        parent_object: &ObjectSlug,
        parent_record_id: &str,
    ) -> Result<Vec<NoteSummary>, GatewayError> {
        let mut all = Vec::new();
        loop {
            let reply = self
                .send_wire(wire::list_notes(parent_object, parent_record_id, all.len()))
                .await?;
            let page = wire::notes(&reply);
            let total = page.len();
            let fresh: Vec<NoteSummary> = page
                .into_iter()
                .filter(|n| !all.iter().any(|m: &NoteSummary| m.note_id == n.note_id))
                .collect();
            let last = total < wire::NOTE_PAGE || fresh.len() < total;
            all.extend(fresh);
            if last {
                return Ok(all);
            }
        }
    }
}
