//! The spool ports' contract, run against both backends (the SQLite file and the
//! PostgreSQL database), opened through the composition root as `serve` opens them.

use app::spool::{Purpose, Spool, SpoolConfig};
use chrono::{DateTime, Duration, Utc};
use domain::ports::{
    Appended, DeadLetter, DeadLetterFilter, DeadLetterSelection, IdentifiedEvent, NewEvent, SpoolError,
};
use segment_attio_acceptance::pg::TempDatabase;

#[path = "spool_contract/fingerprints.rs"]
mod fingerprints;
#[path = "spool_contract/traces.rs"]
mod traces;

use fingerprints::*;
use traces::*;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Sqlite,
    Postgres,
}

/// A spool of either kind, its configuration (to reopen it) and what holds its storage.
struct Fixture {
    spool: Spool,
    config: SpoolConfig,
    _dir: tempfile::TempDir,
    _db: Option<TempDatabase>,
}

impl Fixture {
    async fn new(kind: Kind) -> Fixture {
        Self::with(kind, |_| {}).await
    }

    async fn with(kind: Kind, adjust: impl FnOnce(&mut SpoolConfig)) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = SpoolConfig::at(dir.path().join("spool.sqlite"));
        let db = match kind {
            Kind::Sqlite => None,
            Kind::Postgres => {
                let db = TempDatabase::create("contract").await;
                config.url = Some(db.url());
                Some(db)
            }
        };
        adjust(&mut config);
        let spool = Spool::open(&config, Purpose::Serve).await.expect("the spool opens");
        Fixture {
            spool,
            config,
            _dir: dir,
            _db: db,
        }
    }

    async fn reopen(&mut self) {
        self.spool.close().await.expect("close");
        self.spool = Spool::open(&self.config, Purpose::Serve)
            .await
            .expect("the spool reopens");
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
}

fn event(user: &str, n: u32) -> NewEvent {
    NewEvent {
        received_at: at("2030-01-02T03:04:05.123456789Z") + Duration::seconds(i64::from(n)),
        payload: format!(r#"{{"type":"identify","userId":"{user}","messageId":"m-{user}-{n}","traits":{{"n":{n}}}}}"#),
        only_subscription: None,
        only_destinations: None,
    }
}

fn identified(user: &str, n: u32, message_id: Option<&str>) -> IdentifiedEvent {
    IdentifiedEvent {
        event: event(user, n),
        message_id: message_id.map(str::to_owned),
    }
}

fn letter(event_id: i64, subscription: &str, reason: &str, failed_at: &str) -> DeadLetter {
    DeadLetter {
        event_id,
        received_at: at("2030-01-01T00:00:00.5Z"),
        payload: format!(r#"{{"type":"identify","userId":"u","messageId":"msg-{event_id}"}}"#),
        subscription: subscription.to_owned(),
        reason: reason.to_owned(),
        attempts: 3,
        last_error: Some("500 boom".to_owned()),
        failed_at: at(failed_at),
    }
}

async fn appended_events_are_read_in_order_and_acknowledged_ones_are_gone(kind: Kind) {
    let f = Fixture::new(kind).await;
    let spool = &f.spool.events;
    let sent = vec![event("a", 1), event("b", 2), event("a", 3)];
    let ids = spool.append(sent.clone()).await.expect("append");
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow: {ids:?}");
    let read = spool.read_after(0, 10).await.expect("read");
    assert_eq!(read.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    for (got, want) in read.iter().zip(&sent) {
        assert_eq!(got.payload, want.payload);
        assert_eq!(got.received_at, want.received_at, "time kept to the nanosecond");
        assert_eq!(got.only_subscription, None);
    }
    let after_first = spool.read_after(ids[0], 10).await.expect("read");
    assert_eq!(after_first.iter().map(|e| e.id).collect::<Vec<_>>(), ids[1..]);
    assert_eq!(spool.read_after(0, 2).await.expect("read").len(), 2, "limit applies");
    spool.ack(vec![ids[0], ids[2]]).await.expect("ack");
    let left = spool.read_after(0, 10).await.expect("read");
    assert_eq!(left.iter().map(|e| e.id).collect::<Vec<_>>(), vec![ids[1]]);
    let stats = spool.stats().await.expect("stats");
    assert_eq!(stats.pending, 1);
    assert_eq!(stats.oldest_received_at, Some(sent[1].received_at));
    spool.ack(vec![ids[0]]).await.expect("acknowledging twice is harmless");
    assert_eq!(spool.stats().await.expect("stats").pending, 1);
    spool.check_writable().await.expect("ready");
}

async fn a_message_id_seen_within_the_window_is_not_stored_again(kind: Kind) {
    let f = Fixture::new(kind).await;
    let spool = &f.spool.events;
    let first = spool
        .append_once(vec![
            identified("u", 1, Some("m-1")),
            identified("u", 2, Some("m-1")),
            identified("u", 3, None),
            identified("u", 4, None),
        ])
        .await
        .expect("append");
    assert!(matches!(first[0], Appended::Stored(_)), "{first:?}");
    assert_eq!(first[1], Appended::Duplicate, "a repeat within one call");
    assert!(matches!(
        (first[2], first[3]),
        (Appended::Stored(_), Appended::Stored(_))
    ));
    let again = spool
        .append_once(vec![identified("u", 5, Some("m-1")), identified("u", 6, Some("m-2"))])
        .await
        .expect("append");
    assert_eq!(again[0], Appended::Duplicate, "a repeat in a later call");
    assert!(matches!(again[1], Appended::Stored(_)));
    assert_eq!(spool.stats().await.expect("stats").pending, 4);
    let ids: Vec<i64> = first
        .iter()
        .chain(&again)
        .filter_map(|a| match a {
            Appended::Stored(id) => Some(*id),
            Appended::Duplicate => None,
        })
        .collect();
    let read: Vec<i64> = spool
        .read_after(0, 10)
        .await
        .expect("read")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(read, ids);
}

async fn a_message_id_is_stored_again_once_the_window_passed(kind: Kind) {
    let f = Fixture::with(kind, |c| c.dedup_window_secs = 60).await;
    let spool = &f.spool.events;
    let mut old = identified("u", 1, Some("m-1"));
    old.event.received_at = at("2030-01-01T00:00:00Z");
    let mut late = identified("u", 2, Some("m-1"));
    late.event.received_at = at("2030-01-01T00:01:01Z");
    assert!(matches!(
        spool.append_once(vec![old]).await.expect("append")[0],
        Appended::Stored(_)
    ));
    assert!(matches!(
        spool.append_once(vec![late]).await.expect("append")[0],
        Appended::Stored(_)
    ));
}

async fn dead_letters_are_listed_searched_replayed_and_purged(kind: Kind) {
    let f = Fixture::new(kind).await;
    let (spool, letters) = (&f.spool.events, &f.spool.dead_letters);
    let ids = spool
        .append(vec![event("a", 1), event("b", 2), event("c", 3)])
        .await
        .expect("append");
    spool
        .dead_letter(
            vec![
                letter(
                    ids[0],
                    "people",
                    "attio answered 400: bad email",
                    "2030-01-01T00:00:01Z",
                ),
                letter(ids[0], "companies", "attio answered 500", "2030-01-01T00:00:02Z"),
                letter(ids[1], "people", "no email", "2030-01-01T00:00:03.5Z"),
            ],
            vec![ids[0], ids[1]],
        )
        .await
        .expect("dead letter");
    let stats = spool.stats().await.expect("stats");
    assert_eq!((stats.pending, stats.dead_letters), (1, 3));
    let listed = letters.list(10, 0).await.expect("list");
    assert_eq!(listed.len(), 3);
    assert!(
        listed[0].id > listed[1].id && listed[1].id > listed[2].id,
        "newest first"
    );
    assert_eq!(
        listed[2].letter,
        letter(
            ids[0],
            "people",
            "attio answered 400: bad email",
            "2030-01-01T00:00:01Z"
        )
    );
    assert_eq!(letters.list(1, 1).await.expect("page")[0].id, listed[1].id);
    assert_eq!(letters.get(listed[0].id).await.expect("get"), Some(listed[0].clone()));
    assert_eq!(letters.get(-5).await.expect("get"), None);
    let by_subscription = letters
        .search(DeadLetterFilter {
            subscription: Some("people".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("search");
    assert_eq!(by_subscription.len(), 2);
    let by_reason = letters
        .search(DeadLetterFilter {
            reason: Some("answered".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("search");
    assert_eq!(by_reason.len(), 2);
    let since = letters
        .search(DeadLetterFilter {
            since: Some(at("2030-01-01T00:00:03.2Z")),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("search");
    assert_eq!(
        since.iter().map(|l| l.letter.event_id).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    let of_event = letters.of_event(&ids[0].to_string()).await.expect("of event");
    assert_eq!(of_event.len(), 2);
    assert!(of_event[0].id < of_event[1].id, "oldest first");
    let by_message_id = letters.of_event(&format!("msg-{}", ids[1])).await.expect("of event");
    assert_eq!(by_message_id.len(), 1);

    let moved = letters
        .replay(DeadLetterSelection::Ids(vec![of_event[1].id]))
        .await
        .expect("replay");
    assert_eq!(moved, 1);
    let waiting = spool.read_after(ids[2], 10).await.expect("read");
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].only_subscription.as_deref(), Some("companies"));
    assert_eq!(waiting[0].received_at, at("2030-01-01T00:00:00.5Z"));
    let stats = spool.stats().await.expect("stats");
    assert_eq!((stats.pending, stats.dead_letters), (2, 2));
    assert_eq!(
        letters
            .purge(DeadLetterSelection::Subscription("people".into()))
            .await
            .expect("purge"),
        2
    );
    assert_eq!(spool.stats().await.expect("stats").dead_letters, 0);
    assert_eq!(letters.purge(DeadLetterSelection::All).await.expect("purge"), 0);
}

async fn replaying_everything_keeps_acceptance_order(kind: Kind) {
    let f = Fixture::new(kind).await;
    let (spool, letters) = (&f.spool.events, &f.spool.dead_letters);
    let ids = spool.append(vec![event("a", 1), event("a", 2)]).await.expect("append");
    // Dead-lettered newest first: replay still follows the events' order.
    spool
        .dead_letter(vec![letter(ids[1], "s", "late", "2030-01-01T00:00:01Z")], vec![ids[1]])
        .await
        .expect("dead letter");
    spool
        .dead_letter(vec![letter(ids[0], "s", "early", "2030-01-01T00:00:02Z")], vec![ids[0]])
        .await
        .expect("dead letter");
    assert_eq!(letters.replay(DeadLetterSelection::All).await.expect("replay"), 2);
    let replayed = spool.read_after(ids[1], 10).await.expect("read");
    let payload_ids: Vec<String> = replayed.iter().map(|e| e.payload.clone()).collect();
    assert_eq!(payload_ids.len(), 2);
    assert!(payload_ids[0].contains(&format!("msg-{}", ids[0])), "{payload_ids:?}");
    assert!(payload_ids[1].contains(&format!("msg-{}", ids[1])), "{payload_ids:?}");
}

async fn a_full_spool_refuses_and_stores_nothing(kind: Kind) {
    let f = Fixture::with(kind, |c| c.max_pending = 3).await;
    let spool = &f.spool.events;
    spool
        .append(vec![event("a", 1), event("a", 2)])
        .await
        .expect("room for two");
    let refused = spool.append(vec![event("a", 3), event("a", 4)]).await;
    assert!(matches!(refused, Err(SpoolError::Full { pending: 2 })), "{refused:?}");
    assert_eq!(spool.stats().await.expect("stats").pending, 2);
}

async fn concurrent_writers_each_get_their_own_ids_and_nothing_is_lost(kind: Kind) {
    let f = Fixture::new(kind).await;
    let mut tasks = Vec::new();
    for writer in 0..8u32 {
        let spool = f.spool.events.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..25u32 {
                ids.extend(
                    spool
                        .append(vec![
                            event(&format!("w{writer}"), n),
                            event(&format!("w{writer}"), n + 100),
                        ])
                        .await
                        .expect("append"),
                );
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let ids = task.await.expect("writer");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "one writer's ids grow");
        all.extend(ids);
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 400);
    let read: Vec<i64> = f
        .spool
        .events
        .read_after(0, 1000)
        .await
        .expect("read")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(read, all);
    assert_eq!(f.spool.events.stats().await.expect("stats").pending, 400);
}

async fn what_was_stored_survives_a_restart(kind: Kind) {
    let mut f = Fixture::new(kind).await;
    let ids = f
        .spool
        .events
        .append(vec![event("a", 1), event("b", 2)])
        .await
        .expect("append");
    f.spool.events.ack(vec![ids[0]]).await.expect("ack");
    f.spool
        .events
        .dead_letter(vec![letter(ids[0], "s", "why", "2030-01-01T00:00:00Z")], Vec::new())
        .await
        .expect("letter");
    f.spool
        .journal
        .note_started("k", at("2030-01-01T00:00:00Z"))
        .await
        .expect("note");
    f.reopen().await;
    let read = f.spool.events.read_after(0, 10).await.expect("read");
    assert_eq!(read.iter().map(|e| e.id).collect::<Vec<_>>(), vec![ids[1]]);
    let stats = f.spool.events.stats().await.expect("stats");
    assert_eq!((stats.pending, stats.dead_letters), (1, 1));
    assert!(f.spool.journal.note_attempt("k").await.expect("note").is_some());
    let more = f.spool.events.append(vec![event("c", 3)]).await.expect("append");
    assert!(more[0] > ids[1], "ids keep growing after a restart");
}

async fn a_closed_spool_refuses_writes(kind: Kind) {
    let f = Fixture::new(kind).await;
    f.spool.close().await.expect("close");
    f.spool.close().await.expect("closing twice is harmless");
    let refused = f.spool.events.append(vec![event("a", 1)]).await;
    assert!(matches!(refused, Err(SpoolError::Closed)), "{refused:?}");
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Kind::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Kind::Postgres).await
                }
            )*
        }
    };
}

contract!(
    appended_events_are_read_in_order_and_acknowledged_ones_are_gone,
    a_message_id_seen_within_the_window_is_not_stored_again,
    a_message_id_is_stored_again_once_the_window_passed,
    dead_letters_are_listed_searched_replayed_and_purged,
    replaying_everything_keeps_acceptance_order,
    a_full_spool_refuses_and_stores_nothing,
    concurrent_writers_each_get_their_own_ids_and_nothing_is_lost,
    what_was_stored_survives_a_restart,
    a_closed_spool_refuses_writes,
    traces_are_found_listed_and_replaced,
    the_journal_keeps_notes_and_skipped_events,
    write_fingerprints_are_remembered_replaced_forgotten_and_bounded,
    write_fingerprints_keep_at_most_max_records,
);
