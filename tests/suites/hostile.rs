//! Hostile input: each malformed request class gets a 4xx JSON error naming the problem,
//! and the service keeps serving (and delivering) afterwards.

use std::io::Write;
use std::time::Duration;

use segment_attio_acceptance::service::{http_client, identify, user_value, Service, ServiceBuilder};
use serde_json::{json, Value};

const KEY: &str = "hostile-suite-key";

struct Case {
    name: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    gzip_header: bool,
    key: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    /// Words the message (or field) must contain.
    mentions: &'static [&'static str],
}

fn case(name: &'static str, body: impl Into<Vec<u8>>, status: u16, code: &'static str) -> Case {
    Case {
        name,
        path: "/v1/batch",
        content_type: Some("application/json"),
        gzip_header: false,
        key: Some(KEY),
        body: body.into(),
        status,
        code,
        mentions: &[],
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}

fn cases() -> Vec<Case> {
    let deep = format!(
        r#"{{"batch":[{{"type":"identify","userId":"deep","traits":{{"x":{}1{}}}}}]}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let mut oversize = br#"{"batch":[{"type":"identify","userId":"big","traits":{"pad":""#.to_vec();
    oversize.extend(std::iter::repeat_n(b'a', 600 * 1024));
    oversize.extend(br#""}}]}"#);
    let mut invalid_utf8 = br#"{"batch":[{"type":"identify","userId":"u"#.to_vec();
    invalid_utf8.extend([0xff, 0xfe, 0xc3]);
    invalid_utf8.extend(br#""}]}"#);
    vec![
        Case {
            mentions: &["JSON"],
            ..case("bad JSON", r#"{"batch": [{"type": "identify",,}"#, 400, "invalid_json")
        },
        Case {
            content_type: Some("application/xml"),
            mentions: &["application/xml"],
            ..case("wrong content type", "<batch/>", 415, "unsupported_media_type")
        },
        Case {
            mentions: &["larger than"],
            ..case("oversize body", oversize, 413, "payload_too_large")
        },
        Case {
            mentions: &["JSON"],
            ..case("10,000-deep nesting", deep, 400, "invalid_json")
        },
        Case {
            mentions: &["batch[0]", "userId"],
            ..case(
                "missing ids",
                r#"{"batch":[{"type":"identify","traits":{"email":"a@example.com"}}]}"#,
                400,
                "missing_identity",
            )
        },
        Case {
            gzip_header: true,
            mentions: &["gzip"],
            ..case("bad gzip", "this is not gzip", 400, "invalid_gzip")
        },
        Case {
            gzip_header: true,
            mentions: &["larger than"],
            ..case(
                "gzip bomb",
                gzip(&vec![b' '; 8 * 1024 * 1024]),
                413,
                "payload_too_large",
            )
        },
        Case {
            key: Some("not-the-key"),
            mentions: &["write key"],
            ..case("wrong key", r#"{"batch":[]}"#, 401, "invalid_write_key")
        },
        Case {
            key: None,
            mentions: &["write key"],
            ..case("no key", r#"{"batch":[]}"#, 401, "missing_write_key")
        },
        Case {
            mentions: &["JSON"],
            ..case("invalid UTF-8", invalid_utf8, 400, "invalid_json")
        },
        Case {
            mentions: &["JSON"],
            ..case(
                "huge number",
                r#"{"batch":[{"type":"identify","userId":"n","traits":{"n":1e400}}]}"#,
                400,
                "invalid_json",
            )
        },
        Case {
            path: "/v1/identify",
            mentions: &["JSON object"],
            ..case("body not an object", "[1,2,3]", 400, "body_not_object")
        },
        Case {
            mentions: &["batch"],
            ..case(
                "batch not an array",
                r#"{"batch":{"type":"identify"}}"#,
                400,
                "batch_not_array",
            )
        },
    ]
}

async fn send(url: &str, c: &Case) -> (u16, Value) {
    let mut req = http_client().post(format!("{url}{}", c.path)).body(c.body.clone());
    if let Some(ct) = c.content_type {
        req = req.header("content-type", ct);
    }
    if c.gzip_header {
        req = req.header("content-encoding", "gzip");
    }
    if let Some(k) = c.key {
        req = req.basic_auth(k, Some(""));
    }
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(e) => panic!("{}: no answer: {e}", c.name),
    }
}

async fn still_serves(service: &Service, n: usize) {
    let health = http_client().get(service.url("/healthz")).send().await;
    assert!(
        health.is_ok_and(|r| r.status().is_success()),
        "the service stopped serving:\n{}",
        service.logs()
    );
    let r = http_client()
        .post(service.url("/v1/batch"))
        .basic_auth(KEY, Some(""))
        .json(&json!({"batch": [identify(&format!("after-{n}"), &format!("after-{n}@example.com"))]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 200, "a valid event after a hostile one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_malformed_request_gets_a_named_4xx_and_the_service_keeps_serving() {
    // No Attio token: the service delivers to its built-in simulator.
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", KEY)
        .start()
        .await;
    let url = service.base_url.clone();

    let all = cases();
    for (n, c) in all.iter().enumerate() {
        let (status, body) = send(&url, c).await;
        println!("{:<22} -> {status} {body}", c.name);
        assert_eq!(status, c.status, "{}: {body}", c.name);
        let error = &body["error"];
        assert_eq!(error["code"], json!(c.code), "{}: {body}", c.name);
        let text = format!("{} {}", error["message"], error["field"]);
        for word in c.mentions {
            assert!(
                text.contains(word),
                "{}: the error should mention {word:?}: {body}",
                c.name
            );
        }
        still_serves(&service, n).await;
    }

    // Nothing hostile was stored; every valid event sent in between is delivered.
    service.wait_until_drained(Duration::from_secs(30)).await;
    let users = service.records("users").await.expect("built-in simulator users");
    let mut ids: Vec<String> = users.iter().filter_map(|u| user_value(u, "user_id")).collect();
    ids.sort();
    let mut want: Vec<String> = (0..all.len()).map(|n| format!("after-{n}")).collect();
    want.sort();
    assert_eq!(ids, want);
    let (_, dead) = service.spool_counts().await;
    assert_eq!(dead, 0);
}
