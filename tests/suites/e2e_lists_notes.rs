//! End to end over real HTTP: list entries, notes and write modes, from Segment events into
//! the `segment-attio serve` process and out to a simulator process.

use std::time::Duration;

use segment_attio_acceptance::service::{find_records, first_value, ServiceBuilder, SimulatorProcess};
use serde_json::{json, Value};

#[path = "e2e_lists_notes/destinations.rs"]
mod destinations;

const WAIT: Duration = Duration::from_secs(15);

/// The TOML block of the README that follows `<!-- example: NAME -->`.
fn readme_example(name: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README.md");
    let marker = format!("<!-- example: {name} -->");
    let after = readme.split_once(&marker).expect("the example's marker").1;
    let body = after.split_once("```toml\n").expect("a toml block").1;
    body.split_once("```").expect("the block's end").0.to_owned()
}

fn track(event: &str, properties: Value) -> Value {
    json!({"userId": "u-1", "event": event, "properties": properties})
}

fn person_id(people: &[Value], email: &str) -> String {
    let found = find_records(people, "email_addresses", "email_address", email);
    assert_eq!(found.len(), 1, "{people:?}");
    found[0]["id"]["record_id"].as_str().expect("record id").to_owned()
}

fn stage(entry: &Value) -> Option<&str> {
    entry
        .pointer("/entry_values/stage/0/status/title")
        .and_then(Value::as_str)
}

#[tokio::test]
async fn readme_lists_and_notes_example_runs_end_to_end() {
    let sim = SimulatorProcess::start().await;
    let service = ServiceBuilder::new()
        .attio(&sim)
        .unthrottled()
        .config(&readme_example("lists-notes"))
        .start()
        .await;
    let ann = "ann@example.com";
    for (stage, score) in [("Signed up", 3), ("Activated", 7)] {
        let r = service
            .post(
                "/v1/track",
                &track("Plan Changed", json!({"email": ann, "stage": stage, "score": score})),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let entries = sim
        .wait_for_entries("onboarding", WAIT, |e| {
            e.len() == 1 && stage(&e[0]) == Some("Activated")
        })
        .await;
    assert_eq!(entries[0].pointer("/entry_values/score/0/value"), Some(&json!(7.0)));
    let people = sim.records("people").await.expect("people");
    let ann_id = person_id(&people, ann);
    assert_eq!(entries[0]["parent_record_id"], json!(ann_id));

    let closed = track(
        "Ticket Closed",
        json!({"email": ann, "ticket": "T-1", "summary": "**Refund** sent"}),
    );
    assert_eq!(service.post("/v1/track", &closed).await.status(), 200);
    service.wait_until_drained(WAIT).await;
    let notes = sim.notes().await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["title"], "Ticket T-1 closed");
    assert_eq!(notes[0]["content_markdown"], "**Refund** sent");
    assert_eq!(notes[0]["parent_record_id"], json!(ann_id));

    // Removing twice: the second finds no entry, which is not an error.
    for _ in 0..2 {
        let deleted = track("Account Deleted", json!({"email": ann}));
        assert_eq!(service.post("/v1/track", &deleted).await.status(), 200);
    }
    sim.wait_for_entries("onboarding", WAIT, |e| e.is_empty()).await;

    // create_only: the second identify does not overwrite the first title.
    for title in ["CEO", "Intern"] {
        let identify = json!({"userId": "bob", "traits": {"email": "bob@example.com", "title": title}});
        assert_eq!(service.post("/v1/identify", &identify).await.status(), 200);
    }
    service.wait_until_drained(WAIT).await;
    let people = sim.records("people").await.expect("people");
    let bob = find_records(&people, "email_addresses", "email_address", "bob@example.com");
    assert_eq!(
        first_value(bob[0], "job_title").and_then(|v| v.get("value")),
        Some(&json!("CEO"))
    );
    assert!(service.dead_letters().is_empty(), "{:?}", service.dead_letters());
}

fn note_config() -> String {
    r#"
[[subscriptions]]
name = "notes"
action = "createNote"
subscribe = 'type = "track"'
mapping_json = '''
{"parent_object": "people", "parent_matching_attribute": "email_addresses",
 "parent_attributes": {"email_addresses": {"@path": "$.properties.email"}},
 "title": {"@path": "$.event"}, "content": {"@path": "$.properties.text"}}
'''
"#
    .to_owned()
}

#[tokio::test]
async fn a_note_whose_answer_is_lost_is_created_once() {
    let sim = SimulatorProcess::start().await;
    let service = ServiceBuilder::new()
        .attio(&sim)
        .unthrottled()
        .config(&note_config())
        .start()
        .await;
    sim.set_faults(&json!({"drop_after_write": 1, "drop_after_write_path": "/v2/notes"}))
        .await;
    let event = track("Called", json!({"email": "cy@example.com", "text": "Talked pricing"}));
    assert_eq!(service.post("/v1/track", &event).await.status(), 200);
    service.wait_until_drained(WAIT).await;
    let stats = sim.stats().await;
    assert_eq!(
        stats["dropped_connections"],
        json!(1),
        "the create's answer was lost: {stats}"
    );
    let notes = sim.notes().await;
    assert_eq!(notes.len(), 1, "one note for one event: {notes:?}");
    assert_eq!(notes[0]["content_plaintext"], "Talked pricing");
    assert!(service.dead_letters().is_empty());

    // A second event with the same text is another note.
    assert_eq!(service.post("/v1/track", &event).await.status(), 200);
    service.wait_until_drained(WAIT).await;
    assert_eq!(sim.notes().await.len(), 2);
}

#[tokio::test]
async fn a_replayed_dead_letter_of_a_note_whose_answer_was_lost_does_not_make_a_second_note() {
    let sim = SimulatorProcess::start().await;
    // Gives up at the first retryable failure, so that the lost answer dead-letters the
    // event although its note was written.
    let config = format!("[delivery]\nmax_age_secs = 0\n{}", note_config());
    let service = ServiceBuilder::new()
        .attio(&sim)
        .unthrottled()
        .config(&config)
        .start()
        .await;
    sim.set_faults(&json!({"drop_after_write": 1, "drop_after_write_path": "/v2/notes"}))
        .await;
    let event = track("Called", json!({"email": "rp@example.com", "text": "Renewal call"}));
    assert_eq!(service.post("/v1/track", &event).await.status(), 200);
    service.wait_until_drained(WAIT).await;
    assert_eq!(sim.stats().await["dropped_connections"], json!(1));
    assert_eq!(
        sim.notes().await.len(),
        1,
        "the create was applied before the connection closed"
    );
    let letters = service.dead_letters();
    assert_eq!(letters.len(), 1, "the lost answer dead-lettered the event: {letters:?}");

    // The replay spools the event again under a new id; the note it made is found, not
    // made again.
    let out = service.cli(&["dead-letters", "replay", "--all"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    service.wait_until_drained(WAIT).await;
    assert!(service.dead_letters().is_empty(), "{:?}", service.dead_letters());
    let notes = sim.notes().await;
    assert_eq!(notes.len(), 1, "one note for one event, replay included: {notes:?}");
    assert_eq!(notes[0]["content_plaintext"], "Renewal call");
}

#[tokio::test]
async fn update_only_skips_unknown_records_and_says_why() {
    let sim = SimulatorProcess::start().await;
    let config = r#"
[[subscriptions]]
name = "titles"
action = "assertRecord"
subscribe = 'type = "identify"'
write_mode = "update_only"
mapping = { object = "people", matching_attribute = "email_addresses", attributes = { email_addresses = { "@path" = "$.traits.email" }, job_title = { "@path" = "$.traits.title" } } }
"#;
    let service = ServiceBuilder::new()
        .attio(&sim)
        .unthrottled()
        .config(config)
        .start()
        .await;
    let identify = json!({"userId": "d", "traits": {"email": "dee@example.com", "title": "CTO"}});
    let mut first = identify.clone();
    first["messageId"] = json!("skipped-identify-1");
    assert_eq!(service.post("/v1/identify", &first).await.status(), 200);
    service.wait_until_drained(WAIT).await;
    assert!(
        sim.records("people").await.expect("people").is_empty(),
        "nothing created"
    );
    assert!(service.dead_letters().is_empty(), "a skip is not a failure");
    let out = service.cli(&["skipped", "--json"]);
    let skipped: Value = serde_json::from_slice(&out.stdout).expect("skipped --json");
    assert_eq!(skipped[0]["subscription"], "titles", "{skipped}");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("write_mode update_only: no people record")),
        "{skipped}"
    );
    // The event's trace says that nothing was written, and why.
    let out = service.cli(&["events", "show", "skipped-identify-1", "--json"]);
    let trace: Value = serde_json::from_slice(&out.stdout).expect("events show --json");
    assert_eq!(trace["state"], "skipped", "{trace}");
    assert_eq!(trace["subscriptions"][0]["outcome"], "skipped", "{trace}");
    assert!(
        trace["subscriptions"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("write_mode update_only: no people record")),
        "{trace}"
    );

    // Once the person exists, the same event updates it.
    let created = segment_attio_acceptance::service::http_client()
        .put(sim.url("/v2/objects/people/records?matching_attribute=email_addresses"))
        .bearer_auth("any")
        .json(&json!({"data": {"values": {"email_addresses": ["dee@example.com"]}}}))
        .send()
        .await
        .expect("person created");
    assert_eq!(created.status(), 200);
    assert_eq!(service.post("/v1/identify", &identify).await.status(), 200);
    let people = sim
        .wait_for_records("people", WAIT, |p| {
            p.len() == 1 && first_value(&p[0], "job_title").is_some()
        })
        .await;
    assert_eq!(
        first_value(&people[0], "job_title").and_then(|v| v.get("value")),
        Some(&json!("CTO"))
    );
}

#[tokio::test]
async fn sync_nulls_false_keeps_values_and_multiselect_replace_overwrites() {
    let sim = SimulatorProcess::start().await;
    let config = r#"
[[subscriptions]]
name = "companies"
action = "assertRecord"
subscribe = 'type = "group"'
sync_nulls = false
multiselect = "replace"
mapping = { object = "companies", matching_attribute = "domains", attributes = { domains = { "@path" = "$.traits.website" }, description = { "@path" = "$.traits.description" }, categories = { "@path" = "$.traits.categories" } } }
"#;
    let service = ServiceBuilder::new()
        .attio(&sim)
        .unthrottled()
        .config(config)
        .start()
        .await;
    let first = json!({"userId": "u", "groupId": "g", "traits": {"website": "acme.io", "description": "Rockets", "categories": ["B2B"]}});
    let second = json!({"userId": "u", "groupId": "g", "traits": {"website": "acme.io", "description": null, "categories": ["SAAS"]}});
    for e in [first, second] {
        let r = service.post("/v1/group", &e).await;
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
    }
    service.wait_until_drained(WAIT).await;
    let companies = sim.records("companies").await.expect("companies");
    assert_eq!(companies.len(), 1, "{companies:?}");
    let c = &companies[0];
    assert_eq!(
        first_value(c, "description").and_then(|v| v.get("value")),
        Some(&json!("Rockets"))
    );
    let categories: Vec<_> = c["values"]["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|v| v["option"]["title"].clone())
        .collect();
    assert_eq!(categories, [json!("SAAS")]);
    assert!(service.dead_letters().is_empty(), "{:?}", service.dead_letters());
}

#[test]
fn test_event_prints_the_parent_assert_then_the_note() {
    let mut builder = ServiceBuilder::new().config(&note_config());
    let event = track("Called", json!({"email": "e@example.com", "text": "Hi"})).to_string();
    let event = event.replacen('{', "{\"type\":\"track\",", 1);
    let out = builder.cli(&["test-event", "--subscription", "notes", &event]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let assert_at = stdout
        .find("/v2/objects/people/records/simple")
        .expect("the parent assert");
    let note_at = stdout
        .find("POST https://api.attio.com/v2/notes")
        .expect("the note request");
    assert!(assert_at < note_at, "{stdout}");
    assert!(stdout.contains("\"title\": \"Called\""), "{stdout}");
}

/// Every TOML block of a document.
/// The TOML blocks of `path`, up to the heading `until` (when given).
fn toml_blocks(path: &str, until: Option<&str>) -> Vec<String> {
    let text = std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).expect("the document");
    let text = match until {
        Some(heading) => text.split_once(heading).expect("the heading").0,
        None => &text,
    };
    text.split("```toml\n")
        .skip(1)
        .map(|b| b.split_once("```").expect("the block's end").0.to_owned())
        .collect()
}

#[test]
fn configuration_examples_pass_check_config() {
    // The simulator's schema file, documented last, is not a configuration.
    let blocks = toml_blocks("docs/configuration.md", Some("## The simulator's `--schema` file"));
    assert!(blocks.len() >= 2, "{blocks:?}");
    for block in blocks.into_iter().chain([readme_example("lists-notes")]) {
        // check-config also checks each destination's workspace: the examples' own
        // `[[destinations]]` are placeholders beyond reach, so those are checked offline.
        let args: &[&str] = if block.contains("[[destinations]]") {
            &["check-config", "--offline"]
        } else {
            &["check-config"]
        };
        let out = ServiceBuilder::new().config(&block).cli(args);
        assert!(
            out.status.success(),
            "{block}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn check_config_names_a_bad_write_mode_and_a_missing_list() {
    let config = r#"
[[subscriptions]]
name = "bad"
action = "assertRecord"
write_mode = "sometimes"
mapping = { object = "people", matching_attribute = "email_addresses" }

[[subscriptions]]
name = "no list"
action = "upsertListEntry"
mapping = { parent_object = "people", parent_matching_attribute = "email_addresses", parent_attributes = {} }
"#;
    let out = ServiceBuilder::new().config(config).cli(&["check-config"]);
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("write_mode") && text.contains("sometimes"), "{text}");
    assert!(
        text.contains("no list") && text.contains("mapping.list is required"),
        "{text}"
    );
}
