//! `[delivery] skip_unchanged` and `coalesce` end to end: the real binary delivering to a
//! `segment-attio simulator` process, whose `/_simulator/stats` counts every request.

use std::time::Duration;

use segment_attio_acceptance::service::{first_value, Service, ServiceBuilder, SimulatorProcess};
use segment_attio_acceptance::workspace_state::{workspace_state, write_requests};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);
const USERS: usize = 1_000;
const IDENTIFIES_PER_USER: usize = 10;

/// The presets' identify, with the person's job title from `traits.title`.
const IDENTIFY: &str = r#"
[[subscriptions]]
name = "Identify"
action = "identifyUser"
subscribe = 'type = "identify"'
use_default_mapping = true
[subscriptions.mapping.person_attributes]
job_title = { "@path" = "$.traits.title" }
"#;

fn identify(user: usize, title: &str) -> Value {
    json!({
        "type": "identify",
        "userId": format!("user-{user}"),
        "traits": {"email": format!("user-{user}@example.com"), "title": title, "plan": "free"},
    })
}

/// A browser-like trace: every user's page loads identify it again with the same traits,
/// round after round; the last round changes one attribute (the job title).
fn browser_trace() -> Vec<Value> {
    let mut events = Vec::with_capacity(USERS * IDENTIFIES_PER_USER);
    for round in 0..IDENTIFIES_PER_USER {
        let title = if round + 1 == IDENTIFIES_PER_USER {
            "Lead"
        } else {
            "Engineer"
        };
        for user in 0..USERS {
            events.push(identify(user, title));
        }
    }
    events
}

fn service(sim: &SimulatorProcess, skip: bool) -> ServiceBuilder {
    ServiceBuilder::new()
        .config(IDENTIFY)
        .attio(sim)
        .unthrottled()
        .env(
            "SEGMENT_ATTIO__DELIVERY__SKIP_UNCHANGED",
            if skip { "true" } else { "false" },
        )
        .env("SEGMENT_ATTIO__DELIVERY__COALESCE", if skip { "true" } else { "false" })
}

async fn post_all(service: &Service, events: &[Value]) {
    for chunk in events.chunks(100) {
        let r = service.post("/v1/batch", &json!({ "batch": chunk })).await;
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
    }
}

/// Sends `events` through a fresh service and simulator; returns the simulator (to read
/// its records) and the write requests it received.
async fn run_trace(events: &[Value], skip: bool) -> (SimulatorProcess, u64) {
    let sim = SimulatorProcess::start().await;
    let service = service(&sim, skip).start().await;
    post_all(&service, events).await;
    service.wait_until_drained(WAIT * 5).await;
    assert!(service.dead_letters().is_empty(), "{}", service.logs());
    let writes = write_requests(&sim.stats().await);
    (sim, writes)
}

/// `segment_attio_attio_writes_skipped_total`, summed over its labels.
async fn skipped_writes(service: &Service) -> u64 {
    let (_, page) = service.get_text("/metrics").await;
    page.lines()
        .filter(|l| l.starts_with("segment_attio_attio_writes_skipped_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_trace_costs_at_most_a_third_of_a_write_per_event_and_ends_as_the_reference_would() {
    let events = browser_trace();
    // The reference's behaviour: every event written (skip_unchanged and coalesce off).
    let (reference, reference_writes) = run_trace(&events, false).await;
    let (skipping, writes) = run_trace(&events, true).await;
    let n = events.len() as f64;
    let (before, after) = (reference_writes as f64 / n, writes as f64 / n);
    println!(
        "browser trace, {USERS} users x {IDENTIFIES_PER_USER} identifies: {before:.3} Attio writes per event \
         without skip_unchanged ({reference_writes}), {after:.3} with it ({writes})"
    );
    assert!(
        before >= 2.0,
        "the reference writes a person and a user per identify: {before}"
    );
    assert!(after <= 0.35, "{after} writes per event ({writes} for {n} events)");
    let expected = workspace_state(&reference).await;
    assert_eq!(expected["users"].len(), USERS);
    assert_eq!(expected["people"].len(), USERS);
    assert_eq!(workspace_state(&skipping).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_identify_is_skipped_and_counted_and_one_changing_the_person_costs_one_write() {
    let sim = SimulatorProcess::start().await;
    let service = service(&sim, true).start().await;
    post_all(&service, &[identify(1, "Engineer")]).await;
    service.wait_until_drained(WAIT).await;
    assert_eq!(write_requests(&sim.stats().await), 2, "a person and a user");
    post_all(&service, &[identify(1, "Engineer")]).await;
    service.wait_until_drained(WAIT).await;
    assert_eq!(write_requests(&sim.stats().await), 2, "nothing new to write");
    assert_eq!(skipped_writes(&service).await, 2, "the person and the user skipped");
    post_all(&service, &[identify(1, "Lead")]).await;
    service.wait_until_drained(WAIT).await;
    assert_eq!(write_requests(&sim.stats().await), 3, "only the person changed");
    let people = sim.records("people").await.expect("people");
    assert_eq!(
        first_value(&people[0], "job_title").and_then(|v| v.get("value")),
        Some(&json!("Lead"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprints_survive_a_restart() {
    let sim = SimulatorProcess::start().await;
    let mut first = service(&sim, true).start().await;
    post_all(&first, &[identify(1, "Engineer"), identify(2, "Engineer")]).await;
    first.wait_until_drained(WAIT).await;
    assert_eq!(write_requests(&sim.stats().await), 4);
    let builder = first.builder();
    first.terminate(Duration::from_secs(10)).expect("stops");
    let second = builder.start().await;
    post_all(&second, &[identify(1, "Engineer"), identify(2, "Engineer")]).await;
    second.wait_until_drained(WAIT).await;
    assert_eq!(write_requests(&sim.stats().await), 4, "remembered across the restart");
    assert_eq!(skipped_writes(&second).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_unchanged_off_writes_every_event_as_the_reference_does() {
    let sim = SimulatorProcess::start().await;
    let service = service(&sim, false).start().await;
    post_all(&service, &[identify(1, "Engineer"), identify(1, "Engineer")]).await;
    service.wait_until_drained(WAIT).await;
    post_all(&service, &[identify(1, "Engineer")]).await;
    service.wait_until_drained(WAIT).await;
    assert_eq!(write_requests(&sim.stats().await), 6);
    assert_eq!(skipped_writes(&service).await, 0);
}

/// PATCHes a person's job title in the simulator directly, as someone editing Attio would.
async fn edit_job_title(sim: &SimulatorProcess, title: &str) {
    let people = sim.records("people").await.expect("people");
    let id = people[0]
        .pointer("/id/record_id")
        .and_then(Value::as_str)
        .expect("record id");
    let r = segment_attio_acceptance::service::http_client()
        .patch(sim.url(&format!("/v2/objects/people/records/{id}")))
        .bearer_auth("e2e-token")
        .json(&json!({"data": {"values": {"job_title": title}}}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
}

async fn job_title(sim: &SimulatorProcess) -> Value {
    let people = sim.records("people").await.expect("people");
    first_value(&people[0], "job_title")
        .and_then(|v| v.get("value"))
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_made_in_attio_is_overwritten_once_resync_after_secs_passed() {
    let sim = SimulatorProcess::start().await;
    let service = service(&sim, true)
        .env("SEGMENT_ATTIO__DELIVERY__RESYNC_AFTER_SECS", "3")
        .start()
        .await;
    post_all(&service, &[identify(1, "Engineer")]).await;
    service.wait_until_drained(WAIT).await;
    edit_job_title(&sim, "Edited by hand").await;
    let writes = write_requests(&sim.stats().await);
    // Within resync_after_secs the same identify is skipped: the edit stays.
    post_all(&service, &[identify(1, "Engineer")]).await;
    service.wait_until_drained(WAIT).await;
    assert_eq!(write_requests(&sim.stats().await), writes);
    assert_eq!(job_title(&sim).await, json!("Edited by hand"));
    tokio::time::sleep(Duration::from_secs(4)).await;
    post_all(&service, &[identify(1, "Engineer")]).await;
    service.wait_until_drained(WAIT).await;
    assert_eq!(
        write_requests(&sim.stats().await),
        writes + 2,
        "re-sent: the person and the user"
    );
    assert_eq!(job_title(&sim).await, json!("Engineer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_attio_refuses_forgets_the_record_so_the_next_one_is_sent() {
    let sim = SimulatorProcess::start().await;
    // Without the schema check the invalid value reaches Attio, which answers 400.
    let service = service(&sim, true)
        .env("SEGMENT_ATTIO__ATTIO__VALIDATE_SCHEMA", "false")
        .start()
        .await;
    post_all(&service, &[identify(1, "Engineer")]).await;
    service.wait_until_drained(WAIT).await;
    assert_eq!(write_requests(&sim.stats().await), 2);
    let mut refused = identify(1, "x");
    refused["traits"]["title"] = json!({"not": "a text"});
    post_all(&service, &[refused]).await;
    service.wait_until_drained(WAIT).await;
    assert_eq!(service.dead_letters().len(), 1, "{}", service.logs());
    let after_refusal = write_requests(&sim.stats().await);
    assert_eq!(after_refusal, 3, "the person write was refused, the user's not sent");
    // The person's fingerprint is forgotten: the same identify as at first writes it again;
    // the user's is kept, so it is skipped.
    post_all(&service, &[identify(1, "Engineer")]).await;
    service.wait_until_drained(WAIT).await;
    assert_eq!(write_requests(&sim.stats().await), after_refusal + 1);
}
