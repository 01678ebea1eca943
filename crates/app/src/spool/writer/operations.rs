//! The SQL of each write operation, run inside the writer's transaction.

use domain::ports::{Appended, DeadLetter, DeadLetterSelection, IdentifiedEvent, NewEvent, SpoolError};
use rusqlite::{params, Connection};

use crate::spool::failure::Doing;
use crate::spool::rows::encode_time;

/// The counts the writer keeps while it applies a group of operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) pending: u64,
    pub(crate) dead_letters: u64,
}

pub(crate) fn append(
    conn: &Connection,
    counts: &mut Counts,
    max_pending: u64,
    events: &[NewEvent],
) -> Result<Vec<i64>, SpoolError> {
    let adding = events.len() as u64;
    if counts.pending.saturating_add(adding) > max_pending {
        return Err(SpoolError::Full {
            pending: counts.pending,
        });
    }
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO events (received_at, payload, only_subscription, only_destinations) VALUES (?1, ?2, ?3, ?4)",
        )
        .doing("preparing the event insert")?;
    let mut ids = Vec::with_capacity(events.len());
    for event in events {
        insert
            .execute(params![
                encode_time(&event.received_at),
                event.payload,
                event.only_subscription,
                encode_destinations(event.only_destinations.as_deref())
            ])
            .doing("storing an event")?;
        ids.push(conn.last_insert_rowid());
    }
    counts.pending += adding;
    Ok(ids)
}

/// Stores the events whose message id was not stored within `window_secs` (by their
/// `received_at`), and records the ids. One statement per id decides: the upsert changes
/// no row when the id is known and recent.
pub(crate) fn append_once(
    conn: &Connection,
    counts: &mut Counts,
    max_pending: u64,
    window_secs: i64,
    events: &[IdentifiedEvent],
) -> Result<Vec<Appended>, SpoolError> {
    if counts.pending.saturating_add(events.len() as u64) > max_pending {
        return Err(SpoolError::Full {
            pending: counts.pending,
        });
    }
    let mut remember = conn
        .prepare_cached(
            "INSERT INTO message_ids (message_id, seen_at) VALUES (?1, ?2)
             ON CONFLICT (message_id) DO UPDATE SET seen_at = excluded.seen_at
             WHERE message_ids.seen_at <= excluded.seen_at - ?3",
        )
        .doing("preparing the message id record")?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO events (received_at, payload, only_subscription, only_destinations) VALUES (?1, ?2, ?3, ?4)",
        )
        .doing("preparing the event insert")?;
    let mut out = Vec::with_capacity(events.len());
    for IdentifiedEvent { event, message_id } in events {
        if let (Some(id), true) = (message_id, window_secs > 0) {
            let recorded = remember
                .execute(params![id, event.received_at.timestamp(), window_secs])
                .doing("recording a message id")?;
            if recorded == 0 {
                out.push(Appended::Duplicate);
                continue;
            }
        }
        insert
            .execute(params![
                encode_time(&event.received_at),
                event.payload,
                event.only_subscription,
                encode_destinations(event.only_destinations.as_deref())
            ])
            .doing("storing an event")?;
        out.push(Appended::Stored(conn.last_insert_rowid()));
        counts.pending += 1;
    }
    Ok(out)
}

/// Forgets up to `limit` message ids seen at or before `cutoff` (Unix seconds); returns
/// how many were forgotten.
pub(crate) fn forget_message_ids(conn: &Connection, cutoff: i64, limit: usize) -> Result<usize, SpoolError> {
    conn.prepare_cached(
        "DELETE FROM message_ids WHERE message_id IN
             (SELECT message_id FROM message_ids WHERE seen_at <= ?1 ORDER BY seen_at LIMIT ?2)",
    )
    .and_then(|mut statement| statement.execute(params![cutoff, i64::try_from(limit).unwrap_or(i64::MAX)]))
    .doing("forgetting old message ids")
}

pub(crate) fn ack(conn: &Connection, counts: &mut Counts, ids: &[i64]) -> Result<(), SpoolError> {
    let removed = delete_events(conn, ids)?;
    counts.pending = counts.pending.saturating_sub(removed);
    Ok(())
}

/// Deletes the events `ids`, a run of consecutive ids with one range delete (a drain
/// acknowledges events in id order: one statement and one walk of the table per run).
fn delete_events(conn: &Connection, ids: &[i64]) -> Result<u64, SpoolError> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut delete = conn
        .prepare_cached("DELETE FROM events WHERE id BETWEEN ?1 AND ?2")
        .doing("preparing the event delete")?;
    let mut removed = 0u64;
    for (first, last) in consecutive_runs(&sorted) {
        removed += delete.execute([first, last]).doing("removing events")? as u64;
    }
    Ok(removed)
}

/// The runs of consecutive values of sorted, distinct `ids`, as (first, last).
fn consecutive_runs(ids: &[i64]) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &id in ids {
        match runs.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(id) => *last = id,
            _ => runs.push((id, id)),
        }
    }
    runs
}

pub(crate) fn dead_letter(
    conn: &Connection,
    counts: &mut Counts,
    letters: &[DeadLetter],
    remove_events: &[i64],
) -> Result<(), SpoolError> {
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO dead_letters
                 (event_id, received_at, payload, subscription, reason, attempts, last_error, failed_at, message_id, destination)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CASE WHEN json_valid(?3) THEN json_extract(?3, '$.messageId') END,
                     COALESCE((SELECT destination FROM subscription_destinations WHERE subscription = ?4), 'default'))",
        )
        .doing("preparing the dead letter insert")?;
    for letter in letters {
        insert
            .execute(params![
                letter.event_id,
                encode_time(&letter.received_at),
                letter.payload,
                letter.subscription,
                letter.reason,
                letter.attempts,
                letter.last_error,
                encode_time(&letter.failed_at),
            ])
            .doing("storing a dead letter")?;
    }
    let removed = delete_events(conn, remove_events)?;
    counts.dead_letters += letters.len() as u64;
    counts.pending = counts.pending.saturating_sub(removed);
    Ok(())
}

/// A `WHERE` clause over `dead_letters` and its one parameter, if any.
fn selection_filter(selection: &DeadLetterSelection) -> Result<(&'static str, Option<String>), SpoolError> {
    Ok(match selection {
        DeadLetterSelection::All => ("", None),
        DeadLetterSelection::Ids(ids) => {
            let ids = serde_json::to_string(ids)
                .map_err(|error| SpoolError::Storage(format!("encoding dead letter ids: {error}")))?;
            ("WHERE id IN (SELECT value FROM json_each(?1))", Some(ids))
        }
        DeadLetterSelection::Subscription(name) => ("WHERE subscription = ?1", Some(name.clone())),
    })
}

/// Moves the selected letters back into `events`, each for its own subscription, in the
/// order the events were first accepted.
pub(crate) fn replay(
    conn: &Connection,
    counts: &mut Counts,
    selection: &DeadLetterSelection,
) -> Result<u64, SpoolError> {
    let (filter, parameter) = selection_filter(selection)?;
    let parameters = rusqlite::params_from_iter(parameter.iter());
    let moved = conn
        .prepare_cached(&format!(
            "INSERT INTO events (received_at, payload, only_subscription)
             SELECT received_at, payload, subscription FROM dead_letters {filter} ORDER BY event_id, id"
        ))
        .and_then(|mut statement| statement.execute(parameters))
        .doing("copying dead letters back into the spool")? as u64;
    let removed = delete_letters(conn, filter, parameter.as_deref())?;
    if removed != moved {
        return Err(SpoolError::Storage(format!(
            "replaying dead letters copied {moved} but removed {removed}; nothing was changed"
        )));
    }
    counts.pending += moved;
    counts.dead_letters = counts.dead_letters.saturating_sub(removed);
    Ok(moved)
}

pub(crate) fn purge(
    conn: &Connection,
    counts: &mut Counts,
    selection: &DeadLetterSelection,
) -> Result<u64, SpoolError> {
    let (filter, parameter) = selection_filter(selection)?;
    let removed = delete_letters(conn, filter, parameter.as_deref())?;
    counts.dead_letters = counts.dead_letters.saturating_sub(removed);
    Ok(removed)
}

fn delete_letters(conn: &Connection, filter: &str, parameter: Option<&str>) -> Result<u64, SpoolError> {
    let removed = conn
        .prepare_cached(&format!("DELETE FROM dead_letters {filter}"))
        .and_then(|mut statement| statement.execute(rusqlite::params_from_iter(parameter.iter())))
        .doing("removing dead letters")?;
    Ok(removed as u64)
}

/// A source's destinations as stored in `events.only_destinations` (a JSON array).
fn encode_destinations(destinations: Option<&[String]>) -> Option<String> {
    destinations.map(|d| serde_json::to_string(d).unwrap_or_else(|_| "[]".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::consecutive_runs;

    #[test]
    fn ids_are_grouped_into_runs_of_consecutive_values() {
        assert_eq!(consecutive_runs(&[]), vec![]);
        assert_eq!(consecutive_runs(&[4]), vec![(4, 4)]);
        assert_eq!(
            consecutive_runs(&[1, 2, 3, 5, 7, 8, i64::MAX - 1, i64::MAX]),
            vec![(1, 3), (5, 5), (7, 8), (i64::MAX - 1, i64::MAX)]
        );
    }
}
