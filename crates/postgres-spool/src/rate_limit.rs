//! One Attio rate limit per token for every instance on one PostgreSQL database.
//!
//! Each (token digest, request class) has one row holding a theoretical arrival time
//! (`tat_us`, GCRA): the instant from which the next request may go, one interval
//! (`1.05 s / rate`) after the previous one. An instance takes a small slice of
//! consecutive slots at once with one atomic `INSERT … ON CONFLICT DO UPDATE` that moves
//! `tat_us` past them, then sends its requests at those instants. All instants are the
//! database's clock (`clock_timestamp()`), so the instances' clocks need not agree: the
//! reply says how far in the future the slots are, relative to the database's now.
//!
//! A 429 stores `paused_until_us` on the row; the next slice any instance takes starts
//! after it, and the instance that saw the 429 drops the slots it holds. Slices are at most
//! 1/20 of a second of the rate, so another instance sends at most that many requests
//! from slots it took before the pause.
//!
//! The token is never stored: the key is the SHA-256 digest the gateway computes.

use std::collections::{HashMap, VecDeque};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use domain::ports::{RateLimitKey, RateLimitStats, RateLimiter, RateLimiters, RequestClass};
use tokio::time::Instant;
use tokio_postgres::NoTls;

/// Each second is stretched by 5 %: requests of several processes reach Attio with more
/// scatter (scheduling, one more network hop) than the slots they were given, and the
/// margin keeps `rate + 1` of them out of any one of Attio's seconds. It still leaves 95 %
/// of the rate in use under a backlog.
const PERIOD_US: i64 = 1_050_000;

/// How late a slot may still be used. With slots `1.05 s / rate` apart, requests sent at
/// most 50 ms after their slots never put `rate + 1` into one second; this leaves the rest
/// of that for the way to Attio.
const LATENESS: Duration = Duration::from_millis(20);

/// How long a failed database call waits before it is tried again.
const RETRY_AFTER_ERROR: Duration = Duration::from_millis(200);

/// The advisory lock key under which the table is created (its own: the spool's
/// migrations hold `0x5e67_a771_0001` and its appends `0x5e67_a771_0002`).
const SCHEMA_LOCK: i64 = 0x5e67_a771_0003;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS attio_rate_limits (
         key TEXT NOT NULL,
         class TEXT NOT NULL,
         tat_us BIGINT NOT NULL,
         paused_until_us BIGINT NOT NULL,
         updated_us BIGINT NOT NULL,
         PRIMARY KEY (key, class)
     )";

/// Takes `$3` microseconds of slots from `max(tat, now, paused_until)`.
const RESERVE: &str = "WITH c AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT AS now_us)
     INSERT INTO attio_rate_limits AS r (key, class, tat_us, paused_until_us, updated_us)
     SELECT $1, $2, c.now_us + $3, 0, c.now_us FROM c
     ON CONFLICT (key, class) DO UPDATE
     SET tat_us = GREATEST(r.tat_us, EXCLUDED.updated_us, r.paused_until_us) + $3,
         updated_us = EXCLUDED.updated_us
     RETURNING tat_us - $3, updated_us, paused_until_us";

/// Holds the class until `now + $3` microseconds (a longer pause stays).
const PAUSE: &str = "WITH c AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT AS now_us)
     INSERT INTO attio_rate_limits AS r (key, class, tat_us, paused_until_us, updated_us)
     SELECT $1, $2, c.now_us, c.now_us + $3, c.now_us FROM c
     ON CONFLICT (key, class) DO UPDATE
     SET paused_until_us = GREATEST(r.paused_until_us, EXCLUDED.paused_until_us),
         updated_us = EXCLUDED.updated_us";

/// Why the shared limiter could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitSetupError {
    #[error("spool.url is not a valid PostgreSQL URL: {0}")]
    InvalidUrl(String),
    #[error("creating the rate limit table: {0}")]
    Schema(String),
    #[error("no database connection for the rate limit: {0}")]
    Connect(String),
}

/// The limiters of every token, on one database. Cheap to share; gateways get their
/// token's limiter through [`RateLimiters::limiter`].
pub struct PostgresRateLimiters {
    pool: Pool,
    limiters: Mutex<HashMap<RateLimitKey, Weak<PostgresRateLimiter>>>,
}

impl std::fmt::Debug for PostgresRateLimiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresRateLimiters").finish_non_exhaustive()
    }
}

impl PostgresRateLimiters {
    /// Connects with a small pool of its own and creates the table if needed.
    pub async fn connect(url: &str) -> Result<Self, RateLimitSetupError> {
        let config =
            tokio_postgres::Config::from_str(url).map_err(|e| RateLimitSetupError::InvalidUrl(e.to_string()))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(4)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| RateLimitSetupError::Connect(e.to_string()))?;
        Self::with_pool(pool).await
    }

    /// Over an existing pool (the spool's); creates the table if needed.
    pub async fn with_pool(pool: Pool) -> Result<Self, RateLimitSetupError> {
        let mut client = pool
            .get()
            .await
            .map_err(|e| RateLimitSetupError::Connect(e.to_string()))?;
        let tx = client
            .transaction()
            .await
            .map_err(|e| RateLimitSetupError::Schema(e.to_string()))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await
            .map_err(|e| RateLimitSetupError::Schema(e.to_string()))?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('attio_rate_limits') IS NOT NULL", &[])
            .await
            .map_err(|e| RateLimitSetupError::Schema(e.to_string()))?
            .get(0);
        if !exists {
            tx.batch_execute(SCHEMA)
                .await
                .map_err(|e| RateLimitSetupError::Schema(e.to_string()))?;
        }
        tx.commit()
            .await
            .map_err(|e| RateLimitSetupError::Schema(e.to_string()))?;
        Ok(Self {
            pool,
            limiters: Mutex::new(HashMap::new()),
        })
    }
}

impl RateLimiters for PostgresRateLimiters {
    fn limiter(&self, key: &RateLimitKey, read_rate: u32, write_rate: u32) -> Arc<dyn RateLimiter> {
        let mut map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = map.get(key).and_then(Weak::upgrade) {
            return existing;
        }
        map.retain(|_, w| w.strong_count() > 0);
        let limiter = Arc::new(PostgresRateLimiter {
            pool: self.pool.clone(),
            key: key.as_str().to_owned(),
            read: ClassSlots::new(read_rate),
            write: ClassSlots::new(write_rate),
            sent: AtomicU64::new(0),
            limited: AtomicU64::new(0),
            paused_nanos: AtomicU64::new(0),
            waited_nanos: AtomicU64::new(0),
        });
        map.insert(key.clone(), Arc::downgrade(&limiter));
        limiter
    }
}

/// This instance's slots of one class.
#[derive(Debug)]
struct ClassSlots {
    interval_us: i64,
    /// Slots taken per database call.
    slice: u32,
    /// Slots taken and not used yet, earliest first. The async mutex is fair: callers go
    /// in arrival order.
    slots: tokio::sync::Mutex<VecDeque<Instant>>,
    /// The pause this instance knows of.
    paused_until: Mutex<Option<Instant>>,
}

impl ClassSlots {
    fn new(rate: u32) -> Self {
        let rate = rate.max(1);
        Self {
            interval_us: PERIOD_US / i64::from(rate),
            slice: (rate / 20).max(1),
            slots: tokio::sync::Mutex::new(VecDeque::new()),
            paused_until: Mutex::new(None),
        }
    }

    fn paused_until(&self) -> Option<Instant> {
        *self.paused_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Extends the known pause to `until`; returns by how much it grew.
    fn pause_until(&self, until: Instant, now: Instant) -> Duration {
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        let from = paused.map_or(now, |p| p.max(now));
        if until > from {
            *paused = Some(until);
            until - from
        } else {
            Duration::ZERO
        }
    }

    /// A slot more than [`LATENESS`] past was not used in time: using it now would crowd
    /// the next ones (another instance's, perhaps) into less than a second.
    fn stale(&self, slot: Instant, now: Instant) -> bool {
        slot + LATENESS < now
    }
}

/// One token's limiter in this instance.
pub struct PostgresRateLimiter {
    pool: Pool,
    key: String,
    read: ClassSlots,
    write: ClassSlots,
    sent: AtomicU64,
    limited: AtomicU64,
    paused_nanos: AtomicU64,
    waited_nanos: AtomicU64,
}

impl std::fmt::Debug for PostgresRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresRateLimiter")
            .field("read", &self.read)
            .field("write", &self.write)
            .finish_non_exhaustive()
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// `base` moved by `delta_us` (never before `base`).
fn at(base: Instant, delta_us: i64) -> Instant {
    base + Duration::from_micros(u64::try_from(delta_us).unwrap_or(0))
}

impl PostgresRateLimiter {
    fn class(&self, class: RequestClass) -> &ClassSlots {
        match class {
            RequestClass::Read => &self.read,
            RequestClass::Write => &self.write,
        }
    }

    /// Takes the next slice of slots from the database.
    async fn reserve(&self, class: RequestClass) -> Result<Vec<Instant>, String> {
        let c = self.class(class);
        let span = c.interval_us * i64::from(c.slice);
        let client = self.pool.get().await.map_err(|e| e.to_string())?;
        // The database's `now` is read as the statement starts, just after it is sent: the
        // slots are placed from the sending instant. (From the reply's arrival they would
        // be late by however long this process took to read it, which on a loaded host
        // varies by more than a slot, and crowds them onto the next instance's.)
        let sent = Instant::now();
        let row = client
            .query_one(RESERVE, &[&self.key, &class.as_str(), &span])
            .await
            .map_err(|e| e.to_string())?;
        let (start_us, now_us, paused_us): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        if paused_us > now_us {
            c.pause_until(at(sent, paused_us - now_us), Instant::now());
        }
        Ok((0..i64::from(c.slice))
            .map(|i| at(sent, start_us - now_us + i * c.interval_us))
            .collect())
    }

    async fn store_pause(&self, class: RequestClass, after: Duration) -> Result<(), String> {
        let after_us = i64::try_from(after.as_micros())
            .unwrap_or(i64::MAX / 4)
            .min(i64::MAX / 4);
        let client = self.pool.get().await.map_err(|e| e.to_string())?;
        client
            .execute(PAUSE, &[&self.key, &class.as_str(), &after_us])
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

#[async_trait]
impl RateLimiter for PostgresRateLimiter {
    async fn acquire(&self, class: RequestClass) {
        let started = Instant::now();
        let c = self.class(class);
        let mut slots = c.slots.lock().await;
        loop {
            let now = Instant::now();
            let paused = c.paused_until();
            while let Some(&slot) = slots.front() {
                if c.stale(slot, now) || paused.is_some_and(|p| slot < p) {
                    slots.pop_front();
                } else {
                    break;
                }
            }
            if let Some(slot) = slots.pop_front() {
                tokio::time::sleep_until(slot).await;
                // A 429 seen while waiting holds this slot too; a wake-up too late (a
                // loaded machine) loses it.
                if c.paused_until().is_some_and(|p| slot < p) || c.stale(slot, Instant::now()) {
                    continue;
                }
                break;
            }
            match self.reserve(class).await {
                Ok(taken) => slots.extend(taken),
                Err(error) => {
                    tracing::warn!(class = class.as_str(), %error, "the shared rate limit cannot be read; trying again");
                    tokio::time::sleep(RETRY_AFTER_ERROR).await;
                }
            }
        }
        self.waited_nanos.fetch_add(nanos(started.elapsed()), Ordering::Relaxed);
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    async fn rate_limited(&self, class: RequestClass, after: Duration) {
        self.limited.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let until = now
            .checked_add(after)
            .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365));
        let grown = self.class(class).pause_until(until, now);
        self.paused_nanos.fetch_add(nanos(grown), Ordering::Relaxed);
        if let Err(error) = self.store_pause(class, after).await {
            tracing::warn!(class = class.as_str(), %error, "a 429 pause could not be shared with the other instances");
        }
    }

    fn stats(&self) -> RateLimitStats {
        RateLimitStats {
            requests_sent: self.sent.load(Ordering::Relaxed),
            rate_limited: self.limited.load(Ordering::Relaxed),
            paused: Duration::from_nanos(self.paused_nanos.load(Ordering::Relaxed)),
            waited: Duration::from_nanos(self.waited_nanos.load(Ordering::Relaxed)),
        }
    }
}
