//! Several instances on one PostgreSQL spool: the partitions are shared fairly, each
//! event is read by exactly one instance, the events of one identity by the same one in
//! acceptance order, and the partitions of an instance that died are taken over after
//! its lease ran out, from their first waiting event.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;
use domain::ports::{EventSpool, NewEvent, SpoolError, SpooledEvent};
use postgres_spool::{PostgresConfig, PostgresSpool};
use segment_attio_acceptance::pg::TempDatabase;

const PARTITIONS: u32 = 8;
const LEASE: Duration = Duration::from_millis(1_000);

async fn instance(db: &TempDatabase) -> PostgresSpool {
    let config = PostgresConfig {
        lease: LEASE,
        partitions: PARTITIONS,
        ..PostgresConfig::at(db.url())
    };
    PostgresSpool::open(config).await.expect("the spool opens")
}

fn events(users: u32, per_user: u32) -> Vec<NewEvent> {
    let mut out = Vec::new();
    for n in 0..per_user {
        for user in 0..users {
            out.push(NewEvent {
                received_at: Utc::now(),
                payload: format!(r#"{{"type":"identify","userId":"user-{user}","traits":{{"n":{n}}}}}"#),
                only_subscription: None,
                only_destinations: None,
            });
        }
    }
    out
}

fn user_of(event: &SpooledEvent) -> String {
    let value: serde_json::Value = serde_json::from_str(&event.payload).expect("json");
    value["userId"].as_str().expect("user").to_owned()
}

/// Reads everything an instance is given, as delivery does (keeping the greatest id).
async fn drain(spool: &PostgresSpool, cursor: &mut i64) -> Vec<SpooledEvent> {
    let mut all = Vec::new();
    loop {
        let batch = spool.read_after(*cursor, 50).await.expect("read");
        if batch.is_empty() {
            return all;
        }
        for event in &batch {
            *cursor = (*cursor).max(event.id);
        }
        all.extend(batch);
    }
}

/// Heartbeats both until each holds its fair share (the one giving partitions up drains
/// them for a lease first).
async fn balance(a: &PostgresSpool, b: &PostgresSpool) {
    let deadline = tokio::time::Instant::now() + LEASE * 6;
    loop {
        a.heartbeat_once().await.expect("heartbeat");
        b.heartbeat_once().await.expect("heartbeat");
        if a.partitions_held().len() == 4 && b.partitions_held().len() == 4 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not balanced: {:?} / {:?}",
            a.partitions_held(),
            b.partitions_held()
        );
        tokio::time::sleep(LEASE / 4).await;
    }
}

fn check_per_user_order(read: &[SpooledEvent]) -> BTreeSet<String> {
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    for event in read {
        let user = user_of(event);
        if let Some(before) = last.insert(user.clone(), event.id) {
            assert!(before < event.id, "{user}: {before} read before {}", event.id);
        }
    }
    last.into_keys().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_partitions_and_each_event_is_read_once() {
    let db = TempDatabase::create("shared").await;
    let a = instance(&db).await;
    assert_eq!(
        a.partitions_held().len(),
        PARTITIONS as usize,
        "alone, it holds every partition"
    );
    let b = instance(&db).await;
    balance(&a, &b).await;
    let held_a: BTreeSet<i32> = a.partitions_held().into_iter().collect();
    let held_b: BTreeSet<i32> = b.partitions_held().into_iter().collect();
    assert!(held_a.is_disjoint(&held_b), "{held_a:?} / {held_b:?}");

    // Either instance ingests.
    let mut ids = a.append(events(40, 3)).await.expect("append");
    ids.extend(b.append(events(40, 2)).await.expect("append"));
    let (mut cursor_a, mut cursor_b) = (0, 0);
    let read_a = drain(&a, &mut cursor_a).await;
    let read_b = drain(&b, &mut cursor_b).await;
    assert!(!read_a.is_empty() && !read_b.is_empty(), "both deliver");
    let mut all: Vec<i64> = read_a.iter().chain(&read_b).map(|e| e.id).collect();
    all.sort_unstable();
    ids.sort_unstable();
    assert_eq!(all, ids, "every event read, and once");
    let users_a = check_per_user_order(&read_a);
    let users_b = check_per_user_order(&read_b);
    assert!(users_a.is_disjoint(&users_b), "a user's events go to one instance");
    a.close().await.expect("close");
    b.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_partitions_of_a_dead_instance_are_taken_over_from_their_first_waiting_event() {
    let db = TempDatabase::create("takeover").await;
    let a = instance(&db).await;
    let b = instance(&db).await;
    balance(&a, &b).await;
    let ids = b.append(events(40, 3)).await.expect("append");
    let (mut cursor_a, mut cursor_b) = (0, 0);
    let read_a = drain(&a, &mut cursor_a).await;
    let read_b = drain(&b, &mut cursor_b).await;
    // `a` delivers half of what it read, then dies without a word.
    let (done, in_flight) = read_a.split_at(read_a.len() / 2);
    a.ack(done.iter().map(|e| e.id).collect()).await.expect("ack");
    b.ack(read_b.iter().map(|e| e.id).collect()).await.expect("ack");
    drop(a);
    // New events arrive for every partition meanwhile.
    let later = b.append(events(40, 1)).await.expect("append");
    let mut read_b = drain(&b, &mut cursor_b).await;
    let started = tokio::time::Instant::now();
    while b.partitions_held().len() < PARTITIONS as usize {
        assert!(
            started.elapsed() < LEASE * 5,
            "not taken over: {:?}",
            b.partitions_held()
        );
        tokio::time::sleep(LEASE / 4).await;
        b.heartbeat_once().await.expect("heartbeat");
    }
    read_b.extend(drain(&b, &mut cursor_b).await);
    let got: BTreeSet<i64> = read_b.iter().map(|e| e.id).collect();
    let waiting: BTreeSet<i64> = in_flight.iter().map(|e| e.id).chain(later.iter().copied()).collect();
    assert_eq!(
        got, waiting,
        "the in-flight events of the dead instance and the new ones, once each"
    );
    assert!(
        done.iter().all(|e| !got.contains(&e.id)),
        "acknowledged events are not repeated"
    );
    assert!(ids.len() > waiting.len() - later.len());
    b.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_hands_the_partitions_over_at_once() {
    let db = TempDatabase::create("handover").await;
    let a = instance(&db).await;
    let b = instance(&db).await;
    assert!(b.partitions_held().is_empty(), "a holds them all");
    a.close().await.expect("close");
    b.heartbeat_once().await.expect("heartbeat");
    assert_eq!(b.partitions_held().len(), PARTITIONS as usize);
    let refused = a.append(events(1, 1)).await;
    assert!(matches!(refused, Err(SpoolError::Closed)), "{refused:?}");
    b.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_migrate_once_and_must_agree_on_the_partitions() {
    let db = TempDatabase::create("migrate").await;
    let (a, b) = tokio::join!(instance(&db), instance(&db));
    let client = db.connect().await;
    let row = client
        .query_one(
            "SELECT count(*), count(DISTINCT version), MAX(version) FROM spool_schema",
            &[],
        )
        .await
        .expect("versions");
    let (rows, distinct, newest): (i64, i64, i32) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(rows, distinct, "each migration recorded once");
    assert_eq!(rows, i64::from(newest), "every version from 1 to the newest");
    assert!(newest >= 2, "{newest}");
    let other = PostgresConfig {
        partitions: PARTITIONS * 2,
        ..PostgresConfig::at(db.url())
    };
    let Err(SpoolError::Storage(message)) = PostgresSpool::open(other).await else {
        panic!("a different partition count must be refused");
    };
    assert!(
        message.contains("spool.partitions") && message.contains(&PARTITIONS.to_string()),
        "{message}"
    );
    a.close().await.expect("close");
    b.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_reported_without_its_password() {
    let config = PostgresConfig {
        pool_size: 1,
        ..PostgresConfig::at("postgres://postgres:s3cret-pw@127.0.0.1:1/nothing")
    };
    let Err(SpoolError::Storage(message)) = PostgresSpool::open(config).await else {
        panic!("nothing listens on port 1");
    };
    assert!(message.contains("127.0.0.1:1/nothing"), "{message}");
    assert!(!message.contains("s3cret-pw"), "{message}");
}
