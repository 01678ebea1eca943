//! Settings of the HTTP transport.

use std::sync::Arc;
use std::time::Duration;

use crate::wire::ATTIO_BASE_URL;
use secrecy::SecretString;

use super::rate_limit::{InProcessRateLimiters, RateLimiters};

/// How the production gateway talks to Attio.
///
/// `Debug` never shows the token (`SecretString` redacts itself).
#[derive(Debug, Clone)]
pub struct AttioHttpConfig {
    /// Scheme, host and optional port (a path prefix is kept). Default `https://api.attio.com`.
    pub base_url: String,
    /// The workspace access token, sent as `authorization: Bearer <token>`.
    pub token: SecretString,
    /// Time allowed for one request, from sending to the last byte of the reply. Default 10 s.
    pub timeout: Duration,
    /// Writes per second allowed for this token (shared by every gateway using it). Default 25.
    pub write_rate: u32,
    /// Reads per second allowed for this token. Default 100.
    pub read_rate: u32,
    /// How long a fetched attribute list stays valid. Default 5 minutes.
    pub schema_ttl: Duration,
    /// Check asserted values against the object's attributes before sending. Default `false`:
    /// the check issues `GET .../attributes` requests the reference destination never makes.
    pub validate_schema: bool,
    /// How many times a request answered 429 is sent again in place (after the
    /// `Retry-After` instant) before the 429 is returned. Default 3.
    pub max_rate_limit_retries: u32,
    /// Fall back to the documented assert endpoint when a workspace does not have the
    /// simple or batch endpoint (see [`super::fallback`]). Default `true`.
    pub documented_fallback: bool,
    /// The destination's name, the `destination` label of the request metrics.
    pub destination: String,
    /// Where the token's limiter comes from. Default: this process's registry; several
    /// processes sharing a token share a limiter through PostgreSQL.
    pub limiters: Arc<dyn RateLimiters>,
}

impl AttioHttpConfig {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_WRITE_RATE: u32 = 25;
    pub const DEFAULT_READ_RATE: u32 = 100;
    pub const DEFAULT_SCHEMA_TTL: Duration = Duration::from_secs(300);
    pub const DEFAULT_MAX_RATE_LIMIT_RETRIES: u32 = 3;

    /// The defaults, with `token`.
    pub fn new(token: SecretString) -> Self {
        Self {
            base_url: ATTIO_BASE_URL.to_owned(),
            token,
            timeout: Self::DEFAULT_TIMEOUT,
            write_rate: Self::DEFAULT_WRITE_RATE,
            read_rate: Self::DEFAULT_READ_RATE,
            schema_ttl: Self::DEFAULT_SCHEMA_TTL,
            validate_schema: false,
            max_rate_limit_retries: Self::DEFAULT_MAX_RATE_LIMIT_RETRIES,
            documented_fallback: true,
            destination: "default".to_owned(),
            limiters: InProcessRateLimiters::global(),
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }
}

/// Why a gateway could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("base_url {url:?} is not a valid http(s) URL: {reason}")]
    InvalidBaseUrl { url: String, reason: String },
    #[error("the Attio token contains characters that cannot be sent in an HTTP header")]
    InvalidToken,
    #[error("the Attio token is empty")]
    EmptyToken,
    #[error("{field} must be at least 1")]
    ZeroRate { field: &'static str },
    #[error("timeout must be greater than zero")]
    ZeroTimeout,
    #[error("could not build the HTTP client: {0}")]
    Client(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_token() {
        let c = AttioHttpConfig::new(SecretString::from("attio_pat_very_secret"));
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("very_secret"), "{dbg}");
        assert!(dbg.contains("api.attio.com"));
    }
}
