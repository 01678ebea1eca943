//! [`SqliteJournal`]: the delivery journal (notes created, events skipped) in the spool
//! file, on a connection of its own. Its writes are rare (one or two per note), so they
//! do not go through the writer thread's group commits.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::{DeliveryJournal, NoteAttempt, SkippedEvent, SpoolError};
use rusqlite::{params, Connection, OptionalExtension};

use super::config::SpoolConfig;
use super::failure::Doing;
use super::rows::decode_time;

#[derive(Clone)]
pub struct SqliteJournal {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteJournal").finish_non_exhaustive()
    }
}

fn encode_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl SqliteJournal {
    /// Opens the journal of a spool file that [`SqliteSpool::open`](super::SqliteSpool::open)
    /// has already migrated. Blocking.
    pub fn open(config: &SpoolConfig) -> Result<Self, SpoolError> {
        let conn = super::schema::open_side_writer(config)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, SpoolError> + Send + 'static,
    ) -> Result<T, SpoolError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&conn)
        })
        .await
        .map_err(|e| SpoolError::Storage(format!("the delivery journal task failed: {e}")))?
    }
}

#[async_trait]
impl DeliveryJournal for SqliteJournal {
    /// Records the destination each configured subscription delivers to (replacing what an
    /// earlier start recorded): a dead letter written afterwards records its subscription's.
    async fn record_destinations(&self, pairs: Vec<(String, String)>) -> Result<(), SpoolError> {
        self.run(move |conn| {
            let tx = conn.unchecked_transaction().doing("starting the destinations update")?;
            tx.execute("DELETE FROM subscription_destinations", [])
                .doing("clearing the subscriptions' destinations")?;
            {
                let mut insert = tx
                    .prepare(
                        "INSERT OR REPLACE INTO subscription_destinations (subscription, destination) VALUES (?1, ?2)",
                    )
                    .doing("preparing the destinations update")?;
                for (subscription, destination) in &pairs {
                    insert
                        .execute([subscription, destination])
                        .doing("recording a subscription's destination")?;
                }
            }
            tx.commit().doing("committing the destinations update")
        })
        .await
    }

    async fn note_attempt(&self, key: &str) -> Result<Option<NoteAttempt>, SpoolError> {
        let key = key.to_owned();
        self.run(move |conn| {
            let row: Option<(String, Option<String>)> = conn
                .query_row(
                    "SELECT started_at, note_id FROM note_journal WHERE key = ?1",
                    [&key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .doing("reading the note journal")?;
            row.map(|(started, note_id)| {
                Ok(NoteAttempt {
                    started_at: decode_time(&started, "started_at", "note_journal", 0)?,
                    note_id,
                })
            })
            .transpose()
        })
        .await
    }

    async fn note_started(&self, key: &str, at: DateTime<Utc>) -> Result<(), SpoolError> {
        let key = key.to_owned();
        self.run(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO note_journal (key, started_at, note_id) VALUES (?1, ?2, NULL)",
                params![key, encode_time(at)],
            )
            .doing("recording a note attempt")
            .map(|_| ())
        })
        .await
    }

    async fn note_created(&self, key: &str, note_id: &str) -> Result<(), SpoolError> {
        let (key, note_id) = (key.to_owned(), note_id.to_owned());
        let now = encode_time(Utc::now());
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO note_journal (key, started_at, note_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET note_id = excluded.note_id",
                params![key, now, note_id],
            )
            .doing("recording a created note")
            .map(|_| ())
        })
        .await
    }

    async fn skipped(
        &self,
        event_id: i64,
        subscription: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), SpoolError> {
        let (subscription, reason) = (subscription.to_owned(), reason.to_owned());
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO skipped_events (event_id, subscription, reason, skipped_at) VALUES (?1, ?2, ?3, ?4)",
                params![event_id, subscription, reason, encode_time(at)],
            )
            .doing("recording a skipped event")
            .map(|_| ())
        })
        .await
    }

    async fn skipped_events(&self, limit: usize) -> Result<Vec<SkippedEvent>, SpoolError> {
        self.run(move |conn| {
            let mut st = conn
                .prepare(
                    "SELECT id, event_id, subscription, reason, skipped_at FROM skipped_events ORDER BY id DESC LIMIT ?1",
                )
                .doing("preparing the skipped events read")?;
            let rows = st
                .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
                })
                .doing("reading skipped events")?;
            let mut events = Vec::new();
            for row in rows {
                let (id, event_id, subscription, reason, at) = row.doing("reading skipped events")?;
                events.push(SkippedEvent {
                    event_id,
                    subscription,
                    reason,
                    skipped_at: decode_time(&at, "skipped_at", "skipped_events", id)?,
                });
            }
            Ok(events)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::SqliteSpool;

    #[tokio::test]
    async fn a_note_attempt_survives_reopening_and_keeps_its_first_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = SpoolConfig::at(dir.path().join("spool.sqlite"));
        let spool = SqliteSpool::open(config.clone()).expect("spool");
        let journal = SqliteJournal::open(&config).expect("journal");
        let first = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        journal.note_started("1/notes", first).await.unwrap();
        journal.note_started("1/notes", Utc::now()).await.unwrap();
        drop(journal);
        let journal = SqliteJournal::open(&config).expect("journal reopened");
        let attempt = journal.note_attempt("1/notes").await.unwrap().unwrap();
        assert_eq!((attempt.started_at, attempt.note_id), (first, None));
        journal.note_created("1/notes", "n-1").await.unwrap();
        assert_eq!(
            journal
                .note_attempt("1/notes")
                .await
                .unwrap()
                .unwrap()
                .note_id
                .as_deref(),
            Some("n-1")
        );
        assert_eq!(journal.note_attempt("2/notes").await.unwrap(), None);
        journal.skipped(5, "s", "why", Utc::now()).await.unwrap();
        let skipped = journal.skipped_events(10).await.unwrap();
        assert_eq!((skipped[0].event_id, skipped[0].reason.as_str()), (5, "why"));
        drop(spool);
    }
}
