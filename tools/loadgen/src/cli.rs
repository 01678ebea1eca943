//! Command-line interface.

use clap::Parser;

use crate::config::{ConfigError, RawConfig};
use crate::events::EventKind;

/// Sends Segment `/v1/batch` load to a segment-attio instance on this machine and reports
/// throughput and latency. Only loopback targets are accepted.
#[derive(Debug, Clone, Parser)]
#[command(name = "segment-attio-loadgen", version)]
pub struct Cli {
    /// Base URL of the ingestion endpoint; the host must be localhost, 127.0.0.0/8 or ::1.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// Path appended to --url.
    #[arg(long, default_value = "/v1/batch")]
    pub path: String,

    /// Source write key, sent as the Basic auth user name.
    #[arg(long, env = "SEGMENT_WRITE_KEY", hide_env_values = true)]
    pub write_key: String,

    /// Total number of events to send.
    #[arg(long)]
    pub events: Option<u64>,

    /// Stop after this many seconds (fractions allowed); with --rate, no request due later is sent.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Events per request.
    #[arg(long, default_value_t = 100)]
    pub batch_size: u64,

    /// Connections, i.e. requests in flight at most.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,

    /// Offered events/s (open loop, latency measured from each request's due time);
    /// 0 sends as fast as the connections allow.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,

    /// Which calls to send.
    #[arg(long, value_enum, default_value_t = EventKind::Mixed)]
    pub kind: EventKind,

    /// Number of distinct userIds the events cycle over.
    #[arg(long, default_value_t = 10_000)]
    pub distinct_users: u64,

    /// Per-request timeout in milliseconds (connect and whole exchange).
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,

    /// Seed for event contents (message ids are unique per run regardless).
    #[arg(long, default_value_t = 0x5EED)]
    pub seed: u64,

    /// Runtime worker threads; 1 leaves the most CPU to the server on a small machine.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,

    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,

    /// Exit 0 even if some requests failed.
    #[arg(long)]
    pub allow_errors: bool,
}

impl Cli {
    /// The run configuration fields, unvalidated.
    pub fn raw_config(&self) -> RawConfig {
        RawConfig {
            url: self.url.clone(),
            path: self.path.clone(),
            write_key: self.write_key.clone(),
            events: self.events,
            duration_secs: self.duration,
            batch_size: self.batch_size,
            concurrency: self.concurrency,
            rate: self.rate,
            kind: self.kind,
            distinct_users: self.distinct_users,
            timeout_ms: self.timeout_ms,
            seed: self.seed,
        }
    }

    /// Worker threads, checked.
    pub fn threads(&self) -> Result<usize, ConfigError> {
        if (1..=64).contains(&self.threads) {
            Ok(self.threads)
        } else {
            Err(ConfigError::Threads { value: self.threads })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetError;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("segment-attio-loadgen").chain(args.iter().copied()))
    }

    #[test]
    fn benchmark_command_line_parses_into_a_paced_run() {
        let cli = parse(&[
            "--url",
            "http://127.0.0.1:8080",
            "--write-key",
            "wk",
            "--rate",
            "50000",
            "--duration",
            "30",
            "--concurrency",
            "64",
            "--json",
        ])
        .expect("parses");
        let config = cli.raw_config().validate().expect("valid");
        assert_eq!(config.rate, Some(50_000));
        assert_eq!(config.batch_size, 100);
        assert_eq!(config.concurrency, 64);
        assert!(cli.json);
        assert_eq!(cli.threads().expect("valid"), 1);
    }

    #[test]
    fn non_loopback_url_from_the_command_line_is_refused() {
        let cli = parse(&["--url", "http://api.segment.io", "--write-key", "wk", "--events", "10"]).expect("parses");
        let err = cli.raw_config().validate().expect_err("refused");
        assert!(matches!(
            err,
            crate::ConfigError::Target(TargetError::NotLoopback { .. })
        ));
    }

    #[test]
    fn unknown_kind_is_a_usage_error() {
        assert!(parse(&["--write-key", "wk", "--events", "1", "--kind", "page"]).is_err());
    }

    #[test]
    fn zero_threads_is_refused() {
        let cli = parse(&["--write-key", "wk", "--events", "1", "--threads", "0"]).expect("parses");
        assert_eq!(cli.threads(), Err(ConfigError::Threads { value: 0 }));
    }
}
