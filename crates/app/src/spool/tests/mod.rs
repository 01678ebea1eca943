//! Behaviour of `SqliteSpool` against real files.

mod concurrency;
mod dead_letters;
mod durability;
mod events;
mod trace;
mod watch;

use chrono::{DateTime, Duration, Utc};
use domain::ports::{DeadLetter, NewEvent};
use tempfile::TempDir;

use super::{SpoolConfig, SqliteSpool};

pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("valid") + Duration::seconds(seconds)
}

pub(super) fn event(n: i64) -> NewEvent {
    NewEvent {
        received_at: at(n),
        payload: format!(r#"{{"type":"track","event":"Signed Up","messageId":"m-{n}"}}"#),
        only_subscription: None,
        only_destinations: None,
    }
}

pub(super) fn letter(event_id: i64, subscription: &str) -> DeadLetter {
    DeadLetter {
        event_id,
        received_at: at(event_id),
        payload: format!(r#"{{"messageId":"m-{event_id}"}}"#),
        subscription: subscription.to_owned(),
        reason: format!("properties.email of event {event_id} is not an email address"),
        attempts: 3,
        last_error: Some("400 {\"code\":\"validation_type\"}".to_owned()),
        failed_at: at(event_id + 1000),
    }
}

/// A spool in a fresh directory; keep the `TempDir` alive while the spool is used.
pub(super) fn spool_with(configure: impl FnOnce(&mut SpoolConfig)) -> (TempDir, SpoolConfig, SqliteSpool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = SpoolConfig::at(dir.path().join("nested").join("spool.sqlite"));
    configure(&mut config);
    let spool = SqliteSpool::open(config.clone()).expect("open spool");
    (dir, config, spool)
}

pub(super) fn spool() -> (TempDir, SpoolConfig, SqliteSpool) {
    spool_with(|_| {})
}
