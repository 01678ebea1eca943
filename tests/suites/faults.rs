//! Attio faults are survived: server errors, dropped connections, added latency and 429
//! bursts delay delivery but lose nothing, keep the order per record and honour
//! `Retry-After`; a refused token loses nothing either, and `/readyz` says why.

use std::collections::HashMap;
use std::time::Duration;

use segment_attio_acceptance::service::{find_records, http_client, identify, successful_writes, user_value};
use segment_attio_acceptance::service::{Service, ServiceBuilder, SimulatorProcess};
use serde_json::{json, Value};

const USERS: usize = 25;
const VERSIONS: usize = 6;

async fn post_batch(url: &str, batch: Vec<Value>) {
    let r = http_client()
        .post(format!("{url}/v1/batch"))
        .json(&json!({ "batch": batch }))
        .send()
        .await
        .expect("service answers");
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap_or_default());
}

fn arrivals(stats: &Value) -> Vec<f64> {
    stats
        .get("write_arrivals_ms")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn count(stats: &Value, key: &str) -> u64 {
    stats.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// Sends a 429 burst of `burst` writes while delivery is idle, then `events` new users;
/// returns the write arrivals (ms) from the first 429 on and how many 429s there were.
async fn burst_then_deliver(
    sim: &SimulatorProcess,
    service: &Service,
    faults: Value,
    tag: &str,
    events: usize,
) -> (Vec<f64>, u64) {
    let before = sim.stats().await;
    let first = arrivals(&before).len();
    sim.set_faults(&faults).await;
    let batch = (0..events)
        .map(|i| identify(&format!("{tag}-{i}"), &format!("{tag}-{i}@example.com")))
        .collect();
    post_batch(&service.base_url, batch).await;
    service.wait_until_drained(Duration::from_secs(30)).await;
    let after = sim.stats().await;
    let limited = count(&after, "rate_limited") - count(&before, "rate_limited");
    (arrivals(&after).split_off(first), limited)
}

/// No write arrived while a pause of at least `pause_ms` after a 429 was in force. The
/// first `n429` arrivals are the 429s. The service sends one request at a time here, so
/// no other write can have been on its way when a 429 arrived: the next write is sent
/// after the 429 was read, and must arrive after the pause, however slow the machine.
fn assert_pause_honoured(writes: &[f64], n429: usize, pause_ms: f64) {
    assert!(writes.len() > n429, "no write after the 429s: {writes:?}");
    for (i, &t) in writes[..n429].iter().enumerate() {
        let next = writes[i + 1];
        assert!(
            next >= t + pause_ms - 5.0,
            "a write arrived {:.1} ms after the 429 at {t} ms, inside its {pause_ms} ms pause",
            next - t
        );
    }
    println!(
        "429s at {:?} ms; the first write after them arrived {:.1} ms after the last (pause {pause_ms} ms)",
        &writes[..n429],
        writes[n429] - writes[n429 - 1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_drops_latency_and_429s_lose_nothing_and_keep_order() {
    let sim = SimulatorProcess::start().await;
    sim.set_faults(&json!({"server_error_rate": 0.2, "drop_rate": 0.05, "latency_ms": 15}))
        .await;
    let service = ServiceBuilder::new()
        .attio(&sim)
        .token("faults-token")
        .unthrottled()
        .start()
        .await;
    let url = service.base_url.clone();

    // Every user changes its email VERSIONS times, in order; the last one must win.
    for v in 0..VERSIONS {
        let batch = (0..USERS)
            .map(|u| identify(&format!("user-{u}"), &format!("user-{u}-v{v}@example.com")))
            .collect();
        post_batch(&url, batch).await;
    }
    let drain = service.wait_until_drained(Duration::from_secs(60)).await;
    let stats = sim.stats().await;
    let (pending, dead) = service.spool_counts().await;
    let users = sim.records("users").await.expect("simulator users");
    let finals: HashMap<String, String> = users
        .iter()
        .filter_map(|u| Some((user_value(u, "user_id")?, user_value(u, "primary_email_address")?)))
        .collect();
    println!(
        "{} events, drained in {drain:?}; injected 5xx {}, dropped connections {}, successful writes {}, \
         pending {pending}, dead letters {dead}",
        USERS * VERSIONS,
        count(&stats, "injected_server_errors"),
        count(&stats, "dropped_connections"),
        successful_writes(&stats),
    );
    assert!(
        count(&stats, "injected_server_errors") > 0,
        "no server error was injected"
    );
    assert!(count(&stats, "dropped_connections") > 0, "no connection was dropped");
    assert_eq!(dead, 0, "nothing may be dead-lettered:\n{}", service.logs());
    // Every version of every user makes a person of its own (its email is new): all
    // USERS * VERSIONS of them must be there, exactly once each.
    let people = sim.records("people").await.expect("simulator people");
    let mut missing = Vec::new();
    for u in 0..USERS {
        for v in 0..VERSIONS {
            let email = format!("user-{u}-v{v}@example.com");
            let found = find_records(&people, "email_addresses", "email_address", &email).len();
            if found != 1 {
                missing.push(format!("{email} ({found} people)"));
            }
        }
    }
    assert!(missing.is_empty(), "people not delivered exactly once: {missing:?}");
    assert_eq!(people.len(), USERS * VERSIONS, "one person per event, no other");
    assert_eq!(finals.len(), USERS, "every user delivered");
    for u in 0..USERS {
        let want = format!("user-{u}-v{}@example.com", VERSIONS - 1);
        assert_eq!(
            finals.get(&format!("user-{u}")),
            Some(&want),
            "user-{u} must end with the last email sent"
        );
    }

    // A burst of 429s with Retry-After in seconds: nothing is sent during the pause. A
    // service sending one request at a time makes every write after a 429 one that was
    // sent after it, so no grace for writes already on their way is needed.
    let service = ServiceBuilder::new()
        .attio(&sim)
        .token("faults-token")
        .unthrottled()
        .env("SEGMENT_ATTIO__DELIVERY__CONCURRENCY", "1")
        .start()
        .await;
    let (writes, limited) = burst_then_deliver(
        &sim,
        &service,
        json!({"burst_429": {"count": 2, "retry_after_secs": 2, "seconds_form": true}}),
        "burst-seconds",
        12,
    )
    .await;
    assert_eq!(limited, 2, "the two 429s of the burst");
    assert_pause_honoured(&writes, 2, 2000.0);

    // The same with Retry-After as an HTTP date (whole seconds, so at least 1 s ahead).
    let (writes, limited) = burst_then_deliver(
        &sim,
        &service,
        json!({"burst_429": {"count": 1, "retry_after_secs": 2}, "latency_ms": 10}),
        "burst-date",
        12,
    )
    .await;
    assert_eq!(limited, 1);
    assert_pause_honoured(&writes, 1, 1000.0);
    let (_, dead) = service.spool_counts().await;
    assert_eq!(dead, 0);
    assert_eq!(sim.records("users").await.expect("simulator users").len(), USERS + 24);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_token_loses_nothing_and_readyz_says_why() {
    let sim =
        SimulatorProcess::start_with(&["--write-rate", "0", "--read-rate", "0", "--token", "the-right-token"]).await;
    let wrong = ServiceBuilder::new().attio(&sim).token("a-wrong-token").unthrottled();
    let mut service = wrong.start().await;
    // The check at start finds the token refused: readiness says why before any event.
    let mut ready = (0, Value::Null);
    for _ in 0..100 {
        ready = service.get_json("/readyz").await;
        if ready.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, body) = ready;
    println!("/readyz with a refused token: {status} {body}");
    assert_eq!(status, 503);
    assert_eq!(body["ready"], json!(false));
    assert_eq!(body["credentials"], json!("invalid"));
    let reasons = body["reasons"].to_string();
    assert!(reasons.contains("credentials") && reasons.contains("401"), "{reasons}");

    // Events sent meanwhile wait in the spool: none is sent to be refused, none is dropped.
    let events = 8;
    let batch = (0..events)
        .map(|i| identify(&format!("refused-{i}"), &format!("refused-{i}@example.com")))
        .collect();
    post_batch(&service.base_url, batch).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = service.get_json("/readyz").await;
    println!("/readyz after {events} events: {status} {body}");
    assert_eq!(status, 503);
    assert_eq!(body["delivery_paused"], json!(true));
    let (pending, dead) = service.spool_counts().await;
    assert_eq!((pending, dead), (events, 0), "the events wait for working credentials");
    assert!(sim.records("users").await.expect("simulator users").is_empty());
    let refused_writes = sim.stats().await["requests"]
        .as_array()
        .map(|rs| rs.iter().filter(|r| r["method"] != "GET").count())
        .unwrap_or(0);
    assert_eq!(
        refused_writes, 0,
        "no write is attempted with a token known to be refused"
    );
    assert!(
        service.terminate(Duration::from_secs(15)).is_some(),
        "the service stops on SIGTERM"
    );

    // With the token fixed, the waiting events are delivered.
    // (On the same data directory, and so the same spool.)
    let service = service.builder().token("the-right-token").start().await;
    service.wait_until_drained(Duration::from_secs(30)).await;
    assert_eq!(
        sim.records("users").await.expect("simulator users").len() as u64,
        events,
        "every event delivered in the end"
    );
    let (status, _) = service.get_json("/readyz").await;
    assert_eq!(status, 200);
}
