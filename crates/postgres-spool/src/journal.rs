//! The delivery journal (notes created, events skipped) on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::{DeliveryJournal, NoteAttempt, SkippedEvent, SpoolError};

use crate::error::Doing;
use crate::rows::{decode_time, encode_time, sql_count};
use crate::spool::PostgresSpool;

#[async_trait]
impl DeliveryJournal for PostgresSpool {
    async fn record_destinations(&self, pairs: Vec<(String, String)>) -> Result<(), SpoolError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.doing("starting the destinations update")?;
        tx.execute("DELETE FROM subscription_destinations", &[])
            .await
            .doing("clearing the subscriptions' destinations")?;
        let subscriptions: Vec<&str> = pairs.iter().map(|(s, _)| s.as_str()).collect();
        let destinations: Vec<&str> = pairs.iter().map(|(_, d)| d.as_str()).collect();
        tx.execute(
            "INSERT INTO subscription_destinations (subscription, destination)
             SELECT * FROM unnest($1::text[], $2::text[])
             ON CONFLICT (subscription) DO UPDATE SET destination = excluded.destination",
            &[&subscriptions, &destinations],
        )
        .await
        .doing("recording the subscriptions' destinations")?;
        tx.commit().await.doing("committing the destinations update")
    }

    async fn note_attempt(&self, key: &str) -> Result<Option<NoteAttempt>, SpoolError> {
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT started_at, note_id FROM note_journal WHERE key = $1", &[&key])
            .await
            .doing("reading the note journal")?;
        row.map(|row| {
            let started: String = row.get(0);
            Ok(NoteAttempt {
                started_at: decode_time(&started, "started_at", "note_journal", 0)?,
                note_id: row.get(1),
            })
        })
        .transpose()
    }

    async fn note_started(&self, key: &str, at: DateTime<Utc>) -> Result<(), SpoolError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO note_journal (key, started_at, note_id) VALUES ($1, $2, NULL)
                 ON CONFLICT (key) DO NOTHING",
                &[&key, &encode_time(&at)],
            )
            .await
            .doing("recording a note attempt")?;
        Ok(())
    }

    async fn note_created(&self, key: &str, note_id: &str) -> Result<(), SpoolError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO note_journal (key, started_at, note_id) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET note_id = excluded.note_id",
                &[&key, &encode_time(&Utc::now()), &note_id],
            )
            .await
            .doing("recording a created note")?;
        Ok(())
    }

    async fn skipped(
        &self,
        event_id: i64,
        subscription: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), SpoolError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO skipped_events (event_id, subscription, reason, skipped_at) VALUES ($1, $2, $3, $4)",
                &[&event_id, &subscription, &reason, &encode_time(&at)],
            )
            .await
            .doing("recording a skipped event")?;
        Ok(())
    }

    async fn skipped_events(&self, limit: usize) -> Result<Vec<SkippedEvent>, SpoolError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT id, event_id, subscription, reason, skipped_at FROM skipped_events ORDER BY id DESC LIMIT $1",
                &[&sql_count(limit)],
            )
            .await
            .doing("reading skipped events")?;
        rows.iter()
            .map(|row| {
                let at: String = row.get(4);
                Ok(SkippedEvent {
                    event_id: row.get(1),
                    subscription: row.get(2),
                    reason: row.get(3),
                    skipped_at: decode_time(&at, "skipped_at", "skipped_events", row.get(0))?,
                })
            })
            .collect()
    }
}
