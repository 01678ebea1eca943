//! End to end: dead letters and replay, import, check-config, test-event, restarts on a
//! non-empty spool and the operational endpoints, with real processes and a real SQLite
//! spool.

use std::time::Duration;

use segment_attio_acceptance::service::{
    eventually, find_records, first_value, free_port, DataDir, ServiceBuilder, SimulatorProcess,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(15);

fn identify_config(email_path: &str) -> String {
    format!(
        r#"
[[subscriptions]]
name = "Identify"
action = "identifyUser"
subscribe = 'type = "identify"'
use_default_mapping = true
[subscriptions.mapping]
email_address = {{ "@path" = "{email_path}" }}
"#
    )
}

fn user_ids(users: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = users
        .iter()
        .filter_map(|u| first_value(u, "user_id")?.get("value")?.as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_rejected_event_is_dead_lettered_and_replayed_after_the_mapping_is_fixed() {
    let mut service = ServiceBuilder::new()
        .config(&identify_config("$.traits.email"))
        .start()
        .await;
    let event = json!({"userId": "r1", "traits": {"email": "not-an-email", "work_email": "r1@example.com"}});
    assert_eq!(service.post("/v1/identify", &event).await.status(), 200);
    eventually("the dead letter", WAIT, || async {
        let stats = service.spool_stats().await;
        if stats["dead_letters"] == 1 {
            Ok(())
        } else {
            Err(stats.to_string())
        }
    })
    .await;

    let letters = service.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter["subscription"], "Identify");
    let reason = letter["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("email_address"), "{reason}");
    assert_eq!(letter["attempts"], 0);
    assert_eq!(letter["payload"]["userId"], "r1", "the payload is JSON");
    assert_eq!(letter["user_id"], "r1");
    assert!(service.records("users").await.expect("users").is_empty());

    // The mapping is fixed (the address is in work_email): restart with the new
    // configuration on the same spool and replay.
    assert!(
        service.terminate(Duration::from_secs(10)).is_some(),
        "the service stops on SIGTERM"
    );
    let fixed = service.builder().config(&identify_config("$.traits.work_email"));
    let service = fixed.start().await;
    let out = service.cli(&["dead-letters", "replay", "--all"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains('1'), "{out:?}");

    let users = service.wait_for_records("users", WAIT, |r| r.len() == 1).await;
    assert_eq!(user_ids(&users), vec!["r1"]);
    let people = service.records("people").await.expect("people");
    assert_eq!(
        find_records(&people, "email_addresses", "email_address", "r1@example.com").len(),
        1
    );
    assert!(service.dead_letters().is_empty());
}

#[tokio::test]
async fn import_backfills_a_jsonl_file_through_the_pipeline() {
    let dir = DataDir::temp();
    let file = dir.path().join("export.jsonl");
    let lines = [
        json!({"type": "identify", "userId": "i1", "traits": {"email": "i1@example.com"}, "receivedAt": "2024-05-24T10:00:00.000Z"}).to_string(),
        String::new(),
        json!({"type": "identify", "userId": "i2", "traits": {"email": "i2@example.com"}}).to_string(),
        "{broken".to_owned(),
        // No userId: a group naming a user whose identify is delivered concurrently may
        // reach Attio first (the subscriptions are not ordered with each other).
        json!({"type": "group", "anonymousId": "a1", "groupId": "g-imp", "traits": {"website": "imp.io"}}).to_string(),
    ];
    std::fs::write(&file, lines.join("\n")).expect("write the export");

    let mut builder = ServiceBuilder::new().data_dir(&dir);
    let out = builder.cli(&["import", file.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an invalid line makes the exit code 2: {stdout}"
    );
    assert!(stdout.contains("3 event(s) imported"), "{stdout}");
    assert!(stdout.contains("line 4"), "the invalid line is named: {stdout}");

    let service = builder.start().await;
    let users = service.wait_for_records("users", WAIT, |r| r.len() == 2).await;
    assert_eq!(user_ids(&users), vec!["i1", "i2"]);
    service.wait_for_records("workspaces", WAIT, |r| r.len() == 1).await;
    service.wait_until_drained(WAIT).await;
}

#[test]
fn check_config_names_the_file_subscription_and_field() {
    let bad = r#"
[[subscriptions]]
name = "Orders"
action = "assertRecord"
subscribe = 'type = "track"'
[subscriptions.mapping]
matching_attribute = "domains"
"#;
    let mut builder = ServiceBuilder::new().config(bad);
    let out = builder.cli(&["check-config"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("config.toml"), "{stderr}");
    assert!(stderr.contains("subscriptions[0]"), "{stderr}");
    assert!(stderr.contains("Orders"), "{stderr}");
    assert!(stderr.contains("mapping.object"), "{stderr}");

    let mut good = ServiceBuilder::new().config(&identify_config("$.traits.email"));
    let out = good.cli(&["check-config"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Identify"));
}

#[test]
fn test_event_prints_the_requests_without_sending_them() {
    let mut builder = ServiceBuilder::new();
    let event = json!({"type": "identify", "userId": "t1", "traits": {"email": "t1@example.com"}}).to_string();
    let out = builder.cli(&["test-event", &event]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("PUT"), "{stdout}");
    assert!(stdout.contains("/v2/objects/people/records/simple"), "{stdout}");
    assert!(stdout.contains("/v2/objects/users/records/simple"), "{stdout}");
    assert!(stdout.contains("t1@example.com"), "{stdout}");

    let bad = json!({"type": "identify", "userId": "t2", "traits": {"email": "nope"}}).to_string();
    let out = builder.cli(&["test-event", &bad]);
    assert_eq!(out.status.code(), Some(2), "a rejected event exits with 2");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("email_address"), "{all}");
}

/// Runs a command to completion and returns its output and its peak resident memory
/// (`VmHWM`, read while it runs), in bytes.
fn peak_memory(mut cmd: std::process::Command) -> (std::process::ExitStatus, u64) {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
            {
                peak = peak.max(kib * 1024);
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return (status, peak);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn test_event_streams_a_large_file_in_bounded_memory_and_cuts_batches_at_the_batch_size() {
    let dir = DataDir::temp();
    let file = dir.path().join("events.jsonl");
    let mut text = String::new();
    for n in 0..100_000 {
        text.push_str(
            &json!({"type": "identify", "userId": format!("user-{n}"), "messageId": format!("m-{n}"),
                    "traits": {"email": format!("user-{n}@example.com"), "name": "A Name", "plan": "pro"}})
            .to_string(),
        );
        text.push('\n');
    }
    std::fs::write(&file, &text).expect("write");
    let mut builder = ServiceBuilder::new();
    let file_arg = file.display().to_string();
    let args = [
        "test-event",
        "--action",
        "identifyUser",
        "--batch",
        "--mapping",
        r#"{"batch_size": 10000}"#,
        "--default-mapping",
        "--json",
        "--file",
        &file_arg,
    ];
    let (status, peak) = peak_memory(builder.command(&args));
    assert!(status.success(), "{status}");
    assert!(peak > 0, "no memory reading");
    assert!(peak < 100 * 1024 * 1024, "peak memory {} MB", peak / (1024 * 1024));

    // The batches: 10 of 10,000 (the limit), not one of 100,000.
    let small: String = text.lines().take(25).map(|l| format!("{l}\n")).collect();
    let small_file = dir.path().join("small.jsonl");
    std::fs::write(&small_file, small).expect("write");
    let small_arg = small_file.display().to_string();
    let out = builder.cli(&[
        "test-event",
        "--action",
        "identifyUser",
        "--batch",
        "--mapping",
        r#"{"batch_size": 10}"#,
        "--default-mapping",
        "--json",
        "--file",
        &small_arg,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let items: Value = serde_json::from_slice(&out.stdout).expect("a JSON array");
    let sizes: Vec<u64> = items
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|i| i["batch_of"].as_u64())
        .collect();
    assert_eq!(sizes, vec![10, 10, 5]);
}

#[tokio::test]
async fn events_spooled_while_attio_is_down_are_delivered_after_a_restart() {
    // Hold the port Attio will later listen on, so that no other test's process can take
    // it meanwhile; nothing answers on it, so the events wait in the spool.
    let hold = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = hold.local_addr().expect("bound").port();
    let attio = format!("http://127.0.0.1:{port}");
    let mut service = ServiceBuilder::new().attio_url(&attio).start().await;
    for i in 0..3 {
        let event = json!({"userId": format!("d{i}"), "traits": {"email": format!("d{i}@example.com")}});
        assert_eq!(service.post("/v1/identify", &event).await.status(), 200);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(service.spool_stats().await["pending"], 3);
    assert!(service.terminate(Duration::from_secs(10)).is_some());

    drop(hold);
    let sim = SimulatorProcess::start_on(port, &["--write-rate", "0", "--read-rate", "0"]).await;
    let service = service.builder().start().await;
    let users = sim.wait_for_records("users", WAIT, |r| r.len() == 3).await;
    assert_eq!(user_ids(&users), vec!["d0", "d1", "d2"]);
    service.wait_until_drained(WAIT).await;
    assert_eq!(service.spool_stats().await["dead_letters"], 0);
}

#[tokio::test]
async fn events_are_retried_through_server_errors_and_survive_a_restart() {
    let sim = SimulatorProcess::start().await;
    sim.set_faults(&json!({"server_error_rate": 1.0})).await;
    let mut service = ServiceBuilder::new().attio(&sim).start().await;
    let event = json!({"userId": "f1", "traits": {"email": "f1@example.com"}});
    assert_eq!(service.post("/v1/identify", &event).await.status(), 200);
    eventually("a failed attempt", WAIT, || async {
        let stats = sim.stats().await;
        match stats["injected_server_errors"].as_u64() {
            Some(n) if n >= 1 => Ok(()),
            _ => Err(stats.to_string()),
        }
    })
    .await;
    assert!(service.terminate(Duration::from_secs(10)).is_some());

    sim.set_faults(&json!({})).await;
    let service = service.builder().start().await;
    let users = sim.wait_for_records("users", WAIT, |r| r.len() == 1).await;
    assert_eq!(user_ids(&users), vec!["f1"]);
    service.wait_until_drained(WAIT).await;
}

#[tokio::test]
async fn health_readiness_and_metrics_report_the_service_state() {
    let service = ServiceBuilder::new().start().await;
    let (status, health) = service.get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");

    let event = json!({"userId": "m1", "traits": {"email": "m1@example.com"}});
    assert_eq!(service.post("/v1/identify", &event).await.status(), 200);
    let bad = json!({"userId": "m2", "traits": {"email": "bad"}});
    assert_eq!(service.post("/v1/identify", &bad).await.status(), 200);
    service.wait_for_records("users", WAIT, |r| r.len() == 1).await;
    service.wait_until_drained(WAIT).await;

    let (status, ready) = service.get_json("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["attio"], "simulator");
    assert_eq!(ready["credentials"], "valid");
    assert_eq!(ready["delivery_paused"], false);
    assert_eq!(ready["spool"], json!({"pending": 0, "dead_letters": 1}));

    let (status, metrics) = service.get_text("/metrics").await;
    assert_eq!(status, 200);
    for line in [
        "segment_attio_events_delivered_total 1",
        "segment_attio_spool_pending_events 0",
        "segment_attio_dead_letters 1",
        "segment_attio_events_rejected_total{subscription=\"Identify User\"} 1",
        "segment_attio_events_received_total{endpoint=\"identify\"} 2",
        // One identify delivered: a Person and a User assert.
        "segment_attio_attio_requests_total{endpoint=\"simple_assert\",status=\"200\"} 2",
    ] {
        assert!(metrics.lines().any(|l| l == line), "missing {line:?} in:\n{metrics}");
    }
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("segment_attio_attio_request_seconds_count{endpoint=\"simple_assert\"}")),
        "missing the Attio latency histogram in:\n{metrics}"
    );
}

#[tokio::test]
async fn refused_credentials_make_the_service_unready_and_keep_the_event() {
    let sim = SimulatorProcess::start_on(free_port(), &["--token", "the-right-token"]).await;
    let service = ServiceBuilder::new()
        .attio(&sim)
        .env("SEGMENT_ATTIO__ATTIO__TOKEN", "a-wrong-token")
        .start()
        .await;
    let event = json!({"userId": "c1", "traits": {"email": "c1@example.com"}});
    assert_eq!(service.post("/v1/identify", &event).await.status(), 200);
    // The event is kept either way: waiting in the spool while delivery is paused (when the
    // start-up check found the token refused first) or dead-lettered with the reason (when
    // it was already being sent when Attio first refused the token).
    let ready = eventually("the service to report the credentials", WAIT, || async {
        let (status, ready) = service.get_json("/readyz").await;
        let pending = ready["spool"]["pending"].as_u64().unwrap_or(0);
        let dead = ready["spool"]["dead_letters"].as_u64().unwrap_or(0);
        // Settled: dead-lettered, or waiting with delivery paused.
        let settled = (dead == 1 && pending == 0) || (pending == 1 && dead == 0 && ready["delivery_paused"] == true);
        if status == 503 && ready["credentials"] == "invalid" && settled {
            Ok(ready)
        } else {
            Err(format!("{status} {ready}"))
        }
    })
    .await;
    assert_eq!(ready["ready"], false);
    assert!(!ready.to_string().contains("a-wrong-token"), "{ready}");
    if ready["spool"]["dead_letters"] == 1 {
        let letters = service.dead_letters();
        assert!(
            letters[0]["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("credentials"),
            "{letters:?}"
        );
    } else {
        assert_eq!(ready["delivery_paused"], true, "{ready}");
    }
    assert!(!service.logs().contains("a-wrong-token"), "the token is never logged");
}
