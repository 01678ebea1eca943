//! The SQL of each write, each in one transaction. Appends and replays take the append
//! lock, so that ids are assigned in commit order across every instance.

use std::collections::HashMap;

use domain::partition::partition_of;
use domain::ports::{Appended, DeadLetter, DeadLetterSelection, IdentifiedEvent, SpoolError};
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;

use crate::error::Doing;
use crate::rows::encode_time;

/// The advisory lock every append and replay takes (transaction-scoped).
const APPEND_LOCK: i64 = 0x5e67_a771_0002;

pub(crate) const PENDING: &str = "pending_events";
pub(crate) const DEAD_LETTERS: &str = "dead_letters";

/// An event ready to insert.
pub(crate) struct Row {
    pub(crate) partition: i32,
    pub(crate) received_at: String,
    pub(crate) payload: String,
    pub(crate) only_subscription: Option<String>,
    /// The source's destinations, a JSON array (`None`: every destination).
    pub(crate) only_destinations: Option<String>,
    pub(crate) message_id: Option<String>,
}

impl Row {
    pub(crate) fn of(event: &IdentifiedEvent, partitions: u32) -> Row {
        Row {
            partition: partition_of(&event.event.payload, partitions) as i32,
            received_at: encode_time(&event.event.received_at),
            payload: event.event.payload.clone(),
            only_subscription: event.event.only_subscription.clone(),
            only_destinations: event
                .event
                .only_destinations
                .as_deref()
                .map(|d| serde_json::to_string(d).unwrap_or_else(|_| "[]".to_owned())),
            // The payload's own (stamped at ingestion), for lookups by messageId.
            message_id: domain::untraced::Identity::of(&event.event.payload).message_id,
        }
    }
}

async fn lock_appends(tx: &Transaction<'_>) -> Result<(), SpoolError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])
        .await
        .doing("waiting for the append lock")?;
    Ok(())
}

async fn add_to_counter(tx: &Transaction<'_>, name: &str, delta: i64) -> Result<(), SpoolError> {
    if delta != 0 {
        tx.execute(
            "UPDATE spool_counters SET value = GREATEST(value + $1, 0) WHERE name = $2",
            &[&delta, &name],
        )
        .await
        .doing("updating the spool counters")?;
    }
    Ok(())
}

/// Inserts the rows in order and returns their ids, in the same order.
async fn insert_events(tx: &Transaction<'_>, rows: &[Row]) -> Result<Vec<i64>, SpoolError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let partitions: Vec<i32> = rows.iter().map(|r| r.partition).collect();
    let received: Vec<&str> = rows.iter().map(|r| r.received_at.as_str()).collect();
    let payloads: Vec<&str> = rows.iter().map(|r| r.payload.as_str()).collect();
    let only: Vec<Option<&str>> = rows.iter().map(|r| r.only_subscription.as_deref()).collect();
    let message_ids: Vec<Option<&str>> = rows.iter().map(|r| r.message_id.as_deref()).collect();
    let destinations: Vec<Option<&str>> = rows.iter().map(|r| r.only_destinations.as_deref()).collect();
    // Rows are inserted in the order given (the ORDER BY), so, under the append lock, the
    // ids the identity gives them grow in that order.
    let mut ids: Vec<i64> = tx
        .query(
            "INSERT INTO events (partition, received_at, payload, only_subscription, message_id, only_destinations)
             SELECT p, r, b, o, m, d FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                 WITH ORDINALITY AS given(p, r, b, o, m, d, n)
             ORDER BY n
             RETURNING id",
            &[&partitions, &received, &payloads, &only, &message_ids, &destinations],
        )
        .await
        .doing("storing events")?
        .iter()
        .map(|row| row.get(0))
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Takes the append lock and reads how many events wait (exact: under the lock).
pub(crate) async fn lock_and_count(tx: &Transaction<'_>) -> Result<u64, SpoolError> {
    lock_appends(tx).await?;
    let pending: i64 = tx
        .query_one("SELECT value FROM spool_counters WHERE name = $1", &[&PENDING])
        .await
        .doing("reading the pending count")?
        .get(0);
    Ok(u64::try_from(pending).unwrap_or(0))
}

/// Stores the events in order, under the append lock ([`lock_and_count`]). An event whose
/// `dedup` flag is set and whose message id was seen within `window_secs` (0: never) is
/// answered `Duplicate` and not stored.
pub(crate) async fn store(
    tx: &Transaction<'_>,
    events: &[IdentifiedEvent],
    dedup: &[bool],
    partitions: u32,
    window_secs: i64,
) -> Result<Vec<Appended>, SpoolError> {
    let mut duplicate = vec![false; events.len()];
    if window_secs > 0 {
        // The first of a repeated id in this call decides; the later ones are duplicates.
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut ids = Vec::new();
        let mut seen = Vec::new();
        for (index, event) in events.iter().enumerate() {
            if !dedup.get(index).copied().unwrap_or(false) {
                continue;
            }
            if let Some(id) = event.message_id.as_deref() {
                if first.insert(id, index).is_some() {
                    duplicate[index] = true;
                } else {
                    ids.push(id);
                    seen.push(event.event.received_at.timestamp());
                }
            }
        }
        if !ids.is_empty() {
            let recorded: Vec<String> = tx
                .query(
                    "INSERT INTO message_ids (message_id, seen_at)
                     SELECT * FROM unnest($1::text[], $2::bigint[])
                     ON CONFLICT (message_id) DO UPDATE SET seen_at = excluded.seen_at
                     WHERE message_ids.seen_at <= excluded.seen_at - $3
                     RETURNING message_id",
                    &[&ids, &seen, &window_secs],
                )
                .await
                .doing("recording message ids")?
                .iter()
                .map(|row| row.get(0))
                .collect();
            let recorded: std::collections::HashSet<&str> = recorded.iter().map(String::as_str).collect();
            for id in ids {
                if !recorded.contains(id) {
                    if let Some(index) = first.get(id) {
                        duplicate[*index] = true;
                    }
                }
            }
        }
    }
    let rows: Vec<Row> = events
        .iter()
        .zip(&duplicate)
        .filter(|(_, dup)| !**dup)
        .map(|(event, _)| Row::of(event, partitions))
        .collect();
    let mut ids = insert_events(tx, &rows).await?.into_iter();
    add_to_counter(tx, PENDING, rows.len() as i64).await?;
    Ok(duplicate
        .iter()
        .map(|dup| match (dup, if *dup { None } else { ids.next() }) {
            (false, Some(id)) => Appended::Stored(id),
            _ => Appended::Duplicate,
        })
        .collect())
}

/// Removes events; returns how many were there.
pub(crate) async fn remove_events(tx: &Transaction<'_>, ids: &[i64]) -> Result<u64, SpoolError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let removed = tx
        .execute("DELETE FROM events WHERE id = ANY($1)", &[&ids])
        .await
        .doing("removing events")?;
    add_to_counter(tx, PENDING, -(removed as i64)).await?;
    Ok(removed)
}

pub(crate) async fn dead_letter(
    tx: &Transaction<'_>,
    letters: &[DeadLetter],
    remove: &[i64],
) -> Result<(), SpoolError> {
    if !letters.is_empty() {
        let event_ids: Vec<i64> = letters.iter().map(|l| l.event_id).collect();
        let received: Vec<String> = letters.iter().map(|l| encode_time(&l.received_at)).collect();
        let payloads: Vec<&str> = letters.iter().map(|l| l.payload.as_str()).collect();
        let subscriptions: Vec<&str> = letters.iter().map(|l| l.subscription.as_str()).collect();
        let reasons: Vec<&str> = letters.iter().map(|l| l.reason.as_str()).collect();
        let attempts: Vec<i64> = letters.iter().map(|l| i64::from(l.attempts)).collect();
        let errors: Vec<Option<&str>> = letters.iter().map(|l| l.last_error.as_deref()).collect();
        let failed: Vec<String> = letters.iter().map(|l| encode_time(&l.failed_at)).collect();
        let message_ids: Vec<Option<String>> = letters
            .iter()
            .map(|l| domain::untraced::Identity::of(&l.payload).message_id)
            .collect();
        let params: [&(dyn ToSql + Sync); 9] = [
            &event_ids,
            &received,
            &payloads,
            &subscriptions,
            &reasons,
            &attempts,
            &errors,
            &failed,
            &message_ids,
        ];
        tx.execute(
            "INSERT INTO dead_letters
                 (event_id, received_at, payload, subscription, reason, attempts, last_error, failed_at, message_id,
                  destination)
             SELECT e, r, p, s, why, a, le, f, m,
                 COALESCE((SELECT destination FROM subscription_destinations WHERE subscription = s), 'default')
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[],
                 $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[]) WITH ORDINALITY
                 AS given(e, r, p, s, why, a, le, f, m, n)
             ORDER BY n",
            &params,
        )
        .await
        .doing("storing dead letters")?;
        add_to_counter(tx, DEAD_LETTERS, letters.len() as i64).await?;
    }
    remove_events(tx, remove).await?;
    Ok(())
}

/// A `WHERE` clause over `dead_letters`, with its parameter.
fn selection(selection: &DeadLetterSelection) -> (&'static str, Option<Box<dyn ToSql + Sync + Send>>) {
    match selection {
        DeadLetterSelection::All => ("TRUE", None),
        DeadLetterSelection::Ids(ids) => ("id = ANY($1)", Some(Box::new(ids.clone()))),
        DeadLetterSelection::Subscription(name) => ("subscription = $1", Some(Box::new(name.clone()))),
    }
}

/// Deletes the selected letters and returns them as (event_id, id, received_at, payload,
/// subscription).
async fn take_letters(
    tx: &Transaction<'_>,
    chosen: &DeadLetterSelection,
    returning: &str,
) -> Result<Vec<tokio_postgres::Row>, SpoolError> {
    let (filter, parameter) = selection(chosen);
    let params: Vec<&(dyn ToSql + Sync)> = parameter.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
    let rows = tx
        .query(
            &format!("DELETE FROM dead_letters WHERE {filter} RETURNING {returning}"),
            &params,
        )
        .await
        .doing("removing dead letters")?;
    add_to_counter(tx, DEAD_LETTERS, -(rows.len() as i64)).await?;
    Ok(rows)
}

/// Moves the selected letters back into the spool, each for its own subscription, in
/// the order their events were first accepted.
pub(crate) async fn replay(
    tx: &Transaction<'_>,
    chosen: &DeadLetterSelection,
    partitions: u32,
) -> Result<u64, SpoolError> {
    lock_appends(tx).await?;
    let mut letters: Vec<(i64, i64, String, String, String)> =
        take_letters(tx, chosen, "event_id, id, received_at, payload, subscription")
            .await?
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
            .collect();
    letters.sort_by_key(|(event_id, id, ..)| (*event_id, *id));
    let rows: Vec<Row> = letters
        .into_iter()
        .map(|(_, _, received_at, payload, subscription)| Row {
            partition: partition_of(&payload, partitions) as i32,
            message_id: domain::untraced::Identity::of(&payload).message_id,
            received_at,
            payload,
            only_subscription: Some(subscription),
            only_destinations: None,
        })
        .collect();
    insert_events(tx, &rows).await?;
    add_to_counter(tx, PENDING, rows.len() as i64).await?;
    Ok(rows.len() as u64)
}

pub(crate) async fn purge(tx: &Transaction<'_>, chosen: &DeadLetterSelection) -> Result<u64, SpoolError> {
    Ok(take_letters(tx, chosen, "id").await?.len() as u64)
}
