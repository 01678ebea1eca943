//! Falling back to Attio's documented assert when a workspace lacks the undocumented
//! simple (`/records/simple`) or batch (`/v2/batch/records`) endpoint.
//!
//! # When
//! The fallback happens when the undocumented endpoint answers **404 with Attio's error body**
//! (`{"status_code","type","code","message"}`) whose message is **not about an unknown
//! object**. A message is about an unknown object when it contains `Object with slug/ID`
//! (Attio's wording, any case) or names one of the asserted objects in double quotes
//! (`"people"`). A 404 without Attio's body (a proxy page) never falls back. An unknown
//! object therefore stays a permanent 404, exactly as the undocumented endpoint reported it.
//!
//! # How
//! One assertion becomes `PUT /v2/objects/{object}/records?matching_attribute=...` with
//! `{"data":{"values":{...}}}`:
//! - a bare value for a multiselect attribute becomes a one-element array (the schema tells
//!   which attributes are multiselect);
//! - a nested assertion is asserted first (recursively, parents first) and referenced by its
//!   record id: `{"target_object": <its object>, "target_record_id": <id from its reply>}`;
//! - a record id from the previous reply becomes the same reference form, the target object
//!   being the single object the attribute's `config.record_reference.allowed_object_ids`
//!   allows;
//! - the undocumented endpoints append to every multiselect attribute, while the documented
//!   assert replaces all but the matching one. To keep append semantics, multiselect values
//!   other than the matching attribute's are sent afterwards with
//!   `PATCH /v2/objects/{object}/records/{record_id}`, which appends.
//! - `received_at` has no documented equivalent and is dropped.

use std::collections::HashMap;

use crate::wire::Route;
use domain::{AssertValue, Assertion, GatewayError, ObjectSlug};
use serde_json::{Map, Value};

use super::schema::ObjectSchema;

/// Whether `err`, from an undocumented endpoint asserting `objects`, means that the
/// endpoint does not exist in this workspace (see the module documentation).
pub fn endpoint_missing(err: &GatewayError, objects: &[&ObjectSlug]) -> bool {
    let GatewayError::Status {
        status: 404,
        body: Some(body),
        ..
    } = err
    else {
        return false;
    };
    let message = body.message.as_deref().unwrap_or("");
    let about_object = message.to_ascii_lowercase().contains("object with slug/id")
        || objects.iter().any(|o| message.contains(&format!("\"{}\"", o.as_str())));
    !about_object
}

/// The values of one documented assert, and those to append afterwards.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentedValues {
    /// Sent with the assert.
    pub assert: Map<String, Value>,
    /// Multiselect values (other than the matching attribute's) to append with a PATCH.
    pub append: Map<String, Value>,
}

impl DocumentedValues {
    pub fn assert_body(&self) -> String {
        body(&self.assert)
    }

    pub fn append_body(&self) -> String {
        body(&self.append)
    }
}

fn body(values: &Map<String, Value>) -> String {
    let mut data = Map::new();
    data.insert("values".into(), Value::Object(values.clone()));
    let mut root = Map::new();
    root.insert("data".into(), Value::Object(data));
    Value::Object(root).to_string()
}

/// `PUT /v2/objects/{object}/records?matching_attribute=..`
pub fn assert_path(a: &Assertion<'_>) -> String {
    crate::wire::documented_assert_path(a)
}

/// `PATCH /v2/objects/{object}/records/{record_id}`
pub fn append_path(object: &ObjectSlug, record_id: &str) -> String {
    Route::UpdateRecord {
        object: object.as_str().to_owned(),
        record: record_id.to_owned(),
        append: true,
    }
    .path()
}

/// A reference to an existing record, in the documented write form.
pub fn record_reference(object: &str, record_id: &str) -> Value {
    let mut m = Map::new();
    m.insert("target_object".into(), Value::String(object.to_owned()));
    m.insert("target_record_id".into(), Value::String(record_id.to_owned()));
    Value::Object(m)
}

/// The single object id a record-reference attribute allows, if exactly one.
pub fn single_allowed_object_id(schema: &ObjectSchema, attribute: &str) -> Option<String> {
    let ids = schema
        .get(attribute)?
        .config
        .pointer("/record_reference/allowed_object_ids")?
        .as_array()?;
    match ids.as_slice() {
        [Value::String(id)] => Some(id.clone()),
        _ => None,
    }
}

/// Object slugs by object id, from a `GET /v2/objects` reply.
pub fn object_slugs_by_id(reply: &Value) -> HashMap<String, String> {
    reply
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| {
            let id = o.pointer("/id/object_id")?.as_str()?;
            let slug = o.get("api_slug")?.as_str()?;
            Some((id.to_owned(), slug.to_owned()))
        })
        .collect()
}

/// Converts the values of `a`. `references` holds, for each key whose value is a nested
/// assertion or the previous reply's record id, the reference already resolved.
pub fn documented_values(
    a: &Assertion<'_>,
    schema: &ObjectSchema,
    references: &HashMap<String, Value>,
) -> Result<DocumentedValues, GatewayError> {
    let mut out = DocumentedValues::default();
    for (key, value) in &a.values {
        let key = key.as_ref();
        let mut v = match value {
            AssertValue::Json(j) => serde_json::from_str::<Value>(j.as_str())
                .map_err(|e| GatewayError::Rejected(format!("value of {key:?} is not JSON: {e}")))?,
            AssertValue::Nested(_) | AssertValue::RecordIdOfPreviousReply => references
                .get(key)
                .cloned()
                .ok_or_else(|| GatewayError::Rejected(format!("the record referenced by {key:?} was not resolved")))?,
        };
        let multiselect = schema.get(key).is_some_and(|d| d.is_multiselect);
        if multiselect && !v.is_array() && !v.is_null() {
            v = Value::Array(vec![v]);
        }
        if multiselect && key != a.matching_attribute.as_str() && !v.is_null() {
            out.append.insert(key.to_owned(), v);
        } else {
            out.assert.insert(key.to_owned(), v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::error::ErrorDetail;
    use domain::{AttributeSlug, JsonText};
    use serde_json::json;

    fn not_found(message: &str) -> GatewayError {
        GatewayError::Status {
            status: 404,
            status_text: "Not Found".into(),
            body: Some(ErrorDetail {
                status_code: Some(404),
                kind: Some("invalid_request_error".into()),
                code: Some("not_found".into()),
                message: Some(message.into()),
                transient: false,
            }),
            raw_body: None,
            retry_after: None,
        }
    }

    #[test]
    fn a_missing_route_falls_back() {
        assert!(endpoint_missing(
            &not_found("Route PUT /v2/objects/people/records/simple not found"),
            &[&ObjectSlug::PEOPLE]
        ));
    }

    #[test]
    fn an_unknown_object_does_not_fall_back() {
        let objs = [&ObjectSlug::USERS];
        assert!(!endpoint_missing(
            &not_found("Object with slug/ID \"users\" not found."),
            &objs
        ));
        assert!(!endpoint_missing(&not_found("No such thing: \"users\""), &objs));
    }

    #[test]
    fn a_404_without_attios_body_or_another_status_does_not_fall_back() {
        let mut e = not_found("x");
        if let GatewayError::Status { body, raw_body, .. } = &mut e {
            *body = None;
            *raw_body = Some("<html>".into());
        }
        assert!(!endpoint_missing(&e, &[&ObjectSlug::PEOPLE]));
        let mut e = not_found("x");
        if let GatewayError::Status { status, .. } = &mut e {
            *status = 400;
        }
        assert!(!endpoint_missing(&e, &[&ObjectSlug::PEOPLE]));
    }

    #[test]
    fn multiselect_values_become_arrays_and_non_matching_ones_are_appended() {
        let schema = ObjectSchema::from_reply(
            "workspaces",
            &json!({"data":[
                {"api_slug":"workspace_id","type":"text","is_unique":true},
                {"api_slug":"users","type":"record-reference","is_multiselect":true},
                {"api_slug":"tags","type":"select","is_multiselect":true},
                {"api_slug":"company","type":"record-reference"}
            ]}),
        )
        .unwrap();
        let mut a = Assertion::new(ObjectSlug::WORKSPACES, AttributeSlug::WORKSPACE_ID);
        a.set_json("workspace_id", JsonText::string("w1"));
        a.set_json("tags", JsonText::string("vip"));
        a.set_json("users", JsonText::trusted(r#"["u1"]"#));
        a.set("company", AssertValue::RecordIdOfPreviousReply);
        let refs = HashMap::from([("company".to_owned(), record_reference("companies", "rec-1"))]);
        let v = documented_values(&a, &schema, &refs).unwrap();
        assert_eq!(
            Value::Object(v.assert.clone()),
            json!({"workspace_id":"w1","company":{"target_object":"companies","target_record_id":"rec-1"}})
        );
        assert_eq!(Value::Object(v.append.clone()), json!({"tags":["vip"],"users":["u1"]}));
        assert_eq!(
            v.assert_body(),
            r#"{"data":{"values":{"workspace_id":"w1","company":{"target_object":"companies","target_record_id":"rec-1"}}}}"#
        );
    }

    #[test]
    fn a_multiselect_matching_attribute_is_asserted_as_an_array() {
        let schema = ObjectSchema::from_reply(
            "people",
            &json!({"data":[{"api_slug":"email_addresses","type":"email-address","is_unique":true,"is_multiselect":true}]}),
        )
        .unwrap();
        let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
        a.set_json("email_addresses", JsonText::string("a@b.co"));
        let v = documented_values(&a, &schema, &HashMap::new()).unwrap();
        assert_eq!(Value::Object(v.assert), json!({"email_addresses":["a@b.co"]}));
        assert!(v.append.is_empty());
    }

    #[test]
    fn allowed_object_and_object_ids_are_read_from_attio_shapes() {
        let schema = ObjectSchema::from_reply(
            "workspaces",
            &json!({"data":[{"api_slug":"company","type":"record-reference",
                "config":{"record_reference":{"allowed_object_ids":["oid-1"]}}}]}),
        )
        .unwrap();
        assert_eq!(single_allowed_object_id(&schema, "company").as_deref(), Some("oid-1"));
        let objects = object_slugs_by_id(&json!({"data":[{"id":{"object_id":"oid-1"},"api_slug":"companies"}]}));
        assert_eq!(objects.get("oid-1").map(String::as_str), Some("companies"));
    }
}
