use super::*;
use crate::spool::{SpoolConfig, SqliteSpool};

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("valid")
}

fn record(n: u32) -> RecordRef {
    RecordRef {
        destination: "default".into(),
        object: "people".into(),
        matching: format!("email_addresses=\"p{n}@example.com\""),
    }
}

fn state(fingerprint: &str, seconds: i64) -> WrittenState {
    WrittenState {
        fingerprint: fingerprint.into(),
        written_at: at(seconds),
    }
}

struct Opened {
    _dir: tempfile::TempDir,
    config: SpoolConfig,
    spool: SqliteSpool,
}

fn open_spool() -> Opened {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = SpoolConfig::at(dir.path().join("spool.sqlite"));
    let spool = SqliteSpool::open(config.clone()).expect("spool");
    Opened {
        _dir: dir,
        config,
        spool,
    }
}

#[tokio::test]
async fn remembered_states_survive_reopening_and_come_back_in_the_order_asked() {
    let opened = open_spool();
    let store = SqliteWriteFingerprints::open(&opened.spool, FingerprintBounds::default()).expect("open");
    store
        .remember(vec![(record(1), state("a", 0)), (record(2), state("b", 1))])
        .await
        .expect("remember");
    store.flush().await.expect("written to the file");
    drop(store);
    opened.spool.close().await;
    let reopened = SqliteSpool::open(opened.config.clone()).expect("reopen the spool");
    let store = SqliteWriteFingerprints::open(&reopened, FingerprintBounds::default()).expect("reopen");
    let got = store
        .written(vec![record(2), record(3), record(1)])
        .await
        .expect("written");
    assert_eq!(got, vec![Some(state("b", 1)), None, Some(state("a", 0))]);
}

#[tokio::test]
async fn remembering_a_record_again_replaces_its_state() {
    let opened = open_spool();
    let store = SqliteWriteFingerprints::open(&opened.spool, FingerprintBounds::default()).expect("open");
    store.remember(vec![(record(1), state("a", 0))]).await.expect("first");
    store.flush().await.expect("written to the file");
    store.remember(vec![(record(1), state("b", 5))]).await.expect("second");
    store.flush().await.expect("written to the file");
    assert_eq!(
        store.written(vec![record(1)]).await.expect("written"),
        vec![Some(state("b", 5))]
    );
    assert_eq!(store.len().await.expect("len"), 1);
}

#[tokio::test]
async fn forgotten_records_have_no_state_and_others_keep_theirs() {
    let opened = open_spool();
    let store = SqliteWriteFingerprints::open(&opened.spool, FingerprintBounds::default()).expect("open");
    store
        .remember(vec![(record(1), state("a", 0)), (record(2), state("b", 0))])
        .await
        .expect("remember");
    store.flush().await.expect("written to the file");
    store.forget(vec![record(1), record(9)]).await.expect("forget");
    assert_eq!(
        store.written(vec![record(1), record(2)]).await.expect("written"),
        vec![None, Some(state("b", 0))]
    );
}

#[tokio::test]
async fn the_same_record_in_two_destinations_has_two_states() {
    let opened = open_spool();
    let store = SqliteWriteFingerprints::open(&opened.spool, FingerprintBounds::default()).expect("open");
    let eu = RecordRef {
        destination: "eu".into(),
        ..record(1)
    };
    store
        .remember(vec![(record(1), state("a", 0)), (eu.clone(), state("b", 0))])
        .await
        .expect("remember");
    store.flush().await.expect("written to the file");
    assert_eq!(
        store.written(vec![eu, record(1)]).await.expect("written"),
        vec![Some(state("b", 0)), Some(state("a", 0))]
    );
}

#[tokio::test]
async fn states_older_than_max_age_are_pruned_when_newer_ones_are_remembered() {
    let opened = open_spool();
    let bounds = FingerprintBounds {
        max_age: Duration::from_secs(100),
        max_records: 1_000,
    };
    let store = SqliteWriteFingerprints::open(&opened.spool, bounds).expect("open");
    store
        .remember(vec![(record(1), state("old", 0)), (record(2), state("recent", 60))])
        .await
        .expect("remember");
    store.flush().await.expect("written to the file");
    store
        .remember(vec![(record(3), state("new", 150))])
        .await
        .expect("remember");
    store.flush().await.expect("written to the file");
    assert_eq!(
        store
            .written(vec![record(1), record(2), record(3)])
            .await
            .expect("written"),
        vec![None, Some(state("recent", 60)), Some(state("new", 150))]
    );
}

#[tokio::test]
async fn the_table_never_holds_more_than_max_records_plus_a_tenth() {
    let opened = open_spool();
    let bounds = FingerprintBounds {
        max_age: Duration::from_secs(1_000_000),
        max_records: 20,
    };
    let store = SqliteWriteFingerprints::open(&opened.spool, bounds).expect("open");
    for n in 0..100u32 {
        store
            .remember(vec![(record(n), state("f", i64::from(n)))])
            .await
            .expect("remember");
        store.flush().await.expect("written to the file");
        let len = store.len().await.expect("len");
        assert!(len <= 22, "{len} rows after {n}");
    }
    // The newest survive.
    assert_eq!(
        store.written(vec![record(99)]).await.expect("written"),
        vec![Some(state("f", 99))]
    );
    assert_eq!(store.written(vec![record(0)]).await.expect("written"), vec![None]);
}

#[tokio::test]
async fn written_at_keeps_microseconds() {
    let opened = open_spool();
    let store = SqliteWriteFingerprints::open(&opened.spool, FingerprintBounds::default()).expect("open");
    let t = at(0) + chrono::Duration::microseconds(123_456);
    let s = WrittenState {
        fingerprint: "x".into(),
        written_at: t,
    };
    store.remember(vec![(record(1), s.clone())]).await.expect("remember");
    store.flush().await.expect("written to the file");
    assert_eq!(store.written(vec![record(1)]).await.expect("written"), vec![Some(s)]);
}

#[test]
fn zero_max_records_is_refused() {
    let opened = open_spool();
    let bounds = FingerprintBounds {
        max_records: 0,
        ..FingerprintBounds::default()
    };
    let Err(SpoolError::Storage(message)) = SqliteWriteFingerprints::open(&opened.spool, bounds) else {
        panic!("zero must be refused");
    };
    assert!(message.contains("max_records"), "{message}");
}
