//! The documented-assert fallback and schema validation against a local server.

use domain::ports::AttioGateway;
use domain::{AssertValue, Assertion, AttributeSlug, GatewayError, JsonText, ObjectSlug, Retryability, Retryable};
use serde_json::{json, Value};

use super::config_for;
use super::server::{Recorded, Reply, TestServer};
use crate::http::HttpAttioGateway;

const ROUTE_MISSING: &str =
    r#"{"status_code":404,"type":"invalid_request_error","code":"not_found","message":"Route not found."}"#;

fn attributes(object: &str) -> Value {
    match object {
        "people" => json!([
            {"api_slug":"email_addresses","type":"email-address","is_unique":true,"is_multiselect":true},
            {"api_slug":"tags","type":"select","is_multiselect":true},
            {"api_slug":"job_title","type":"text"},
            {"api_slug":"age","type":"number"}
        ]),
        "users" => json!([
            {"api_slug":"user_id","type":"text","is_unique":true},
            {"api_slug":"person","type":"record-reference"}
        ]),
        "workspaces" => json!([
            {"api_slug":"workspace_id","type":"text","is_unique":true},
            {"api_slug":"company","type":"record-reference",
             "config":{"record_reference":{"allowed_object_ids":["oid-companies"]}}}
        ]),
        _ => json!([]),
    }
}

/// A workspace without the undocumented endpoints.
fn workspace(req: &Recorded, _: usize) -> Reply {
    let path = req.path_and_query.as_str();
    let segments: Vec<&str> = path.split(['/', '?']).collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("PUT", ["", "v2", "batch", "records"]) | ("PUT", ["", "v2", "objects", _, "records", "simple", ..]) => {
            Reply::json(404, ROUTE_MISSING)
        }
        ("GET", ["", "v2", "objects"]) => Reply::json(
            200,
            json!({"data":[{"id":{"object_id":"oid-companies"},"api_slug":"companies"}]}).to_string(),
        ),
        ("GET", ["", "v2", "objects", object, "attributes"]) => {
            Reply::json(200, json!({ "data": attributes(object) }).to_string())
        }
        ("PUT", ["", "v2", "objects", object, "records", ..])
        | ("PATCH", ["", "v2", "objects", object, "records", ..]) => Reply::json(
            200,
            json!({"data":{"id":{"record_id": format!("rec-{object}")}}}).to_string(),
        ),
        _ => Reply::json(500, "unexpected"),
    }
}

fn lines(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            if r.body.is_empty() {
                format!("{} {}", r.method, r.path_and_query)
            } else {
                format!("{} {} {}", r.method, r.path_and_query, r.body_text())
            }
        })
        .collect()
}

fn people(email: &str) -> Assertion<'static> {
    let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
    a.set_json("email_addresses", JsonText::string(email));
    a
}

#[tokio::test]
async fn missing_simple_endpoint_falls_back_to_the_documented_assert_then_appends() {
    let server = TestServer::start(workspace).await;
    let g = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    let mut a = people("a@b.co");
    a.set_json("tags", JsonText::string("vip"));
    a.set_json("job_title", JsonText::string("CEO"));
    let reply = g.simple_assert(&a, None).await.unwrap();
    assert_eq!(reply.record_id(), Some("rec-people"));
    assert_eq!(
        lines(&server),
        [
            r#"PUT /v2/objects/people/records/simple?matching_attribute=email_addresses&append_to_existing_values=true {"data":{"values":{"email_addresses":"a@b.co","tags":"vip","job_title":"CEO"}}}"#,
            "GET /v2/objects/people/attributes",
            r#"PUT /v2/objects/people/records?matching_attribute=email_addresses {"data":{"values":{"email_addresses":["a@b.co"],"job_title":"CEO"}}}"#,
            r#"PATCH /v2/objects/people/records/rec-people {"data":{"values":{"tags":["vip"]}}}"#,
        ]
    );
    // Once known to be missing, the simple endpoint is not tried again.
    g.clone().simple_assert(&people("c@d.co"), None).await.unwrap();
    let all = lines(&server);
    assert_eq!(
        all[4..],
        [
            r#"PUT /v2/objects/people/records?matching_attribute=email_addresses {"data":{"values":{"email_addresses":["c@d.co"]}}}"#
        ]
    );
    assert_eq!(g.stats().documented_fallbacks, 2);
}

#[tokio::test]
async fn previous_record_id_becomes_a_reference_to_the_single_allowed_object() {
    let server = TestServer::start(workspace).await;
    let g = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    let mut a = Assertion::new(ObjectSlug::WORKSPACES, AttributeSlug::WORKSPACE_ID);
    a.set_json("workspace_id", JsonText::string("w1"));
    a.set("company", AssertValue::RecordIdOfPreviousReply);
    g.simple_assert(&a, Some("rec-acme")).await.unwrap();
    let last = lines(&server).pop().unwrap();
    assert_eq!(
        last,
        r#"PUT /v2/objects/workspaces/records?matching_attribute=workspace_id {"data":{"values":{"workspace_id":"w1","company":{"target_object":"companies","target_record_id":"rec-acme"}}}}"#
    );
}

#[tokio::test]
async fn unknown_object_stays_a_permanent_404_without_fallback() {
    let server = TestServer::start(|_, _| {
        Reply::json(
            404,
            r#"{"status_code":404,"type":"invalid_request_error","code":"not_found","message":"Object with slug/ID \"users\" not found."}"#,
        )
    })
    .await;
    let g = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    let mut a = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
    a.set_json("user_id", JsonText::string("u1"));
    let err = g.simple_assert(&a, None).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.retryability(), Retryability::Permanent);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn missing_batch_endpoint_asserts_nested_records_first() {
    let server = TestServer::start(workspace).await;
    let g = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    let mut user = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
    user.set_json("user_id", JsonText::string("u1"));
    user.set("person", AssertValue::Nested(Box::new(people("a@b.co"))));
    user.received_at = Some("2024-05-24T10:00:00.000Z".into());
    assert_eq!(g.batch_assert(&[user]).await.unwrap(), 200);
    let writes: Vec<String> = lines(&server).into_iter().filter(|l| !l.starts_with("GET")).collect();
    assert!(writes[0].starts_with("PUT /v2/batch/records "), "{writes:?}");
    assert_eq!(
        writes[1..],
        [
            r#"PUT /v2/objects/people/records?matching_attribute=email_addresses {"data":{"values":{"email_addresses":["a@b.co"]}}}"#,
            r#"PUT /v2/objects/users/records?matching_attribute=user_id {"data":{"values":{"user_id":"u1","person":{"target_object":"people","target_record_id":"rec-people"}}}}"#,
        ]
    );
}

#[tokio::test]
async fn schema_check_refuses_each_invalid_assertion_and_fetches_attributes_once() {
    let server = TestServer::start(workspace).await;
    let mut config = config_for(&server.url());
    config.validate_schema = true;
    let g = HttpAttioGateway::new(config).unwrap();

    let mut unknown = people("a@b.co");
    unknown.set_json("shoe_size", JsonText::trusted("44"));
    let err = g.validate(&[unknown]).await.unwrap_err();
    assert_eq!(err.retryability(), Retryability::Permanent);
    let GatewayError::Rejected(m) = &err else {
        panic!("{err:?}")
    };
    assert!(m.contains("\"people\"") && m.contains("\"shoe_size\""), "{m}");

    let mut wrong = people("a@b.co");
    wrong.set_json("age", JsonText::string("forty"));
    let ok = people("b@c.co");
    let results = g.check_assertions(&[ok, wrong]).await;
    assert_eq!(results[0], Ok(()));
    let err = results[1].clone().unwrap_err();
    let GatewayError::Rejected(m) = &err else {
        panic!("{err:?}")
    };
    assert!(m.contains("\"age\" (number)") && m.contains("\"forty\""), "{m}");

    assert_eq!(lines(&server), ["GET /v2/objects/people/attributes"]);
}

#[tokio::test]
async fn an_attribute_deleted_in_attio_is_noticed_after_attio_refuses_a_write() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let reads = Arc::new(AtomicUsize::new(0));
    let counter = reads.clone();
    let server = TestServer::start(move |req, _| {
        let path = req.path_and_query.as_str();
        if req.method == "GET" && path == "/v2/objects/people/attributes" {
            // job_title exists at the first read and is deleted afterwards.
            let attrs = if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                attributes("people")
            } else {
                json!([{"api_slug":"email_addresses","type":"email-address","is_unique":true,"is_multiselect":true}])
            };
            return Reply::json(200, json!({ "data": attrs }).to_string());
        }
        Reply::json(
            400,
            r#"{"status_code":400,"type":"invalid_request_error","code":"value_not_found","message":"Cannot find attribute with slug/ID \"job_title\"."}"#,
        )
    })
    .await;
    let mut config = config_for(&server.url());
    config.validate_schema = true;
    let g = HttpAttioGateway::new(config).unwrap();
    let mut a = people("a@b.co");
    a.set_json("job_title", JsonText::string("CTO"));
    assert_eq!(g.validate(std::slice::from_ref(&a)).await, Ok(()));
    assert!(g.simple_assert(&a, None).await.is_err());
    let err = g.validate(std::slice::from_ref(&a)).await.unwrap_err();
    assert!(err.to_string().contains("\"job_title\" does not exist"), "{err}");
    assert_eq!(reads.load(Ordering::SeqCst), 2);
}
