use domain::ports::{EventSpool, SpoolError, SpoolStats};

use super::{at, event, spool, spool_with};
use crate::spool::SqliteSpool;

#[tokio::test]
async fn appended_events_are_read_back_in_order_with_their_ids() {
    let (_dir, _config, spool) = spool();
    let first = spool.append(vec![event(1), event(2)]).await.expect("append");
    let second = spool.append(vec![event(3)]).await.expect("append");
    assert_eq!(first.len(), 2);
    assert!(
        first[0] < first[1] && first[1] < second[0],
        "ids grow: {first:?} {second:?}"
    );

    let read = spool.read_after(0, 10).await.expect("read");
    let ids: Vec<i64> = read.iter().map(|stored| stored.id).collect();
    assert_eq!(ids, [first.clone(), second].concat());
    assert_eq!(read[0].payload, event(1).payload);
    assert_eq!(read[2].received_at, event(3).received_at);
    assert_eq!(read[1].only_subscription, None);
}

#[tokio::test]
async fn read_after_honours_the_cursor_and_the_limit() {
    let (_dir, _config, spool) = spool();
    let ids = spool.append((1..=5).map(event).collect()).await.expect("append");
    let page = spool.read_after(ids[1], 2).await.expect("read");
    assert_eq!(
        page.iter().map(|stored| stored.id).collect::<Vec<_>>(),
        vec![ids[2], ids[3]]
    );
    assert!(spool.read_after(ids[4], 10).await.expect("read").is_empty());
    assert!(spool.read_after(0, 0).await.expect("read").is_empty());
}

#[tokio::test]
async fn only_subscription_is_kept() {
    let (_dir, _config, spool) = spool();
    let mut targeted = event(1);
    targeted.only_subscription = Some("people".to_owned());
    spool.append(vec![targeted]).await.expect("append");
    let read = spool.read_after(0, 1).await.expect("read");
    assert_eq!(read[0].only_subscription.as_deref(), Some("people"));
}

#[tokio::test]
async fn ack_removes_only_the_given_events() {
    let (_dir, _config, spool) = spool();
    let ids = spool.append((1..=4).map(event).collect()).await.expect("append");
    spool.ack(vec![ids[0], ids[2]]).await.expect("ack");
    let left: Vec<i64> = spool
        .read_after(0, 10)
        .await
        .expect("read")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, vec![ids[1], ids[3]]);
    assert_eq!(spool.stats().await.expect("stats").pending, 2);
}

#[tokio::test]
async fn acking_an_unknown_id_changes_nothing() {
    let (_dir, _config, spool) = spool();
    let ids = spool.append(vec![event(1)]).await.expect("append");
    spool
        .ack(vec![ids[0] + 100])
        .await
        .expect("ack of a missing id is not an error");
    assert_eq!(spool.stats().await.expect("stats").pending, 1);
}

#[tokio::test]
async fn unacked_events_survive_a_restart_and_ids_keep_growing() {
    let (_dir, config, spool) = spool();
    let ids = spool.append((1..=3).map(event).collect()).await.expect("append");
    spool.ack(vec![ids[2]]).await.expect("ack");
    drop(spool);

    let reopened = SqliteSpool::open(config).expect("reopen");
    let left = reopened.read_after(0, 10).await.expect("read");
    assert_eq!(left.iter().map(|e| e.id).collect::<Vec<_>>(), vec![ids[0], ids[1]]);
    assert_eq!(left[1].payload, event(2).payload);
    assert_eq!(reopened.stats().await.expect("stats").pending, 2);
    let next = reopened.append(vec![event(9)]).await.expect("append");
    assert!(
        next[0] > ids[2],
        "an acked id is never given again: {next:?} after {ids:?}"
    );
}

#[tokio::test]
async fn stats_report_depth_age_and_dead_letters() {
    let (_dir, _config, spool) = spool();
    assert_eq!(spool.stats().await.expect("stats"), SpoolStats::default());
    let ids = spool.append(vec![event(5), event(2), event(7)]).await.expect("append");
    spool
        .dead_letter(vec![super::letter(ids[2], "people")], vec![ids[2]])
        .await
        .expect("dead letter");
    let stats = spool.stats().await.expect("stats");
    assert_eq!(
        stats,
        SpoolStats {
            pending: 2,
            oldest_received_at: Some(at(5)),
            dead_letters: 1
        }
    );
    spool.ack(vec![ids[0]]).await.expect("ack");
    assert_eq!(spool.stats().await.expect("stats").oldest_received_at, Some(at(2)));
}

#[tokio::test]
async fn append_beyond_max_pending_is_full_and_stores_nothing() {
    let (_dir, _config, spool) = spool_with(|config| config.max_pending = 3);
    let ids = spool.append(vec![event(1), event(2)]).await.expect("room for two");
    assert_eq!(
        spool.append(vec![event(3), event(4)]).await,
        Err(SpoolError::Full { pending: 2 })
    );
    assert_eq!(spool.stats().await.expect("stats").pending, 2);
    spool.append(vec![event(3)]).await.expect("room for one more");
    assert_eq!(spool.append(vec![event(4)]).await, Err(SpoolError::Full { pending: 3 }));
    spool.ack(vec![ids[0]]).await.expect("ack");
    spool.append(vec![event(4)]).await.expect("acking makes room");
}

#[tokio::test]
async fn pending_count_survives_a_restart_for_the_full_check() {
    let (_dir, config, spool) = spool_with(|config| config.max_pending = 2);
    spool.append(vec![event(1), event(2)]).await.expect("append");
    drop(spool);
    let reopened = SqliteSpool::open(config).expect("reopen");
    assert_eq!(
        reopened.append(vec![event(3)]).await,
        Err(SpoolError::Full { pending: 2 })
    );
}

#[tokio::test]
async fn writes_after_close_are_refused_and_reads_still_work() {
    let (_dir, _config, spool) = spool();
    let ids = spool.append(vec![event(1)]).await.expect("append");
    let clone = spool.clone();
    spool.close().await;
    assert_eq!(clone.append(vec![event(2)]).await, Err(SpoolError::Closed));
    assert_eq!(clone.ack(ids.clone()).await, Err(SpoolError::Closed));
    assert_eq!(clone.read_after(0, 10).await.expect("read").len(), 1);
    clone.close().await;
}

#[tokio::test]
async fn open_creates_the_parent_directory() {
    let (dir, config, _spool) = spool();
    assert!(config.path.starts_with(dir.path().join("nested")));
    assert!(config.path.exists(), "{} was not created", config.path.display());
}

#[test]
fn open_refuses_an_invalid_configuration_by_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = crate::spool::SpoolConfig::at(dir.path().join("spool.sqlite"));
    config.write_queue = 0;
    let Err(SpoolError::Storage(message)) = SqliteSpool::open(config) else {
        panic!("a zero write queue must be refused");
    };
    assert!(message.contains("spool.write_queue"), "{message}");
}

#[test]
fn open_reports_a_path_that_is_not_a_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("spool.sqlite");
    std::fs::write(&path, vec![b'x'; 4096]).expect("write junk");
    let Err(SpoolError::Storage(message)) = SqliteSpool::open(crate::spool::SpoolConfig::at(&path)) else {
        panic!("a junk file must be refused");
    };
    assert!(message.contains("not a database"), "{message}");
}
