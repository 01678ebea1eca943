//! Conversions between stored rows and the port's types.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::ports::{DeadLetter, SpoolError, SpooledEvent, StoredDeadLetter};
use rusqlite::Row;

use super::failure::Doing;

/// Timestamps are stored as RFC 3339 text in UTC, with as many fraction digits as needed,
/// so that they read well in `sqlite3` and come back exactly.
pub(crate) fn encode_time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) fn decode_time(
    text: &str,
    column: &'static str,
    table: &'static str,
    id: i64,
) -> Result<DateTime<Utc>, SpoolError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| {
            SpoolError::Storage(format!(
                "{table} row {id}: stored {column} {text:?} is not an RFC 3339 timestamp: {error}"
            ))
        })
}

/// The columns `event_from_row` expects, in order.
pub(crate) const EVENT_COLUMNS: &str = "id, received_at, payload, only_subscription, only_destinations";

pub(crate) fn event_from_row(row: &Row<'_>) -> Result<SpooledEvent, SpoolError> {
    let id: i64 = row.get(0).doing("reading an event id")?;
    let received_at: String = row.get(1).doing("reading an event's received_at")?;
    Ok(SpooledEvent {
        id,
        received_at: decode_time(&received_at, "received_at", "events", id)?,
        payload: row.get(2).doing("reading an event payload")?,
        only_subscription: row.get(3).doing("reading an event's only_subscription")?,
        only_destinations: row
            .get::<_, Option<String>>(4)
            .doing("reading an event's only_destinations")?
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

/// The columns `dead_letter_from_row` expects, in order.
pub(crate) const DEAD_LETTER_COLUMNS: &str =
    "id, event_id, received_at, payload, subscription, reason, attempts, last_error, failed_at, destination";

pub(crate) fn dead_letter_from_row(row: &Row<'_>) -> Result<StoredDeadLetter, SpoolError> {
    let id: i64 = row.get(0).doing("reading a dead letter id")?;
    let received_at: String = row.get(2).doing("reading a dead letter's received_at")?;
    let failed_at: String = row.get(8).doing("reading a dead letter's failed_at")?;
    let attempts: i64 = row.get(6).doing("reading a dead letter's attempts")?;
    let attempts = u32::try_from(attempts).map_err(|_| {
        SpoolError::Storage(format!(
            "dead_letters row {id}: stored attempts {attempts} is not a count"
        ))
    })?;
    Ok(StoredDeadLetter {
        id,
        letter: DeadLetter {
            event_id: row.get(1).doing("reading a dead letter's event_id")?,
            received_at: decode_time(&received_at, "received_at", "dead_letters", id)?,
            payload: row.get(3).doing("reading a dead letter payload")?,
            subscription: row.get(4).doing("reading a dead letter's subscription")?,
            reason: row.get(5).doing("reading a dead letter's reason")?,
            attempts,
            last_error: row.get(7).doing("reading a dead letter's last_error")?,
            failed_at: decode_time(&failed_at, "failed_at", "dead_letters", id)?,
        },
        destination: row.get(9).doing("reading a dead letter's destination")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_round_trips_to_the_nanosecond() {
        let at = DateTime::parse_from_rfc3339("2024-03-05T06:07:08.123456789Z")
            .expect("valid")
            .with_timezone(&Utc);
        let text = encode_time(&at);
        assert_eq!(text, "2024-03-05T06:07:08.123456789Z");
        assert_eq!(decode_time(&text, "received_at", "events", 1), Ok(at));
    }

    #[test]
    fn whole_seconds_are_stored_without_fraction() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).expect("valid");
        assert_eq!(encode_time(&at), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn bad_stored_time_names_row_and_column() {
        let Err(SpoolError::Storage(message)) = decode_time("yesterday", "failed_at", "dead_letters", 7) else {
            panic!("expected a storage error");
        };
        assert!(message.contains("dead_letters row 7"), "{message}");
        assert!(message.contains("failed_at"), "{message}");
    }
}
