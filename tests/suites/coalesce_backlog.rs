//! `[delivery] coalesce` end to end: a backlog imported into the spool, then drained by
//! the real binary to a `segment-attio simulator` process. Single mode
//! (plans) and batch mode (assertions).

use std::time::Duration;

use segment_attio_acceptance::service::{DataDir, ServiceBuilder, SimulatorProcess};
use segment_attio_acceptance::workspace_state::{workspace_state, write_requests};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(120);
const USERS: usize = 20;
const IDENTIFIES_PER_USER: usize = 10;

const IDENTIFY: &str = r#"
[[subscriptions]]
name = "Identify"
action = "identifyUser"
subscribe = 'type = "identify"'
use_default_mapping = true
[subscriptions.mapping.person_attributes]
job_title = { "@path" = "$.traits.title" }
"#;

/// Every identify of a user changes its job title, so that skipping alone saves only the
/// user's writes.
fn backlog() -> Vec<Value> {
    let mut events = Vec::new();
    for round in 0..IDENTIFIES_PER_USER {
        for user in 0..USERS {
            events.push(json!({
                "type": "identify",
                "userId": format!("user-{user}"),
                "traits": {"email": format!("user-{user}@example.com"), "title": format!("title {round}")},
            }));
        }
    }
    events
}

/// Imports the backlog into a fresh spool, then serves it to a fresh simulator; returns
/// the simulator and the write requests it received.
async fn drain(skip: bool, coalesce: bool) -> (SimulatorProcess, u64) {
    let sim = SimulatorProcess::start().await;
    let dir = DataDir::temp();
    let file = dir.path().join("backlog.jsonl");
    let lines: Vec<String> = backlog().iter().map(Value::to_string).collect();
    std::fs::write(&file, lines.join("\n")).expect("write the backlog");
    let flag = |on: bool| if on { "true" } else { "false" };
    let mut builder = ServiceBuilder::new()
        .config(IDENTIFY)
        .data_dir(&dir)
        .attio(&sim)
        .unthrottled()
        .env("SEGMENT_ATTIO__DELIVERY__SKIP_UNCHANGED", flag(skip))
        .env("SEGMENT_ATTIO__DELIVERY__COALESCE", flag(coalesce));
    let out = builder.cli(&["import", file.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let service = builder.start().await;
    service.wait_until_drained(WAIT).await;
    assert!(service.dead_letters().is_empty(), "{}", service.logs());
    let writes = write_requests(&sim.stats().await);
    (sim, writes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_for_one_record_is_sent_as_few_merged_writes_that_leave_the_records_as_the_reference_would() {
    let (reference, reference_writes) = drain(false, false).await;
    let (skipping, skip_writes) = drain(true, false).await;
    let (coalescing, coalesced_writes) = drain(true, true).await;
    let events = USERS * IDENTIFIES_PER_USER;
    println!(
        "backlog of {events} identifies for {USERS} users: {reference_writes} Attio writes as the reference, \
         {skip_writes} with skip_unchanged, {coalesced_writes} with skip_unchanged and coalesce"
    );
    assert_eq!(reference_writes as usize, 2 * events);
    // Skipping alone saves the unchanged users, not the changed people.
    assert_eq!(skip_writes as usize, USERS * (IDENTIFIES_PER_USER + 1));
    // Coalescing sends each user's waiting identifies as a few merged writes.
    assert!(
        coalesced_writes as usize <= USERS * 4,
        "{coalesced_writes} writes for {USERS} users"
    );
    let expected = workspace_state(&reference).await;
    assert_eq!(expected["people"].len(), USERS);
    assert_eq!(workspace_state(&skipping).await, expected);
    assert_eq!(workspace_state(&coalescing).await, expected);
}

/// The same identifies sent in batch mode (`enable_batching`), where the delivery loop
/// merges a lane's waiting assertions.
fn batch_config() -> String {
    IDENTIFY.replacen(
        "use_default_mapping = true\n",
        "use_default_mapping = true\nenable_batching = true\nbatch_size = 100\n",
        1,
    )
}

/// Imports the backlog, serves it in batch mode to a fresh simulator until every
/// assertion it received is applied; returns the simulator and the assertions received.
async fn drain_batches(skip: bool, coalesce: bool) -> (SimulatorProcess, u64) {
    let sim = SimulatorProcess::start().await;
    let dir = DataDir::temp();
    let file = dir.path().join("backlog.jsonl");
    let lines: Vec<String> = backlog().iter().map(Value::to_string).collect();
    std::fs::write(&file, lines.join("\n")).expect("write the backlog");
    let flag = |on: bool| if on { "true" } else { "false" };
    let mut builder = ServiceBuilder::new()
        .config(&batch_config())
        .data_dir(&dir)
        .attio(&sim)
        .unthrottled()
        .env("SEGMENT_ATTIO__DELIVERY__SKIP_UNCHANGED", flag(skip))
        .env("SEGMENT_ATTIO__DELIVERY__COALESCE", flag(coalesce));
    let out = builder.cli(&["import", file.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let service = builder.start().await;
    service.wait_until_drained(WAIT).await;
    assert!(service.dead_letters().is_empty(), "{}", service.logs());
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let stats = sim.stats().await;
        let batch = &stats["batch"];
        if batch["pending"].as_u64() == Some(0) && batch["applied"] == batch["received"] {
            let received = batch["received"].as_u64().expect("a count of batch assertions");
            return (sim, received);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "batch assertions not applied: {stats}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_mode_backlog_for_one_record_is_sent_as_merged_assertions_that_leave_the_records_as_the_reference_would(
) {
    let (reference, reference_assertions) = drain_batches(false, false).await;
    let (skipping, skip_assertions) = drain_batches(true, false).await;
    let (coalescing, coalesced_assertions) = drain_batches(true, true).await;
    let events = USERS * IDENTIFIES_PER_USER;
    println!(
        "batch mode, backlog of {events} identifies for {USERS} users: {reference_assertions} assertions as the \
         reference, {skip_assertions} with skip_unchanged, {coalesced_assertions} with skip_unchanged and coalesce"
    );
    assert_eq!(reference_assertions as usize, events);
    // Every identify changes its person, so skipping saves nothing here.
    assert_eq!(skip_assertions as usize, events);
    // Coalescing sends each user's waiting identifies as a few merged assertions.
    assert!(
        coalesced_assertions as usize <= USERS * 4,
        "{coalesced_assertions} assertions for {USERS} users"
    );
    let expected = workspace_state(&reference).await;
    assert_eq!(expected["people"].len(), USERS);
    assert_eq!(workspace_state(&skipping).await, expected);
    assert_eq!(workspace_state(&coalescing).await, expected);
}
