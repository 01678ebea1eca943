//! `PostgresSpool`: the handle callers share (cheap to clone), its connection pool, the
//! partition leases and the heartbeat that renews them.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use domain::ports::{
    Appended, DeadLetter, EventSpool, IdentifiedEvent, NewEvent, SpoolError, SpoolStats, SpooledEvent,
};
use tokio_postgres::NoTls;

use crate::appender::{AppendRequest, Limits};
use crate::config::{redacted_url, PostgresConfig};
use crate::error::Doing;
use crate::leases::Leases;
use crate::rows::{decode_time, event_from_row, sql_count, EVENT_COLUMNS, EVENT_COLUMN_COUNT};
use crate::writes;

/// The spool in a PostgreSQL database, shared by every instance configured with it.
#[derive(Clone)]
pub struct PostgresSpool {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: Pool,
    pub(crate) config: PostgresConfig,
    pub(crate) leases: Leases,
    appender: tokio::sync::mpsc::Sender<AppendRequest>,
    closed: AtomicBool,
    heartbeat: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.heartbeat.get_mut().ok().and_then(Option::take) {
            task.abort();
        }
    }
}

impl std::fmt::Debug for PostgresSpool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresSpool")
            .field("url", &redacted_url(&self.inner.config.url))
            .field("owner", &self.inner.leases.owner())
            .finish_non_exhaustive()
    }
}

/// A name for this instance in the lease table: host, process and a random part (two
/// instances of one host stay apart, and a restarted one is a new owner).
fn instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".to_owned());
    format!("{host}-{}-{:08x}", std::process::id(), rand::random::<u32>())
}

impl PostgresSpool {
    /// Connects, applies the migrations, takes this instance's share of the partitions
    /// and starts the heartbeat that renews it.
    pub async fn open(config: PostgresConfig) -> Result<PostgresSpool, SpoolError> {
        let pg_config = tokio_postgres::Config::from_str(&config.url)
            .map_err(|error| SpoolError::Storage(format!("spool.url is not a valid PostgreSQL URL: {error}")))?;
        let manager = Manager::from_config(
            pg_config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|error| SpoolError::Storage(format!("creating the PostgreSQL pool: {error}")))?;
        let where_ = redacted_url(&config.url);
        {
            let mut client = pool
                .get()
                .await
                .doing(&format!("connecting to the spool database {where_}"))?;
            crate::schema::migrate(&mut client, config.partitions).await?;
        }
        let leases = Leases::new(instance_name(), config.lease, config.partitions);
        let appender = crate::appender::spawn(
            pool.clone(),
            Limits {
                partitions: config.partitions,
                max_pending: config.max_pending,
                window_secs: i64::try_from(config.dedup_window_secs).unwrap_or(i64::MAX),
            },
        );
        let spool = PostgresSpool {
            inner: Arc::new(Inner {
                appender,
                pool,
                leases,
                closed: AtomicBool::new(false),
                heartbeat: std::sync::Mutex::new(None),
                config,
            }),
        };
        if spool.inner.config.deliver {
            spool.heartbeat_once().await?;
            spool.inner.leases.settle();
            let task = tokio::spawn(heartbeat(Arc::downgrade(&spool.inner)));
            *spool
                .inner
                .heartbeat
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(task);
        }
        tracing::info!(url = %where_, owner = spool.inner.leases.owner(), partitions = ?spool.inner.leases.held().len(), "spool opened on PostgreSQL");
        Ok(spool)
    }

    /// The database, without its password.
    pub fn describe(&self) -> String {
        redacted_url(&self.inner.config.url)
    }

    pub fn trace_enabled(&self) -> bool {
        self.inner.config.trace
    }

    /// This instance's name in the lease table.
    pub fn owner(&self) -> &str {
        self.inner.leases.owner()
    }

    /// The partitions this instance holds now.
    pub fn partitions_held(&self) -> Vec<i32> {
        self.inner.leases.held()
    }

    /// Renews the leases and rebalances now (the heartbeat does it every third of a lease).
    pub async fn heartbeat_once(&self) -> Result<(), SpoolError> {
        let client = self.client().await?;
        self.inner.leases.heartbeat(&client).await?;
        drop(client);
        self.prune().await
    }

    pub(crate) async fn client(&self) -> Result<Object, SpoolError> {
        self.inner.pool.get().await.doing("getting a database connection")
    }

    pub(crate) fn check_open(&self) -> Result<(), SpoolError> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(SpoolError::Closed);
        }
        Ok(())
    }

    /// Forgets message ids older than the window and traces beyond their bounds.
    async fn prune(&self) -> Result<(), SpoolError> {
        let client = self.client().await?;
        let window = i64::try_from(self.inner.config.dedup_window_secs).unwrap_or(i64::MAX);
        if window > 0 {
            let cutoff = chrono::Utc::now().timestamp().saturating_sub(window);
            client
                .execute(
                    "DELETE FROM message_ids WHERE message_id IN
                         (SELECT message_id FROM message_ids WHERE seen_at <= $1 ORDER BY seen_at LIMIT 50000)",
                    &[&cutoff],
                )
                .await
                .doing("forgetting old message ids")?;
        }
        crate::trace::prune(&client, &self.inner.config).await
    }
}

/// Renews the leases every third of a lease until the spool is closed or dropped.
async fn heartbeat(inner: Weak<Inner>) {
    loop {
        let every = match inner.upgrade() {
            Some(inner) => inner.config.lease / 3,
            None => return,
        };
        tokio::time::sleep(every.max(Duration::from_millis(100))).await;
        let Some(inner) = inner.upgrade() else { return };
        if inner.closed.load(Ordering::Acquire) {
            return;
        }
        let spool = PostgresSpool { inner };
        if let Err(error) = spool.heartbeat_once().await {
            tracing::warn!(%error, "renewing the partition leases failed; retrying");
        }
    }
}

#[async_trait]
impl EventSpool for PostgresSpool {
    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<i64>, SpoolError> {
        let identified = events
            .into_iter()
            .map(|event| IdentifiedEvent {
                event,
                message_id: None,
            })
            .collect();
        let stored = self.append_identified(identified, false).await?;
        Ok(stored
            .into_iter()
            .filter_map(|outcome| match outcome {
                Appended::Stored(id) => Some(id),
                Appended::Duplicate => None,
            })
            .collect())
    }

    async fn append_once(&self, events: Vec<IdentifiedEvent>) -> Result<Vec<Appended>, SpoolError> {
        self.append_identified(events, true).await
    }

    async fn read_after(&self, after_id: i64, limit: usize) -> Result<Vec<SpooledEvent>, SpoolError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let plan = self.inner.leases.plan();
        let client = self.client().await?;
        let mut events = Vec::new();
        let mut stable = plan.stable;
        for (partition, last) in plan.catching_up {
            let room = limit - events.len();
            if room == 0 {
                break;
            }
            let rows = client
                .query(
                    &format!(
                        "SELECT {EVENT_COLUMNS}, partition FROM events WHERE partition = $1 AND id > $2 AND id <= $3
                         ORDER BY id LIMIT $4"
                    ),
                    &[&partition, &last, &after_id, &sql_count(room)],
                )
                .await
                .doing("reading a partition taken over")?;
            let done = rows.len() < room;
            for row in &rows {
                events.push(event_from_row(row)?);
            }
            self.inner.leases.track(rows.iter().map(|row| (row.get(0), partition)));
            let reached = events.last().map_or(last, |event| event.id);
            self.inner.leases.caught_up(partition, reached, done);
            if done {
                stable.push(partition);
            }
        }
        let room = limit - events.len();
        if room > 0 && !stable.is_empty() {
            let rows = client
                .query(
                    &format!(
                        "SELECT {EVENT_COLUMNS}, partition FROM events WHERE partition = ANY($1) AND id > $2
                         ORDER BY id LIMIT $3"
                    ),
                    &[&stable, &after_id, &sql_count(room)],
                )
                .await
                .doing("reading events")?;
            for row in &rows {
                events.push(event_from_row(row)?);
            }
            self.inner.leases.track(
                rows.iter()
                    .map(|row| (row.get::<_, i64>(0), row.get::<_, i32>(EVENT_COLUMN_COUNT))),
            );
        }
        Ok(events)
    }

    async fn ack(&self, ids: Vec<i64>) -> Result<(), SpoolError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.check_open()?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.doing("starting an acknowledgement")?;
        writes::remove_events(&tx, &ids).await?;
        tx.commit().await.doing("committing an acknowledgement")?;
        self.inner.leases.settled(&ids);
        Ok(())
    }

    async fn dead_letter(&self, letters: Vec<DeadLetter>, remove_events: Vec<i64>) -> Result<(), SpoolError> {
        if letters.is_empty() && remove_events.is_empty() {
            return Ok(());
        }
        self.check_open()?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.doing("starting a dead letter")?;
        writes::dead_letter(&tx, &letters, &remove_events).await?;
        tx.commit().await.doing("committing dead letters")?;
        self.inner.leases.settled(&remove_events);
        Ok(())
    }

    async fn stats(&self) -> Result<SpoolStats, SpoolError> {
        let client = self.client().await?;
        let counts = client
            .query(
                "SELECT name, value FROM spool_counters WHERE name IN ($1, $2)",
                &[&writes::PENDING, &writes::DEAD_LETTERS],
            )
            .await
            .doing("reading the spool counters")?;
        let mut stats = SpoolStats::default();
        for row in &counts {
            let name: &str = row.get(0);
            let value = u64::try_from(row.get::<_, i64>(1)).unwrap_or(0);
            if name == writes::PENDING {
                stats.pending = value;
            } else {
                stats.dead_letters = value;
            }
        }
        if stats.pending > 0 {
            let oldest = client
                .query_opt("SELECT id, received_at FROM events ORDER BY id LIMIT 1", &[])
                .await
                .doing("reading the oldest event")?;
            if let Some(row) = oldest {
                let text: String = row.get(1);
                stats.oldest_received_at = Some(decode_time(&text, "received_at", "events", row.get(0))?);
            }
        }
        Ok(stats)
    }

    /// A query that the database answers only when it takes writes (not a standby).
    async fn check_writable(&self) -> Result<(), SpoolError> {
        self.check_open()?;
        let client = self.client().await?;
        let writable: bool = client
            .query_one("SELECT NOT pg_is_in_recovery() FROM spool_counters LIMIT 1", &[])
            .await
            .doing("probing the spool database")?
            .get(0);
        if !writable {
            return Err(SpoolError::Storage(
                "the spool database is a read-only standby (in recovery)".to_owned(),
            ));
        }
        Ok(())
    }

    /// Gives this instance's partitions back (so that others take them over at once) and
    /// closes the connections.
    async fn close(&self) -> Result<(), SpoolError> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let task = self
            .inner
            .heartbeat
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(task) = task {
            task.abort();
        }
        let released = match self.client().await {
            Ok(client) => self.inner.leases.release_all(&client).await,
            Err(error) => Err(error),
        };
        self.inner.pool.close();
        released
    }
}

impl PostgresSpool {
    async fn append_identified(&self, events: Vec<IdentifiedEvent>, dedup: bool) -> Result<Vec<Appended>, SpoolError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.check_open()?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.inner
            .appender
            .send(AppendRequest { events, dedup, answer })
            .await
            .map_err(|_| SpoolError::Closed)?;
        answered
            .await
            .map_err(|_| SpoolError::Storage("the appender stopped before answering".to_owned()))?
    }
}
