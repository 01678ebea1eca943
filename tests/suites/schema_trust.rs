//! End to end, over real HTTP against the simulator: the configuration is checked against the
//! workspace before the first event, every event against the cached schema before it is sent
//! (single and batch mode), and nothing the schema can tell is dropped silently.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use segment_attio_acceptance::service::{eventually, find_records, Service, ServiceBuilder, SimulatorProcess};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

/// A workspace with `users.plan` (select Free/Pro) and `users.seats` (number).
const SCHEMA: &str = r#"
[[attributes]]
object = "users"
slug = "plan"
type = "select"
options = ["Free", "Pro"]

[[attributes]]
object = "users"
slug = "seats"
type = "number"
"#;

fn identify_config(batching: bool) -> String {
    format!(
        r#"
[[subscriptions]]
name = "Identify users"
action = "identifyUser"
subscribe = 'type = "identify"'
use_default_mapping = true
enable_batching = {batching}
mapping = {{ user_attributes = {{ plan = {{ "@path" = "$.traits.plan" }}, seats = {{ "@path" = "$.traits.seats" }} }} }}
"#
    )
}

async fn simulator_with(schema: &str) -> (SimulatorProcess, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("schema.toml");
    std::fs::write(&path, schema).expect("schema written");
    let sim = SimulatorProcess::start_with(&[
        "--write-rate",
        "0",
        "--read-rate",
        "0",
        "--schema",
        path.to_str().expect("utf-8 path"),
    ])
    .await;
    (sim, dir)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The value of an unlabelled counter in the Prometheus text, 0 when absent.
fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

/// Six valid identifies and four the schema refuses (two unknown select options, two
/// numbers that are not numbers), each with its own messageId.
fn events() -> (Vec<Value>, Vec<&'static str>) {
    let mut events = Vec::new();
    let mut invalid = Vec::new();
    for i in 0..10 {
        let (traits, bad) = match i {
            2 | 7 => (json!({"email": format!("u{i}@example.com"), "plan": "Gold"}), true),
            4 | 8 => (json!({"email": format!("u{i}@example.com"), "seats": "many"}), true),
            _ => (
                json!({"email": format!("u{i}@example.com"), "plan": if i % 2 == 0 { "Pro" } else { "Free" }, "seats": i}),
                false,
            ),
        };
        let id: &'static str = Box::leak(format!("msg-{i}").into_boxed_str());
        if bad {
            invalid.push(id);
        }
        events.push(json!({"type": "identify", "userId": format!("u{i}"), "messageId": id, "traits": traits}));
    }
    (events, invalid)
}

/// Sends the events, waits for the spool to drain and checks what was delivered, what was
/// dead-lettered (with the messageId and a reason naming the attribute) and that the
/// simulator dropped nothing. Returns (sent, delivered, dead-lettered, dropped).
async fn run_mode(batching: bool) -> (usize, u64, usize, u64) {
    let (sim, _dir) = simulator_with(SCHEMA).await;
    let service = ServiceBuilder::new()
        .attio(&sim)
        .config(&identify_config(batching))
        .start()
        .await;
    let (events, invalid) = events();
    let r = service.post("/v1/batch", &json!({ "batch": events })).await;
    assert_eq!(r.status(), 200);
    service.wait_until_drained(WAIT).await;

    let letters = service.dead_letters();
    let mut ids: Vec<&str> = letters.iter().filter_map(|l| l["message_id"].as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, invalid, "{letters:#?}");
    for l in &letters {
        let reason = l["reason"].as_str().unwrap_or_default();
        let names = if l["message_id"] == "msg-2" || l["message_id"] == "msg-7" {
            reason.contains("\"plan\"") && reason.contains("Gold")
        } else {
            reason.contains("\"seats\"") && reason.contains("many")
        };
        assert!(names && reason.contains("\"users\""), "{reason}");
    }

    // Batches are applied asynchronously: wait until the simulator has applied them.
    let valid = (events.len() - invalid.len()) as u64;
    let users = sim.wait_for_records("users", WAIT, |r| r.len() as u64 == valid).await;
    for i in [2, 4, 7, 8] {
        assert!(
            find_records(&users, "user_id", "value", &format!("u{i}")).is_empty(),
            "u{i} must not be written"
        );
    }
    let people = sim.records("people").await.expect("people");
    assert_eq!(
        people.len() as u64,
        valid,
        "no earlier step of a refused event was written"
    );
    let stats = sim.stats().await;
    let dropped = stats["batch"]["dropped"].as_u64().unwrap_or(u64::MAX);
    assert_eq!(dropped, 0, "{stats}");
    if batching {
        assert_eq!(stats["batch"]["applied"].as_u64(), Some(valid), "{stats}");
    }
    let (_, metrics) = service.get_text("/metrics").await;
    let delivered = counter(&metrics, "segment_attio_events_delivered_total");
    assert_eq!(delivered, valid, "{metrics}");
    println!(
        "{} mode: sent {}, delivered {delivered}, dead-lettered {}, simulator dropped {dropped}",
        if batching { "batch" } else { "single" },
        events.len(),
        letters.len()
    );
    (events.len(), delivered, letters.len(), dropped)
}

#[tokio::test]
async fn batch_mode_takes_invalid_events_out_dead_letters_them_and_the_simulator_drops_none() {
    assert_eq!(run_mode(true).await, (10, 6, 4, 0));
}

#[tokio::test]
async fn single_mode_dead_letters_invalid_events_before_any_of_their_requests() {
    assert_eq!(run_mode(false).await, (10, 6, 4, 0));
}

/// The README's configuration as it was: `users.plan` does not exist by default and deals
/// are matched on `name`, which is not unique.
const UNFIT: &str = r#"
[[subscriptions]]
name = "Identify users"
action = "identifyUser"
subscribe = 'type = "identify"'
use_default_mapping = true
enable_batching = true
mapping = { user_attributes = { plan = { "@path" = "$.traits.plan" } } }

[[subscriptions]]
name = "Deals from orders"
action = "assertRecord"
subscribe = 'type = "track" and event = "Order Completed"'
mapping_json = '''
{"object": "deals", "matching_attribute": "name",
 "attributes": {"name": {"@path": "$.properties.order_id"}, "value": {"@path": "$.properties.total"}}}
'''
"#;

#[test]
fn check_config_names_the_subscription_and_attribute_and_offline_skips_the_check() {
    let mut builder = ServiceBuilder::new().config(UNFIT);
    let out = builder.cli(&["check-config"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("\"Identify users\"") && all.contains("\"plan\""), "{all}");
    assert!(
        all.contains("\"Deals from orders\"") && all.contains("not unique"),
        "{all}"
    );
    assert!(all.contains("\"stage\"") && all.contains("required"), "{all}");

    let out = builder.cli(&["check-config", "--offline"]);
    assert!(out.status.success(), "{}", text(&out));

    let out = ServiceBuilder::new()
        .config("[attio]\nwrite_rate = 0\n")
        .cli(&["check-config"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("attio.write_rate"), "{}", text(&out));
}

/// Runs `serve` expecting it to exit by itself within `limit`.
fn serve_exits(builder: &mut ServiceBuilder, limit: Duration) -> (Option<i32>, String) {
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mut child = builder
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .stdout(log.reopen().expect("log"))
        .stderr(log.reopen().expect("log"))
        .spawn()
        .expect("serve starts");
    let deadline = Instant::now() + limit;
    let code = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve did not exit: {}", read(log.path()));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (code, read(log.path()))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test]
async fn serve_refuses_to_start_unless_told_to_go_on_and_then_dead_letters_with_the_reason() {
    let mut builder = ServiceBuilder::new().config(UNFIT);
    let (code, log) = serve_exits(&mut builder, WAIT);
    assert_ne!(code, Some(0), "{log}");
    assert!(
        log.contains("\"plan\"") && log.contains("not unique") && log.contains("--allow-schema-errors"),
        "{log}"
    );

    let service = ServiceBuilder::new()
        .config(UNFIT)
        .env("SEGMENT_ATTIO__ATTIO__ALLOW_SCHEMA_ERRORS", "true")
        .start()
        .await;
    let (status, ready) = service.get_json("/readyz").await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["schema"]["ok"], false, "{ready}");
    let identifies: Vec<Value> = (0..5)
        .map(|i| json!({"type": "identify", "userId": format!("p{i}"), "messageId": format!("plan-{i}"), "traits": {"email": format!("p{i}@example.com"), "plan": "Pro"}}))
        .collect();
    assert_eq!(
        service
            .post("/v1/batch", &json!({ "batch": identifies }))
            .await
            .status(),
        200
    );
    service.wait_until_drained(WAIT).await;
    let letters = service.dead_letters();
    assert_eq!(letters.len(), 5, "{letters:#?}");
    for l in &letters {
        assert!(l["message_id"].as_str().is_some_and(|m| m.starts_with("plan-")), "{l}");
        assert!(l["reason"].as_str().is_some_and(|r| r.contains("\"plan\"")), "{l}");
    }
    let (_, metrics) = service.get_text("/metrics").await;
    assert_eq!(
        counter(&metrics, "segment_attio_events_delivered_total"),
        0,
        "{metrics}"
    );
    assert!(service.records("users").await.expect("users").is_empty());
}

#[tokio::test]
async fn check_auth_and_readyz_report_deactivated_users_and_workspaces() {
    let (sim, _dir) = simulator_with("inactive = [\"users\", \"workspaces\"]\n").await;
    let mut builder = ServiceBuilder::new().attio(&sim);
    let out = builder.cli(&["check-auth", "--json"]);
    assert!(!out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["schema"]["ok"], false, "{report}");
    let problems: Vec<&str> = report["schema"]["problems"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let problems = problems.join("\n");
    assert!(
        problems.contains("\"users\"") && problems.contains("\"workspaces\""),
        "{problems}"
    );
    assert!(problems.contains("not activated"), "{problems}");

    let service: Service = builder
        .env("SEGMENT_ATTIO__ATTIO__ALLOW_SCHEMA_ERRORS", "true")
        .start()
        .await;
    let (status, ready) = service.get_json("/readyz").await;
    assert_eq!(status, 503, "{ready}");
    assert!(ready["reasons"].to_string().contains("not activated"), "{ready}");
    eventually("credentials checked", WAIT, || async {
        let (_, r) = service.get_json("/readyz").await;
        if r["credentials"] == "valid" {
            Ok(())
        } else {
            Err(r.to_string())
        }
    })
    .await;
}
