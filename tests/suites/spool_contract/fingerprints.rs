//! The write fingerprints of `delivery.skip_unchanged`.

use app::spool::FingerprintBounds;
use domain::ports::{RecordRef, WrittenState};

use super::{at, Fixture, Kind};

fn record(matching: &str) -> RecordRef {
    RecordRef {
        destination: "default".to_owned(),
        object: "people".to_owned(),
        matching: matching.to_owned(),
    }
}

fn state(fingerprint: &str, written_at: &str) -> WrittenState {
    WrittenState {
        fingerprint: fingerprint.to_owned(),
        written_at: at(written_at),
    }
}

pub(super) async fn write_fingerprints_are_remembered_replaced_forgotten_and_bounded(kind: Kind) {
    let f = Fixture::new(kind).await;
    let bounds = FingerprintBounds {
        max_age: std::time::Duration::from_secs(3600),
        max_records: 1_000,
    };
    let store = f.spool.write_fingerprints(bounds).await.expect("the store opens");
    let (a, b, c) = (record("email:a@x.io"), record("email:b@x.io"), record("email:c@x.io"));
    assert_eq!(
        store.written(vec![a.clone(), b.clone()]).await.expect("read"),
        vec![None, None]
    );
    store
        .remember(vec![
            (a.clone(), state("fa-1", "2030-01-01T00:00:00.123456Z")),
            (b.clone(), state("fb-1", "2030-01-01T00:00:01Z")),
            (a.clone(), state("fa-2", "2030-01-01T00:00:02Z")),
        ])
        .await
        .expect("remember");
    assert_eq!(
        store
            .written(vec![b.clone(), c.clone(), a.clone()])
            .await
            .expect("read"),
        vec![
            Some(state("fb-1", "2030-01-01T00:00:01Z")),
            None,
            Some(state("fa-2", "2030-01-01T00:00:02Z"))
        ],
        "in the order asked; the last state of a record wins"
    );
    store.forget(vec![b.clone()]).await.expect("forget");
    assert_eq!(store.written(vec![b.clone()]).await.expect("read"), vec![None]);
    // A state older than max_age behind the newest remembered is dropped.
    store
        .remember(vec![(c.clone(), state("fc-1", "2030-01-01T02:00:00Z"))])
        .await
        .expect("remember");
    // The bounds hold for what is written: a store may keep states in memory until then.
    store.flush().await.expect("flush");
    assert_eq!(
        store.written(vec![a.clone(), c.clone()]).await.expect("read"),
        vec![None, Some(state("fc-1", "2030-01-01T02:00:00Z"))]
    );
    // Another record in another destination is another record.
    let elsewhere = RecordRef {
        destination: "eu".to_owned(),
        ..c.clone()
    };
    assert_eq!(store.written(vec![elsewhere]).await.expect("read"), vec![None]);
}

pub(super) async fn write_fingerprints_keep_at_most_max_records(kind: Kind) {
    let f = Fixture::new(kind).await;
    let bounds = FingerprintBounds {
        max_age: std::time::Duration::from_secs(86_400),
        max_records: 10,
    };
    let store = f.spool.write_fingerprints(bounds).await.expect("open");
    for n in 0..30 {
        store
            .remember(vec![(
                record(&format!("m{n:02}")),
                state(&format!("f{n}"), &format!("2030-01-01T00:00:{n:02}Z")),
            )])
            .await
            .expect("remember");
        store.flush().await.expect("flush");
    }
    let all: Vec<RecordRef> = (0..30).map(|n| record(&format!("m{n:02}"))).collect();
    let kept = store.written(all).await.expect("read");
    let remembered = kept.iter().filter(|s| s.is_some()).count();
    assert!((10..=11).contains(&remembered), "{remembered} remembered");
    assert!(kept[29].is_some() && kept[0].is_none(), "the oldest go first");
}
