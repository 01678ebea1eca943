//! The documented assert, used when the undocumented endpoints are missing
//! (see [`super::fallback`] for the rule and the conversion).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;

use domain::ports::AssertReply;
use domain::{AssertValue, Assertion, GatewayError};
use http::Method;

use super::fallback::{append_path, assert_path, documented_values, record_reference, single_allowed_object_id};
use super::gateway::HttpAttioGateway;

type BoxFuture<'x, T> = Pin<Box<dyn Future<Output = T> + Send + 'x>>;

fn reply_of(method: &str, path: &str, response: &super::send::RawResponse) -> Result<AssertReply, GatewayError> {
    let body: serde_json::Value = serde_json::from_slice(&response.body)
        .map_err(|e| GatewayError::InvalidReply(format!("{method} {path}: the reply is not JSON: {e}")))?;
    Ok(AssertReply {
        status: response.status,
        body,
    })
}

fn record_id_of(reply: &AssertReply, object: &str) -> Result<String, GatewayError> {
    reply.record_id().map(str::to_owned).ok_or_else(|| {
        GatewayError::InvalidReply(format!(
            "the reply asserting a {object:?} record has no data.id.record_id"
        ))
    })
}

impl HttpAttioGateway {
    /// Asserts `a` through `PUT /v2/objects/{object}/records?matching_attribute=..`, nested
    /// assertions first, then appends its other multiselect values with a PATCH.
    pub(super) fn assert_documented<'x>(
        &'x self,
        a: &'x Assertion<'x>,
        previous_record_id: Option<&'x str>,
    ) -> BoxFuture<'x, Result<AssertReply, GatewayError>> {
        Box::pin(async move {
            let object = a.object.as_str();
            let schema = self.schema(&a.object).await?;
            let mut references = HashMap::new();
            for (key, value) in &a.values {
                match value {
                    AssertValue::Nested(nested) => {
                        let reply = self.assert_documented(nested, previous_record_id).await?;
                        let id = record_id_of(&reply, nested.object.as_str())?;
                        references.insert(key.to_string(), record_reference(nested.object.as_str(), &id));
                    }
                    AssertValue::RecordIdOfPreviousReply => {
                        let id = previous_record_id.ok_or_else(|| {
                            GatewayError::Rejected(format!(
                                "attribute {key:?} of {object:?} needs the record id of a previous reply, and there is none"
                            ))
                        })?;
                        let target_id = single_allowed_object_id(&schema, key).ok_or_else(|| {
                            GatewayError::Rejected(format!(
                                "attribute {key:?} of {object:?} does not name exactly one target object, so the record id {id:?} cannot be sent to the documented assert endpoint"
                            ))
                        })?;
                        let slugs = self.object_slugs_by_id().await?;
                        let target = slugs.get(&target_id).ok_or_else(|| {
                            GatewayError::Rejected(format!(
                                "attribute {key:?} of {object:?} refers to object id {target_id:?}, which GET /v2/objects does not list"
                            ))
                        })?;
                        references.insert(key.to_string(), record_reference(target, id));
                    }
                    AssertValue::Json(_) => {}
                }
            }
            let values = documented_values(a, &schema, &references)?;
            let path = assert_path(a);
            self.inner.fallbacks.fetch_add(1, Ordering::Relaxed);
            let response = self.execute(Method::PUT, &path, Some(values.assert_body())).await?;
            let reply = reply_of("PUT", &path, &response)?;
            if values.append.is_empty() {
                return Ok(reply);
            }
            let id = record_id_of(&reply, object)?;
            let patch = append_path(&a.object, &id);
            let response = self.execute(Method::PATCH, &patch, Some(values.append_body())).await?;
            reply_of("PATCH", &patch, &response)
        })
    }
}
