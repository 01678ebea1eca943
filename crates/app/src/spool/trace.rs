//! The event trace table: one row per accepted event, replaced as the event moves on, and
//! pruned by age and count (oldest first) by the writer.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::ports::{EventTraceRecord, SpoolError, TraceFilter};
use rusqlite::{params, Connection, OptionalExtension};

use super::failure::Doing;
use super::rows::{decode_time, encode_time};

/// Stores (or replaces) traces, inside the writer's transaction.
pub(crate) fn record(conn: &Connection, traces: &[EventTraceRecord]) -> Result<(), SpoolError> {
    let mut insert = conn
        .prepare_cached(
            "INSERT OR REPLACE INTO event_trace
                 (event_id, message_id, type, user_id, received_at, state, subscriptions, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .doing("preparing the trace insert")?;
    let mut matched = String::new();
    for trace in traces {
        let detail = serde_json::to_string(trace)
            .map_err(|error| SpoolError::Storage(format!("encoding the trace of event {}: {error}", trace.event_id)))?;
        matched.clear();
        matched.push(',');
        for subscription in trace.subscriptions.iter().filter(|s| s.matched) {
            matched.push_str(&subscription.name);
            matched.push(',');
        }
        insert
            .execute(params![
                trace.event_id,
                trace.message_id,
                trace.event_type,
                trace.user_id,
                encode_time(&trace.received_at),
                trace.state.as_str(),
                matched,
                detail,
            ])
            .doing("storing a trace")?;
    }
    Ok(())
}

/// Drops the traces beyond `max_events` and those received before `now - max_age`,
/// oldest (lowest event id) first. Returns how many were dropped.
pub(crate) fn prune(
    conn: &Connection,
    now: DateTime<Utc>,
    max_age: Duration,
    max_events: u64,
) -> Result<u64, SpoolError> {
    let newest: Option<i64> = conn
        .query_row("SELECT MAX(event_id) FROM event_trace", [], |row| row.get(0))
        .doing("reading the newest trace")?;
    let Some(newest) = newest else { return Ok(0) };
    // Event ids only grow and every trace has its own, so the ids above `newest - max` are
    // at most `max` traces.
    let keep_from = newest.saturating_sub(i64::try_from(max_events).unwrap_or(i64::MAX)) + 1;
    let mut dropped = conn
        .prepare_cached("DELETE FROM event_trace WHERE event_id < ?1")
        .and_then(|mut statement| statement.execute([keep_from]))
        .doing("dropping the traces beyond the count limit")? as u64;
    let cutoff = now - chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
    const PAGE: i64 = 1_000;
    loop {
        let mut oldest = conn
            .prepare_cached("SELECT event_id, received_at FROM event_trace ORDER BY event_id LIMIT ?1")
            .doing("reading the oldest traces")?;
        let mut rows = oldest.query([PAGE]).doing("reading the oldest traces")?;
        let mut seen = 0;
        let mut last_expired = None;
        while let Some(row) = rows.next().doing("reading the oldest traces")? {
            seen += 1;
            let id: i64 = row.get(0).doing("reading a trace id")?;
            let text: String = row.get(1).doing("reading a trace's received_at")?;
            if decode_time(&text, "received_at", "event_trace", id)? >= cutoff {
                break;
            }
            last_expired = Some(id);
        }
        drop(rows);
        let Some(last) = last_expired else { break };
        dropped += conn
            .prepare_cached("DELETE FROM event_trace WHERE event_id <= ?1")
            .and_then(|mut statement| statement.execute([last]))
            .doing("dropping the expired traces")? as u64;
        if seen < PAGE {
            break;
        }
    }
    Ok(dropped)
}

fn decode(detail: &str, event_id: i64) -> Result<EventTraceRecord, SpoolError> {
    serde_json::from_str(detail).map_err(|error| {
        SpoolError::Storage(format!(
            "event_trace row {event_id}: stored detail is not a trace: {error}"
        ))
    })
}

/// The trace of the event with this spool id or `messageId` (the newest with it).
pub(crate) fn find(conn: &Connection, id: &str) -> Result<Option<EventTraceRecord>, SpoolError> {
    if let Ok(event_id) = id.parse::<i64>() {
        let found: Option<String> = conn
            .prepare_cached("SELECT detail FROM event_trace WHERE event_id = ?1")
            .and_then(|mut statement| statement.query_row([event_id], |row| row.get(0)).optional())
            .doing("reading a trace")?;
        if let Some(detail) = found {
            return decode(&detail, event_id).map(Some);
        }
    }
    let found: Option<(i64, String)> = conn
        .prepare_cached("SELECT event_id, detail FROM event_trace WHERE message_id = ?1 ORDER BY event_id DESC LIMIT 1")
        .and_then(|mut statement| {
            statement
                .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .doing("reading a trace by messageId")?;
    found.map(|(event_id, detail)| decode(&detail, event_id)).transpose()
}

/// Newest first.
pub(crate) fn list(conn: &Connection, filter: &TraceFilter) -> Result<Vec<EventTraceRecord>, SpoolError> {
    let mut clauses = Vec::new();
    let mut values: Vec<String> = Vec::new();
    let mut add = |clause: &str, value: String| {
        values.push(value);
        clauses.push(clause.replace('?', &format!("?{}", values.len())));
    };
    if let Some(state) = filter.state {
        add("state = ?", state.as_str().to_owned());
    }
    if let Some(kind) = &filter.event_type {
        add("type = ?", kind.clone());
    }
    if let Some(user) = &filter.user_id {
        add("user_id = ?", user.clone());
    }
    if let Some(since) = &filter.since {
        // The whole second, without its zone: a prefix of every stored time in that second,
        // so the text comparison keeps them all (the exact time is checked below).
        add("received_at >= ?", since.format("%Y-%m-%dT%H:%M:%S").to_string());
    }
    if let Some(name) = &filter.subscription {
        add("instr(subscriptions, ?) > 0", format!(",{name},"));
    }
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
    let mut statement = conn
        .prepare(&format!(
            "SELECT event_id, detail FROM event_trace {filter_sql} ORDER BY event_id DESC LIMIT {limit}"
        ))
        .doing("preparing the trace list")?;
    let mut rows = statement
        .query(rusqlite::params_from_iter(values.iter()))
        .doing("listing traces")?;
    let mut traces = Vec::new();
    while let Some(row) = rows.next().doing("listing traces")? {
        let event_id: i64 = row.get(0).doing("reading a trace id")?;
        let detail: String = row.get(1).doing("reading a trace")?;
        let trace = decode(&detail, event_id)?;
        // Text order of timestamps differs from time order within one second.
        if filter.since.is_some_and(|since| trace.received_at < since) {
            continue;
        }
        traces.push(trace);
    }
    Ok(traces)
}
