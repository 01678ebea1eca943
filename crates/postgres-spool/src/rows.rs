//! Timestamps are stored as RFC 3339 text in UTC, exactly as the SQLite spool stores them
//! (nanoseconds kept; PostgreSQL's timestamptz keeps microseconds only).

use chrono::{DateTime, SecondsFormat, Utc};
use domain::ports::{DeadLetter, SpoolError, SpooledEvent, StoredDeadLetter};
use tokio_postgres::Row;

pub(crate) fn encode_time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) fn decode_time(text: &str, column: &str, table: &str, id: i64) -> Result<DateTime<Utc>, SpoolError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| {
            SpoolError::Storage(format!(
                "{table} row {id}: stored {column} {text:?} is not an RFC 3339 timestamp: {error}"
            ))
        })
}

/// The whole second of `at` as text: a prefix of every stored time in that second, so
/// that a text comparison keeps them all (the exact time is checked after reading).
pub(crate) fn second_prefix(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

pub(crate) const EVENT_COLUMNS: &str = "id, received_at, payload, only_subscription, only_destinations";
/// How many columns `EVENT_COLUMNS` names (the index of a column selected after them).
pub(crate) const EVENT_COLUMN_COUNT: usize = 5;

pub(crate) fn event_from_row(row: &Row) -> Result<SpooledEvent, SpoolError> {
    let id: i64 = row.get(0);
    let received_at: String = row.get(1);
    Ok(SpooledEvent {
        id,
        received_at: decode_time(&received_at, "received_at", "events", id)?,
        payload: row.get(2),
        only_subscription: row.get(3),
        only_destinations: row
            .get::<_, Option<String>>(4)
            .map(|text| {
                serde_json::from_str(&text).map_err(|e| {
                    SpoolError::Storage(format!(
                        "events row {id}: only_destinations is not a list of names: {e}"
                    ))
                })
            })
            .transpose()?,
    })
}

pub(crate) const DEAD_LETTER_COLUMNS: &str =
    "id, event_id, received_at, payload, subscription, reason, attempts, last_error, failed_at, destination";

pub(crate) fn dead_letter_from_row(row: &Row) -> Result<StoredDeadLetter, SpoolError> {
    let id: i64 = row.get(0);
    let received_at: String = row.get(2);
    let failed_at: String = row.get(8);
    let attempts: i64 = row.get(6);
    let attempts = u32::try_from(attempts).map_err(|_| {
        SpoolError::Storage(format!(
            "dead_letters row {id}: stored attempts {attempts} is not a count"
        ))
    })?;
    Ok(StoredDeadLetter {
        id,
        letter: DeadLetter {
            event_id: row.get(1),
            received_at: decode_time(&received_at, "received_at", "dead_letters", id)?,
            payload: row.get(3),
            subscription: row.get(4),
            reason: row.get(5),
            attempts,
            last_error: row.get(7),
            failed_at: decode_time(&failed_at, "failed_at", "dead_letters", id)?,
        },
        destination: row.get(9),
    })
}

/// A count for SQL (`LIMIT`, `OFFSET`).
pub(crate) fn sql_count(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
