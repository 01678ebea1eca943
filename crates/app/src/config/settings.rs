//! The configuration file's shape, with defaults for every key.

use std::net::SocketAddr;

use secrecy::SecretString;
use segment_adapter::ingest::IngestConfig;
use serde::{Deserialize, Serialize, Serializer};

use crate::spool::SpoolConfig;

/// Everything `segment-attio` reads from its configuration.
#[derive(Debug, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub spool: SpoolConfig,
    pub ingest: IngestConfig,
    pub attio: AttioSettings,
    pub delivery: DeliverySettings,
    /// The names the `integrations` object addresses this service by.
    pub integrations: IntegrationSettings,
    /// The former name of `[integrations]` (`integration_names` is now `names`): still
    /// read, with a warning, and moved there by [`Settings::apply_deprecated`].
    #[serde(skip_serializing)]
    pub destination: Option<DestinationSettings>,
    /// More Attio workspaces beside `[attio]` (which is the destination `default`).
    pub destinations: Vec<DestinationEntry>,
    pub subscriptions: Vec<SubscriptionSettings>,
    pub log: LogSettings,
    /// Warnings about deprecated keys found while loading (printed at start).
    #[serde(skip)]
    pub deprecations: Vec<String>,
}

impl Settings {
    /// Moves deprecated keys to their new place, recording a warning for each; an old
    /// and a new key both set is an error naming both.
    pub fn apply_deprecated(&mut self) -> Result<(), String> {
        if let Some(old) = self.destination.take() {
            if self.integrations.names != IntegrationSettings::default().names {
                return Err(
                    "destination.integration_names and integrations.names are both set: keep only integrations.names (the new name of the key)"
                        .to_owned(),
                );
            }
            self.integrations.names = old.integration_names;
            self.deprecations.push(
                "destination.integration_names is deprecated: use integrations.names (section [integrations]); [destination] is easily confused with [[destinations]]"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address of the HTTP server (ingestion, health, metrics).
    pub listen: SocketAddr,
    /// How long a shutdown waits for in-flight requests and deliveries.
    pub shutdown_grace_secs: u64,
    /// Admin token (`Authorization: Bearer ...`) for the operator's endpoints.
    #[serde(serialize_with = "redacted")]
    pub admin_token: Option<SecretString>,
    /// Connections served at once (bounded by the open-file limit); beyond them the
    /// health endpoints still answer and everything else is refused with 503.
    pub max_connections: usize,
    /// Seconds a connection has to send a complete request head, from its opening or
    /// the end of the previous answer.
    pub header_read_timeout_secs: u64,
    /// Seconds a connection with no request in progress may stay silent (keep-alive
    /// idle time, or a client that stops reading its answer) before it is closed.
    pub idle_timeout_secs: u64,
    /// Use `X-Forwarded-Host`/`X-Forwarded-Proto` from a reverse proxy. Off by default:
    /// any client can send them.
    pub trust_forwarded_headers: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            shutdown_grace_secs: 10,
            admin_token: None,
            max_connections: 10_000,
            header_read_timeout_secs: 10,
            idle_timeout_secs: 5,
            trust_forwarded_headers: false,
        }
    }
}

/// A secret is serialized as whether it is set, never as its value.
fn redacted<S: Serializer>(secret: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    secret.as_ref().map(|_| "[redacted]").serialize(s)
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttioSettings {
    pub base_url: String,
    /// The workspace's access token. Without one, `serve` runs the built-in simulator.
    #[serde(serialize_with = "redacted")]
    pub token: Option<SecretString>,
    /// Requests per second.
    pub write_rate: u32,
    pub read_rate: u32,
    pub timeout_secs: u64,
    /// Check every assertion against the workspace (attributes, options, statuses,
    /// members) before sending it; refused events are dead-lettered with the reason.
    pub validate_schema: bool,
    /// Start `serve` even when the configuration does not fit the workspace; the events of
    /// the refused subscriptions are then dead-lettered with the reason.
    pub allow_schema_errors: bool,
}

impl Default for AttioSettings {
    fn default() -> Self {
        Self {
            base_url: attio_adapter::wire::ATTIO_BASE_URL.to_owned(),
            token: None,
            write_rate: 25,
            read_rate: 100,
            timeout_secs: 10,
            validate_schema: true,
            allow_schema_errors: false,
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
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
    /// Skip an assertion when Attio already holds every value it writes (deviation D-skip).
    pub skip_unchanged: bool,
    /// Send a record's values again once they were last written this long ago.
    pub resync_after_secs: u64,
    /// Records whose last write is remembered for `skip_unchanged` at most.
    pub skip_unchanged_max_records: u64,
    /// Merge the waiting assertions of one record into one request.
    pub coalesce: bool,
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
            skip_unchanged: true,
            resync_after_secs: 86_400,
            skip_unchanged_max_records: 1_000_000,
            coalesce: true,
        }
    }
}

/// `[integrations]`: how an event's `integrations` object names this service.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntegrationSettings {
    /// Names under which the `integrations` object can address this destination.
    pub names: Vec<String>,
}

impl Default for IntegrationSettings {
    fn default() -> Self {
        Self {
            names: vec!["Attio (Actions)".to_owned()],
        }
    }
}

/// The deprecated `[destination]` section (now `[integrations]`).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DestinationSettings {
    /// Now `integrations.names`.
    pub integration_names: Vec<String>,
}

/// One more Attio workspace (`[[destinations]]`), named for subscriptions'
/// `destination`. It has its own rate limiter, credentials and schema cache.
#[derive(Debug, Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct DestinationEntry {
    pub name: String,
    #[serde(serialize_with = "redacted")]
    pub token: Option<SecretString>,
    #[serde(default = "default_base_url")]
    pub base_url: String,
    #[serde(default = "default_write_rate")]
    pub write_rate: u32,
    #[serde(default = "default_read_rate")]
    pub read_rate: u32,
}

fn default_base_url() -> String {
    attio_adapter::wire::ATTIO_BASE_URL.to_owned()
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
#[derive(Debug, Deserialize, Serialize, Clone)]
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

#[derive(Debug, Deserialize, Serialize)]
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
