//! The configuration file's shape, with defaults for every key.

use std::net::SocketAddr;

use secrecy::SecretString;
use segment_adapter::ingest::IngestConfig;
use serde::Deserialize;

use crate::spool::SpoolConfig;

/// Everything `segment-attio` reads from its configuration.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub spool: SpoolConfig,
    pub ingest: IngestConfig,
    pub attio: AttioSettings,
    pub delivery: DeliverySettings,
    pub destination: DestinationSettings,
    /// More Attio workspaces beside `[attio]` (which is the destination `default`).
    pub destinations: Vec<DestinationEntry>,
    pub subscriptions: Vec<SubscriptionSettings>,
    pub log: LogSettings,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address of the HTTP server (ingestion, health, metrics).
    pub listen: SocketAddr,
    /// How long a shutdown waits for in-flight requests and deliveries.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            shutdown_grace_secs: 10,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttioSettings {
    pub base_url: String,
    /// The workspace's access token. Without one, `serve` runs the built-in simulator.
    pub token: Option<SecretString>,
    /// Requests per second.
    pub write_rate: u32,
    pub read_rate: u32,
    pub timeout_secs: u64,
    /// Check values against the objects' attribute schemas before sending.
    pub validate_schema: bool,
}

impl Default for AttioSettings {
    fn default() -> Self {
        Self {
            base_url: domain::ATTIO_BASE_URL.to_owned(),
            token: None,
            write_rate: 25,
            read_rate: 100,
            timeout_secs: 10,
            validate_schema: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// Give up retrying an event this many seconds after it was received.
    pub max_age_secs: u64,
    /// How long a partial batch waits for more events.
    pub flush_interval_ms: u64,
    /// Single-mode plans in flight at once.
    pub concurrency: usize,
    pub initial_backoff_ms: u64,
    pub max_backoff_secs: u64,
    /// Events read from the spool and held in memory at most.
    pub window: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            max_age_secs: 4 * 3600,
            flush_interval_ms: 1000,
            concurrency: 16,
            initial_backoff_ms: 500,
            max_backoff_secs: 300,
            window: 20_000,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DestinationSettings {
    /// Names under which the `integrations` object can address this destination.
    pub integration_names: Vec<String>,
}

impl Default for DestinationSettings {
    fn default() -> Self {
        Self {
            integration_names: vec!["Attio (Actions)".to_owned()],
        }
    }
}

/// One more Attio workspace (`[[destinations]]`), named for subscriptions'
/// `destination`. It has its own rate limiter, credentials and schema cache.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct DestinationEntry {
    pub name: String,
    pub token: Option<SecretString>,
    #[serde(default = "default_base_url")]
    pub base_url: String,
    #[serde(default = "default_write_rate")]
    pub write_rate: u32,
    #[serde(default = "default_read_rate")]
    pub read_rate: u32,
}

fn default_base_url() -> String {
    domain::ATTIO_BASE_URL.to_owned()
}

fn default_write_rate() -> u32 {
    25
}

fn default_read_rate() -> u32 {
    100
}

/// The name of the destination `[attio]` configures.
pub const DEFAULT_DESTINATION: &str = "default";

/// One action subscription.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSettings {
    pub name: String,
    /// `identifyUser`, `groupWorkspace`, `assertRecord`, `upsertListEntry`,
    /// `removeListEntry` or `createNote`.
    pub action: String,
    /// FQL; absent = every event.
    #[serde(default)]
    pub subscribe: Option<String>,
    /// The mapping as a TOML table.
    #[serde(default)]
    pub mapping: Option<serde_json::Value>,
    /// The mapping as Segment's mapping JSON, pasted as is.
    #[serde(default)]
    pub mapping_json: Option<String>,
    /// Lay the mapping over the action's default mapping (as Segment's presets do).
    #[serde(default)]
    pub use_default_mapping: bool,
    #[serde(default)]
    pub enable_batching: Option<bool>,
    #[serde(default)]
    pub batch_size: Option<u64>,
    /// `upsert` (default), `update_only` or `create_only`.
    #[serde(default)]
    pub write_mode: Option<String>,
    /// `false`: a null or missing value leaves the attribute alone (default `true`).
    #[serde(default)]
    pub sync_nulls: Option<bool>,
    /// `append` (default) or `replace`.
    #[serde(default)]
    pub multiselect: Option<String>,
    /// The `[[destinations]]` name to deliver to; `default` (the `[attio]` section) if absent.
    #[serde(default)]
    pub destination: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `human` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `segment_attio=debug`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: "human".into(),
            level: "info".into(),
        }
    }
}
