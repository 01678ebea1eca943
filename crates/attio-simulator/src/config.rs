//! Configuration of a simulator instance and of its injected faults.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::schema::{SchemaError, SchemaFileError};

/// How the simulator is started. `Default` listens on an ephemeral loopback port,
/// accepts any token and applies Attio's limits (25 writes/s, 100 reads/s).
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    pub listen: SocketAddr,
    /// Valid tokens; empty accepts any non-empty token.
    pub tokens: Vec<String>,
    /// Writes per second (token bucket); 0 = no limit.
    pub write_rate: u32,
    /// Reads per second (token bucket); 0 = no limit.
    pub read_rate: u32,
    /// Custom objects and attributes (TOML, or JSON when the name ends in `.json`).
    pub schema_file: Option<PathBuf>,
    /// Standard or custom objects to switch off: they answer 404.
    pub inactive_objects: Vec<String>,
    pub faults: Faults,
    /// On `/records/simple` and in batches, a reference to a person by email address
    /// creates the person when none exists (otherwise the write fails with `value_not_found`).
    pub create_missing_people: bool,
    /// How many write arrival instants are kept (the oldest are kept, later ones counted).
    pub arrival_log_capacity: usize,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens: Vec::new(),
            write_rate: 25,
            read_rate: 100,
            schema_file: None,
            inactive_objects: Vec::new(),
            faults: Faults::default(),
            create_missing_people: true,
            arrival_log_capacity: 100_000,
        }
    }
}

/// Faults injected into `/v1` and `/v2` requests (never into `/_simulator`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Share (0.0–1.0) of requests answered with 500 or 503 without being processed.
    pub server_error_rate: f64,
    /// Share (0.0–1.0) of requests whose connection is closed without an answer.
    pub drop_rate: f64,
    /// Added to every request before it is handled.
    pub latency_ms: u64,
    /// Answer the next writes with 429.
    pub burst_429: Option<Burst429>,
    /// Close the connection of the next this many successful writes *after* applying
    /// them, so that the client cannot know whether the write happened.
    pub drop_after_write: u32,
    /// Only writes whose path starts with this count for `drop_after_write`.
    pub drop_after_write_path: Option<String>,
}

/// "Answer the next `count` writes with 429, `Retry-After` `retry_after_secs` ahead."
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burst429 {
    pub count: u32,
    pub retry_after_secs: u64,
    /// Send `Retry-After` as a number of seconds instead of an HTTP date.
    #[serde(default)]
    pub seconds_form: bool,
}

impl Faults {
    /// Checks that the rates are shares between 0 and 1.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("server_error_rate", self.server_error_rate),
            ("drop_rate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        Ok(())
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    SchemaFile(#[from] SchemaFileError),
    #[error("invalid schema: {0}")]
    Schema(#[from] SchemaError),
    #[error("invalid faults: {0}")]
    Faults(String),
}
