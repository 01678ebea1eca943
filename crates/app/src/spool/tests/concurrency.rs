use std::collections::BTreeSet;
use std::sync::Arc;

use domain::ports::EventSpool;
use tokio::sync::Barrier;

use super::{event, spool};

const TASKS: usize = 50;
const EVENTS_PER_TASK: i64 = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_are_all_stored_and_share_commits() {
    let (_dir, _config, spool) = spool();
    let before = spool.writer_stats();
    let start = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS as i64)
        .map(|task| {
            let spool = spool.clone();
            let start = start.clone();
            tokio::spawn(async move {
                let events = (0..EVENTS_PER_TASK).map(|n| event(task * 1000 + n)).collect();
                start.wait().await;
                let ids = spool.append(events).await.expect("append");
                (task, ids)
            })
        })
        .collect();

    let mut expected = Vec::new();
    for task in tasks {
        let (task, ids) = task.await.expect("task");
        assert_eq!(ids.len() as i64, EVENTS_PER_TASK);
        assert!(
            ids.windows(2).all(|pair| pair[0] < pair[1]),
            "a request's ids are in order: {ids:?}"
        );
        for (n, id) in ids.into_iter().enumerate() {
            expected.push((id, event(task * 1000 + n as i64).payload));
        }
    }
    expected.sort();

    let stored = spool.read_after(0, TASKS * 10 * 2).await.expect("read");
    let stored: Vec<(i64, String)> = stored.into_iter().map(|e| (e.id, e.payload)).collect();
    assert_eq!(stored, expected, "every acknowledged event is stored under its id");
    let unique: BTreeSet<i64> = stored.iter().map(|(id, _)| *id).collect();
    assert_eq!(unique.len(), TASKS * EVENTS_PER_TASK as usize);

    let after = spool.writer_stats();
    let requests = after.requests - before.requests;
    let transactions = after.transactions - before.transactions;
    assert_eq!(requests, TASKS as u64);
    assert!(
        transactions < requests,
        "{requests} concurrent requests took {transactions} transactions; they should share commits"
    );
}

#[tokio::test]
async fn sequential_appends_commit_one_transaction_each() {
    let (_dir, _config, spool) = spool();
    let before = spool.writer_stats();
    for n in 0..3 {
        spool.append(vec![event(n)]).await.expect("append");
    }
    let after = spool.writer_stats();
    assert_eq!(after.transactions - before.transactions, 3);
    assert_eq!(after.requests - before.requests, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_never_exceed_max_pending() {
    let (_dir, _config, spool) = super::spool_with(|config| config.max_pending = 10);
    let start = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let spool = spool.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                spool.append((0..3).map(|n| event(task * 10 + n)).collect()).await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => accepted += 1,
            Err(domain::ports::SpoolError::Full { pending }) => assert!(pending + 3 > 10, "refused at {pending}"),
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!(accepted, 3, "three batches of three fit under ten");
    assert_eq!(spool.stats().await.expect("stats").pending, 9);
    assert_eq!(spool.read_after(0, 100).await.expect("read").len(), 9);
}
