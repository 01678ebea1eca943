//! Secrets never appear in logs: the Attio token and the write keys are absent from the
//! service's output (JSON logs at debug level), from `/metrics`, and from the CLI output,
//! even when Attio refuses the token and clients present wrong keys.

use std::time::Duration;

use segment_attio_acceptance::service::{http_client, identify, ServiceBuilder, SimulatorProcess};
use serde_json::json;

const TOKEN: &str = "attio-token-QX7Z9-very-secret";
const KEY_A: &str = "wk-A-3f9c1e-secret";
const KEY_B: &str = "wk-B-77d0aa-secret";

fn assert_clean(what: &str, text: &str) {
    for secret in [TOKEN, KEY_A, KEY_B] {
        assert!(!text.contains(secret), "{what} contains a secret ({secret}):\n{text}");
    }
    // Nor their distinctive parts (a truncated or reformatted echo).
    for part in ["QX7Z9", "3f9c1e", "77d0aa"] {
        assert!(!text.contains(part), "{what} contains part of a secret ({part})");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_and_write_keys_never_appear_in_output_metrics_or_cli() {
    // The simulator accepts another token only: every Attio call is refused.
    let sim = SimulatorProcess::start_with(&["--token", "only-this-one", "--write-rate", "0"]).await;
    let mut service = ServiceBuilder::new()
        .attio(&sim)
        .token(TOKEN)
        .unthrottled()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", &format!("{KEY_A},{KEY_B}"))
        .env("SEGMENT_ATTIO__LOG__LEVEL", "debug")
        .start()
        .await;
    let url = service.base_url.clone();
    let http = http_client();
    let event = |u: &str| identify(u, &format!("{u}@example.com"));

    // Accepted with each key, in every place a key can be presented.
    let r = http
        .post(format!("{url}/v1/batch"))
        .basic_auth(KEY_A, Some(""))
        .json(&json!({"batch": [event("s1")]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 200);
    let r = http
        .post(format!("{url}/v1/identify"))
        .header("x-write-key", KEY_B)
        .json(&event("s2"))
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 200);
    let mut in_body = event("s3");
    in_body["writeKey"] = json!(KEY_A);
    let r = http
        .post(format!("{url}/v1/identify"))
        .json(&in_body)
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 200);
    // An event the mapping refuses (its email is not one), sent with the key in its body:
    // it becomes a dead letter, which must not carry the key either.
    let mut refused = identify("s-dead", "not-an-email");
    refused["writeKey"] = json!(KEY_B);
    let r = http
        .post(format!("{url}/v1/identify"))
        .json(&refused)
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 200);
    // The payload is the event as JSON (an object) in `dead-letters list --json`.
    let is_refused = |l: &serde_json::Value| l["payload"].to_string().contains("s-dead");
    let mut letters = Vec::new();
    for _ in 0..100 {
        letters = service.dead_letters();
        if letters.iter().any(is_refused) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        letters.iter().any(is_refused),
        "the refused event is dead-lettered: {letters:?}"
    );
    // Refused: wrong keys (one that differs from a real key by a character), bad requests.
    for wrong in [format!("{KEY_A}x"), "wk-nope".to_owned()] {
        let r = http
            .post(format!("{url}/v1/batch"))
            .basic_auth(&wrong, Some(""))
            .json(&json!({"batch": [event("s4")]}))
            .send()
            .await
            .expect("answers");
        assert_eq!(r.status().as_u16(), 401);
        assert_clean("an error answer", &r.text().await.unwrap_or_default());
    }
    let r = http
        .post(format!("{url}/v1/batch"))
        .basic_auth(KEY_B, Some(""))
        .body("{not json")
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 400);
    // The analytics.js settings document echoes the key the caller put in its URL (as
    // Segment's does); a key that is not configured gets nothing, and no real key.
    let r = http
        .get(format!("{url}/v1/projects/{KEY_A}0/settings"))
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 404);
    assert_clean(
        "the settings answer for an unknown key",
        &r.text().await.unwrap_or_default(),
    );

    // Attio refuses the token: readiness and the logs say so, without the token.
    let mut ready = (0, json!(null));
    for _ in 0..100 {
        ready = service.get_json("/readyz").await;
        if ready.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ready.0, 503, "{}", ready.1);
    assert_clean("/readyz", &ready.1.to_string());
    let metrics = http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .unwrap_or_default();
    assert!(metrics.contains("segment_attio"), "metrics are served");
    assert_clean("/metrics", &metrics);
    assert!(service.terminate(Duration::from_secs(15)).is_some());

    let output = service.logs();
    assert!(
        output.contains("401") && output.contains("\"level\":\"DEBUG\""),
        "the log should show the refusal at debug level:\n{output}"
    );
    assert_clean("the service output", &output);

    // The CLI, with the service's token, write keys and spool: check-config, check-auth
    // (refused), dead-letters.
    for args in [
        &["check-config"][..],
        &["check-auth"][..],
        &["check-auth", "--json"][..],
        &["dead-letters", "list", "--json"][..],
    ] {
        let out = service.cli(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("segment-attio {}: {}", args.join(" "), text.trim());
        assert_clean(&format!("segment-attio {}", args.join(" ")), &text);
    }
    // The dead-letter listing above had something to show: the refused event, with its
    // payload and reason.
    let letters = service.dead_letters();
    let letter = letters
        .iter()
        .find(|l| is_refused(l))
        .expect("the refused event's dead letter");
    let reason = letter["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("email_address"), "{letters:?}");

    // Configuration errors about the secrets' own keys do not echo them.
    let bad_configs = [
        format!("[ingest]\nwrite_keys = \"{KEY_A}\"\n"),
        format!("[attio]\ntoken = [\"{TOKEN}\"]\n"),
        format!("[attio]\ntoken = {{ value = \"{TOKEN}\" }}\n"),
        format!("[ingest]\nwebhook_secret = [\"{KEY_B}\"]\n"),
    ];
    let bin = segment_attio_acceptance::binary::path();
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, text) in bad_configs.iter().enumerate() {
        let path = dir.path().join(format!("bad-{i}.toml"));
        std::fs::write(&path, text).expect("config written");
        let out = std::process::Command::new(&bin)
            .arg("--config")
            .arg(&path)
            .arg("check-config")
            .output()
            .expect("cli runs");
        assert!(!out.status.success(), "config {i} should be refused");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("check-config of bad config {i}: {}", text.trim());
        assert_clean(&format!("check-config of bad config {i}"), &text);
    }
    // A token that cannot be sent in a header is refused without being shown.
    let out = std::process::Command::new(&bin)
        .arg("check-auth")
        .env("SEGMENT_ATTIO__ATTIO__TOKEN", format!("{TOKEN}\n"))
        .env("SEGMENT_ATTIO__ATTIO__BASE_URL", &sim.base_url)
        .output()
        .expect("cli runs");
    assert!(!out.status.success());
    assert_clean(
        "check-auth with a malformed token",
        &String::from_utf8_lossy(&out.stderr),
    );
}
