//! The writer thread: the one owner of the write connection. It takes every request that
//! is queued, applies them in one transaction (each inside its own savepoint, so that one
//! failing request does not fail the others), commits once, then answers each caller.

mod operations;
mod request;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use domain::ports::SpoolError;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

pub(crate) use operations::Counts;
pub(crate) use request::{Command, Request};

use super::config::TraceBounds;
use super::failure::Doing;
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

pub(crate) struct Writer {
    conn: Connection,
    receiver: mpsc::Receiver<Command>,
    published: Arc<Published>,
    counts: Counts,
    max_pending: u64,
    /// Most requests in one transaction.
    batch_limit: usize,
    trace: TraceBounds,
    /// When the trace was last pruned.
    last_prune: Option<std::time::Instant>,
}

/// How often the writer drops the traces beyond the limits.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Writer {
    pub(crate) fn new(
        conn: Connection,
        receiver: mpsc::Receiver<Command>,
        published: Arc<Published>,
        counts: Counts,
        max_pending: u64,
        batch_limit: usize,
        trace: TraceBounds,
    ) -> Self {
        Writer {
            conn,
            receiver,
            published,
            counts,
            max_pending,
            batch_limit: batch_limit.max(1),
            trace,
            last_prune: None,
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
        let max_pending = self.max_pending;
        let mut tx = match self.conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(error) => {
                let error = SpoolError::Storage(format!("starting a spool transaction: {error}"));
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
            .map(|request| run_one(&mut tx, &mut counts, max_pending, request))
            .collect();
        if traced && self.last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            self.last_prune = Some(std::time::Instant::now());
            let bounds = self.trace;
            // Pruning is housekeeping: a failure is logged and the requests still commit.
            if let Err(error) = isolated(&mut tx, &mut counts, |conn, _| {
                super::trace::prune(conn, chrono::Utc::now(), bounds.max_age, bounds.max_events)
            }) {
                tracing::warn!(%error, "dropping old event traces failed");
            }
        }
        let committed =
            persist_counts(&tx, before, counts).and_then(|()| tx.commit().doing("committing spool changes"));
        match &committed {
            Ok(()) => {
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
    if after.pending != before.pending {
        write_counter(tx, PENDING_COUNTER, after.pending)?;
    }
    if after.dead_letters != before.dead_letters {
        write_counter(tx, DEAD_LETTER_COUNTER, after.dead_letters)?;
    }
    Ok(())
}

/// Applies one request inside its own savepoint; the answer waits for the commit.
fn run_one(tx: &mut Transaction<'_>, counts: &mut Counts, max_pending: u64, request: Request) -> Settle {
    match request {
        Request::Append { events, answer } => Settle::new(
            answer,
            isolated(tx, counts, |conn, counts| {
                operations::append(conn, counts, max_pending, &events)
            }),
        ),
        Request::Ack { ids, answer } => Settle::new(
            answer,
            isolated(tx, counts, |conn, counts| operations::ack(conn, counts, &ids)),
        ),
        Request::DeadLetter {
            letters,
            remove_events,
            answer,
        } => Settle::new(
            answer,
            isolated(tx, counts, |conn, counts| {
                operations::dead_letter(conn, counts, &letters, &remove_events)
            }),
        ),
        Request::Replay { selection, answer } => Settle::new(
            answer,
            isolated(tx, counts, |conn, counts| operations::replay(conn, counts, &selection)),
        ),
        Request::Purge { selection, answer } => Settle::new(
            answer,
            isolated(tx, counts, |conn, counts| operations::purge(conn, counts, &selection)),
        ),
        Request::Trace { traces, answer } => Settle::new(
            answer,
            isolated(tx, counts, |conn, _| super::trace::record(conn, &traces)),
        ),
    }
}

fn isolated<T>(
    tx: &mut Transaction<'_>,
    counts: &mut Counts,
    operation: impl FnOnce(&Connection, &mut Counts) -> Result<T, SpoolError>,
) -> Result<T, SpoolError> {
    let savepoint = tx.savepoint().doing("starting a request savepoint")?;
    let mut working = *counts;
    // On failure the savepoint is dropped, which rolls the request back.
    let result = operation(&savepoint, &mut working)?;
    savepoint.commit().doing("releasing a request savepoint")?;
    *counts = working;
    Ok(result)
}

fn refuse(request: Request, error: &SpoolError) {
    // A caller that stopped waiting is not an error.
    match request {
        Request::Append { answer, .. } => {
            let _ = answer.send(Err(error.clone()));
        }
        Request::Ack { answer, .. } | Request::DeadLetter { answer, .. } | Request::Trace { answer, .. } => {
            let _ = answer.send(Err(error.clone()));
        }
        Request::Replay { answer, .. } | Request::Purge { answer, .. } => {
            let _ = answer.send(Err(error.clone()));
        }
    }
}
