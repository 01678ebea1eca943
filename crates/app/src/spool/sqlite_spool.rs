//! `SqliteSpool`: the handle callers share. Writes go to the writer thread over a channel;
//! reads run on the blocking pool with a read connection.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use domain::ports::{
    Appended, DeadLetter, DeadLetterFilter, DeadLetterSelection, DeadLetters, EventSpool, EventTrace, EventTraceRecord,
    IdentifiedEvent, NewEvent, SpoolError, SpoolStats, SpooledEvent, StoredDeadLetter, TraceFilter,
};
use tokio::sync::{mpsc, oneshot};

use super::config::SpoolConfig;
use super::health::Health;
use super::reader::{self, ReadPool};
use super::schema::{self, read_counter, DEAD_LETTER_COUNTER, PENDING_COUNTER};
use super::writer::{Command, Counts, Published, Request, Writer, WriterStats};

/// The durable spool in one SQLite file. Cheap to clone: clones share the writer thread and
/// the read connections. The writer stops (after applying what is queued) on `close()` or
/// when the last clone is dropped.
#[derive(Clone)]
pub struct SqliteSpool {
    inner: Arc<Inner>,
}

struct Inner {
    sender: mpsc::Sender<Command>,
    published: Arc<Published>,
    max_pending: u64,
    trace: bool,
    path: std::path::PathBuf,
    reads: ReadPool,
    health: Arc<Health>,
    /// Dropped with the spool, which stops the thread that watches the file.
    _watch: std::sync::mpsc::Sender<()>,
    // Declared after `sender`: fields drop in order, so the channel closes before the join.
    writer: WriterThread,
}

/// Joins the writer thread when the spool goes away, so that the file is closed on return.
struct WriterThread(Mutex<Option<JoinHandle<()>>>);

impl WriterThread {
    /// Waits for the thread to end (once; later calls return at once).
    fn join(&self) {
        let handle = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(handle) = handle {
            if handle.join().is_err() {
                tracing::error!("the spool writer thread panicked");
            }
        }
    }
}

impl Drop for WriterThread {
    fn drop(&mut self) {
        self.join();
    }
}

impl std::fmt::Debug for SqliteSpool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSpool")
            .field("writer", &self.writer_stats())
            .finish_non_exhaustive()
    }
}

impl SqliteSpool {
    /// Opens (creating when missing) the spool file and its parent directory, migrates the
    /// schema, and starts the writer thread. Blocking: call it at startup.
    pub fn open(config: SpoolConfig) -> Result<SqliteSpool, SpoolError> {
        config
            .validate()
            .map_err(|error| SpoolError::Storage(format!("invalid spool configuration: {error}")))?;
        if let Some(parent) = config.path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|error| {
                SpoolError::Storage(format!("creating the spool directory {}: {error}", parent.display()))
            })?;
        }
        let conn = schema::open_writer(&config)?;
        let counts = Counts {
            pending: schema::read_counter(&conn, PENDING_COUNTER)?,
            dead_letters: schema::read_counter(&conn, DEAD_LETTER_COUNTER)?,
        };
        let reads = ReadPool::open(&config)?;
        let health = Arc::new(Health::watch(&config.path, config.watch_interval() * 10)?);
        let watch = spawn_watch(health.clone(), config.watch_interval())?;
        let published = Arc::new(Published::new(counts));
        let (sender, receiver) = mpsc::channel(config.write_queue);
        let handle = Writer::new(conn, receiver, published.clone(), health.clone(), counts, &config).spawn()?;
        tracing::info!(
            path = %config.path.display(),
            pending = counts.pending,
            dead_letters = counts.dead_letters,
            "spool opened"
        );
        Ok(SqliteSpool {
            inner: Arc::new(Inner {
                sender,
                published,
                max_pending: config.max_pending,
                trace: config.trace,
                path: config.path.clone(),
                reads,
                health,
                _watch: watch,
                writer: WriterThread(Mutex::new(Some(handle))),
            }),
        })
    }

    /// Applies every queued write, checkpoints the log, stops the writer and closes its
    /// connection. Later writes answer `SpoolError::Closed`; reads keep working. Closing
    /// twice is harmless.
    pub async fn close(&self) {
        let (closer, closed) = oneshot::channel();
        if self.inner.sender.send(Command::Close(closer)).await.is_ok() {
            // An error here means the writer already stopped, which is what was asked.
            let _ = closed.await;
        }
        let inner = self.inner.clone();
        // The writer has answered and is returning: the join is short, but it blocks.
        if tokio::task::spawn_blocking(move || inner.writer.join()).await.is_err() {
            tracing::error!("waiting for the spool writer thread failed");
        }
    }

    /// Runs SQLite's integrity check on an existing spool file (a missing one passes).
    /// Blocking, and as long as a read of the whole file: `serve` calls it at start.
    pub fn verify(config: &SpoolConfig) -> Result<(), SpoolError> {
        schema::verify_integrity(config)
    }

    /// Why the spool refuses writes (its file deleted, replaced or corrupt), if it does.
    pub fn fault(&self) -> Option<String> {
        self.inner.health.fault()
    }

    /// The database file.
    pub fn path(&self) -> &std::path::Path {
        &self.inner.path
    }

    /// Whether the configuration asks for the event trace.
    pub fn trace_enabled(&self) -> bool {
        self.inner.trace
    }

    /// Transactions and requests the writer has committed since open.
    pub fn writer_stats(&self) -> WriterStats {
        self.inner.published.writer_stats()
    }

    pub(super) async fn write<T>(
        &self,
        request: Request,
        answer: oneshot::Receiver<Result<T, SpoolError>>,
    ) -> Result<T, SpoolError> {
        self.inner
            .sender
            .send(Command::Write(request))
            .await
            .map_err(|_| SpoolError::Closed)?;
        answer
            .await
            .map_err(|_| SpoolError::Storage("the spool writer stopped before answering".to_owned()))?
    }

    pub(super) async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&rusqlite::Connection) -> Result<T, SpoolError> + Send + 'static,
    ) -> Result<T, SpoolError> {
        let inner = self.inner.clone();
        let result = tokio::task::spawn_blocking(move || {
            let result = inner.reads.with(query);
            if let Err(error) = &result {
                inner.health.observe(error);
            }
            result
        })
        .await
        .map_err(|error| SpoolError::Storage(format!("the spool read task failed: {error}")))?;
        result
    }
}

/// Checks the spool file's identity every `interval` until the spool is dropped, so that a
/// deleted file shows in `/readyz` without waiting for a write.
fn spawn_watch(health: Arc<Health>, interval: Duration) -> Result<std::sync::mpsc::Sender<()>, SpoolError> {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("spool-watch".to_owned())
        .spawn(move || {
            // Ends when the sender is dropped (Disconnected).
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                if health.check_files().is_err() {
                    return;
                }
            }
        })
        .map_err(|error| SpoolError::Storage(format!("starting the spool watch thread: {error}")))?;
    Ok(stop)
}

#[async_trait]
impl EventSpool for SqliteSpool {
    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<i64>, SpoolError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // Refuse early when already full, without queueing behind the writer; the writer
        // checks again against the exact count.
        let pending = self.inner.published.pending.load(Ordering::Acquire);
        if pending.saturating_add(events.len() as u64) > self.inner.max_pending {
            return Err(SpoolError::Full { pending });
        }
        let (answer, receiver) = oneshot::channel();
        self.write(Request::Append { events, answer }, receiver).await
    }

    async fn append_once(&self, events: Vec<IdentifiedEvent>) -> Result<Vec<Appended>, SpoolError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let pending = self.inner.published.pending.load(Ordering::Acquire);
        if pending.saturating_add(events.len() as u64) > self.inner.max_pending {
            return Err(SpoolError::Full { pending });
        }
        let (answer, receiver) = oneshot::channel();
        self.write(Request::AppendOnce { events, answer }, receiver).await
    }

    async fn read_after(&self, after_id: i64, limit: usize) -> Result<Vec<SpooledEvent>, SpoolError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.read(move |conn| reader::read_after(conn, after_id, limit)).await
    }

    async fn ack(&self, ids: Vec<i64>) -> Result<(), SpoolError> {
        if ids.is_empty() {
            return Ok(());
        }
        let (answer, receiver) = oneshot::channel();
        self.write(Request::Ack { ids, answer }, receiver).await
    }

    async fn dead_letter(&self, letters: Vec<DeadLetter>, remove_events: Vec<i64>) -> Result<(), SpoolError> {
        if letters.is_empty() && remove_events.is_empty() {
            return Ok(());
        }
        let (answer, receiver) = oneshot::channel();
        self.write(
            Request::DeadLetter {
                letters,
                remove_events,
                answer,
            },
            receiver,
        )
        .await
    }

    /// Refused while the file is unusable or a write failed recently; otherwise a probe
    /// that writes (so that a disk refusing writes shows).
    async fn check_writable(&self) -> Result<(), SpoolError> {
        self.inner.health.check()?;
        self.ack(vec![0]).await?;
        self.inner.health.check_writes()
    }

    async fn close(&self) -> Result<(), SpoolError> {
        SqliteSpool::close(self).await;
        Ok(())
    }

    async fn stats(&self) -> Result<SpoolStats, SpoolError> {
        // Read the stored counts: another process may have changed them (replay, purge).
        self.read(|conn| {
            let pending = read_counter(conn, PENDING_COUNTER)?;
            let dead_letters = read_counter(conn, DEAD_LETTER_COUNTER)?;
            let oldest_received_at = if pending == 0 {
                None
            } else {
                reader::oldest_received_at(conn)?
            };
            Ok(SpoolStats {
                pending,
                oldest_received_at,
                dead_letters,
            })
        })
        .await
    }
}

#[async_trait]
impl DeadLetters for SqliteSpool {
    async fn list(&self, limit: usize, offset: usize) -> Result<Vec<StoredDeadLetter>, SpoolError> {
        self.read(move |conn| reader::list_dead_letters(conn, limit, offset))
            .await
    }

    async fn get(&self, id: i64) -> Result<Option<StoredDeadLetter>, SpoolError> {
        self.read(move |conn| reader::get_dead_letter(conn, id)).await
    }

    async fn search(&self, filter: DeadLetterFilter) -> Result<Vec<StoredDeadLetter>, SpoolError> {
        self.read(move |conn| reader::search_dead_letters(conn, &filter)).await
    }

    async fn of_event(&self, id: &str) -> Result<Vec<StoredDeadLetter>, SpoolError> {
        let id = id.to_owned();
        self.read(move |conn| reader::dead_letters_of_event(conn, &id)).await
    }

    /// Replayed events are added even beyond `max_pending`: replay is an operator's decision.
    async fn replay(&self, selection: DeadLetterSelection) -> Result<u64, SpoolError> {
        let (answer, receiver) = oneshot::channel();
        self.write(Request::Replay { selection, answer }, receiver).await
    }

    async fn purge(&self, selection: DeadLetterSelection) -> Result<u64, SpoolError> {
        let (answer, receiver) = oneshot::channel();
        self.write(Request::Purge { selection, answer }, receiver).await
    }
}

#[async_trait]
impl EventTrace for SqliteSpool {
    async fn record(&self, traces: Vec<EventTraceRecord>) -> Result<(), SpoolError> {
        if traces.is_empty() {
            return Ok(());
        }
        let traces = traces
            .into_iter()
            .map(super::trace::EncodedTrace::encode)
            .collect::<Result<Vec<_>, _>>()?;
        let (answer, receiver) = oneshot::channel();
        self.write(Request::Trace { traces, answer }, receiver).await
    }

    /// The trace, or else what the spool knows of the event: waiting (not read by delivery
    /// yet, or traced before the trace was on) or dead-lettered (trace dropped or off).
    async fn find(&self, id: &str) -> Result<Option<EventTraceRecord>, SpoolError> {
        let id = id.to_owned();
        self.read(move |conn| {
            if let Some(found) = super::trace::find(conn, &id)? {
                return Ok(Some(found));
            }
            if let Some(event) = reader::find_event(conn, &id)? {
                return Ok(Some(domain::untraced::waiting(&event)));
            }
            let letters = reader::dead_letters_of_event(conn, &id)?;
            Ok(domain::untraced::dead_lettered(&letters))
        })
        .await
    }

    async fn list(&self, filter: TraceFilter) -> Result<Vec<EventTraceRecord>, SpoolError> {
        self.read(move |conn| super::trace::list(conn, &filter)).await
    }
}
