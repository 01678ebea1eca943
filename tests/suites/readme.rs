//! The README's configuration example, read out of README.md, works end to end on the
//! built-in simulator: `check-config` accepts it (checked against the workspace) and the
//! events it describes become the records it promises.

use std::time::Duration;

use segment_attio_acceptance::service::{find_records, first_value, ServiceBuilder};
use serde_json::json;

const README: &str = include_str!("../../README.md");
const WAIT: Duration = Duration::from_secs(20);

/// The first ```toml block of the "## Configuration" section.
fn configuration_example() -> &'static str {
    let section = README
        .split("\n## Configuration\n")
        .nth(1)
        .expect("README has a Configuration section");
    section
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the section has a TOML example")
}

#[tokio::test]
async fn the_readme_configuration_example_works_end_to_end_on_the_built_in_simulator() {
    let example = configuration_example();
    assert!(example.contains("[[subscriptions]]"), "{example}");
    let mut builder = ServiceBuilder::new().config(example);
    let out = builder.cli(&["check-config"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let service = builder.start().await;
    let identify = json!({"type": "identify", "userId": "u-42", "messageId": "readme-1",
        "traits": {"email": "ada@example.com", "name": "Ada Lovelace", "title": "Analyst"}});
    let signed_up = json!({"type": "track", "userId": "u-42", "event": "Account Created", "messageId": "readme-2",
        "properties": {"domain": "analytical.engines", "company": "Analytical Engines"}});
    // The example's write key is required.
    assert_eq!(service.post("/v1/identify", &identify).await.status(), 401);
    for event in [&identify, &signed_up] {
        let r = service
            .post_with_key("/v1/batch", "my-write-key", &json!({ "batch": [event] }))
            .await;
        assert_eq!(r.status(), 200);
    }
    service.wait_until_drained(WAIT).await;
    assert!(service.dead_letters().is_empty(), "{:?}", service.dead_letters());

    let people = service.wait_for_records("people", WAIT, |r| r.len() == 1).await;
    assert_eq!(
        first_value(&people[0], "job_title").and_then(|v| v["value"].as_str()),
        Some("Analyst"),
        "{people:?}"
    );
    let users = service.wait_for_records("users", WAIT, |r| r.len() == 1).await;
    assert_eq!(find_records(&users, "user_id", "value", "u-42").len(), 1, "{users:?}");
    let companies = service.wait_for_records("companies", WAIT, |r| r.len() == 1).await;
    assert_eq!(
        first_value(&companies[0], "name").and_then(|v| v["value"].as_str()),
        Some("Analytical Engines"),
        "{companies:?}"
    );
    assert_eq!(
        first_value(&companies[0], "domains").and_then(|v| v["domain"].as_str()),
        Some("analytical.engines"),
        "{companies:?}"
    );
}

/// The TOML block that follows `<!-- example: NAME -->`.
fn marked_example(name: &str) -> &'static str {
    let marker = format!("<!-- example: {name} -->");
    let after = README.split_once(marker.as_str()).expect("the example's marker").1;
    let body = after.split_once("```toml\n").expect("a toml block").1;
    body.split_once("```").expect("the block's end").0
}

/// Each `<!-- test-event -->` block: the subscription, the event and the output shown.
fn test_event_blocks() -> Vec<(String, String, String)> {
    README
        .split("<!-- test-event -->\n```console\n$ segment-attio test-event --subscription \"")
        .skip(1)
        .map(|block| {
            let block = block.split_once("\n```").expect("the block's end").0;
            let (command, output) = block.split_once('\n').expect("the command, then its output");
            let (name, event) = command.split_once("\" '").expect("the subscription, then the event");
            let event = event.strip_suffix('\'').expect("the event in single quotes");
            (name.to_owned(), event.to_owned(), format!("{output}\n"))
        })
        .collect()
}

#[test]
fn the_readme_shows_what_test_event_prints_for_each_list_and_note_action() {
    let blocks = test_event_blocks();
    let names: Vec<&str> = blocks.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["Onboarding stage", "Leave onboarding", "Ticket notes"]);
    let mut builder = ServiceBuilder::new().config(marked_example("lists-notes"));
    for (name, event, shown) in blocks {
        let out = builder.cli(&["test-event", "--subscription", &name, &event]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), shown, "test-event for {name}");
    }
}
