//! An in-process [`AttioGateway`] that renders each request exactly as the HTTP
//! transport does (method, URL, JSON body) and answers from a script.

use std::sync::Mutex;

use async_trait::async_trait;
use domain::error::AttioErrorBody;
use domain::ports::{AssertReply, AttioGateway, AttioObject, AttributeDefinition};
use domain::{Assertion, AttioCommand, GatewayError, ObjectSlug};
use serde_json::Value;

use crate::scripted_attio::{default_reply, reason_phrase, Reply};

/// A request as it would have gone on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    pub body: Value,
}

/// Records requests and replies from `script` (then the default mock).
pub struct ScriptedGateway {
    base_url: String,
    script: Vec<Reply>,
    log: Mutex<Vec<RecordedRequest>>,
}

impl ScriptedGateway {
    pub fn new(base_url: &str, script: Vec<Reply>) -> Self {
        Self {
            base_url: base_url.to_owned(),
            script,
            log: Mutex::new(Vec::new()),
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn exchange(&self, method: &str, path_and_query: &str, body: Option<String>) -> Result<Reply, GatewayError> {
        let mut log = self
            .log
            .lock()
            .map_err(|_| GatewayError::Connection("poisoned".into()))?;
        let i = log.len();
        log.push(RecordedRequest {
            method: method.to_owned(),
            url: format!("{}{}", self.base_url, path_and_query),
            body: body
                .as_deref()
                .map(|b| serde_json::from_str(b).unwrap_or(Value::Null))
                .unwrap_or(Value::Null),
        });
        let path = path_and_query.split(['?', '#']).next().unwrap_or("");
        let reply = self
            .script
            .get(i)
            .cloned()
            .unwrap_or_else(|| default_reply(method, path));
        if (200..300).contains(&reply.status) {
            Ok(reply)
        } else {
            Err(GatewayError::Status {
                status: reply.status,
                status_text: reason_phrase(reply.status).to_owned(),
                body: serde_json::from_value::<AttioErrorBody>(reply.body.clone()).ok(),
                raw_body: Some(reply.body.to_string()),
                retry_after: None,
            })
        }
    }
}

#[async_trait]
impl AttioGateway for ScriptedGateway {
    async fn simple_assert<'a>(
        &self,
        assertion: &Assertion<'a>,
        previous_record_id: Option<&'a str>,
    ) -> Result<AssertReply, GatewayError> {
        let cmd = AttioCommand::SimpleAssert(assertion.clone());
        let reply = self.exchange("PUT", &cmd.path_and_query(), Some(cmd.body(previous_record_id)))?;
        Ok(AssertReply {
            status: reply.status,
            body: reply.body,
        })
    }

    async fn batch_assert<'a>(&self, assertions: &[Assertion<'a>]) -> Result<u16, GatewayError> {
        let cmd = AttioCommand::BatchAssert(assertions.to_vec());
        Ok(self
            .exchange("PUT", &cmd.path_and_query(), Some(cmd.body(None)))?
            .status)
    }

    async fn list_objects(&self) -> Result<Vec<AttioObject>, GatewayError> {
        let reply = self.exchange("GET", "/v2/objects", None)?;
        Ok(reply
            .body
            .get("data")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|o| serde_json::from_value(o.clone()).ok())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn list_attributes(&self, object: &ObjectSlug) -> Result<Vec<AttributeDefinition>, GatewayError> {
        let path = format!(
            "/v2/objects/{}/attributes",
            domain::record::encode_path_segment(object.as_str())
        );
        let reply = self.exchange("GET", &path, None)?;
        Ok(reply
            .body
            .get("data")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|o| serde_json::from_value(o.clone()).ok())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn check_credentials(&self) -> Result<(), GatewayError> {
        self.exchange("GET", "/v1/token", None).map(|_| ())
    }
}
