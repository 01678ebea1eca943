//! The event trace on PostgreSQL: one row per accepted event, replaced as it moves on,
//! pruned by age and count by the heartbeat.

use async_trait::async_trait;
use domain::ports::{EventTrace, EventTraceRecord, SpoolError, TraceFilter};
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

use crate::config::PostgresConfig;
use crate::error::Doing;
use crate::rows::{encode_time, event_from_row, second_prefix, sql_count, EVENT_COLUMNS};
use crate::spool::PostgresSpool;

fn decode(detail: &str, event_id: i64) -> Result<EventTraceRecord, SpoolError> {
    serde_json::from_str(detail).map_err(|error| {
        SpoolError::Storage(format!(
            "event_trace row {event_id}: stored detail is not a trace: {error}"
        ))
    })
}

/// Drops the traces beyond the count limit and those older than the age limit.
pub(crate) async fn prune(client: &Client, config: &PostgresConfig) -> Result<(), SpoolError> {
    let max = i64::try_from(config.trace_max_events).unwrap_or(i64::MAX);
    client
        .execute(
            "DELETE FROM event_trace WHERE event_id <= (SELECT MAX(event_id) FROM event_trace) - $1",
            &[&max],
        )
        .await
        .doing("dropping the traces beyond the count limit")?;
    let age = chrono::Duration::from_std(config.trace_max_age).unwrap_or(chrono::Duration::MAX);
    let cutoff = chrono::Utc::now()
        .checked_sub_signed(age)
        .map(|at| second_prefix(&at))
        .unwrap_or_default();
    client
        .execute(
            "DELETE FROM event_trace WHERE event_id IN
                 (SELECT event_id FROM event_trace WHERE received_at < $1 ORDER BY event_id LIMIT 10000)",
            &[&cutoff],
        )
        .await
        .doing("dropping the expired traces")?;
    Ok(())
}

#[async_trait]
impl EventTrace for PostgresSpool {
    async fn record(&self, traces: Vec<EventTraceRecord>) -> Result<(), SpoolError> {
        if traces.is_empty() {
            return Ok(());
        }
        self.check_open()?;
        let mut ids = Vec::with_capacity(traces.len());
        let mut message_ids = Vec::with_capacity(traces.len());
        let mut types = Vec::with_capacity(traces.len());
        let mut users = Vec::with_capacity(traces.len());
        let mut received = Vec::with_capacity(traces.len());
        let mut states = Vec::with_capacity(traces.len());
        let mut matched = Vec::with_capacity(traces.len());
        let mut details = Vec::with_capacity(traces.len());
        // The last trace of an event in one call wins (one upsert may not touch a row twice).
        let mut seen = std::collections::HashMap::new();
        for trace in traces {
            let detail = serde_json::to_string(&trace).map_err(|error| {
                SpoolError::Storage(format!("encoding the trace of event {}: {error}", trace.event_id))
            })?;
            let mut names = String::from(",");
            for subscription in trace.subscriptions.iter().filter(|s| s.matched) {
                names.push_str(&subscription.name);
                names.push(',');
            }
            if let Some(index) = seen.get(&trace.event_id).copied() {
                states[index] = trace.state.as_str().to_owned();
                matched[index] = names;
                details[index] = detail;
                continue;
            }
            seen.insert(trace.event_id, ids.len());
            ids.push(trace.event_id);
            message_ids.push(trace.message_id);
            types.push(trace.event_type);
            users.push(trace.user_id);
            received.push(encode_time(&trace.received_at));
            states.push(trace.state.as_str().to_owned());
            matched.push(names);
            details.push(detail);
        }
        let params: [&(dyn ToSql + Sync); 8] = [
            &ids,
            &message_ids,
            &types,
            &users,
            &received,
            &states,
            &matched,
            &details,
        ];
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO event_trace (event_id, message_id, type, user_id, received_at, state, subscriptions, detail)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[])
                 ON CONFLICT (event_id) DO UPDATE SET
                     state = excluded.state, subscriptions = excluded.subscriptions, detail = excluded.detail",
                &params,
            )
            .await
            .doing("storing traces")?;
        Ok(())
    }

    /// The trace, or else what the spool knows of the event: waiting, or dead-lettered.
    async fn find(&self, id: &str) -> Result<Option<EventTraceRecord>, SpoolError> {
        let client = self.client().await?;
        let event_id = id.parse::<i64>().ok();
        let found = client
            .query_opt(
                "SELECT event_id, detail FROM event_trace WHERE event_id = $1 OR message_id = $2
                 ORDER BY (event_id = $1) DESC NULLS LAST, event_id DESC LIMIT 1",
                &[&event_id, &id],
            )
            .await
            .doing("reading a trace")?;
        if let Some(row) = found {
            let detail: String = row.get(1);
            return decode(&detail, row.get(0)).map(Some);
        }
        let waiting = client
            .query_opt(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE id = $1 OR message_id = $2
                     ORDER BY (id = $1) DESC NULLS LAST, id DESC LIMIT 1"
                ),
                &[&event_id, &id],
            )
            .await
            .doing("looking up an event")?;
        if let Some(row) = waiting {
            return Ok(Some(domain::untraced::waiting(&event_from_row(&row)?)));
        }
        drop(client);
        let letters = domain::ports::DeadLetters::of_event(self, id).await?;
        Ok(domain::untraced::dead_lettered(&letters))
    }

    async fn list(&self, filter: TraceFilter) -> Result<Vec<EventTraceRecord>, SpoolError> {
        let mut clauses = Vec::new();
        let mut values: Vec<String> = Vec::new();
        let mut add = |clause: &str, value: String| {
            values.push(value);
            clauses.push(clause.replace('?', &format!("${}", values.len())));
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
            add("received_at >= ?", second_prefix(since));
        }
        if let Some(name) = &filter.subscription {
            add("strpos(subscriptions, ?) > 0", format!(",{name},"));
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
                    "SELECT event_id, detail FROM event_trace {filter_sql} ORDER BY event_id DESC LIMIT {}",
                    sql_count(filter.limit)
                ),
                &params,
            )
            .await
            .doing("listing traces")?;
        let mut traces = Vec::with_capacity(rows.len());
        for row in &rows {
            let detail: String = row.get(1);
            let trace = decode(&detail, row.get(0))?;
            if filter.since.is_some_and(|since| trace.received_at < since) {
                continue;
            }
            traces.push(trace);
        }
        Ok(traces)
    }
}
