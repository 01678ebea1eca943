//! [`PostgresWriteFingerprints`]: what delivery last wrote to each Attio record, in the
//! table `write_fingerprints`, shared by every instance. Bounded like the SQLite store: a
//! state older than `max_age` is deleted, and beyond `max_records` the oldest go first.
//! Forgetting a state only ever costs one more write to Attio.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::{RecordRef, SpoolError, WriteFingerprints, WrittenState};
use tokio_postgres::types::ToSql;

use crate::error::Doing;
use crate::spool::PostgresSpool;

/// What bounds the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FingerprintLimits {
    pub max_age: Duration,
    pub max_records: u64,
}

/// The write fingerprints of a PostgreSQL spool. Cheap to clone.
#[derive(Clone)]
pub struct PostgresWriteFingerprints {
    spool: PostgresSpool,
    limits: FingerprintLimits,
    /// Rows written since the count was last checked against `max_records`.
    since_count_check: Arc<AtomicU64>,
}

impl std::fmt::Debug for PostgresWriteFingerprints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresWriteFingerprints")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl PostgresSpool {
    /// The write fingerprints kept in this spool's database.
    pub fn write_fingerprints(&self, limits: FingerprintLimits) -> Result<PostgresWriteFingerprints, SpoolError> {
        if limits.max_records == 0 {
            return Err(SpoolError::Storage(
                "write fingerprints: max_records must be at least 1".to_owned(),
            ));
        }
        Ok(PostgresWriteFingerprints {
            spool: self.clone(),
            limits,
            since_count_check: Arc::new(AtomicU64::new(u64::MAX / 2)),
        })
    }
}

fn decode_time(micros: i64, record: &RecordRef) -> Result<DateTime<Utc>, SpoolError> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| {
        SpoolError::Storage(format!(
            "write_fingerprints row {}/{}/{}: stored written_at {micros} is out of range",
            record.destination, record.object, record.matching
        ))
    })
}

fn columns(records: &[&RecordRef]) -> (Vec<String>, Vec<String>, Vec<String>) {
    (
        records.iter().map(|r| r.destination.clone()).collect(),
        records.iter().map(|r| r.object.clone()).collect(),
        records.iter().map(|r| r.matching.clone()).collect(),
    )
}

#[async_trait]
impl WriteFingerprints for PostgresWriteFingerprints {
    async fn written(&self, records: Vec<RecordRef>) -> Result<Vec<Option<WrittenState>>, SpoolError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let (destinations, objects, matchings) = columns(&records.iter().collect::<Vec<_>>());
        let client = self.spool.client().await?;
        let rows = client
            .query(
                "SELECT given.n, f.fingerprint, f.written_at
                 FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS given(d, o, m, n)
                 JOIN write_fingerprints f ON f.destination = given.d AND f.object = given.o AND f.matching = given.m",
                &[&destinations, &objects, &matchings],
            )
            .await
            .doing("reading write fingerprints")?;
        let mut out: Vec<Option<WrittenState>> = vec![None; records.len()];
        for row in &rows {
            let n: i64 = row.get(0);
            let Some(index) = usize::try_from(n - 1).ok().filter(|i| *i < records.len()) else {
                continue;
            };
            out[index] = Some(WrittenState {
                fingerprint: row.get(1),
                written_at: decode_time(row.get(2), &records[index])?,
            });
        }
        Ok(out)
    }

    async fn remember(&self, written: Vec<(RecordRef, WrittenState)>) -> Result<(), SpoolError> {
        let Some(newest) = written.iter().map(|(_, s)| s.written_at).max() else {
            return Ok(());
        };
        // One upsert may not touch a row twice: the last state of a record wins.
        let mut last: std::collections::HashMap<&RecordRef, &WrittenState> = std::collections::HashMap::new();
        let mut order = Vec::new();
        for (record, state) in &written {
            if last.insert(record, state).is_none() {
                order.push(record);
            }
        }
        let (destinations, objects, matchings) = columns(&order);
        let fingerprints: Vec<&str> = order.iter().map(|r| last[*r].fingerprint.as_str()).collect();
        let times: Vec<i64> = order.iter().map(|r| last[*r].written_at.timestamp_micros()).collect();
        let limits = self.limits;
        let inserted = order.len() as u64;
        let step = (limits.max_records / 10).max(1);
        let since = self.since_count_check.fetch_add(inserted, Ordering::Relaxed) + inserted;
        let check_count = since >= step;
        if check_count {
            self.since_count_check.store(0, Ordering::Relaxed);
        }
        let mut client = self.spool.client().await?;
        let tx = client
            .transaction()
            .await
            .doing("starting a write fingerprints transaction")?;
        let params: [&(dyn ToSql + Sync); 5] = [&destinations, &objects, &matchings, &fingerprints, &times];
        tx.execute(
            "INSERT INTO write_fingerprints (destination, object, matching, fingerprint, written_at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
             ON CONFLICT (destination, object, matching)
             DO UPDATE SET fingerprint = excluded.fingerprint, written_at = excluded.written_at",
            &params,
        )
        .await
        .doing("remembering write fingerprints")?;
        let max_age = chrono::Duration::from_std(limits.max_age).unwrap_or(chrono::Duration::MAX);
        if let Some(cutoff) = newest.checked_sub_signed(max_age) {
            tx.execute(
                "DELETE FROM write_fingerprints WHERE written_at < $1",
                &[&cutoff.timestamp_micros()],
            )
            .await
            .doing("pruning old write fingerprints")?;
        }
        if check_count {
            let count: i64 = tx
                .query_one("SELECT count(*) FROM write_fingerprints", &[])
                .await
                .doing("counting write fingerprints")?
                .get(0);
            let max = i64::try_from(limits.max_records).unwrap_or(i64::MAX);
            if count > max {
                tx.execute(
                    "DELETE FROM write_fingerprints WHERE (destination, object, matching) IN (
                         SELECT destination, object, matching FROM write_fingerprints
                         ORDER BY written_at LIMIT $1)",
                    &[&(count - max)],
                )
                .await
                .doing("pruning the oldest write fingerprints")?;
            }
        }
        tx.commit().await.doing("committing write fingerprints")
    }

    async fn forget(&self, records: Vec<RecordRef>) -> Result<(), SpoolError> {
        if records.is_empty() {
            return Ok(());
        }
        let (destinations, objects, matchings) = columns(&records.iter().collect::<Vec<_>>());
        let client = self.spool.client().await?;
        client
            .execute(
                "DELETE FROM write_fingerprints f
                 USING unnest($1::text[], $2::text[], $3::text[]) AS given(d, o, m)
                 WHERE f.destination = given.d AND f.object = given.o AND f.matching = given.m",
                &[&destinations, &objects, &matchings],
            )
            .await
            .doing("forgetting write fingerprints")?;
        Ok(())
    }
}
