//! The gateway against a real local HTTP server: headers, URLs, bodies, replies, timeouts.

use std::io::Write as _;
use std::time::Duration;

use bytes::Bytes;
use domain::ports::AttioGateway;
use domain::{AssertValue, Assertion, AttributeSlug, GatewayError, JsonText, ObjectSlug, Retryability, Retryable};
use flate2::write::GzEncoder;
use secrecy::SecretString;
use serde_json::json;

use super::config_for;
use super::server::{Reply, TestServer};
use crate::http::{HttpAttioGateway, USER_AGENT_VALUE};

fn people(email: &str) -> Assertion<'static> {
    let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
    a.set_json("email_addresses", JsonText::string(email));
    a
}

const RECORD: &str = r#"{"data":{"id":{"workspace_id":"w","object_id":"o","record_id":"rec-1"},"values":{}}}"#;

#[tokio::test]
async fn simple_assert_sends_bearer_user_agent_json_and_the_exact_body() {
    let server = TestServer::start(|_, _| Reply::json(200, RECORD)).await;
    let mut config = config_for(&server.url());
    config.token = SecretString::from("attio_pat_abc123");
    let g = HttpAttioGateway::new(config).unwrap();
    let mut a = people("a@b.co");
    a.set_json("name", JsonText::string("Bloggs, Joe \"Jr\""));
    let reply = g.simple_assert(&a, None).await.unwrap();
    assert_eq!(reply.record_id(), Some("rec-1"));
    assert_eq!(reply.status, 200);

    let [req] = server.requests().try_into().unwrap();
    assert_eq!(req.method, "PUT");
    assert_eq!(
        req.path_and_query,
        "/v2/objects/people/records/simple?matching_attribute=email_addresses&append_to_existing_values=true"
    );
    assert_eq!(req.header("authorization"), Some("Bearer attio_pat_abc123"));
    assert_eq!(req.header("user-agent"), Some(USER_AGENT_VALUE));
    assert!(USER_AGENT_VALUE.starts_with("segment-attio/"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert!(req.header("accept-encoding").unwrap_or("").contains("gzip"));
    assert_eq!(
        req.body_text(),
        r#"{"data":{"values":{"email_addresses":"a@b.co","name":"Bloggs, Joe \"Jr\""}}}"#
    );
}

#[tokio::test]
async fn object_and_matching_attribute_are_percent_encoded() {
    let server = TestServer::start(|_, _| Reply::json(200, RECORD)).await;
    let g = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    let a = Assertion::new(
        ObjectSlug::parse("my obj/x").unwrap(),
        AttributeSlug::parse("a&b=c#d").unwrap(),
    );
    g.simple_assert(&a, None).await.unwrap();
    let req = &server.requests()[0];
    assert_eq!(
        req.path_and_query,
        "/v2/objects/my%20obj%2Fx/records/simple?matching_attribute=a%26b%3Dc%23d&append_to_existing_values=true"
    );
}

#[tokio::test]
async fn previous_record_id_is_written_into_the_body() {
    let server = TestServer::start(|_, _| Reply::json(200, RECORD)).await;
    let g = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    let mut a = Assertion::new(ObjectSlug::WORKSPACES, AttributeSlug::WORKSPACE_ID);
    a.set_json("workspace_id", JsonText::string("w1"));
    a.set("company", AssertValue::RecordIdOfPreviousReply);
    g.simple_assert(&a, Some("rec-9")).await.unwrap();
    assert_eq!(
        server.requests()[0].body_text(),
        r#"{"data":{"values":{"workspace_id":"w1","company":"rec-9"}}}"#
    );
}

#[tokio::test]
async fn batch_assert_puts_the_assertions_and_returns_202() {
    let server = TestServer::start(|_, _| Reply::json(202, "")).await;
    let g = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    let mut a = people("a@b.co");
    a.received_at = Some("2024-05-24T10:00:00.000Z".into());
    assert_eq!(g.batch_assert(&[a]).await.unwrap(), 202);
    let [req] = server.requests().try_into().unwrap();
    assert_eq!(
        (req.method.as_str(), req.path_and_query.as_str()),
        ("PUT", "/v2/batch/records")
    );
    assert_eq!(
        req.body_text(),
        r#"{"assertions":[{"object":"people","mode":"create-or-update","matching_attribute":"email_addresses","multiselect_values":"append","values":{"email_addresses":"a@b.co"},"received_at":"2024-05-24T10:00:00.000Z"}]}"#
    );
}

#[tokio::test]
async fn reads_send_no_content_type_and_gzip_replies_are_decoded() {
    let objects = json!({"data":[{"id":{"object_id":"o1"},"api_slug":"people","singular_noun":"Person","plural_noun":"People","created_at":"x"}]});
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(objects.to_string().as_bytes()).unwrap();
    let compressed = Bytes::from(gz.finish().unwrap());
    let server = TestServer::start(move |_, _| {
        let mut r = Reply::json(200, "").header("content-encoding", "gzip");
        r.body = compressed.clone();
        r
    })
    .await;
    let g = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    let list = g.list_objects().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].api_slug.as_deref(), Some("people"));
    assert_eq!(list[0].singular_noun.as_deref(), Some("Person"));
    let req = &server.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.path_and_query.as_str()),
        ("GET", "/v2/objects")
    );
    assert_eq!(req.header("content-type"), None);
    assert!(req.body.is_empty());
}

#[tokio::test]
async fn check_credentials_accepts_any_2xx_from_v1_token() {
    let server = TestServer::start(|_, i| {
        if i == 0 {
            Reply::json(204, "")
        } else {
            Reply::json(
                401,
                r#"{"status_code":401,"type":"auth_error","code":"unauthorized","message":"no"}"#,
            )
        }
    })
    .await;
    let g = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    g.check_credentials().await.unwrap();
    let err = g.check_credentials().await.unwrap_err();
    assert_eq!(err.retryability(), Retryability::Authentication);
    assert_eq!(err.to_string(), "Attio answered 401 Unauthorized (unauthorized): no");
    assert_eq!(server.requests()[0].path_and_query, "/v1/token");
}

#[tokio::test]
async fn whoami_reads_the_workspace_from_v2_self() {
    let server = TestServer::start(|_, _| {
        Reply::json(200, r#"{"active":true,"workspace_id":"w-1","workspace_name":"Bluth Co","workspace_slug":"bluth","scope":"record_permission:read-write","extra":1}"#)
    })
    .await;
    let g = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    let me = g.whoami().await.unwrap();
    assert!(me.active);
    assert_eq!(me.workspace_name.as_deref(), Some("Bluth Co"));
    assert_eq!(me.workspace_id.as_deref(), Some("w-1"));
    assert_eq!(server.requests()[0].path_and_query, "/v2/self");
}

#[tokio::test]
async fn a_slow_reply_is_a_timeout() {
    let server = TestServer::start(|_, _| {
        let mut r = Reply::json(200, RECORD);
        r.delay = Duration::from_secs(3);
        r
    })
    .await;
    let mut config = config_for(&server.url());
    config.timeout = Duration::from_millis(200);
    let g = HttpAttioGateway::new(config).unwrap();
    let started = std::time::Instant::now();
    let err = g.simple_assert(&people("a@b.co"), None).await.unwrap_err();
    assert_eq!(
        err,
        GatewayError::Timeout {
            after: Duration::from_millis(200)
        }
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_closed_port_is_a_connection_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let g = HttpAttioGateway::new(config_for(&format!("http://127.0.0.1:{port}"))).unwrap();
    let err = g.check_credentials().await.unwrap_err();
    assert!(matches!(err, GatewayError::Connection(_)), "{err:?}");
    assert!(err.retryability().is_retryable());
}
