//! [`SqliteWriteFingerprints`]: what delivery last wrote to each Attio record, in the
//! spool file (table `write_fingerprints`). Written by the spool's writer thread, in the
//! same group transactions as the acknowledgements (one writer, no lock taken twice), and
//! read on the spool's read connections.
//!
//! The table is bounded two ways, both enforced when states are remembered:
//! - by age: a state older than `max_age` (the delivery's `resync_after_secs`) is never
//!   used to skip a write, so it is deleted;
//! - by count: beyond `max_records` rows, the oldest are deleted.
//!
//! Forgetting a record's state only ever costs one more write to Attio, never a lost one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::{RecordRef, SpoolError, WriteFingerprints, WrittenState};
use rusqlite::{params, Connection, OptionalExtension};

use super::failure::Doing;
use super::fingerprint_buffer::{FingerprintBuffer, FingerprintSink};
use super::writer::Request;
use super::SqliteSpool;

/// What bounds the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FingerprintBounds {
    /// States last written longer ago than this are deleted.
    pub max_age: Duration,
    /// At most this many records are remembered (the oldest go first).
    pub max_records: u64,
}

impl Default for FingerprintBounds {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(86_400),
            max_records: 1_000_000,
        }
    }
}

/// Records in one remember from which it is written at once, not behind.
const WRITE_AT_ONCE: usize = 64;

/// The durable write fingerprints of one spool file. Cheap to clone.
#[derive(Clone)]
pub struct SqliteWriteFingerprints {
    spool: SqliteSpool,
    bounds: FingerprintBounds,
    buffer: FingerprintBuffer<WriterSink>,
}

/// Hands the buffer's states to the spool's writer thread.
struct WriterSink {
    spool: SqliteSpool,
    bounds: FingerprintBounds,
    /// Rows inserted since the count was last checked against `max_records`.
    since_count_check: AtomicU64,
}

impl FingerprintSink for WriterSink {
    async fn remember(&self, written: Vec<(RecordRef, WrittenState)>) -> Result<(), SpoolError> {
        let Some(newest) = written.iter().map(|(_, s)| s.written_at).max() else {
            return Ok(());
        };
        let bounds = self.bounds;
        let inserted = written.len() as u64;
        // The count is checked after every tenth of `max_records` insertions (and on the
        // first write after opening), so that the table never exceeds it by more than that.
        let step = (bounds.max_records / 10).max(1);
        let since = self.since_count_check.fetch_add(inserted, Ordering::Relaxed) + inserted;
        let check_count = since >= step;
        if check_count {
            self.since_count_check.store(0, Ordering::Relaxed);
        }
        let (answer, receiver) = tokio::sync::oneshot::channel();
        let remember = Remember {
            written,
            bounds,
            newest,
            check_count,
        };
        self.spool
            .write(Request::RememberFingerprints { remember, answer }, receiver)
            .await
    }

    async fn forget(&self, records: Vec<RecordRef>) -> Result<(), SpoolError> {
        let (answer, receiver) = tokio::sync::oneshot::channel();
        self.spool
            .write(Request::ForgetFingerprints { records, answer }, receiver)
            .await
    }
}

impl std::fmt::Debug for SqliteWriteFingerprints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteWriteFingerprints")
            .field("bounds", &self.bounds)
            .finish_non_exhaustive()
    }
}

fn encode_time(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn decode_time(micros: i64, record: &RecordRef) -> Result<DateTime<Utc>, SpoolError> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| {
        SpoolError::Storage(format!(
            "write_fingerprints row {}/{}/{}: stored written_at {micros} is out of range",
            record.destination, record.object, record.matching
        ))
    })
}

impl SqliteWriteFingerprints {
    /// The store of `spool`'s file (which opening the spool has migrated).
    pub fn open(spool: &SqliteSpool, bounds: FingerprintBounds) -> Result<Self, SpoolError> {
        if bounds.max_records == 0 {
            return Err(SpoolError::Storage(
                "write fingerprints: max_records must be at least 1".to_owned(),
            ));
        }
        let sink = WriterSink {
            spool: spool.clone(),
            bounds,
            since_count_check: AtomicU64::new(u64::MAX / 2),
        };
        Ok(Self {
            spool: spool.clone(),
            bounds,
            buffer: FingerprintBuffer::new(sink),
        })
    }

    /// How many records are remembered.
    pub async fn len(&self) -> Result<u64, SpoolError> {
        self.spool
            .read(|conn| {
                let n: i64 = conn
                    .query_row("SELECT count(*) FROM write_fingerprints", [], |r| r.get(0))
                    .doing("counting write fingerprints")?;
                Ok(u64::try_from(n).unwrap_or(0))
            })
            .await
    }

    /// Whether no record is remembered.
    pub async fn is_empty(&self) -> Result<bool, SpoolError> {
        Ok(self.len().await? == 0)
    }
}

/// States to remember, applied by the writer thread inside its transaction.
#[derive(Debug)]
pub(crate) struct Remember {
    written: Vec<(RecordRef, WrittenState)>,
    bounds: FingerprintBounds,
    newest: DateTime<Utc>,
    check_count: bool,
}

impl Remember {
    /// Stores the states and drops what the bounds no longer allow.
    pub(crate) fn apply(&self, conn: &Connection) -> Result<(), SpoolError> {
        let mut st = conn
            .prepare_cached(
                "INSERT INTO write_fingerprints (destination, object, matching, fingerprint, written_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (destination, object, matching)
                 DO UPDATE SET fingerprint = excluded.fingerprint, written_at = excluded.written_at",
            )
            .doing("preparing the write fingerprints write")?;
        for (record, state) in &self.written {
            st.execute(params![
                record.destination,
                record.object,
                record.matching,
                state.fingerprint,
                encode_time(state.written_at)
            ])
            .doing("remembering write fingerprints")?;
        }
        prune(conn, self.bounds, self.newest, self.check_count)
    }
}

/// Forgets records' states, inside the writer's transaction.
pub(crate) fn forget(conn: &Connection, records: &[RecordRef]) -> Result<(), SpoolError> {
    let mut st = conn
        .prepare_cached("DELETE FROM write_fingerprints WHERE destination = ?1 AND object = ?2 AND matching = ?3")
        .doing("preparing the write fingerprints delete")?;
    for record in records {
        st.execute(params![record.destination, record.object, record.matching])
            .doing("forgetting write fingerprints")?;
    }
    Ok(())
}

/// Deletes what the bounds no longer allow (inside the caller's transaction).
fn prune(
    conn: &Connection,
    bounds: FingerprintBounds,
    newest: DateTime<Utc>,
    check_count: bool,
) -> Result<(), SpoolError> {
    let max_age = chrono::Duration::from_std(bounds.max_age).unwrap_or(chrono::Duration::MAX);
    if let Some(cutoff) = newest.checked_sub_signed(max_age) {
        conn.prepare_cached("DELETE FROM write_fingerprints WHERE written_at < ?1")
            .and_then(|mut st| st.execute([encode_time(cutoff)]))
            .doing("pruning old write fingerprints")?;
    }
    if check_count {
        let count: i64 = conn
            .query_row("SELECT count(*) FROM write_fingerprints", [], |r| r.get(0))
            .doing("counting write fingerprints")?;
        let max = i64::try_from(bounds.max_records).unwrap_or(i64::MAX);
        if count > max {
            conn.execute(
                "DELETE FROM write_fingerprints WHERE (destination, object, matching) IN (
                     SELECT destination, object, matching FROM write_fingerprints
                     ORDER BY written_at LIMIT ?1)",
                [count - max],
            )
            .doing("pruning the oldest write fingerprints")?;
        }
    }
    Ok(())
}

#[async_trait]
impl WriteFingerprints for SqliteWriteFingerprints {
    async fn written(&self, records: Vec<RecordRef>) -> Result<Vec<Option<WrittenState>>, SpoolError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let known = self.buffer.known(&records);
        let unknown: Vec<RecordRef> = records
            .iter()
            .zip(&known)
            .filter(|(_, k)| k.is_none())
            .map(|(r, _)| r.clone())
            .collect();
        let mut stored = if unknown.is_empty() {
            Vec::new()
        } else {
            let began = self.buffer.read_begins();
            let stored = self.read(unknown.clone()).await?;
            self.buffer.learned(began, unknown, &stored);
            stored
        }
        .into_iter();
        Ok(known
            .into_iter()
            .map(|k| match k {
                Some(state) => state,
                None => stored.next().flatten(),
            })
            .collect())
    }

    async fn remember(&self, written: Vec<(RecordRef, WrittenState)>) -> Result<(), SpoolError> {
        if written.len() >= WRITE_AT_ONCE {
            return self.buffer.remember_now(written).await;
        }
        self.buffer.remember(written);
        Ok(())
    }

    async fn forget(&self, records: Vec<RecordRef>) -> Result<(), SpoolError> {
        if records.is_empty() {
            return Ok(());
        }
        self.buffer.forget(records).await
    }

    async fn flush(&self) -> Result<(), SpoolError> {
        self.buffer.flush().await;
        Ok(())
    }

    async fn prefetch(&self, mut records: Vec<RecordRef>) -> Result<(), SpoolError> {
        records.sort_unstable_by(|a, b| {
            (&a.destination, &a.object, &a.matching).cmp(&(&b.destination, &b.object, &b.matching))
        });
        records.dedup();
        let known = self.buffer.known(&records);
        let unknown: Vec<RecordRef> = records
            .into_iter()
            .zip(known)
            .filter(|(_, k)| k.is_none())
            .map(|(r, _)| r)
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let began = self.buffer.read_begins();
        let stored = self.read(unknown.clone()).await?;
        self.buffer.learned(began, unknown, &stored);
        Ok(())
    }
}

impl SqliteWriteFingerprints {
    /// The states the file holds.
    async fn read(&self, records: Vec<RecordRef>) -> Result<Vec<Option<WrittenState>>, SpoolError> {
        self.spool
            .read(move |conn| {
                let mut st = conn
                    .prepare_cached(
                        "SELECT fingerprint, written_at FROM write_fingerprints
                         WHERE destination = ?1 AND object = ?2 AND matching = ?3",
                    )
                    .doing("preparing the write fingerprints read")?;
                let mut out = Vec::with_capacity(records.len());
                for record in &records {
                    let row: Option<(String, i64)> = st
                        .query_row(params![record.destination, record.object, record.matching], |r| {
                            Ok((r.get(0)?, r.get(1)?))
                        })
                        .optional()
                        .doing("reading write fingerprints")?;
                    out.push(
                        row.map(|(fingerprint, at)| {
                            Ok::<_, SpoolError>(WrittenState {
                                fingerprint,
                                written_at: decode_time(at, record)?,
                            })
                        })
                        .transpose()?,
                    );
                }
                Ok(out)
            })
            .await
    }
}

#[cfg(test)]
#[path = "fingerprints_tests.rs"]
mod tests;
