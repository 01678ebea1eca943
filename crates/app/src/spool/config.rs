//! Spool settings: where the file lives, how hard each commit syncs, and how deep the queue may grow.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How far a commit is pushed to the disk before `append` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// Every commit syncs the write-ahead log: accepted events survive a power loss.
    #[default]
    Full,
    /// The log is synced at checkpoints only: accepted events survive a crash of the
    /// process, and a power loss may lose the last commits.
    Normal,
}

impl Synchronous {
    pub(crate) fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Settings of the SQLite spool (the `[spool]` section of the configuration).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpoolConfig {
    /// The database file; its parent directory is created when missing.
    pub path: PathBuf,
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME`: the spool is in that PostgreSQL
    /// database (shared by every instance configured with it) instead of `path`.
    pub url: Option<String>,
    /// Connections to PostgreSQL each instance keeps at most.
    pub pool_size: usize,
    /// How long an instance's ownership of a partition of the queue lasts without being
    /// renewed (PostgreSQL): after a crash, its partitions are taken over within this.
    pub lease_secs: u64,
    /// Partitions of the queue (PostgreSQL): the unit of delivery ownership. Fixed once
    /// events are waiting.
    pub partitions: u32,
    pub synchronous: Synchronous,
    /// Events waiting beyond which `append` answers `SpoolError::Full`.
    pub max_pending: u64,
    /// How long a connection waits for a lock held by another process before failing.
    pub busy_timeout_ms: u64,
    /// SQLite page cache of each connection, in KiB.
    pub cache_size_kib: u32,
    /// Read connections kept open for `read_after`, `stats` and the dead-letter queries.
    pub read_connections: usize,
    /// Write requests that may wait for the writer before callers of `append` wait in turn.
    pub write_queue: usize,
    /// An event whose `messageId` was stored less than this many seconds before (by
    /// `receivedAt`) is answered as accepted but not stored again. 0: no de-duplication.
    pub dedup_window_secs: u64,
    /// How often the spool file's identity (device and inode) is checked, in milliseconds,
    /// besides before every commit.
    pub watch_interval_ms: u64,
    /// Keep a trace of every event (`segment-attio events`, `GET /events`).
    pub trace: bool,
    /// Traces older than this many seconds are dropped, oldest first.
    pub trace_max_age_secs: u64,
    /// At most this many traces are kept; the oldest are dropped first.
    pub trace_max_events: u64,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            path: PathBuf::from("./data/spool.sqlite"),
            url: None,
            pool_size: 8,
            lease_secs: 15,
            partitions: 64,
            synchronous: Synchronous::Full,
            max_pending: 5_000_000,
            busy_timeout_ms: 5_000,
            cache_size_kib: 8 * 1024,
            read_connections: 4,
            write_queue: 256,
            dedup_window_secs: 24 * 60 * 60,
            watch_interval_ms: 1_000,
            trace: true,
            trace_max_age_secs: 7 * 24 * 3600,
            trace_max_events: 1_000_000,
        }
    }
}

/// How much of the event trace is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TraceBounds {
    pub(crate) enabled: bool,
    pub(crate) max_age: Duration,
    pub(crate) max_events: u64,
}

/// A spool setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpoolConfigError {
    #[error("spool.path must name a file, got an empty path")]
    EmptyPath,
    #[error("spool.{field} must be at least 1, got 0")]
    Zero { field: &'static str },
    #[error("spool.url must be a PostgreSQL URL (postgres://USER@HOST:PORT/DBNAME), got one starting {start:?}")]
    NotPostgres { start: String },
    #[error("spool.partitions must be at most 4096, got {0}")]
    TooManyPartitions(u32),
}

impl SpoolConfig {
    /// A configuration with the defaults and the given file.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        SpoolConfig {
            path: path.into(),
            ..SpoolConfig::default()
        }
    }

    pub fn validate(&self) -> Result<(), SpoolConfigError> {
        if self.path.as_os_str().is_empty() {
            return Err(SpoolConfigError::EmptyPath);
        }
        let counts = [
            ("max_pending", self.max_pending),
            ("cache_size_kib", u64::from(self.cache_size_kib)),
            ("read_connections", self.read_connections as u64),
            ("write_queue", self.write_queue as u64),
            ("watch_interval_ms", self.watch_interval_ms),
            ("trace_max_age_secs", self.trace_max_age_secs),
            ("trace_max_events", self.trace_max_events),
            ("pool_size", self.pool_size as u64),
            ("lease_secs", self.lease_secs),
            ("partitions", u64::from(self.partitions)),
        ];
        if let Some(url) = &self.url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                // Only the scheme part: the rest may hold a password.
                let start: String = url.chars().take_while(|c| *c != ':').take(16).collect();
                return Err(SpoolConfigError::NotPostgres { start });
            }
        }
        if self.partitions > 4096 {
            return Err(SpoolConfigError::TooManyPartitions(self.partitions));
        }
        match counts.iter().find(|(_, value)| *value == 0) {
            Some((field, _)) => Err(SpoolConfigError::Zero { field }),
            None => Ok(()),
        }
    }

    /// Whether the spool is in PostgreSQL (`url` set) rather than the SQLite file.
    pub fn is_postgres(&self) -> bool {
        self.url.is_some()
    }

    pub(crate) fn watch_interval(&self) -> Duration {
        Duration::from_millis(self.watch_interval_ms)
    }

    pub(crate) fn trace_bounds(&self) -> TraceBounds {
        TraceBounds {
            enabled: self.trace,
            max_age: Duration::from_secs(self.trace_max_age_secs),
            max_events: self.trace_max_events,
        }
    }

    pub(crate) fn busy_timeout(&self) -> Duration {
        Duration::from_millis(self.busy_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_takes_the_documented_defaults() {
        let config: SpoolConfig = toml::from_str("").expect("an empty section is valid");
        assert_eq!(config.path, PathBuf::from("./data/spool.sqlite"));
        assert_eq!(config.synchronous, Synchronous::Full);
        assert_eq!(config.max_pending, 5_000_000);
        assert_eq!(config.dedup_window_secs, 86_400);
        assert_eq!(config.watch_interval_ms, 1_000);
        assert!(config.trace);
        assert_eq!(config.trace_max_age_secs, 7 * 24 * 3600);
        assert_eq!(config.trace_max_events, 1_000_000);
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn synchronous_reads_lowercase_names() {
        let config: SpoolConfig = toml::from_str("synchronous = \"normal\"\nmax_pending = 10").expect("valid section");
        assert_eq!(config.synchronous, Synchronous::Normal);
        assert_eq!(config.max_pending, 10);
    }

    #[test]
    fn unknown_synchronous_mode_is_rejected() {
        let error = toml::from_str::<SpoolConfig>("synchronous = \"off\"").expect_err("off is not durable");
        assert!(error.to_string().contains("off"), "{error}");
    }

    #[test]
    fn unknown_field_is_rejected_by_name() {
        let error = toml::from_str::<SpoolConfig>("max_pendings = 3").expect_err("typo");
        assert!(error.to_string().contains("max_pendings"), "{error}");
    }

    #[test]
    fn zero_max_pending_names_the_field() {
        let config = SpoolConfig {
            max_pending: 0,
            ..SpoolConfig::default()
        };
        let error = config.validate().expect_err("zero capacity");
        assert_eq!(error, SpoolConfigError::Zero { field: "max_pending" });
        assert!(error.to_string().contains("spool.max_pending"));
    }

    #[test]
    fn a_url_that_is_not_postgres_is_rejected_without_showing_its_secret() {
        let config = SpoolConfig {
            url: Some("mysql://root:hunter2@db/x".to_owned()),
            ..SpoolConfig::default()
        };
        let error = config.validate().expect_err("not postgres").to_string();
        assert!(error.contains("spool.url") && error.contains("mysql"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn a_postgres_url_selects_postgres() {
        let config: SpoolConfig =
            toml::from_str("url = \"postgres://postgres@127.0.0.1:5432/pg_x\"").expect("valid section");
        assert!(config.is_postgres());
        assert_eq!(config.validate(), Ok(()));
        assert_eq!((config.lease_secs, config.partitions, config.pool_size), (15, 64, 8));
        assert!(!SpoolConfig::default().is_postgres());
    }

    #[test]
    fn empty_path_is_rejected() {
        assert_eq!(SpoolConfig::at("").validate(), Err(SpoolConfigError::EmptyPath));
    }
}
