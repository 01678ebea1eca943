use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::value::AttributeType;
use crate::{Assertion, AttributeSlug, GatewayError, JsonText, ListEntry, ListSlug, NoteDraft, ObjectSlug};

/// Attio's reply to a single-record assert.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertReply {
    pub status: u16,
    /// The parsed reply body (`{"data":{"id":{...},"values":{...}}}`), or `Null`.
    pub body: serde_json::Value,
}

impl AssertReply {
    /// `data.id.record_id`, when the reply carries it as a string.
    pub fn record_id(&self) -> Option<&str> {
        self.body.pointer("/data/id/record_id").and_then(|v| v.as_str())
    }
}

/// An object as `GET /v2/objects` lists it. Every field may be absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttioObject {
    #[serde(default)]
    pub api_slug: Option<String>,
    #[serde(default)]
    pub singular_noun: Option<String>,
    #[serde(default)]
    pub plural_noun: Option<String>,
}

/// An attribute as `GET /v2/objects/{object}/attributes` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeDefinition {
    pub api_slug: String,
    #[serde(default)]
    pub title: String,
    #[serde(rename = "type")]
    pub attribute_type: AttributeType,
    #[serde(default)]
    pub is_unique: bool,
    #[serde(default)]
    pub is_multiselect: bool,
    #[serde(default = "yes")]
    pub is_writable: bool,
    #[serde(default)]
    pub is_required: bool,
    #[serde(default)]
    pub is_system_attribute: bool,
    /// `config`, `relationship`, ... as Attio sent them.
    #[serde(default)]
    pub config: serde_json::Value,
}

fn yes() -> bool {
    true
}

/// A note as `GET /v2/notes` lists it: what is needed to recognise one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoteSummary {
    pub note_id: String,
    pub title: String,
    pub content_plaintext: String,
    pub content_markdown: String,
    /// RFC 3339, as Attio wrote it.
    pub created_at: String,
}

/// Everything the actions ask of an Attio workspace.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait AttioGateway: Send + Sync {
    /// `PUT /v2/objects/{object}/records/simple?...` with the assertion's values.
    /// `previous_record_id` fills a `RecordIdOfPreviousReply` value.
    async fn simple_assert<'a>(
        &self,
        assertion: &Assertion<'a>,
        previous_record_id: Option<&'a str>,
    ) -> Result<AssertReply, GatewayError>;

    /// Checks assertions against what is known of the workspace (its attributes, options,
    /// statuses, members) before they are sent: one result per assertion, `Ok` when nothing
    /// known speaks against it. Attio applies a batch asynchronously and drops an invalid
    /// assertion silently, so this is what catches them. Required, so that a wrapper of
    /// another gateway cannot skip the check by forgetting to pass it on.
    async fn check_assertions<'a>(&self, assertions: &[Assertion<'a>]) -> Vec<Result<(), GatewayError>>;

    /// `PUT /v2/batch/records`; Attio answers 202 and applies it asynchronously.
    async fn batch_assert<'a>(&self, assertions: &[Assertion<'a>]) -> Result<u16, GatewayError>;

    /// `GET /v2/objects`.
    async fn list_objects(&self) -> Result<Vec<AttioObject>, GatewayError>;

    /// `GET /v2/objects/{object}/attributes`.
    async fn list_attributes(&self, object: &ObjectSlug) -> Result<Vec<AttributeDefinition>, GatewayError>;

    /// `GET /v1/token` (what the reference's "test authentication" calls).
    async fn check_credentials(&self) -> Result<(), GatewayError>;

    /// The id of the record of `object` whose `matching_attribute` equals `value`
    /// (`POST /v2/objects/{object}/records/query`), if there is one.
    async fn find_record<'a>(
        &self,
        object: &ObjectSlug,
        matching_attribute: &AttributeSlug,
        value: &JsonText<'a>,
    ) -> Result<Option<String>, GatewayError>;

    /// `PUT /v2/lists/{list}/entries` for the parent record `parent_record_id`.
    async fn upsert_list_entry<'a>(&self, entry: &ListEntry<'a>, parent_record_id: &str) -> Result<(), GatewayError>;

    /// The ids of the entries of `parent_record_id` in `list`
    /// (`POST /v2/lists/{list}/entries/query`).
    async fn list_entry_ids(
        &self,
        list: &ListSlug,
        parent_object: &ObjectSlug,
        parent_record_id: &str,
    ) -> Result<Vec<String>, GatewayError>;

    /// `DELETE /v2/lists/{list}/entries/{entry_id}`.
    async fn delete_list_entry(&self, list: &ListSlug, entry_id: &str) -> Result<(), GatewayError>;

    /// `POST /v2/notes` on `parent_record_id`; returns the new note's id.
    async fn create_note<'a>(&self, note: &NoteDraft<'a>, parent_record_id: &str) -> Result<String, GatewayError>;

    /// Every note of a record (`GET /v2/notes?parent_object=…&parent_record_id=…`, all pages).
    async fn notes_of(
        &self,
        parent_object: &ObjectSlug,
        parent_record_id: &str,
    ) -> Result<Vec<NoteSummary>, GatewayError>;
}
