//! A body of 25,000 empty gzip members, sent without a key: refused at a bounded cost.

use std::io::Write;
use std::time::Duration;

use segment_attio_acceptance::service::ServiceBuilder;

use super::{cpu_time, fresh_client, KEY};

const MEMBERS: usize = 25_000;
const REQUESTS: u32 = 20;

fn empty_members(count: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(b"").expect("in memory");
    let one = encoder.finish().expect("in memory");
    one.repeat(count)
}

#[tokio::test]
async fn thousands_of_empty_gzip_members_are_refused_cheaply() {
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", KEY)
        .start()
        .await;
    let pid = service.pid().expect("running");
    let body = empty_members(MEMBERS);
    assert!(body.len() <= 500 * 1024, "{} bytes", body.len());
    let client = fresh_client();
    let send = |key: Option<&str>| {
        let mut request = client
            .post(service.url("/v1/batch"))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(body.clone());
        if let Some(key) = key {
            request = request.header("x-write-key", key);
        }
        request.send()
    };

    // A wrong key in a header is refused before the body is decoded.
    let wrong = send(Some("not-the-key")).await.expect("an answer");
    assert_eq!(wrong.status(), 401);

    let before = cpu_time(pid);
    let mut answers = Vec::new();
    for _ in 0..REQUESTS {
        let answer = send(None).await.expect("an answer");
        let status = answer.status().as_u16();
        answers.push((status, answer.json::<serde_json::Value>().await.unwrap_or_default()));
    }
    let per_request = (cpu_time(pid) - before) / REQUESTS;
    println!(
        "{MEMBERS} empty gzip members ({} bytes) without a key: {per_request:?} of service CPU per request, answered {}",
        body.len(),
        answers[0].0
    );
    for (status, body) in &answers {
        assert_eq!(*status, 400, "{body}");
        assert_eq!(body["error"]["code"], "invalid_gzip", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("gzip members"),
            "{body}"
        );
    }
    assert!(per_request < Duration::from_millis(15), "{per_request:?} per request");
}
