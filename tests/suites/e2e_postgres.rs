//! The real binary on a PostgreSQL spool (`[spool] url`): events in over HTTP, records out
//! of the built-in simulator, the inspection commands and `import` on the same database,
//! `/readyz` probing it, and a restart that finds what was left waiting.

use std::time::Duration;

use segment_attio_acceptance::pg::TempDatabase;
use segment_attio_acceptance::service::{find_records, ServiceBuilder};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn on(db: &TempDatabase) -> ServiceBuilder {
    ServiceBuilder::new().env("SEGMENT_ATTIO__SPOOL__URL", &db.url())
}

async fn pending(db: &TempDatabase) -> i64 {
    db.connect()
        .await
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .expect("count")
        .get(0)
}

async fn drained(db: &TempDatabase) {
    segment_attio_acceptance::service::eventually("the spool to drain", WAIT, || async {
        match pending(db).await {
            0 => Ok(()),
            n => Err(format!("{n} events waiting")),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_postgres_delivers_and_the_commands_read_the_same_database() {
    let db = TempDatabase::create("e2e").await;
    let service = on(&db).start().await;
    let (status, ready) = service.get_json("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    let r = service
        .post(
            "/v1/identify",
            &json!({"userId": "pg-1", "messageId": "pg-m-1", "traits": {"email": "pg@example.com"}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let people = service.wait_for_records("people", WAIT, |r| r.len() == 1).await;
    assert_eq!(
        find_records(&people, "email_addresses", "email_address", "pg@example.com").len(),
        1
    );
    // A repeat of the messageId is answered but not stored again.
    let r = service
        .post(
            "/v1/identify",
            &json!({"userId": "pg-1", "messageId": "pg-m-1", "traits": {"email": "other@example.com"}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    drained(&db).await;
    let traced = db
        .connect()
        .await
        .query_one("SELECT count(*) FROM event_trace", &[])
        .await
        .expect("count")
        .get::<_, i64>(0);
    assert_eq!(traced, 1, "one event stored and traced");

    let out = service.cli(&["events", "show", "pg-m-1", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let trace: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(trace["state"], "delivered", "{trace}");
    let out = service.cli(&["dead-letters", "list", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).expect("json"), json!([]));
    let logs = service.logs();
    assert!(logs.contains("spool opened on PostgreSQL"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_events_wait_in_postgres_until_serve_delivers_them() {
    let db = TempDatabase::create("import").await;
    let mut builder = on(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("events.jsonl");
    let lines: Vec<String> = (0..5)
        .map(|n| {
            json!({"type": "identify", "userId": format!("imp-{n}"), "traits": {"email": format!("imp{n}@example.com")}})
                .to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).expect("write");
    let out = builder.cli(&["import", file.to_str().expect("path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(pending(&db).await, 5, "import stored them in the database");
    let service = builder.start().await;
    service.wait_for_records("people", WAIT, |r| r.len() == 5).await;
    drained(&db).await;
}

/// The first ```toml block of the README's "## Running several instances" section.
fn readme_example() -> String {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Running several instances")
        .nth(1)
        .expect("the README has the section");
    section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a toml example")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_of_several_instances_runs_two_instances_on_one_database() {
    let db = TempDatabase::create("readme").await;
    let example = readme_example();
    assert!(example.contains("/segment_attio\""), "{example}");
    let config = example.replace("/segment_attio\"", &format!("/{}\"", db.name()));
    let first = ServiceBuilder::new().config(&config).start().await;
    let second = ServiceBuilder::new().config(&config).start().await;
    for (n, service) in [&first, &second].into_iter().enumerate() {
        let r = service
            .post(
                "/v1/identify",
                &json!({"userId": format!("two-{n}"), "traits": {"email": format!("two{n}@example.com")}}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    // Each instance has a simulator of its own: the two people are in the two simulators
    // together, whichever instance delivered each.
    segment_attio_acceptance::service::eventually("both people delivered", WAIT, || async {
        let a = first.records("people").await.unwrap_or_default().len();
        let b = second.records("people").await.unwrap_or_default().len();
        if a + b == 2 {
            Ok(())
        } else {
            Err(format!("{a} + {b} people"))
        }
    })
    .await;
    drained(&db).await;
    // The newcomer gets its share once the first instance handed it over (a lease later).
    segment_attio_acceptance::service::eventually(
        "both instances to hold partitions",
        Duration::from_secs(60),
        || async {
            let owners: i64 = db
                .connect()
                .await
                .query_one(
                    "SELECT count(DISTINCT owner) FROM partition_leases WHERE lease_until > now()",
                    &[],
                )
                .await
                .expect("owners")
                .get(0);
            if owners == 2 {
                Ok(())
            } else {
                Err(format!("{owners} owner(s)"))
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_not_ready_while_the_database_is_gone() {
    let db = TempDatabase::create("readyz").await;
    let service = on(&db).start().await;
    assert_eq!(service.get_json("/readyz").await.0, 200);
    db.drop_now().await;
    let body = segment_attio_acceptance::service::eventually("/readyz to turn not ready", WAIT, || async {
        match service.get_json("/readyz").await {
            (200, body) => Err(format!("still ready: {body}")),
            (_, body) => Ok(body),
        }
    })
    .await;
    let text = body.to_string();
    assert!(text.contains("spool"), "{text}");
    assert!(!text.contains("postgres://"), "no URL in the answer: {text}");
    let r = service
        .post(
            "/v1/identify",
            &json!({"userId": "lost", "traits": {"email": "lost@example.com"}}),
        )
        .await;
    assert_ne!(r.status(), 200, "nothing is acknowledged that was not stored");
}
