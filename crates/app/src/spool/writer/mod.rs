//! The writer thread: the one owner of the write connection. It takes every request that
//! is queued, applies them in one transaction (each inside its own savepoint, so that one
//! failing request does not fail the others), commits once, then answers each caller.

mod operations;
mod request;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use domain::ports::SpoolError;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

pub(crate) use operations::Counts;
pub(crate) use request::{Command, Request};

use super::config::{SpoolConfig, Synchronous, TraceBounds};
use super::failure::{failure, Doing};
use super::health::Health;
use super::schema::{read_counter, write_counter, DEAD_LETTER_COUNTER, PENDING_COUNTER};
use request::Settle;

/// What the writer has done since the spool was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriterStats {
    /// Transactions committed (each one sync of the log under `synchronous = full`).
    pub transactions: u64,
    /// Write requests answered after a commit.
    pub requests: u64,
}

/// Counts the writer publishes after each commit, read without a query.
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub(crate) pending: AtomicU64,
    pub(crate) dead_letters: AtomicU64,
    transactions: AtomicU64,
    requests: AtomicU64,
}

impl Published {
    pub(crate) fn new(counts: Counts) -> Self {
        let published = Published::default();
        published.publish(counts);
        published
    }

    fn publish(&self, counts: Counts) {
        self.pending.store(counts.pending, Ordering::Release);
        self.dead_letters.store(counts.dead_letters, Ordering::Release);
    }

    pub(crate) fn writer_stats(&self) -> WriterStats {
        WriterStats {
            transactions: self.transactions.load(Ordering::Acquire),
            requests: self.requests.load(Ordering::Acquire),
        }
    }
}

/// How often old message ids are forgotten, and how many at most in one transaction.
const PRUNE_EVERY: Duration = Duration::from_secs(10);
const PRUNE_LIMIT: usize = 50_000;

pub(crate) struct Writer {
    conn: Connection,
    receiver: mpsc::Receiver<Command>,
    published: Arc<Published>,
    health: Arc<Health>,
    counts: Counts,
    max_pending: u64,
    /// Most requests in one transaction.
    batch_limit: usize,
    /// De-duplication window in seconds (0: off).
    dedup_window: i64,
    last_prune: Option<Instant>,
    trace: TraceBounds,
    /// When the trace was last pruned.
    last_trace_prune: Option<Instant>,
    /// The configured sync level, for transactions that store or drop what was accepted.
    synchronous: Synchronous,
    /// The connection's sync level now.
    current_sync: Synchronous,
}

/// How often the writer drops the traces beyond the limits.
const TRACE_PRUNE_EVERY: Duration = Duration::from_secs(1);

impl Writer {
    pub(crate) fn new(
        conn: Connection,
        receiver: mpsc::Receiver<Command>,
        published: Arc<Published>,
        health: Arc<Health>,
        counts: Counts,
        config: &SpoolConfig,
    ) -> Self {
        Writer {
            conn,
            receiver,
            published,
            health,
            counts,
            max_pending: config.max_pending,
            batch_limit: config.write_queue.max(1),
            dedup_window: i64::try_from(config.dedup_window_secs).unwrap_or(i64::MAX),
            trace: config.trace_bounds(),
            last_trace_prune: None,
            last_prune: None,
            synchronous: config.synchronous,
            current_sync: config.synchronous,
        }
    }

    /// Sets the sync level of the next transaction: the configured one when it stores
    /// events or drops dead letters, `NORMAL` otherwise (acknowledgements, dead-lettering,
    /// traces: a power loss may undo them, and the events are then delivered again). In WAL
    /// mode a later synced commit also syncs the commits before it.
    fn sync_for(&mut self, durable: bool) {
        let wanted = if durable { self.synchronous } else { Synchronous::Normal };
        if wanted == self.current_sync {
            return;
        }
        match self.conn.pragma_update(None, "synchronous", wanted.pragma_value()) {
            Ok(()) => self.current_sync = wanted,
            // The stricter level stays: nothing is lost by syncing more.
            Err(error) => tracing::warn!(%error, "changing the spool's sync level failed"),
        }
    }

    pub(crate) fn spawn(self) -> Result<JoinHandle<()>, SpoolError> {
        std::thread::Builder::new()
            .name("spool-writer".to_owned())
            .spawn(move || self.run())
            .map_err(|error| SpoolError::Storage(format!("starting the spool writer thread: {error}")))
    }

    fn run(mut self) {
        loop {
            // Every sender gone: nothing more can arrive.
            let Some(first) = self.receiver.blocking_recv() else {
                self.checkpoint();
                return;
            };
            let mut batch = Vec::new();
            let mut closers = Vec::new();
            sort(first, &mut batch, &mut closers);
            while batch.len() < self.batch_limit {
                match self.receiver.try_recv() {
                    Ok(command) => sort(command, &mut batch, &mut closers),
                    Err(_) => break,
                }
            }
            if !closers.is_empty() {
                // Refuse new requests, but apply the ones already queued.
                self.receiver.close();
                while let Ok(command) = self.receiver.try_recv() {
                    sort(command, &mut batch, &mut closers);
                }
            }
            if !batch.is_empty() {
                self.apply(batch);
            }
            if !closers.is_empty() {
                self.checkpoint();
                for closer in closers {
                    let _ = closer.send(());
                }
                return;
            }
        }
    }

    fn apply(&mut self, batch: Vec<Request>) {
        let requests = batch.len() as u64;
        let stores = batch.iter().any(Request::stores_events);
        let limits = Limits {
            max_pending: self.max_pending,
            dedup_window: self.dedup_window,
        };
        let health = self.health.clone();
        // A file deleted, replaced or found corrupt: nothing more is written to it.
        if let Err(error) = health.check_files() {
            for request in batch {
                refuse(request, &error);
            }
            return;
        }
        let prune = self.dedup_window > 0 && self.last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY);
        self.sync_for(batch.iter().any(Request::needs_sync));
        let mut tx = match self.conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(error) => {
                let error = failure("starting a spool transaction", error);
                health.observe(&error);
                health.write_failed(&error);
                let error = health.check_files().err().unwrap_or(error);
                tracing::error!(%error, "spool transaction could not start");
                for request in batch {
                    refuse(request, &error);
                }
                return;
            }
        };
        // Another process (the dead-letters command) may have changed the spool since our
        // last commit; the transaction holds the write lock, so the stored counts are current.
        let before = match (
            read_counter(&tx, PENDING_COUNTER),
            read_counter(&tx, DEAD_LETTER_COUNTER),
        ) {
            (Ok(pending), Ok(dead_letters)) => Counts { pending, dead_letters },
            _ => self.counts,
        };
        let mut counts = before;
        let traced = batch.iter().any(|request| matches!(request, Request::Trace { .. }));
        let settles: Vec<Settle> = batch
            .into_iter()
            .map(|request| run_one(&mut tx, &mut counts, limits, &health, request))
            .collect();
        if prune {
            let cutoff = chrono::Utc::now().timestamp().saturating_sub(self.dedup_window);
            // A failed prune is retried later; it must not fail the requests.
            match isolated(&mut tx, &mut counts, &health, |conn, _| {
                operations::forget_message_ids(conn, cutoff, PRUNE_LIMIT)
            }) {
                Ok(forgotten) => tracing::debug!(forgotten, "old message ids forgotten"),
                Err(error) => tracing::warn!(%error, "forgetting old message ids failed"),
            }
        }
        if traced && self.last_trace_prune.is_none_or(|at| at.elapsed() >= TRACE_PRUNE_EVERY) {
            self.last_trace_prune = Some(Instant::now());
            let bounds = self.trace;
            // Pruning is housekeeping: a failure is logged and the requests still commit.
            if let Err(error) = isolated(&mut tx, &mut counts, &health, |conn, _| {
                super::trace::prune(conn, chrono::Utc::now(), bounds.max_age, bounds.max_events)
            }) {
                tracing::warn!(%error, "dropping old event traces failed");
            }
        }
        let committed = persist_counts(&tx, before, counts)
            // Checked again just before the commit: a file deleted meanwhile gets nothing.
            .and_then(|()| health.check_files())
            .and_then(|()| tx.commit().doing("committing spool changes"));
        if let Err(error) = &committed {
            health.observe(error);
            health.write_failed(error);
            // A failing write may be the first sign that the file went away.
            let _ = health.check_files();
        }
        match &committed {
            Ok(()) => {
                health.write_succeeded(stores);
                if prune {
                    self.last_prune = Some(Instant::now());
                }
                self.counts = counts;
                self.published.publish(counts);
                self.published.transactions.fetch_add(1, Ordering::AcqRel);
                self.published.requests.fetch_add(requests, Ordering::AcqRel);
            }
            Err(error) => tracing::error!(%error, requests, "spool transaction failed; its requests are refused"),
        }
        for settle in settles {
            settle.finish(committed.as_ref().err());
        }
    }

    /// Folds the log back into the database file so that a clean stop leaves a small log.
    fn checkpoint(&self) {
        let result = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0));
        match result {
            Ok(0) => {}
            Ok(_) => tracing::debug!("spool checkpoint left part of the log for a reader still open"),
            Err(error) => tracing::warn!(%error, "spool checkpoint at close failed; the log is replayed on next open"),
        }
    }
}

fn sort(command: Command, batch: &mut Vec<Request>, closers: &mut Vec<oneshot::Sender<()>>) {
    match command {
        Command::Write(request) => batch.push(request),
        Command::Close(closer) => closers.push(closer),
    }
}

fn persist_counts(tx: &Transaction<'_>, before: Counts, after: Counts) -> Result<(), SpoolError> {
    // Every transaction writes at least the pending count, so that a probe (an empty
    // acknowledgement) finds out when the disk refuses writes.
    if after.pending != before.pending || after == before {
        write_counter(tx, PENDING_COUNTER, after.pending)?;
    }
    if after.dead_letters != before.dead_letters {
        write_counter(tx, DEAD_LETTER_COUNTER, after.dead_letters)?;
    }
    Ok(())
}

/// What the write operations are bound by.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_pending: u64,
    dedup_window: i64,
}

/// Applies one request inside its own savepoint; the answer waits for the commit.
fn run_one(tx: &mut Transaction<'_>, counts: &mut Counts, limits: Limits, health: &Health, request: Request) -> Settle {
    match request {
        Request::Append { events, answer } => Settle::new(
            answer,
            isolated(tx, counts, health, |conn, counts| {
                operations::append(conn, counts, limits.max_pending, &events)
            }),
        ),
        Request::AppendOnce { events, answer } => Settle::new(
            answer,
            isolated(tx, counts, health, |conn, counts| {
                operations::append_once(conn, counts, limits.max_pending, limits.dedup_window, &events)
            }),
        ),
        Request::Ack { ids, answer } => Settle::new(
            answer,
            isolated(tx, counts, health, |conn, counts| operations::ack(conn, counts, &ids)),
        ),
        Request::DeadLetter {
            letters,
            remove_events,
            answer,
        } => Settle::new(
            answer,
            isolated(tx, counts, health, |conn, counts| {
                operations::dead_letter(conn, counts, &letters, &remove_events)
            }),
        ),
        Request::Replay { selection, answer } => Settle::new(
            answer,
            isolated(tx, counts, health, |conn, counts| {
                operations::replay(conn, counts, &selection)
            }),
        ),
        Request::Purge { selection, answer } => Settle::new(
            answer,
            isolated(tx, counts, health, |conn, counts| {
                operations::purge(conn, counts, &selection)
            }),
        ),
        Request::Trace { traces, answer } => Settle::new(
            answer,
            isolated(tx, counts, health, |conn, _| super::trace::record(conn, &traces)),
        ),
        Request::RememberFingerprints { remember, answer } => {
            Settle::new(answer, isolated(tx, counts, health, |conn, _| remember.apply(conn)))
        }
        Request::ForgetFingerprints { records, answer } => Settle::new(
            answer,
            isolated(tx, counts, health, |conn, _| {
                super::fingerprints::forget(conn, &records)
            }),
        ),
    }
}

fn isolated<T>(
    tx: &mut Transaction<'_>,
    counts: &mut Counts,
    health: &Health,
    operation: impl FnOnce(&Connection, &mut Counts) -> Result<T, SpoolError>,
) -> Result<T, SpoolError> {
    let result = (|| {
        let savepoint = tx.savepoint().doing("starting a request savepoint")?;
        let mut working = *counts;
        // On failure the savepoint is dropped, which rolls the request back.
        let result = operation(&savepoint, &mut working)?;
        savepoint.commit().doing("releasing a request savepoint")?;
        *counts = working;
        Ok(result)
    })();
    if let Err(error) = &result {
        health.observe(error);
    }
    result
}

fn refuse(request: Request, error: &SpoolError) {
    // A caller that stopped waiting is not an error.
    match request {
        Request::Append { answer, .. } => {
            let _ = answer.send(Err(error.clone()));
        }
        Request::AppendOnce { answer, .. } => {
            let _ = answer.send(Err(error.clone()));
        }
        Request::Ack { answer, .. }
        | Request::DeadLetter { answer, .. }
        | Request::Trace { answer, .. }
        | Request::RememberFingerprints { answer, .. }
        | Request::ForgetFingerprints { answer, .. } => {
            let _ = answer.send(Err(error.clone()));
        }
        Request::Replay { answer, .. } | Request::Purge { answer, .. } => {
            let _ = answer.send(Err(error.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ports::NewEvent;

    fn writer(config: &SpoolConfig) -> Writer {
        let conn = super::super::schema::open_writer(config).expect("open");
        let health = Arc::new(Health::watch(&config.path, Duration::from_secs(10)).expect("health"));
        let counts = Counts {
            pending: 0,
            dead_letters: 0,
        };
        let (_sender, receiver) = mpsc::channel(4);
        Writer::new(conn, receiver, Arc::new(Published::new(counts)), health, counts, config)
    }

    fn level(writer: &Writer) -> i64 {
        writer
            .conn
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .expect("level")
    }

    #[test]
    fn only_transactions_that_store_events_wait_for_the_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut writer = writer(&SpoolConfig::at(dir.path().join("spool.sqlite")));
        let (answer, _stored) = oneshot::channel();
        let event = NewEvent {
            received_at: chrono::Utc::now(),
            payload: "{}".to_owned(),
            only_subscription: None,
            only_destinations: None,
        };
        writer.apply(vec![Request::Append {
            events: vec![event],
            answer,
        }]);
        assert_eq!(level(&writer), 2, "an append commits with FULL");
        let (answer, _acked) = oneshot::channel();
        writer.apply(vec![Request::Ack { ids: vec![1], answer }]);
        assert_eq!(level(&writer), 1, "an acknowledgement commits with NORMAL");
        let (answer, _purged) = oneshot::channel();
        writer.apply(vec![Request::Purge {
            selection: domain::ports::DeadLetterSelection::All,
            answer,
        }]);
        assert_eq!(level(&writer), 2, "a purge of dead letters commits with FULL again");
    }

    #[test]
    fn a_spool_configured_normal_never_syncs_more() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = SpoolConfig {
            synchronous: Synchronous::Normal,
            ..SpoolConfig::at(dir.path().join("spool.sqlite"))
        };
        let mut writer = writer(&config);
        let (answer, _purged) = oneshot::channel();
        writer.apply(vec![Request::Purge {
            selection: domain::ports::DeadLetterSelection::All,
            answer,
        }]);
        assert_eq!(level(&writer), 1);
    }
}
