//! Write-behind for the write fingerprints of the SQLite spool: a remembered state is
//! visible at once (reads look here first) and reaches the spool file with the others of
//! the next `FLUSH_EVERY`, in one request to the writer thread, instead of a transaction
//! per Attio request.
//!
//! It also keeps what reads of the file found (at most `CACHE_MAX` records), so that
//! delivery can read ahead the records of the events it takes from the spool
//! (`prefetch`), all in one blocking task, instead of one read per Attio request. The file
//! changes only through this buffer (one `serve` per spool file): a record's kept state
//! is dropped when a write of it commits, and a read during which a write committed is
//! not kept.
//!
//! What this can lose is only what a crash (or a power loss) takes before a flush: those
//! records are written to Attio again, never skipped wrongly. Forgetting is not deferred:
//! a forgotten state that came back would make a write be skipped while Attio may hold
//! something else, so `forget` waits for its commit, and the requests to the writer keep
//! the order in which states were remembered and forgotten.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use domain::ports::{RecordRef, SpoolError, WrittenState};

/// How long a remembered state waits for others before it is written.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Records whose stored state is kept in memory at most (then the memory is cleared).
pub(crate) const CACHE_MAX: usize = 50_000;
/// How long a failed write waits before it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What the writer is asked to do with states taken from the buffer.
pub(crate) trait FingerprintSink: Send + Sync + 'static {
    /// Stores the states (in one writer request); answers once committed.
    fn remember(
        &self,
        states: Vec<(RecordRef, WrittenState)>,
    ) -> impl std::future::Future<Output = Result<(), SpoolError>> + Send;
    /// Deletes the records' states; answers once committed.
    fn forget(&self, records: Vec<RecordRef>) -> impl std::future::Future<Output = Result<(), SpoolError>> + Send;
}

#[derive(Default)]
struct State {
    /// What the file may not hold yet: `Some` remembered, `None` forgotten.
    overlay: HashMap<RecordRef, Option<WrittenState>>,
    /// Remembered and not yet handed to the writer.
    queued: HashMap<RecordRef, WrittenState>,
    /// A flush is scheduled.
    flushing: bool,
    /// What reads of the file found (`None`: nothing).
    cached: HashMap<RecordRef, Option<WrittenState>>,
    /// Commits of remembered or forgotten states, and clears of `cached`: a read that
    /// began before one is not kept.
    changes: u64,
}

impl State {
    /// A write of `record` committed: what was read of it is out of date.
    fn committed(&mut self, record: &RecordRef) {
        self.cached.remove(record);
        self.changes += 1;
    }
}

/// The buffer; cheap to clone.
pub(crate) struct FingerprintBuffer<S> {
    sink: Arc<S>,
    state: Arc<Mutex<State>>,
    /// Held from taking states out of the buffer until their request is committed, so
    /// that the writer applies them in the order the states changed.
    sending: Arc<tokio::sync::Mutex<()>>,
}

impl<S> Clone for FingerprintBuffer<S> {
    fn clone(&self) -> Self {
        Self {
            sink: self.sink.clone(),
            state: self.state.clone(),
            sending: self.sending.clone(),
        }
    }
}

/// What a flush leaves to do.
#[derive(Debug, PartialEq, Eq)]
enum Flushed {
    Done,
    /// The write failed; its states are queued again for the next attempt.
    Retry,
}

impl<S: FingerprintSink> FingerprintBuffer<S> {
    pub(crate) fn new(sink: S) -> Self {
        Self {
            sink: Arc::new(sink),
            state: Arc::default(),
            sending: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What the buffer knows of each record: `Some(state)` (a state, or `None` when it
    /// has none) or `None` (ask the file).
    pub(crate) fn known(&self, records: &[RecordRef]) -> Vec<Option<Option<WrittenState>>> {
        let state = self.lock();
        records
            .iter()
            .map(|r| state.overlay.get(r).or_else(|| state.cached.get(r)).cloned())
            .collect()
    }

    /// Marks the start of a read of the file, for [`learned`](Self::learned).
    pub(crate) fn read_begins(&self) -> u64 {
        self.lock().changes
    }

    /// Keeps what a read that began at `began` found, unless a write committed since (or
    /// for a record remembered since: its newer state is here already).
    pub(crate) fn learned(&self, began: u64, records: Vec<RecordRef>, states: &[Option<WrittenState>]) {
        let mut state = self.lock();
        if state.changes != began || records.len() > CACHE_MAX {
            return;
        }
        if state.cached.len() + records.len() > CACHE_MAX {
            state.cached.clear();
        }
        for (record, stored) in records.into_iter().zip(states) {
            if !state.overlay.contains_key(&record) && !state.cached.contains_key(&record) {
                state.cached.insert(record, stored.clone());
            }
        }
    }

    /// Remembers the states of a large write (a batch request's records) at once: they
    /// are worth a writer request of their own, and the bookkeeping of the write-behind
    /// would cost more than it saves. Waits for the commit.
    pub(crate) async fn remember_now(&self, written: Vec<(RecordRef, WrittenState)>) -> Result<(), SpoolError> {
        let _order = self.sending.lock().await;
        {
            let mut state = self.lock();
            if !state.queued.is_empty() || !state.overlay.is_empty() {
                // Newer than what the write-behind holds for these records.
                for (record, _) in &written {
                    state.queued.remove(record);
                    state.overlay.remove(record);
                }
            }
        }
        let records: Vec<RecordRef> = written.iter().map(|(r, _)| r.clone()).collect();
        let result = self.sink.remember(written).await;
        let mut state = self.lock();
        for record in &records {
            state.committed(record);
        }
        result
    }

    /// Remembers the states now; they are written within `FLUSH_EVERY`.
    pub(crate) fn remember(&self, written: Vec<(RecordRef, WrittenState)>) {
        let schedule = {
            let mut state = self.lock();
            for (record, written) in written {
                state.overlay.insert(record.clone(), Some(written.clone()));
                state.queued.insert(record, written);
            }
            !std::mem::replace(&mut state.flushing, true)
        };
        if schedule {
            self.schedule(FLUSH_EVERY);
        }
    }

    /// Flushes after `wait`, and again (every `RETRY_AFTER`) while writing fails.
    fn schedule(&self, wait: Duration) {
        let buffer = self.clone();
        tokio::spawn(async move {
            let mut wait = wait;
            loop {
                tokio::time::sleep(wait).await;
                if buffer.flush_once().await == Flushed::Done {
                    return;
                }
                wait = RETRY_AFTER;
            }
        });
    }

    /// Forgets the records and waits until the file has forgotten them too.
    pub(crate) async fn forget(&self, records: Vec<RecordRef>) -> Result<(), SpoolError> {
        let _order = self.sending.lock().await;
        {
            let mut state = self.lock();
            for record in &records {
                state.queued.remove(record);
                state.overlay.insert(record.clone(), None);
            }
        }
        let result = self.sink.forget(records.clone()).await;
        if result.is_ok() {
            let mut state = self.lock();
            for record in records {
                if let Some(None) = state.overlay.get(&record) {
                    state.overlay.remove(&record);
                }
                state.committed(&record);
            }
        }
        result
    }

    /// Writes every queued state now and waits for the commit. A failed write keeps the
    /// states queued (and visible) and is tried again later.
    pub(crate) async fn flush(&self) {
        if self.flush_once().await == Flushed::Retry {
            self.schedule(RETRY_AFTER);
        }
    }

    async fn flush_once(&self) -> Flushed {
        let _order = self.sending.lock().await;
        let states: Vec<(RecordRef, WrittenState)> = {
            let mut state = self.lock();
            state.flushing = false;
            state.queued.drain().collect()
        };
        if states.is_empty() {
            return Flushed::Done;
        }
        match self.sink.remember(states.clone()).await {
            Ok(()) => {
                let mut state = self.lock();
                for (record, written) in states {
                    if state.overlay.get(&record) == Some(&Some(written)) {
                        state.overlay.remove(&record);
                    }
                    state.committed(&record);
                }
                Flushed::Done
            }
            Err(error) => {
                tracing::warn!(%error, "writing the write fingerprints failed; retried later");
                let mut state = self.lock();
                for (record, written) in states {
                    // Unless changed since: then the newer state is queued already.
                    if state.overlay.get(&record) == Some(&Some(written.clone())) {
                        state.queued.entry(record).or_insert(written);
                    }
                }
                // A flush already scheduled (by a remember since) takes them.
                if !state.queued.is_empty() && !std::mem::replace(&mut state.flushing, true) {
                    Flushed::Retry
                } else {
                    Flushed::Done
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "fingerprint_buffer_tests.rs"]
mod tests;
