//! The spool on PostgreSQL: the same ports as the SQLite spool (events, de-duplication,
//! dead letters, trace, delivery journal), in one database that several instances share.
//!
//! Any instance appends. Appends take one transaction-scoped advisory lock, so event ids
//! are assigned in commit order and a reader never sees an event after one with a greater
//! id. Delivery is shared by partition: each event belongs to the partition of its
//! identity (`domain::partition`), each instance owns a fair share of the partitions
//! through leases it renews, and reads only the events of its partitions. An event is
//! acknowledged (removed) only by a committed transaction.
//!
//! Connections use `NoTls`: the database is expected on the same host or a private
//! network. TLS is a later addition (a `tokio-postgres-rustls` connector in `open`).
//!
//! The instances also share one Attio rate limit per token ([`rate_limit`]).

mod appender;
mod config;
mod dead_letters;
mod error;
mod fingerprints;
mod journal;
mod leases;
pub mod rate_limit;
mod rows;
mod schema;
mod spool;
mod trace;
mod writes;

pub use config::{redacted_url, PostgresConfig};
pub use fingerprints::{FingerprintLimits, PostgresWriteFingerprints};
pub use rate_limit::{PostgresRateLimiters, RateLimitSetupError};
pub use spool::PostgresSpool;
