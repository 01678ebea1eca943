//! The dead-letter store on PostgreSQL.

use async_trait::async_trait;
use domain::ports::{DeadLetterFilter, DeadLetterSelection, DeadLetters, SpoolError, StoredDeadLetter};
use tokio_postgres::types::ToSql;

use crate::error::Doing;
use crate::rows::{dead_letter_from_row, second_prefix, sql_count, DEAD_LETTER_COLUMNS};
use crate::spool::PostgresSpool;
use crate::writes;

fn letters(rows: &[tokio_postgres::Row]) -> Result<Vec<StoredDeadLetter>, SpoolError> {
    rows.iter().map(dead_letter_from_row).collect()
}

#[async_trait]
impl DeadLetters for PostgresSpool {
    async fn list(&self, limit: usize, offset: usize) -> Result<Vec<StoredDeadLetter>, SpoolError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters ORDER BY id DESC LIMIT $1 OFFSET $2"),
                &[&sql_count(limit), &sql_count(offset)],
            )
            .await
            .doing("listing dead letters")?;
        letters(&rows)
    }

    async fn get(&self, id: i64) -> Result<Option<StoredDeadLetter>, SpoolError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters WHERE id = $1"),
                &[&id],
            )
            .await
            .doing("reading a dead letter")?;
        row.as_ref().map(dead_letter_from_row).transpose()
    }

    async fn search(&self, filter: DeadLetterFilter) -> Result<Vec<StoredDeadLetter>, SpoolError> {
        let mut clauses = Vec::new();
        let mut values: Vec<String> = Vec::new();
        if let Some(name) = &filter.subscription {
            values.push(name.clone());
            clauses.push(format!("subscription = ${}", values.len()));
        }
        if let Some(name) = &filter.destination {
            values.push(name.clone());
            clauses.push(format!("destination = ${}", values.len()));
        }
        if let Some(part) = &filter.reason {
            values.push(part.clone());
            clauses.push(format!("strpos(reason, ${}) > 0", values.len()));
        }
        if let Some(since) = &filter.since {
            values.push(second_prefix(since));
            clauses.push(format!("failed_at >= ${}", values.len()));
        }
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters {filter_sql} ORDER BY id DESC LIMIT {} OFFSET {}",
                    sql_count(filter.limit),
                    sql_count(filter.offset)
                ),
                &params,
            )
            .await
            .doing("searching dead letters")?;
        let mut found = letters(&rows)?;
        if let Some(since) = filter.since {
            found.retain(|letter| letter.letter.failed_at >= since);
        }
        Ok(found)
    }

    async fn of_event(&self, id: &str) -> Result<Vec<StoredDeadLetter>, SpoolError> {
        let event_id = id.parse::<i64>().ok();
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters WHERE event_id = $1 OR message_id = $2 ORDER BY id"
                ),
                &[&event_id, &id],
            )
            .await
            .doing("looking up dead letters")?;
        letters(&rows)
    }

    /// Replayed events are added even beyond `max_pending`: replay is an operator's decision.
    async fn replay(&self, selection: DeadLetterSelection) -> Result<u64, SpoolError> {
        self.check_open()?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.doing("starting a replay")?;
        let moved = writes::replay(&tx, &selection, self.inner.config.partitions).await?;
        tx.commit().await.doing("committing a replay")?;
        Ok(moved)
    }

    async fn purge(&self, selection: DeadLetterSelection) -> Result<u64, SpoolError> {
        self.check_open()?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.doing("starting a purge")?;
        let removed = writes::purge(&tx, &selection).await?;
        tx.commit().await.doing("committing a purge")?;
        Ok(removed)
    }
}
