//! Request pacing per Attio token: how many requests of each class may go per second, and
//! the pause a 429 imposes. One process can pace itself ([`RateLimiter`] in memory); several
//! processes sharing one token share one limiter through a database.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

/// Attio limits reads and writes separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestClass {
    Read,
    Write,
}

impl RequestClass {
    /// `read` or `write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// Counters of one token's limiter, as seen by this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimitStats {
    /// Requests that were let through.
    pub requests_sent: u64,
    /// 429 replies seen.
    pub rate_limited: u64,
    /// Total length of the pauses that 429 replies imposed (overlaps counted once).
    pub paused: Duration,
    /// Total time callers waited for a slot (pacing and pauses).
    pub waited: Duration,
}

/// Names one limiter: a digest of the base URL and the token, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateLimitKey(String);

impl RateLimitKey {
    /// `digest` must already be a one-way digest of whatever identifies the token.
    pub fn from_digest(digest: impl Into<String>) -> Self {
        Self(digest.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The pacing of one token: every request waits in [`acquire`](RateLimiter::acquire); a 429
/// is reported with [`rate_limited`](RateLimiter::rate_limited) and holds every request of
/// its class, in every process sharing the limiter, until the pause ends.
#[async_trait]
pub trait RateLimiter: Send + Sync + Debug {
    /// Waits until a request of `class` may be sent, then counts it as sent.
    async fn acquire(&self, class: RequestClass);
    /// Records a 429 and holds every request of `class` for `after`.
    async fn rate_limited(&self, class: RequestClass, after: Duration);
    fn stats(&self) -> RateLimitStats;
}

/// Where gateways get their token's limiter. Every call with the same key returns a limiter
/// sharing one budget; the rates of the first call apply.
pub trait RateLimiters: Send + Sync + Debug {
    fn limiter(&self, key: &RateLimitKey, read_rate: u32, write_rate: u32) -> Arc<dyn RateLimiter>;
}
