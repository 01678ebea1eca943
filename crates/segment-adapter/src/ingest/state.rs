use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::http::HeaderMap;
use domain::ports::{Clock, EventSpool};
use tokio::sync::Semaphore;

use super::auth::KeyRing;
use super::IngestConfig;

/// What the ingestion handlers share.
#[derive(Clone)]
pub struct IngestState {
    pub spool: Arc<dyn EventSpool>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<IngestConfig>,
    /// Set while the service shuts down: every request is answered 503.
    pub draining: Arc<AtomicBool>,
    pub(crate) keys: Arc<KeyRing>,
    /// The bytes of request bodies all requests together may hold (one permit a byte).
    pub(crate) budget: Arc<Semaphore>,
    /// The part of `budget` that requests whose key is not known yet (it is in the body)
    /// may hold together, so that they cannot take it all from clients with a key.
    pub(crate) anonymous_budget: Arc<Semaphore>,
}

impl IngestState {
    pub fn new(spool: Arc<dyn EventSpool>, clock: Arc<dyn Clock>, config: IngestConfig) -> Self {
        let keys = Arc::new(KeyRing::with_sources(&config.write_keys, &config.sources));
        let bytes = config.max_buffered_bytes.min(Semaphore::MAX_PERMITS);
        let budget = Arc::new(Semaphore::new(bytes));
        let anonymous_budget = Arc::new(Semaphore::new(bytes / 2));
        IngestState {
            budget,
            anonymous_budget,
            spool,
            clock,
            config: Arc::new(config),
            draining: Arc::new(AtomicBool::new(false)),
            keys,
        }
    }

    /// Shares an existing draining flag (the one the shutdown sequence sets).
    pub fn with_draining(mut self, draining: Arc<AtomicBool>) -> Self {
        self.draining = draining;
        self
    }

    /// From now on, refuse new events with 503.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Whether write keys are configured.
    pub fn has_write_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Whether the request headers carry one of the configured write keys (HTTP Basic
    /// username or `X-Write-Key`).
    pub fn headers_carry_write_key(&self, headers: &HeaderMap) -> bool {
        match super::auth::header_key(headers) {
            Ok(Some(key)) => self.keys.contains(&key),
            _ => false,
        }
    }
}
