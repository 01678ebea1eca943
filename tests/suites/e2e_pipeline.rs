//! End to end over real HTTP: Segment events into the `segment-attio serve` process, Attio
//! records out of its built-in simulator.

use std::time::Duration;

use segment_attio_acceptance::service::{find_records, first_value, ServiceBuilder, SimulatorProcess};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(15);

fn record_id(record: &Value) -> &str {
    record
        .pointer("/id/record_id")
        .and_then(Value::as_str)
        .expect("a record id")
}

fn target_ids<'a>(record: &'a Value, slug: &str) -> Vec<&'a str> {
    record
        .pointer(&format!("/values/{slug}"))
        .and_then(Value::as_array)
        .map(|vals| {
            vals.iter()
                .filter_map(|v| v.get("target_record_id").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn identify_creates_a_person_and_a_linked_user() {
    let service = ServiceBuilder::new().start().await;
    let r = service
        .post(
            "/v1/identify",
            &json!({"userId": "user-1", "traits": {"email": "ann@example.com"}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json"), json!({"success": true}));

    let users = service.wait_for_records("users", WAIT, |r| r.len() == 1).await;
    let people = service.records("people").await.expect("people");
    let person = find_records(&people, "email_addresses", "email_address", "ann@example.com");
    assert_eq!(person.len(), 1, "{people:?}");
    let user = &users[0];
    assert_eq!(
        first_value(user, "user_id").and_then(|v| v.get("value")),
        Some(&json!("user-1"))
    );
    assert_eq!(
        first_value(user, "primary_email_address").and_then(|v| v.get("email_address")),
        Some(&json!("ann@example.com"))
    );
    assert_eq!(target_ids(user, "person"), vec![record_id(person[0])]);
}

#[tokio::test]
async fn identify_of_the_same_user_twice_updates_one_record() {
    // As the reference does: every identify is written (skip_unchanged would leave the
    // second, identical one out).
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__DELIVERY__SKIP_UNCHANGED", "false")
        .start()
        .await;
    for _ in 0..2 {
        let event = json!({"userId": "user-2", "traits": {"email": "bob@example.com"}});
        assert_eq!(service.post("/v1/identify", &event).await.status(), 200);
    }
    service.wait_until_drained(WAIT).await;
    assert_eq!(service.records("users").await.expect("users").len(), 1);
    assert_eq!(service.records("people").await.expect("people").len(), 1);
    // Both identifies were delivered, not one of them dropped: a person and a user assert
    // each, four in all, every one answered 200.
    let (_, metrics) = service.get_text("/metrics").await;
    for line in [
        "segment_attio_events_delivered_total 2",
        "segment_attio_attio_requests_total{endpoint=\"simple_assert\",status=\"200\"} 4",
    ] {
        assert!(metrics.lines().any(|l| l == line), "missing {line:?} in:\n{metrics}");
    }
    let asserts: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("segment_attio_attio_requests_total{endpoint=\"simple_assert\""))
        .collect();
    assert_eq!(asserts.len(), 1, "only answers 200: {asserts:?}");
}

#[tokio::test]
async fn group_creates_a_company_and_a_linked_workspace_with_its_user() {
    let service = ServiceBuilder::new().start().await;
    let identify = json!({"userId": "user-3", "traits": {"email": "cat@acme.io"}});
    assert_eq!(service.post("/v1/identify", &identify).await.status(), 200);
    service.wait_for_records("users", WAIT, |r| r.len() == 1).await;
    let group = json!({"userId": "user-3", "groupId": "ws-acme", "traits": {"website": "acme.io"}});
    assert_eq!(service.post("/v1/group", &group).await.status(), 200);

    let workspaces = service.wait_for_records("workspaces", WAIT, |r| r.len() == 1).await;
    let companies = service.records("companies").await.expect("companies");
    let company = find_records(&companies, "domains", "domain", "acme.io");
    assert_eq!(company.len(), 1, "{companies:?}");
    let workspace = &workspaces[0];
    assert_eq!(
        first_value(workspace, "workspace_id").and_then(|v| v.get("value")),
        Some(&json!("ws-acme"))
    );
    assert_eq!(target_ids(workspace, "company"), vec![record_id(company[0])]);
    let users = service.records("users").await.expect("users");
    assert_eq!(target_ids(workspace, "users"), vec![record_id(&users[0])]);
}

#[tokio::test]
async fn group_without_user_id_links_no_users() {
    let service = ServiceBuilder::new().start().await;
    let group = json!({"anonymousId": "anon-1", "groupId": "ws-solo", "traits": {"website": "solo.io"}});
    assert_eq!(service.post("/v1/group", &group).await.status(), 200);
    let workspaces = service.wait_for_records("workspaces", WAIT, |r| r.len() == 1).await;
    assert!(target_ids(&workspaces[0], "users").is_empty(), "{workspaces:?}");
    assert_eq!(target_ids(&workspaces[0], "company").len(), 1);
}

const ASSERT_RECORD: &str = r#"
[[subscriptions]]
name = "Signed up"
action = "assertRecord"
subscribe = 'type = "track" and event = "Signed Up"'
[subscriptions.mapping]
object = "people"
matching_attribute = "email_addresses"
[subscriptions.mapping.attributes]
email_addresses = { "@path" = "$.properties.email" }
job_title = { "@path" = "$.properties.title" }
"#;

#[tokio::test]
async fn track_is_delivered_by_an_assert_record_subscription() {
    let service = ServiceBuilder::new().config(ASSERT_RECORD).start().await;
    let signed_up = json!({"type": "track", "userId": "u9", "event": "Signed Up",
        "properties": {"email": "dee@example.com", "title": "CTO"}});
    let other = json!({"type": "track", "userId": "u9", "event": "Clicked",
        "properties": {"email": "other@example.com", "title": "no"}});
    assert_eq!(service.post("/v1/track", &other).await.status(), 200);
    assert_eq!(service.post("/v1/track", &signed_up).await.status(), 200);
    let people = service.wait_for_records("people", WAIT, |r| !r.is_empty()).await;
    service.wait_until_drained(WAIT).await;
    let people = if people.len() == 1 {
        people
    } else {
        service.records("people").await.expect("people")
    };
    assert_eq!(people.len(), 1, "only the subscribed event is delivered: {people:?}");
    assert_eq!(
        first_value(&people[0], "email_addresses").and_then(|v| v.get("email_address")),
        Some(&json!("dee@example.com"))
    );
    assert_eq!(
        first_value(&people[0], "job_title").and_then(|v| v.get("value")),
        Some(&json!("CTO"))
    );
}

fn batching_config(enabled: bool) -> String {
    format!(
        r#"
[[subscriptions]]
name = "Identify"
action = "identifyUser"
subscribe = 'type = "identify"'
use_default_mapping = true
enable_batching = {enabled}
batch_size = 50
"#
    )
}

/// Requests of `kind` the simulator answered, by its stats.
fn requests(stats: &Value, kind: &str) -> u64 {
    stats["requests"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| r["kind"] == kind)
                .filter_map(|r| r["count"].as_u64())
                .sum()
        })
        .unwrap_or(0)
}

/// Sends ten identifies in one Segment batch and returns the simulator's stats once the
/// ten users exist.
async fn ten_users_arrive(enabled: bool) -> Value {
    let sim = SimulatorProcess::start().await;
    let service = ServiceBuilder::new()
        .config(&batching_config(enabled))
        .attio(&sim)
        .env("SEGMENT_ATTIO__DELIVERY__FLUSH_INTERVAL_MS", "100")
        .start()
        .await;
    let batch: Vec<Value> = (0..10)
        .map(|i| json!({"type": "identify", "userId": format!("b{i}"), "traits": {"email": format!("b{i}@example.com")}}))
        .collect();
    assert_eq!(service.post("/v1/batch", &json!({"batch": batch})).await.status(), 200);
    let users = sim.wait_for_records("users", WAIT, |r| r.len() == 10).await;
    let mut ids: Vec<String> = users
        .iter()
        .filter_map(|u| {
            first_value(u, "user_id")
                .and_then(|v| v.get("value"))
                .and_then(Value::as_str)
        })
        .map(str::to_owned)
        .collect();
    ids.sort();
    let mut expected: Vec<String> = (0..10).map(|i| format!("b{i}")).collect();
    expected.sort();
    assert_eq!(ids, expected);
    sim.wait_for_records("people", WAIT, |r| r.len() == 10).await;
    service.wait_until_drained(WAIT).await;
    let (_, metrics) = service.get_text("/metrics").await;
    assert!(metrics.contains("segment_attio_events_delivered_total 10"), "{metrics}");
    sim.stats().await
}

#[tokio::test]
async fn batching_on_delivers_the_events_in_batch_requests() {
    let stats = ten_users_arrive(true).await;
    let batches = requests(&stats, "batch");
    // Ten events within one 100 ms flush interval: one batch, perhaps two.
    assert!((1..=2).contains(&batches), "{stats}");
    assert_eq!(requests(&stats, "assert_simple"), 0, "{stats}");
}

#[tokio::test]
async fn batching_off_delivers_each_event_with_its_own_requests() {
    let stats = ten_users_arrive(false).await;
    assert_eq!(requests(&stats, "batch"), 0, "{stats}");
    // identifyUser: the person, then the user.
    assert_eq!(requests(&stats, "assert_simple"), 20, "{stats}");
}
