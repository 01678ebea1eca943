use domain::ports::{DeadLetterSelection, DeadLetters, EventSpool};

use super::{event, letter, spool};
use crate::spool::SqliteSpool;

/// Three events dead-lettered: two for "people", one for "companies". Returns the event ids
/// and the letter ids, oldest first.
async fn three_letters(spool: &SqliteSpool) -> (Vec<i64>, Vec<i64>) {
    let ids = spool.append((1..=3).map(event).collect()).await.expect("append");
    spool
        .dead_letter(
            vec![
                letter(ids[0], "people"),
                letter(ids[1], "companies"),
                letter(ids[2], "people"),
            ],
            ids.clone(),
        )
        .await
        .expect("dead letter");
    let mut letter_ids: Vec<i64> = spool
        .list(10, 0)
        .await
        .expect("list")
        .iter()
        .map(|stored| stored.id)
        .collect();
    letter_ids.reverse();
    (ids, letter_ids)
}

#[tokio::test]
async fn dead_letter_stores_the_letters_and_removes_the_events_together() {
    let (_dir, _config, spool) = spool();
    let ids = spool.append(vec![event(1), event(2)]).await.expect("append");
    spool
        .dead_letter(vec![letter(ids[0], "people")], vec![ids[0]])
        .await
        .expect("dead letter");

    let left: Vec<i64> = spool
        .read_after(0, 10)
        .await
        .expect("read")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, vec![ids[1]]);
    let stored = spool.list(10, 0).await.expect("list");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].letter, letter(ids[0], "people"));
    assert_eq!(spool.get(stored[0].id).await.expect("get"), Some(stored[0].clone()));
}

#[tokio::test]
async fn event_can_be_dead_lettered_for_one_subscription_and_kept_for_another() {
    let (_dir, _config, spool) = spool();
    let ids = spool.append(vec![event(1)]).await.expect("append");
    spool
        .dead_letter(vec![letter(ids[0], "people")], Vec::new())
        .await
        .expect("dead letter");
    assert_eq!(spool.read_after(0, 10).await.expect("read").len(), 1);
    let stats = spool.stats().await.expect("stats");
    assert_eq!((stats.pending, stats.dead_letters), (1, 1));
}

/// Makes the file refuse dead letters for the subscription "poison", as a failing disk would.
fn poison(config: &crate::spool::SpoolConfig) {
    let conn = rusqlite::Connection::open(&config.path).expect("open");
    conn.execute_batch(
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON dead_letters WHEN NEW.subscription = 'poison'
         BEGIN SELECT RAISE(ABORT, 'poisoned'); END;",
    )
    .expect("trigger");
}

#[tokio::test]
async fn failed_dead_letter_request_changes_nothing() {
    let (_dir, config, spool) = spool();
    let ids = spool.append(vec![event(1), event(2)]).await.expect("append");
    poison(&config);
    let outcome = spool
        .dead_letter(vec![letter(ids[0], "people"), letter(ids[0], "poison")], vec![ids[0]])
        .await;
    let Err(domain::ports::SpoolError::Storage(message)) = outcome else {
        panic!("the poisoned insert must fail the request, got {outcome:?}");
    };
    assert!(
        message.contains("storing a dead letter") && message.contains("poisoned"),
        "{message}"
    );
    assert!(
        spool.list(10, 0).await.expect("list").is_empty(),
        "the first letter was rolled back"
    );
    assert_eq!(
        spool.read_after(0, 10).await.expect("read").len(),
        2,
        "the event was not removed"
    );
    let stats = spool.stats().await.expect("stats");
    assert_eq!((stats.pending, stats.dead_letters), (2, 0));
}

#[tokio::test]
async fn failed_request_does_not_fail_the_others_committed_with_it() {
    let (_dir, config, spool) = spool();
    let ids = spool.append(vec![event(1), event(2)]).await.expect("append");
    poison(&config);
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let spool = spool.clone();
            let subscription = if n % 4 == 0 { "poison" } else { "people" };
            let id = ids[n % 2];
            tokio::spawn(async move { spool.dead_letter(vec![letter(id, subscription)], Vec::new()).await })
        })
        .collect();
    let mut refused = 0;
    for task in tasks {
        if task.await.expect("task").is_err() {
            refused += 1;
        }
    }
    assert_eq!(refused, 4);
    assert_eq!(spool.stats().await.expect("stats").dead_letters, 12);
    assert_eq!(spool.list(100, 0).await.expect("list").len(), 12);
}

#[tokio::test]
async fn list_is_newest_first_with_limit_and_offset() {
    let (_dir, _config, spool) = spool();
    let (_, oldest_first) = three_letters(&spool).await;
    let page: Vec<i64> = spool
        .list(2, 1)
        .await
        .expect("list")
        .iter()
        .map(|stored| stored.id)
        .collect();
    assert_eq!(page, vec![oldest_first[1], oldest_first[0]]);
    assert!(spool.list(10, 3).await.expect("list").is_empty());
    assert_eq!(spool.get(oldest_first[2] + 100).await.expect("get"), None);
}

#[tokio::test]
async fn replay_by_subscription_moves_those_letters_back_for_their_subscription() {
    let (_dir, _config, spool) = spool();
    let (events, _) = three_letters(&spool).await;
    assert_eq!(
        spool
            .replay(DeadLetterSelection::Subscription("people".to_owned()))
            .await,
        Ok(2)
    );

    let replayed = spool.read_after(0, 10).await.expect("read");
    assert_eq!(replayed.len(), 2);
    assert!(replayed
        .iter()
        .all(|e| e.only_subscription.as_deref() == Some("people")));
    // In the order the events were first accepted.
    assert_eq!(replayed[0].payload, letter(events[0], "people").payload);
    assert_eq!(replayed[0].received_at, letter(events[0], "people").received_at);
    assert_eq!(replayed[1].payload, letter(events[2], "people").payload);
    assert!(replayed[0].id > events[2], "replayed events get new ids");
    let left = spool.list(10, 0).await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].letter.subscription, "companies");
    let stats = spool.stats().await.expect("stats");
    assert_eq!((stats.pending, stats.dead_letters), (2, 1));
}

#[tokio::test]
async fn replay_by_ids_moves_only_those_that_exist() {
    let (_dir, _config, spool) = spool();
    let (_, letters) = three_letters(&spool).await;
    let moved = spool
        .replay(DeadLetterSelection::Ids(vec![letters[1], letters[1] + 1000]))
        .await;
    assert_eq!(moved, Ok(1));
    let replayed = spool.read_after(0, 10).await.expect("read");
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0].only_subscription.as_deref(), Some("companies"));
    assert_eq!(spool.get(letters[1]).await.expect("get"), None);
    assert_eq!(spool.list(10, 0).await.expect("list").len(), 2);
}

#[tokio::test]
async fn replay_all_empties_the_dead_letters() {
    let (_dir, _config, spool) = spool();
    three_letters(&spool).await;
    assert_eq!(spool.replay(DeadLetterSelection::All).await, Ok(3));
    assert!(spool.list(10, 0).await.expect("list").is_empty());
    let stats = spool.stats().await.expect("stats");
    assert_eq!((stats.pending, stats.dead_letters), (3, 0));
    assert_eq!(spool.replay(DeadLetterSelection::All).await, Ok(0));
}

#[tokio::test]
async fn purge_by_each_selection_deletes_and_counts() {
    let (_dir, _config, spool) = spool();
    let (_, letters) = three_letters(&spool).await;
    assert_eq!(spool.purge(DeadLetterSelection::Ids(vec![letters[0]])).await, Ok(1));
    assert_eq!(
        spool
            .purge(DeadLetterSelection::Subscription("people".to_owned()))
            .await,
        Ok(1)
    );
    assert_eq!(spool.list(10, 0).await.expect("list")[0].id, letters[1]);
    assert_eq!(spool.purge(DeadLetterSelection::All).await, Ok(1));
    assert_eq!(spool.stats().await.expect("stats").dead_letters, 0);
    assert_eq!(
        spool.stats().await.expect("stats").pending,
        0,
        "purging never touches events"
    );
}

#[tokio::test]
async fn dead_letters_survive_a_restart() {
    let (_dir, config, spool) = spool();
    let (_, letters) = three_letters(&spool).await;
    drop(spool);
    let reopened = SqliteSpool::open(config).expect("reopen");
    assert_eq!(reopened.stats().await.expect("stats").dead_letters, 3);
    let stored = reopened.get(letters[0]).await.expect("get").expect("still there");
    assert_eq!(stored.letter.subscription, "people");
    assert_eq!(stored.letter.attempts, 3);
}

#[tokio::test]
async fn counts_stay_right_when_another_process_replays() {
    let (_dir, config, service) = spool();
    three_letters(&service).await;
    // The dead-letters command opens the same file from another process.
    let command = SqliteSpool::open(config.clone()).expect("second opener");
    assert_eq!(command.replay(DeadLetterSelection::All).await, Ok(3));
    command.close().await;
    let seen = service.stats().await.expect("stats");
    assert_eq!((seen.pending, seen.dead_letters), (3, 0));
    // The service's next write starts from the stored counts, not its own stale copy.
    service.ack(vec![]).await.expect("ack");
    let ids: Vec<i64> = service
        .read_after(0, 10)
        .await
        .expect("read")
        .iter()
        .map(|e| e.id)
        .collect();
    service.ack(ids).await.expect("ack");
    let after = service.stats().await.expect("stats");
    assert_eq!((after.pending, after.dead_letters), (0, 0));
}
