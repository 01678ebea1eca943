//! Read connections: a small pool of query-only connections beside the writer's (WAL lets
//! readers see the last commit without waiting for the writer).

use std::sync::Mutex;

use domain::ports::{DeadLetterFilter, SpoolError, SpooledEvent, StoredDeadLetter};
use rusqlite::{Connection, OptionalExtension};

use super::config::SpoolConfig;
use super::failure::Doing;
use super::rows::{dead_letter_from_row, decode_time, event_from_row, DEAD_LETTER_COLUMNS, EVENT_COLUMNS};

pub(crate) struct ReadPool {
    config: SpoolConfig,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    /// Opens one connection now, so that a file that cannot be read fails at open.
    pub(crate) fn open(config: &SpoolConfig) -> Result<Self, SpoolError> {
        let first = super::schema::open_reader(config)?;
        Ok(ReadPool {
            config: config.clone(),
            idle: Mutex::new(vec![first]),
        })
    }

    /// Runs `query` on an idle connection (or a new one when all are busy), then keeps the
    /// connection for the next query if the pool is not full.
    pub(crate) fn with<T>(&self, query: impl FnOnce(&Connection) -> Result<T, SpoolError>) -> Result<T, SpoolError> {
        let taken = self.lock().pop();
        let conn = match taken {
            Some(conn) => conn,
            None => super::schema::open_reader(&self.config)?,
        };
        let result = query(&conn);
        let mut idle = self.lock();
        if idle.len() < self.config.read_connections {
            idle.push(conn);
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // The vector stays valid even if a holder panicked: it is only pushed and popped.
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn to_sql_count(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) fn read_after(conn: &Connection, after_id: i64, limit: usize) -> Result<Vec<SpooledEvent>, SpoolError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))
        .doing("preparing the event read")?;
    let mut rows = statement
        .query(rusqlite::params![after_id, to_sql_count(limit)])
        .doing("reading events")?;
    let mut events = Vec::with_capacity(limit.min(1024));
    while let Some(row) = rows.next().doing("reading events")? {
        events.push(event_from_row(row)?);
    }
    Ok(events)
}

/// When the oldest waiting event arrived (the event with the lowest id).
pub(crate) fn oldest_received_at(conn: &Connection) -> Result<Option<chrono::DateTime<chrono::Utc>>, SpoolError> {
    let oldest: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, received_at FROM events ORDER BY id LIMIT 1")
        .and_then(|mut statement| statement.query_row([], |row| Ok((row.get(0)?, row.get(1)?))).optional())
        .doing("reading the oldest event")?;
    oldest
        .map(|(id, text)| decode_time(&text, "received_at", "events", id))
        .transpose()
}

/// Newest first.
pub(crate) fn list_dead_letters(
    conn: &Connection,
    limit: usize,
    offset: usize,
) -> Result<Vec<StoredDeadLetter>, SpoolError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters ORDER BY id DESC LIMIT ?1 OFFSET ?2"
        ))
        .doing("preparing the dead letter list")?;
    let mut rows = statement
        .query(rusqlite::params![to_sql_count(limit), to_sql_count(offset)])
        .doing("listing dead letters")?;
    let mut letters = Vec::with_capacity(limit.min(1024));
    while let Some(row) = rows.next().doing("listing dead letters")? {
        letters.push(dead_letter_from_row(row)?);
    }
    Ok(letters)
}

pub(crate) fn get_dead_letter(conn: &Connection, id: i64) -> Result<Option<StoredDeadLetter>, SpoolError> {
    let mut statement = conn
        .prepare_cached(&format!("SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters WHERE id = ?1"))
        .doing("preparing the dead letter read")?;
    let mut rows = statement.query([id]).doing("reading a dead letter")?;
    match rows.next().doing("reading a dead letter")? {
        Some(row) => dead_letter_from_row(row).map(Some),
        None => Ok(None),
    }
}

/// Newest first, filtered.
pub(crate) fn search_dead_letters(
    conn: &Connection,
    filter: &DeadLetterFilter,
) -> Result<Vec<StoredDeadLetter>, SpoolError> {
    let mut clauses = Vec::new();
    let mut values: Vec<String> = Vec::new();
    if let Some(name) = &filter.subscription {
        values.push(name.clone());
        clauses.push(format!("subscription = ?{}", values.len()));
    }
    if let Some(name) = &filter.destination {
        values.push(name.clone());
        clauses.push(format!("destination = ?{}", values.len()));
    }
    if let Some(part) = &filter.reason {
        values.push(part.clone());
        clauses.push(format!("instr(reason, ?{}) > 0", values.len()));
    }
    if let Some(since) = &filter.since {
        // The whole second as a prefix (see the trace list); exact time checked below.
        values.push(since.format("%Y-%m-%dT%H:%M:%S").to_string());
        clauses.push(format!("failed_at >= ?{}", values.len()));
    }
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let mut statement = conn
        .prepare(&format!(
            "SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters {filter_sql} ORDER BY id DESC LIMIT {} OFFSET {}",
            to_sql_count(filter.limit),
            to_sql_count(filter.offset)
        ))
        .doing("preparing the dead letter search")?;
    let mut rows = statement
        .query(rusqlite::params_from_iter(values.iter()))
        .doing("searching dead letters")?;
    let mut letters = Vec::new();
    while let Some(row) = rows.next().doing("searching dead letters")? {
        let letter = dead_letter_from_row(row)?;
        if filter.since.is_some_and(|since| letter.letter.failed_at < since) {
            continue;
        }
        letters.push(letter);
    }
    Ok(letters)
}

/// The letters of the event with this spool id or `messageId`, oldest first.
pub(crate) fn dead_letters_of_event(conn: &Connection, id: &str) -> Result<Vec<StoredDeadLetter>, SpoolError> {
    let event_id = id.parse::<i64>().ok();
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters WHERE event_id = ?1 OR message_id = ?2 ORDER BY id"
        ))
        .doing("preparing the dead letter lookup")?;
    let mut rows = statement
        .query(rusqlite::params![event_id, id])
        .doing("looking up dead letters")?;
    let mut letters = Vec::new();
    while let Some(row) = rows.next().doing("looking up dead letters")? {
        letters.push(dead_letter_from_row(row)?);
    }
    Ok(letters)
}

/// A waiting event by its spool id or `messageId` (the newest with it; a scan of the
/// waiting events, for events delivery has not read yet).
pub(crate) fn find_event(conn: &Connection, id: &str) -> Result<Option<SpooledEvent>, SpoolError> {
    if let Ok(event_id) = id.parse::<i64>() {
        let mut statement = conn
            .prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"))
            .doing("preparing the event lookup")?;
        let mut rows = statement.query([event_id]).doing("looking up an event")?;
        if let Some(row) = rows.next().doing("looking up an event")? {
            return event_from_row(row).map(Some);
        }
    }
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events
             WHERE json_valid(payload) AND json_extract(payload, '$.messageId') = ?1
             ORDER BY id DESC LIMIT 1"
        ))
        .doing("preparing the event lookup")?;
    let mut rows = statement.query([id]).doing("looking up an event")?;
    match rows.next().doing("looking up an event")? {
        Some(row) => event_from_row(row).map(Some),
        None => Ok(None),
    }
}
