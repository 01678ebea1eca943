//! The durable spool: SQLite (WAL) behind the EventSpool and DeadLetters ports.
//!
//! One writer thread owns the write connection and applies every queued request in one
//! transaction (group commit: many concurrent appends share one sync of the log); reads use
//! separate query-only connections. Nothing is held in memory beyond the request or the
//! read window at hand, so a million waiting events cost disk, not memory.

mod backend;
mod config;
mod failure;
mod fingerprint_buffer;
mod fingerprints;
mod health;
mod journal;
mod reader;
mod rows;
mod schema;
mod serve_lock;
mod sqlite_spool;
mod trace;
mod writer;

#[cfg(test)]
mod tests;

pub use backend::{postgres_config, Backend, Purpose, Spool, SpoolOpenError};
pub use config::{SpoolConfig, SpoolConfigError, Synchronous};
pub use fingerprints::{FingerprintBounds, SqliteWriteFingerprints};
pub use journal::SqliteJournal;
pub use serve_lock::{ServeLock, ServeLockError};
pub use sqlite_spool::SqliteSpool;
pub use writer::WriterStats;
