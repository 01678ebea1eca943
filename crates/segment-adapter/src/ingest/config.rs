use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};

/// Settings of the ingestion endpoints. Every field has a default, so an empty
/// configuration section is valid.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Accepted write keys. Empty: no key is checked, and (with
    /// `loopback_only_without_keys`) only loopback clients are accepted.
    #[serde(serialize_with = "redacted_all")]
    pub write_keys: Vec<SecretString>,
    /// Write keys whose events go only to some destinations (`[[ingest.sources]]`), as
    /// Segment connects a source to its destinations. Their keys are accepted like
    /// `write_keys`.
    pub sources: Vec<SourceConfig>,
    /// Largest event, in bytes of JSON as received (Segment: 32 KB).
    pub max_event_bytes: usize,
    /// Largest request body, in bytes, before and after gzip decoding (Segment: 500 KB).
    pub max_request_bytes: usize,
    /// Most events in one batch (Segment: 2,500).
    pub max_batch_events: usize,
    /// Shared secret of Segment's Webhooks destination: when set, `POST /webhook`
    /// requires `X-Signature` = hex HMAC-SHA1 of the body with this secret.
    #[serde(serialize_with = "redacted")]
    pub webhook_secret: Option<SecretString>,
    /// Without write keys, accept only clients connecting from a loopback address.
    pub loopback_only_without_keys: bool,
    /// The `Retry-After` (seconds) sent with 429 and 503 answers.
    pub retry_after_seconds: u64,
    /// The public base URL of this service (e.g. `https://collect.example.com`), used by
    /// the settings endpoint to tell analytics.js where to send events. Without it the
    /// request's `Host` and `X-Forwarded-Proto` headers are used.
    pub public_url: Option<String>,
    /// Seconds a request body may take to arrive in full; a slower one is answered 408
    /// and its connection closed.
    pub body_read_timeout_secs: u64,
    /// Request bytes all requests together may hold in memory while their bodies are read
    /// and decoded; a request that would pass it is answered 503 with `Retry-After`.
    pub max_buffered_bytes: usize,
    /// Use `X-Forwarded-Host` and `X-Forwarded-Proto` (set by a reverse proxy) to tell
    /// analytics.js where to send events. Set from `server.trust_forwarded_headers`.
    #[serde(skip)]
    pub trust_forwarded_headers: bool,
}

/// Secrets are serialized as whether they are set, never as their values.
fn redacted<S: Serializer>(secret: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    secret.as_ref().map(|_| "[redacted]").serialize(s)
}

/// One `[[ingest.sources]]`: a write key and the destinations its events go to.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    #[serde(serialize_with = "redacted_one")]
    pub write_key: SecretString,
    /// Destination names: `default` (the `[attio]` workspace) or `[[destinations]]` names.
    pub destinations: Vec<String>,
}

fn redacted_one<S: Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    "[redacted]".serialize(s)
}

fn redacted_all<S: Serializer>(secrets: &[SecretString], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(secrets.iter().map(|_| "[redacted]"))
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            write_keys: Vec::new(),
            sources: Vec::new(),
            max_event_bytes: 32 * 1024,
            max_request_bytes: 500 * 1024,
            max_batch_events: 2500,
            webhook_secret: None,
            loopback_only_without_keys: true,
            retry_after_seconds: 5,
            public_url: None,
            body_read_timeout_secs: 30,
            max_buffered_bytes: 64 * 1024 * 1024,
            trust_forwarded_headers: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn empty_section_takes_segment_limits() {
        let config: IngestConfig = serde_json::from_str("{}").expect("valid");
        assert_eq!(config.max_event_bytes, 32 * 1024);
        assert_eq!(config.max_request_bytes, 500 * 1024);
        assert_eq!(config.max_batch_events, 2500);
        assert!(config.loopback_only_without_keys);
        assert!(config.write_keys.is_empty());
    }

    #[test]
    fn keys_are_read_and_not_printed() {
        let config: IngestConfig =
            serde_json::from_str(r#"{"write_keys": ["k-secret-1"], "webhook_secret": "w-secret"}"#).expect("valid");
        assert_eq!(config.write_keys[0].expose_secret(), "k-secret-1");
        let debug = format!("{config:?}");
        assert!(!debug.contains("k-secret-1") && !debug.contains("w-secret"), "{debug}");
    }

    #[test]
    fn unknown_settings_are_rejected() {
        let err = serde_json::from_str::<IngestConfig>(r#"{"max_events": 3}"#).expect_err("unknown field");
        assert!(err.to_string().contains("max_events"), "{err}");
    }
}
