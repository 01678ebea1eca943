use domain::ports::{Appended, EventSpool, IdentifiedEvent};

use super::{event, spool, spool_with};
use crate::spool::SqliteSpool;

/// Received `seconds` after a start a minute ago (old ids are forgotten by the wall clock).
fn identified(n: i64, message_id: &str, seconds: i64) -> IdentifiedEvent {
    let start = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() - 60, 0).expect("valid");
    IdentifiedEvent {
        event: domain::ports::NewEvent {
            received_at: start + chrono::Duration::seconds(seconds),
            ..event(n)
        },
        message_id: Some(message_id.to_owned()),
    }
}

#[tokio::test]
async fn a_message_id_seen_within_the_window_is_not_stored_again() {
    let (_dir, config, spool) = spool_with(|config| config.dedup_window_secs = 600);
    let first = spool
        .append_once(vec![
            identified(1, "m-a", 0),
            identified(2, "m-a", 1),
            identified(3, "m-b", 1),
        ])
        .await
        .expect("append");
    assert!(matches!(first[0], Appended::Stored(_)), "{first:?}");
    assert_eq!(first[1], Appended::Duplicate);
    assert!(matches!(first[2], Appended::Stored(_)), "{first:?}");
    // Later, still within the window, and after a restart: still a repeat.
    spool.close().await;
    drop(spool);
    let spool = SqliteSpool::open(config).expect("reopen");
    let again = spool
        .append_once(vec![identified(4, "m-a", 599)])
        .await
        .expect("append");
    assert_eq!(again, vec![Appended::Duplicate]);
    // Past the window the id is new again.
    let later = spool
        .append_once(vec![identified(5, "m-a", 601)])
        .await
        .expect("append");
    assert!(matches!(later[0], Appended::Stored(_)), "{later:?}");
    assert_eq!(spool.stats().await.expect("stats").pending, 3);
}

#[tokio::test]
async fn events_without_a_message_id_or_without_a_window_are_always_stored() {
    let (_dir, _config, without_window) = spool_with(|config| config.dedup_window_secs = 0);
    let out = without_window
        .append_once(vec![identified(1, "m-a", 0), identified(2, "m-a", 0)])
        .await
        .expect("append");
    assert!(
        out.iter().all(|outcome| matches!(outcome, Appended::Stored(_))),
        "{out:?}"
    );
    let (_dir, _config, spool) = spool();
    let anonymous = || IdentifiedEvent {
        event: event(1),
        message_id: None,
    };
    let out = spool.append_once(vec![anonymous(), anonymous()]).await.expect("append");
    assert!(
        out.iter().all(|outcome| matches!(outcome, Appended::Stored(_))),
        "{out:?}"
    );
}

#[tokio::test]
async fn a_deleted_spool_file_refuses_writes_and_is_not_recreated() {
    let (_dir, config, spool) = spool();
    spool.append(vec![event(1)]).await.expect("append");
    for suffix in ["", "-wal", "-shm"] {
        let mut name = config.path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(name));
    }
    let error = spool.append(vec![event(2)]).await.expect_err("refused");
    assert!(error.to_string().contains("was deleted"), "{error}");
    assert!(spool.fault().is_some());
    assert!(spool.ack(vec![0]).await.is_err(), "the write probe fails too");
    // Reads may open new connections: none of them creates an empty file.
    let _ = spool.stats().await;
    assert!(
        !config.path.exists(),
        "a fresh spool was created in place of the deleted one"
    );
}

#[tokio::test]
async fn a_corrupt_file_is_refused_by_the_integrity_check() {
    let (_dir, config, spool) = spool();
    spool.append((1..=200).map(event).collect()).await.expect("append");
    spool.close().await;
    drop(spool);
    assert_eq!(SqliteSpool::verify(&config), Ok(()));
    let mut bytes = std::fs::read(&config.path).expect("read");
    // Keep the header page; scramble the rest.
    for (index, byte) in bytes.iter_mut().enumerate().skip(4096) {
        *byte = (index % 251) as u8;
    }
    std::fs::write(&config.path, bytes).expect("write");
    let error = SqliteSpool::verify(&config).expect_err("corrupt");
    let message = error.to_string();
    assert!(message.contains("integrity check"), "{message}");
    assert!(message.contains(".recover"), "{message}");
}
