//! The composition root of the spool: opens the backend the configuration names (the
//! SQLite file of `spool.path`, or the PostgreSQL database of `spool.url`) and hands out
//! its ports. `serve`, `import`, `dead-letters`, `events` and `skipped` all open it here.

use std::sync::Arc;
use std::time::Duration;

use domain::ports::{DeadLetters, DeliveryJournal, EventSpool, EventTrace, SpoolError, WriteFingerprints};
use postgres_spool::{PostgresConfig, PostgresSpool};

use super::config::SpoolConfig;
use super::{FingerprintBounds, SqliteJournal, SqliteSpool, SqliteWriteFingerprints};

/// What the spool is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `serve`: checked at open (SQLite's integrity check) and, on PostgreSQL, delivering
    /// a share of the partitions.
    Serve,
    /// `import`: appends only (created when missing).
    Append,
    /// The inspection commands: the spool must exist (an inspection that created an empty
    /// spool would answer "nothing there" about the wrong file).
    Inspect,
}

/// Why the spool could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SpoolOpenError {
    #[error("there is no spool at {path} (set spool.path in the configuration or use --data-dir DIR)")]
    Missing { path: String },
    #[error("opening the spool at {location}: {source}")]
    Storage { location: String, source: SpoolError },
    #[error("opening the spool at {location}: the open task failed: {reason}")]
    Task { location: String, reason: String },
}

/// Which backend holds the spool.
#[derive(Clone)]
pub enum Backend {
    Sqlite(SqliteSpool),
    Postgres(PostgresSpool),
}

/// The opened spool and its ports.
#[derive(Clone)]
pub struct Spool {
    pub events: Arc<dyn EventSpool>,
    pub dead_letters: Arc<dyn DeadLetters>,
    pub trace: Arc<dyn EventTrace>,
    pub journal: Arc<dyn DeliveryJournal>,
    pub backend: Backend,
    location: String,
    trace_enabled: bool,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// The PostgreSQL settings of a `[spool]` section with a `url`.
pub fn postgres_config(config: &SpoolConfig, url: &str) -> PostgresConfig {
    PostgresConfig {
        url: url.to_owned(),
        pool_size: config.pool_size,
        max_pending: config.max_pending,
        dedup_window_secs: config.dedup_window_secs,
        trace: config.trace,
        trace_max_age: Duration::from_secs(config.trace_max_age_secs),
        trace_max_events: config.trace_max_events,
        lease: Duration::from_secs(config.lease_secs),
        partitions: config.partitions,
        deliver: false,
    }
}

impl Spool {
    /// Opens the spool `config` names.
    pub async fn open(config: &SpoolConfig, purpose: Purpose) -> Result<Spool, SpoolOpenError> {
        match &config.url {
            Some(url) => Self::open_postgres(config, url, purpose).await,
            None => Self::open_sqlite(config, purpose).await,
        }
    }

    async fn open_postgres(config: &SpoolConfig, url: &str, purpose: Purpose) -> Result<Spool, SpoolOpenError> {
        let settings = PostgresConfig {
            deliver: purpose == Purpose::Serve,
            ..postgres_config(config, url)
        };
        let location = postgres_spool::redacted_url(url);
        let spool = PostgresSpool::open(settings)
            .await
            .map_err(|source| SpoolOpenError::Storage {
                location: location.clone(),
                source,
            })?;
        Ok(Spool {
            events: Arc::new(spool.clone()),
            dead_letters: Arc::new(spool.clone()),
            trace: Arc::new(spool.clone()),
            journal: Arc::new(spool.clone()),
            trace_enabled: config.trace,
            backend: Backend::Postgres(spool),
            location,
        })
    }

    async fn open_sqlite(config: &SpoolConfig, purpose: Purpose) -> Result<Spool, SpoolOpenError> {
        let location = config.path.display().to_string();
        if purpose == Purpose::Inspect && !config.path.is_file() {
            return Err(SpoolOpenError::Missing { path: location });
        }
        let owned = config.clone();
        let opened = tokio::task::spawn_blocking(move || {
            if purpose == Purpose::Serve {
                SqliteSpool::verify(&owned)?;
            }
            let spool = SqliteSpool::open(owned.clone())?;
            // Opened after the spool, whose writer creates the file and its tables.
            let journal = SqliteJournal::open(&owned)?;
            Ok::<_, SpoolError>((spool, journal))
        })
        .await
        .map_err(|error| SpoolOpenError::Task {
            location: location.clone(),
            reason: error.to_string(),
        })?;
        let (spool, journal) = opened.map_err(|source| SpoolOpenError::Storage {
            location: location.clone(),
            source,
        })?;
        Ok(Spool {
            events: Arc::new(spool.clone()),
            dead_letters: Arc::new(spool.clone()),
            trace: Arc::new(spool.clone()),
            journal: Arc::new(journal),
            trace_enabled: spool.trace_enabled(),
            backend: Backend::Sqlite(spool),
            location,
        })
    }

    /// The store of what delivery last wrote to each record (`[delivery] skip_unchanged`),
    /// in the same file or database.
    pub async fn write_fingerprints(
        &self,
        bounds: FingerprintBounds,
    ) -> Result<Arc<dyn WriteFingerprints>, SpoolOpenError> {
        let storage = |source| SpoolOpenError::Storage {
            location: self.location.clone(),
            source,
        };
        match &self.backend {
            Backend::Postgres(spool) => {
                let limits = postgres_spool::FingerprintLimits {
                    max_age: bounds.max_age,
                    max_records: bounds.max_records,
                };
                Ok(Arc::new(spool.write_fingerprints(limits).map_err(storage)?))
            }
            Backend::Sqlite(spool) => Ok(Arc::new(SqliteWriteFingerprints::open(spool, bounds).map_err(storage)?)),
        }
    }

    /// The file, or the database URL without its password.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Whether the configuration asks for the event trace.
    pub fn trace_enabled(&self) -> bool {
        self.trace_enabled
    }

    /// Applies what is queued and releases the storage (and, on PostgreSQL, this
    /// instance's partitions).
    pub async fn close(&self) -> Result<(), SpoolError> {
        self.events.close().await
    }
}
