//! What a client or a proxy in front can claim: forwarded headers, keyless mode behind a
//! proxy, listening beyond loopback without keys, and the simulator's records.

use std::process::Stdio;
use std::time::{Duration, Instant};

use segment_attio_acceptance::service::ServiceBuilder;
use serde_json::{json, Value};

use super::{fresh_client, KEY};

async fn settings(service: &segment_attio_acceptance::service::Service) -> (Value, String, String) {
    let answer = fresh_client()
        .get(service.url(&format!("/v1/projects/{KEY}/settings")))
        .header("x-forwarded-host", "attacker.example")
        .header("x-forwarded-proto", "https")
        .header("origin", "https://shop.example")
        .send()
        .await
        .expect("settings");
    assert_eq!(answer.status(), 200);
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (vary, cache) = (header("vary"), header("cache-control"));
    let body: Value = answer.json().await.expect("JSON");
    (body["integrations"]["Segment.io"].clone(), vary, cache)
}

#[tokio::test]
async fn the_settings_answer_ignores_forwarded_headers_unless_trusted_and_varies_on_what_it_uses() {
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", KEY)
        .start()
        .await;
    let (io, vary, cache) = settings(&service).await;
    println!(
        "untrusted: apiHost {} protocol {}, Vary: {vary}, Cache-Control: {cache}",
        io["apiHost"], io["protocol"]
    );
    assert_eq!(io["apiHost"], format!("{}/v1", service.addr));
    assert_eq!(io["protocol"], "http");
    let varies: Vec<&str> = vary.split(',').map(str::trim).collect();
    assert!(varies.contains(&"Origin") && varies.contains(&"Host"), "{vary}");

    let trusted = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", KEY)
        .env("SEGMENT_ATTIO__SERVER__TRUST_FORWARDED_HEADERS", "true")
        .start()
        .await;
    let (io, vary, _) = settings(&trusted).await;
    assert_eq!(io["apiHost"], "attacker.example/v1");
    assert_eq!(io["protocol"], "https");
    let varies: Vec<&str> = vary.split(',').map(str::trim).collect();
    for name in ["Origin", "Host", "X-Forwarded-Host", "X-Forwarded-Proto"] {
        assert!(varies.contains(&name), "{name} in {vary}");
    }

    let public = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", KEY)
        .env("SEGMENT_ATTIO__INGEST__PUBLIC_URL", "https://collect.example.com")
        .start()
        .await;
    let (io, vary, _) = settings(&public).await;
    assert_eq!(io["apiHost"], "collect.example.com/v1");
    assert_eq!(vary, "Origin");
}

#[tokio::test]
async fn keyless_mode_refuses_requests_relayed_by_a_proxy() {
    let service = ServiceBuilder::new().start().await;
    let client = fresh_client();
    let event = json!({"userId": "keyless-1", "event": "Tried"});
    for (name, value) in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
    ] {
        let answer = client
            .post(service.url("/v1/track"))
            .header(name, value)
            .json(&event)
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status(), 403, "{name}");
        let body: Value = answer.json().await.expect("JSON");
        assert_eq!(body["error"]["code"], "forwarded_without_keys", "{name}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("write keys"),
            "{body}"
        );
    }
    let direct = client
        .post(service.url("/v1/track"))
        .json(&event)
        .send()
        .await
        .expect("an answer");
    assert_eq!(direct.status(), 200, "a direct loopback client is still served");
}

#[tokio::test]
async fn serve_on_a_non_loopback_address_without_write_keys_refuses_to_start() {
    let mut builder = ServiceBuilder::new();
    let mut child = builder
        .command(&["serve", "--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let output = child.wait_with_output().expect("output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let status = status.unwrap_or_else(|| panic!("serve started on 0.0.0.0 without write keys:\n{text}"));
    assert!(!status.success(), "{text}");
    assert!(text.contains("write_keys") && text.contains("0.0.0.0"), "{text}");
}

#[tokio::test]
async fn the_simulator_records_need_a_write_key_or_the_admin_token_when_keys_are_configured() {
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", KEY)
        .env("SEGMENT_ATTIO__SERVER__ADMIN_TOKEN", "hardening-admin-token")
        .start()
        .await;
    let sent = service
        .post_with_key(
            "/v1/identify",
            KEY,
            &json!({"userId": "u-records", "traits": {"email": "private@example.com"}}),
        )
        .await;
    assert_eq!(sent.status(), 200);
    service
        .wait_for_records("people", Duration::from_secs(15), |r| !r.is_empty())
        .await;

    let client = fresh_client();
    let url = service.url("/_simulator/records/people");
    let anonymous = client.get(&url).send().await.expect("an answer");
    assert_eq!(anonymous.status(), 401);
    let text = anonymous.text().await.unwrap_or_default();
    assert!(!text.contains("private@example.com"), "{text}");
    let wrong = client
        .get(&url)
        .bearer_auth("not-the-token")
        .send()
        .await
        .expect("an answer");
    assert_eq!(wrong.status(), 401);

    let with_key = client
        .get(&url)
        .header("x-write-key", KEY)
        .send()
        .await
        .expect("an answer");
    assert_eq!(with_key.status(), 200);
    assert!(with_key
        .text()
        .await
        .unwrap_or_default()
        .contains("private@example.com"));
    let with_token = client
        .get(&url)
        .bearer_auth("hardening-admin-token")
        .send()
        .await
        .expect("an answer");
    assert_eq!(with_token.status(), 200);
}

#[tokio::test]
async fn without_keys_the_simulator_records_answer_direct_loopback_clients_only() {
    let service = ServiceBuilder::new().start().await;
    let client = fresh_client();
    let url = service.url("/_simulator/records/people");
    let direct = client.get(&url).send().await.expect("an answer");
    assert_eq!(direct.status(), 200);
    let relayed = client
        .get(&url)
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("an answer");
    assert_eq!(relayed.status(), 403);
}
