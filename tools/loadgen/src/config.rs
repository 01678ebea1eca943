//! A validated run configuration.

use std::fmt;
use std::time::Duration;

use crate::events::EventKind;
use crate::target::{LoopbackTarget, TargetError};

/// Segment documents 2,500 events per batch as its limit.
pub const MAX_BATCH_SIZE: u64 = 2_500;
/// Upper bound on connections, far above what a 2-core machine can use.
pub const MAX_CONCURRENCY: usize = 4_096;
/// The message id carries the event sequence number in 12 hex digits.
pub const MAX_EVENTS: u64 = 0xFFFF_FFFF_FFFF;
/// User numbers are written in at most 9 decimal digits.
pub const MAX_DISTINCT_USERS: u64 = 1_000_000_000;

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("--write-key: must not be empty")]
    EmptyWriteKey,
    #[error("give --events N or --duration SECS (or both); the run must have a bound")]
    Unbounded,
    #[error("--events: must be between 1 and {MAX_EVENTS}, got {value}")]
    Events { value: u64 },
    #[error("--batch-size: must be between 1 and {MAX_BATCH_SIZE}, got {value}")]
    BatchSize { value: u64 },
    #[error("--concurrency: must be between 1 and {MAX_CONCURRENCY}, got {value}")]
    Concurrency { value: usize },
    #[error("--duration: must be a positive number of seconds (at most one year), got {value}")]
    Duration { value: f64 },
    #[error("--distinct-users: must be between 1 and {MAX_DISTINCT_USERS}, got {value}")]
    DistinctUsers { value: u64 },
    #[error("--timeout-ms: must be between 1 and 600000, got {value}")]
    Timeout { value: u64 },
    #[error("--threads: must be between 1 and 64, got {value}")]
    Threads { value: usize },
}

/// The write key; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct WriteKey(String);

impl WriteKey {
    pub fn new(key: impl Into<String>) -> Result<Self, ConfigError> {
        let key = key.into();
        if key.is_empty() {
            return Err(ConfigError::EmptyWriteKey);
        }
        Ok(Self(key))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WriteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteKey(<redacted>)")
    }
}

/// Everything a run needs, already checked.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub target: LoopbackTarget,
    pub write_key: WriteKey,
    /// Total events to send; `None` when only the duration bounds the run.
    pub events: Option<u64>,
    /// Wall-clock bound; `None` when only the event count bounds the run.
    pub duration: Option<Duration>,
    pub batch_size: u64,
    pub concurrency: usize,
    /// Offered events/s; `None` sends as fast as the connections allow.
    pub rate: Option<u64>,
    pub kind: EventKind,
    pub distinct_users: u64,
    pub timeout: Duration,
    /// Seed for the event pool; the same seed gives the same event contents.
    pub seed: u64,
}

/// Raw values as given on the command line, before validation.
#[derive(Debug, Clone)]
pub struct RawConfig {
    pub url: String,
    pub path: String,
    pub write_key: String,
    pub events: Option<u64>,
    pub duration_secs: Option<f64>,
    pub batch_size: u64,
    pub concurrency: usize,
    pub rate: u64,
    pub kind: EventKind,
    pub distinct_users: u64,
    pub timeout_ms: u64,
    pub seed: u64,
}

impl RawConfig {
    /// Checks every field; the first problem found is returned.
    pub fn validate(self) -> Result<RunConfig, ConfigError> {
        let target = LoopbackTarget::parse(&self.url, &self.path)?;
        let write_key = WriteKey::new(self.write_key)?;
        if self.events.is_none() && self.duration_secs.is_none() {
            return Err(ConfigError::Unbounded);
        }
        if let Some(value) = self.events {
            if value == 0 || value > MAX_EVENTS {
                return Err(ConfigError::Events { value });
            }
        }
        let duration = self.duration_secs.map(parse_duration).transpose()?;
        if self.batch_size == 0 || self.batch_size > MAX_BATCH_SIZE {
            return Err(ConfigError::BatchSize { value: self.batch_size });
        }
        if self.concurrency == 0 || self.concurrency > MAX_CONCURRENCY {
            return Err(ConfigError::Concurrency {
                value: self.concurrency,
            });
        }
        if self.distinct_users == 0 || self.distinct_users > MAX_DISTINCT_USERS {
            return Err(ConfigError::DistinctUsers {
                value: self.distinct_users,
            });
        }
        if self.timeout_ms == 0 || self.timeout_ms > 600_000 {
            return Err(ConfigError::Timeout { value: self.timeout_ms });
        }
        Ok(RunConfig {
            target,
            write_key,
            events: self.events,
            duration,
            batch_size: self.batch_size,
            concurrency: self.concurrency,
            rate: (self.rate > 0).then_some(self.rate),
            kind: self.kind,
            distinct_users: self.distinct_users,
            timeout: Duration::from_millis(self.timeout_ms),
            seed: self.seed,
        })
    }
}

fn parse_duration(value: f64) -> Result<Duration, ConfigError> {
    const ONE_YEAR_SECS: f64 = 365.0 * 24.0 * 3600.0;
    if !(value.is_finite() && value > 0.0 && value <= ONE_YEAR_SECS) {
        return Err(ConfigError::Duration { value });
    }
    Duration::try_from_secs_f64(value).map_err(|_| ConfigError::Duration { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawConfig {
        RawConfig {
            url: "http://127.0.0.1:8080".into(),
            path: "/v1/batch".into(),
            write_key: "wk".into(),
            events: Some(1_000),
            duration_secs: None,
            batch_size: 100,
            concurrency: 8,
            rate: 0,
            kind: EventKind::Mixed,
            distinct_users: 10,
            timeout_ms: 10_000,
            seed: 1,
        }
    }

    #[test]
    fn valid_values_become_a_run_config() {
        let config = RawConfig {
            rate: 50_000,
            duration_secs: Some(1.5),
            ..raw()
        }
        .validate()
        .expect("valid");
        assert_eq!(config.rate, Some(50_000));
        assert_eq!(config.duration, Some(Duration::from_millis(1_500)));
        assert_eq!(config.events, Some(1_000));
        assert_eq!(config.target.endpoint().as_str(), "http://127.0.0.1:8080/v1/batch");
    }

    #[test]
    fn rate_zero_means_unpaced() {
        assert_eq!(raw().validate().expect("valid").rate, None);
    }

    #[test]
    fn non_loopback_url_is_refused() {
        let err = RawConfig {
            url: "http://203.0.113.9:8080".into(),
            ..raw()
        }
        .validate()
        .expect_err("refused");
        assert!(
            matches!(err, ConfigError::Target(TargetError::NotLoopback { .. })),
            "{err}"
        );
    }

    #[test]
    fn a_run_without_events_or_duration_is_refused() {
        let err = RawConfig { events: None, ..raw() }.validate().expect_err("unbounded");
        assert_eq!(err, ConfigError::Unbounded);
    }

    #[test]
    fn out_of_range_numbers_are_refused_naming_the_flag() {
        let cases: Vec<(RawConfig, &str)> = vec![
            (
                RawConfig {
                    events: Some(0),
                    ..raw()
                },
                "--events",
            ),
            (RawConfig { batch_size: 0, ..raw() }, "--batch-size"),
            (
                RawConfig {
                    batch_size: 2_501,
                    ..raw()
                },
                "--batch-size",
            ),
            (
                RawConfig {
                    concurrency: 0,
                    ..raw()
                },
                "--concurrency",
            ),
            (
                RawConfig {
                    duration_secs: Some(0.0),
                    ..raw()
                },
                "--duration",
            ),
            (
                RawConfig {
                    duration_secs: Some(f64::NAN),
                    ..raw()
                },
                "--duration",
            ),
            (
                RawConfig {
                    duration_secs: Some(-1.0),
                    ..raw()
                },
                "--duration",
            ),
            (
                RawConfig {
                    distinct_users: 0,
                    ..raw()
                },
                "--distinct-users",
            ),
            (RawConfig { timeout_ms: 0, ..raw() }, "--timeout-ms"),
            (
                RawConfig {
                    write_key: String::new(),
                    ..raw()
                },
                "--write-key",
            ),
        ];
        for (config, flag) in cases {
            let message = config.validate().expect_err("refused").to_string();
            assert!(message.starts_with(flag), "expected `{flag}` in `{message}`");
        }
    }

    #[test]
    fn write_key_is_never_in_debug_output() {
        let config = RawConfig {
            write_key: "s3cr3t-key".into(),
            ..raw()
        }
        .validate()
        .expect("valid");
        assert!(!format!("{config:?}").contains("s3cr3t-key"));
    }
}
