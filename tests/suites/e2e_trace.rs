//! End to end: what happened to an event. The trace read with `events show|list` and
//! `GET /events`, the admin token, searchable dead letters named by event id or
//! messageId, `--data-dir` on every spool command, the unmatched counter and
//! `message_id` in the logs; real processes, a real spool and the simulator.

use std::process::Output;
use std::time::Duration;

use segment_attio_acceptance::binary;
use segment_attio_acceptance::service::{eventually, DataDir, Service, ServiceBuilder, SimulatorProcess};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);
const ADMIN: &str = "admin-secret-4711";

const CONFIG: &str = r#"
[[subscriptions]]
name = "Identify"
action = "identifyUser"
subscribe = 'type = "identify"'
use_default_mapping = true
"#;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "failed: {}{}", stdout(out), stderr(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

fn dir_arg(service: &Service) -> String {
    service.data_dir().path().display().to_string()
}

/// `events show ID --data-dir DIR --json` (the contract's form).
fn show(service: &Service, id: &str) -> Output {
    service.cli(&["events", "show", id, "--data-dir", &dir_arg(service), "--json"])
}

/// Polls `events show` until the event reaches `state`.
async fn wait_state(service: &Service, id: &str, state: &str) -> Value {
    eventually(&format!("event {id} to be {state}"), WAIT, || async move {
        let out = show(service, id);
        if !out.status.success() {
            return Err(stderr(&out));
        }
        let trace: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        if trace["state"] == state {
            Ok(trace)
        } else {
            Err(trace.to_string())
        }
    })
    .await
}

async fn get(service: &Service, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request = service.client.get(service.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.expect("GET reaches the service");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_delivered_event_shows_its_subscriptions_and_attio_requests_by_message_id_and_event_id() {
    let service = ServiceBuilder::new().config(CONFIG).start().await;
    let event = json!({"userId": "t1", "messageId": "msg-delivered-1", "traits": {"email": "t1@example.com"}});
    assert_eq!(service.post("/v1/identify", &event).await.status(), 200);

    let trace = wait_state(&service, "msg-delivered-1", "delivered").await;
    assert_eq!(trace["message_id"], "msg-delivered-1");
    assert_eq!(trace["type"], "identify");
    assert_eq!(trace["user_id"], "t1");
    assert_eq!(trace["subscriptions"][0]["name"], "Identify");
    assert_eq!(trace["subscriptions"][0]["matched"], true);
    let requests = trace["attio_requests"].as_array().expect("attio_requests");
    // identifyUser asserts the person, then the user.
    assert_eq!(requests.len(), 2, "{trace}");
    for r in requests {
        assert_eq!(r["method"], "PUT", "{r}");
        assert_eq!(r["status"], 200, "{r}");
        assert!(r["duration_ms"].as_f64().is_some(), "{r}");
    }
    assert!(requests[0]["path"]
        .as_str()
        .unwrap_or_default()
        .starts_with("/v2/objects/people/records/simple"));
    assert!(requests[1]["path"]
        .as_str()
        .unwrap_or_default()
        .starts_with("/v2/objects/users/records/simple"));
    assert_eq!(trace["attempts"], 1);

    // The spool's event id names the same event.
    let id = trace["event_id"].as_i64().expect("event_id").to_string();
    let by_id = json_of(&show(&service, &id));
    assert_eq!(by_id["message_id"], "msg-delivered-1");

    // The human form names the event the way the logs do.
    let text = stdout(&service.cli(&["events", "show", "msg-delivered-1"]));
    assert!(
        text.contains(&format!("event {id}  message_id=msg-delivered-1")),
        "{text}"
    );
    assert!(text.contains("-> 200"), "{text}");

    // An unknown id is an error.
    let out = show(&service, "no-such-message");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no-such-message"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_rejected_event_has_a_reason_and_one_id_in_the_trace_the_logs_and_the_dead_letters() {
    let service = ServiceBuilder::new().config(CONFIG).start().await;
    let event = json!({"userId": "t2", "messageId": "msg-rejected-1", "traits": {"email": "not-an-email"}});
    assert_eq!(service.post("/v1/identify", &event).await.status(), 200);

    let trace = wait_state(&service, "msg-rejected-1", "rejected").await;
    let reason = trace["reason"].as_str().expect("a reason");
    assert!(reason.contains("email_address"), "{reason}");
    assert_eq!(trace["attio_requests"], json!([]));
    let event_id = trace["event_id"].as_i64().expect("event_id");

    // The contract's form of the dead-letter list.
    let dir = dir_arg(&service);
    let letters = json_of(&service.cli(&["dead-letters", "--data-dir", &dir, "list", "--json"]));
    let letters = letters.as_array().expect("a list");
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter["message_id"], "msg-rejected-1");
    assert_eq!(letter["event_id"], event_id);
    assert_eq!(letter["type"], "identify");
    assert_eq!(letter["user_id"], "t2");
    assert_eq!(letter["subscription"], "Identify");
    assert_eq!(letter["reason"], trace["subscriptions"][0]["reason"]);
    assert_eq!(
        letter["payload"]["traits"]["email"], "not-an-email",
        "the payload is JSON"
    );

    // The log line names the event the same way.
    let logged = service
        .log_entries()
        .into_iter()
        .any(|e| e["fields"]["message_id"] == "msg-rejected-1" && e["fields"]["event_id"] == event_id);
    assert!(logged, "no log line with message_id and event_id:\n{}", service.logs());

    // The table shows the reason in full, with the message id, type and user.
    let table = stdout(&service.cli(&["dead-letters", "list"]));
    assert!(table.contains("message_id=msg-rejected-1"), "{table}");
    assert!(table.contains("user/group=t2"), "{table}");
    assert!(table.contains(reason_of_letter(letter)), "{table}");

    // Filters.
    let filtered = |args: &[&str]| -> usize {
        let mut all = vec!["dead-letters", "list", "--json"];
        all.extend_from_slice(args);
        json_of(&service.cli(&all)).as_array().map_or(0, Vec::len)
    };
    assert_eq!(filtered(&["--reason", "valid email"]), 1);
    assert_eq!(filtered(&["--reason", "timed out"]), 0);
    assert_eq!(filtered(&["--subscription", "Identify"]), 1);
    assert_eq!(filtered(&["--subscription", "Other"]), 0);
    assert_eq!(filtered(&["--since", "1h"]), 1);
    assert_eq!(filtered(&["--since", "2999-01-01T00:00:00Z"]), 0);

    // show by messageId and by event id.
    for id in ["msg-rejected-1".to_owned(), event_id.to_string()] {
        let shown = json_of(&service.cli(&["dead-letters", "show", &id]));
        assert_eq!(shown["message_id"], "msg-rejected-1", "{shown}");
    }

    // Unknown ids are errors, and change nothing.
    for cmd in [
        vec!["dead-letters", "show", "999"],
        vec!["dead-letters", "replay", "--id", "999"],
        vec!["dead-letters", "purge", "--id", "nope", "--yes"],
    ] {
        let out = service.cli(&cmd);
        assert!(!out.status.success(), "{cmd:?} succeeded: {}", stdout(&out));
    }

    // A dry run and a purge without --yes say what they would do, and do nothing.
    let out = service.cli(&["dead-letters", "replay", "--id", "msg-rejected-1", "--dry-run"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("would move 1"), "{}", stdout(&out));
    let out = service.cli(&["dead-letters", "purge", "--id", "msg-rejected-1"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("would delete 1"), "{}", stdout(&out));
    assert_eq!(service.dead_letters().len(), 1);

    let out = service.cli(&["dead-letters", "purge", "--id", "msg-rejected-1", "--yes"]);
    assert!(stdout(&out).contains("1 dead letter(s) deleted"), "{}", stdout(&out));
    assert!(service.dead_letters().is_empty());
}

fn reason_of_letter(letter: &Value) -> &str {
    letter["reason"].as_str().unwrap_or("?")
}

#[tokio::test]
async fn an_event_attio_keeps_refusing_is_dead_lettered_with_the_requests_and_their_status() {
    let sim = SimulatorProcess::start().await;
    let service = ServiceBuilder::new()
        .config(CONFIG)
        .attio(&sim)
        .unthrottled()
        .env("SEGMENT_ATTIO__DELIVERY__MAX_AGE_SECS", "1")
        .start()
        .await;
    // A first event is delivered, so the workspace's schema is read (and cached) while
    // Attio still answers; then every request fails.
    let warm_up = json!({"userId": "t0", "messageId": "msg-warm-up", "traits": {"email": "t0@example.com"}});
    assert_eq!(service.post("/v1/identify", &warm_up).await.status(), 200);
    wait_state(&service, "msg-warm-up", "delivered").await;
    sim.set_faults(&json!({"server_error_rate": 1.0})).await;
    let event = json!({"userId": "t3", "messageId": "msg-dead-1", "traits": {"email": "t3@example.com"}});
    assert_eq!(service.post("/v1/identify", &event).await.status(), 200);

    let trace = wait_state(&service, "msg-dead-1", "dead_lettered").await;
    let reason = trace["reason"].as_str().expect("a reason");
    assert!(reason.contains("gave up"), "{reason}");
    let requests = trace["attio_requests"].as_array().expect("attio_requests");
    assert!(requests.len() >= 2, "retried: {trace}");
    for r in requests {
        assert_eq!(r["method"], "PUT");
        let status = r["status"].as_u64().expect("a status");
        assert!(status == 500 || status == 503, "{r}");
        assert!(r["error"].is_string(), "Attio's body: {r}");
    }
    assert!(trace["attempts"].as_u64().unwrap_or(0) >= 2, "{trace}");
    let letters = service.dead_letters();
    assert_eq!(letters[0]["message_id"], "msg-dead-1");
    assert!(letters[0]["attempts"].as_u64().unwrap_or(0) >= 2);
}

#[tokio::test]
async fn the_admin_token_guards_events_and_metrics_and_counts_unmatched_events_by_type() {
    let service = ServiceBuilder::new()
        .config(CONFIG)
        .env("SEGMENT_ATTIO__SERVER__ADMIN_TOKEN", ADMIN)
        .start()
        .await;
    let group = json!({"userId": "t4", "groupId": "g1", "messageId": "msg-unmatched-1", "traits": {"name": "G"}});
    assert_eq!(service.post("/v1/group", &group).await.status(), 200);
    let identify = json!({"userId": "t4", "messageId": "msg-http-1", "traits": {"email": "t4@example.com"}});
    assert_eq!(service.post("/v1/identify", &identify).await.status(), 200);

    let trace = wait_state(&service, "msg-unmatched-1", "skipped").await;
    assert_eq!(trace["group_id"], "g1");
    let why = trace["subscriptions"][0]["why_not"].as_str().unwrap_or_default();
    assert!(why.contains(r#"type = "identify""#), "{trace}");
    wait_state(&service, "msg-http-1", "delivered").await;

    // /healthz stays open; the rest asks for the token.
    assert_eq!(get(&service, "/healthz", None).await.0, 200);
    for path in ["/metrics", "/events/msg-http-1", "/events?state=delivered"] {
        assert_eq!(get(&service, path, None).await.0, 401, "{path}");
        assert_eq!(get(&service, path, Some("wrong")).await.0, 401, "{path}");
    }

    let (status, metrics) = get(&service, "/metrics", Some(ADMIN)).await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains(r#"segment_attio_events_unmatched_total{type="group"} 1"#),
        "{metrics}"
    );

    let (status, body) = get(&service, "/events/msg-http-1", Some(ADMIN)).await;
    assert_eq!(status, 200, "{body}");
    let shown: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(shown["state"], "delivered");
    assert_eq!(shown["attio_requests"][0]["status"], 200);

    let (status, body) = get(&service, "/events?state=skipped&type=group", Some(ADMIN)).await;
    assert_eq!(status, 200, "{body}");
    let listed: Value = serde_json::from_str(&body).expect("JSON");
    let events = listed["events"].as_array().expect("events");
    assert_eq!(events.len(), 1, "{listed}");
    assert_eq!(events[0]["message_id"], "msg-unmatched-1");

    let (status, body) = get(&service, "/events?state=lost", Some(ADMIN)).await;
    assert_eq!(status, 400);
    assert!(body.contains("state"), "{body}");
    assert_eq!(get(&service, "/events/nothing-here", Some(ADMIN)).await.0, 404);

    // The same list on the command line, with its filters.
    let listed = json_of(&service.cli(&["events", "list", "--json", "--user-id", "t4", "--state", "delivered"]));
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["message_id"], "msg-http-1");
    let by_sub = json_of(&service.cli(&["events", "list", "--json", "--subscription", "Identify"]));
    assert_eq!(by_sub.as_array().map(Vec::len), Some(1));
    let by_type = json_of(&service.cli(&["events", "list", "--json", "--type", "group", "--since", "1h"]));
    assert_eq!(by_type.as_array().map(Vec::len), Some(1));

    // The README's examples, as written.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README");
    let examples: Vec<&str> = readme
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with(r#"curl -H "Authorization: Bearer $ADMIN_TOKEN""#))
        .collect();
    assert_eq!(examples.len(), 2, "README /events examples: {examples:?}");
    for example in examples {
        let url = example
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .trim_matches('"')
            .replace("http://127.0.0.1:8080", "")
            .replace("MESSAGE_ID", "msg-http-1");
        let (status, body) = get(&service, &url, Some(ADMIN)).await;
        assert_eq!(status, 200, "{example}: {body}");
        let _: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{example}: {e}: {body}"));
    }

    assert!(!service.logs().contains(ADMIN), "the admin token was logged");
}

#[tokio::test]
async fn without_an_admin_token_the_trace_endpoints_answer_on_loopback_and_metrics_stay_open() {
    let service = ServiceBuilder::new().start().await;
    assert_eq!(get(&service, "/metrics", None).await.0, 200);
    let (status, body) = get(&service, "/events", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"events\""), "{body}");
}

#[tokio::test]
async fn import_with_data_dir_fills_that_spool_and_its_events_show_as_waiting() {
    let dir = DataDir::temp();
    let file = dir.path().join("events.jsonl");
    std::fs::write(
        &file,
        "{\"type\":\"identify\",\"userId\":\"i1\",\"messageId\":\"msg-import-1\",\"traits\":{\"email\":\"i1@example.com\"}}\n",
    )
    .expect("write");
    let data = dir.path().join("other-instance");
    let data_arg = data.display().to_string();
    let configured = dir.path().join("configured.sqlite");
    let run = |args: &[&str]| {
        std::process::Command::new(binary::path())
            .args(args)
            .env("NO_COLOR", "1")
            .env("SEGMENT_ATTIO__SPOOL__PATH", &configured)
            .output()
            .expect("segment-attio runs")
    };
    let out = run(&["import", "--data-dir", &data_arg, &file.display().to_string()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("1 event(s) imported"), "{}", stdout(&out));
    // It says which spool it opened, since it is not the configured one.
    assert!(
        stderr(&out).contains(&data.join("spool.sqlite").display().to_string()),
        "{}",
        stderr(&out)
    );
    assert!(data.join("spool.sqlite").is_file());
    assert!(!configured.exists(), "the configured spool was not touched");

    // Not delivered yet: the event waits in that spool.
    let out = run(&["events", "show", "msg-import-1", "--data-dir", &data_arg, "--json"]);
    let trace = json_of(&out);
    assert_eq!(trace["state"], "waiting");
    assert_eq!(trace["user_id"], "i1");
    assert_eq!(trace["attio_requests"], json!([]));

    // The configured spool does not exist: inspecting it is an error naming the file.
    let out = run(&["dead-letters", "list"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("configured.sqlite"), "{}", stderr(&out));
    assert!(!configured.exists(), "inspecting does not create a spool");
}

#[tokio::test]
async fn with_the_trace_off_delivered_events_leave_no_trace() {
    let service = ServiceBuilder::new()
        .config(CONFIG)
        .env("SEGMENT_ATTIO__SPOOL__TRACE", "false")
        .start()
        .await;
    let event = json!({"userId": "t5", "messageId": "msg-untraced-1", "traits": {"email": "t5@example.com"}});
    assert_eq!(service.post("/v1/identify", &event).await.status(), 200);
    service.wait_for_records("users", WAIT, |r| r.len() == 1).await;
    service.wait_until_drained(WAIT).await;
    let out = show(&service, "msg-untraced-1");
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(stderr(&out).contains("trace is off"), "{}", stderr(&out));
}
