//! What the PostgreSQL spool needs from the configuration.

use std::time::Duration;

/// Settings of the PostgreSQL spool (from the `[spool]` section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresConfig {
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME`.
    pub url: String,
    /// Connections kept at most.
    pub pool_size: usize,
    /// Events waiting beyond which `append` answers `SpoolError::Full`.
    pub max_pending: u64,
    /// De-duplication window by `messageId`, in seconds (0: off).
    pub dedup_window_secs: u64,
    pub trace: bool,
    pub trace_max_age: Duration,
    pub trace_max_events: u64,
    /// How long a partition lease lasts without renewal.
    pub lease: Duration,
    /// Partitions of the queue (fixed by the first instance that opens the database).
    pub partitions: u32,
    /// Whether this process delivers (takes a share of the partitions and renews it);
    /// `false` for the commands that only append or inspect.
    pub deliver: bool,
}

impl PostgresConfig {
    /// The defaults of the SQLite spool, on this database.
    pub fn at(url: impl Into<String>) -> Self {
        PostgresConfig {
            url: url.into(),
            pool_size: 8,
            max_pending: 5_000_000,
            dedup_window_secs: 24 * 3600,
            trace: true,
            trace_max_age: Duration::from_secs(7 * 24 * 3600),
            trace_max_events: 1_000_000,
            lease: Duration::from_secs(15),
            partitions: 64,
            deliver: true,
        }
    }
}

/// The URL without its password, for logs and pages.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(not a URL)".to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    let Some((credentials, host)) = authority.rsplit_once('@') else {
        return url.split('?').next().unwrap_or(url).to_owned();
    };
    let user = credentials.split(':').next().unwrap_or("");
    let tail = tail.split('?').next().unwrap_or("");
    if credentials.contains(':') {
        format!("{scheme}://{user}:***@{host}{tail}")
    } else {
        format!("{scheme}://{user}@{host}{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_hidden_and_the_rest_kept() {
        assert_eq!(
            redacted_url("postgres://app:s3cret@db.example:5432/spool"),
            "postgres://app:***@db.example:5432/spool"
        );
        assert_eq!(
            redacted_url("postgres://postgres@127.0.0.1:5432/x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(redacted_url("postgres://u@h/x?password=zz"), "postgres://u@h/x");
        assert!(!redacted_url("postgres://h/x?password=zz").contains("zz"));
    }
}
