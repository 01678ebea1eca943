use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use domain::ports::{Clock, EventSpool};

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
}

impl IngestState {
    pub fn new(spool: Arc<dyn EventSpool>, clock: Arc<dyn Clock>, config: IngestConfig) -> Self {
        let keys = Arc::new(KeyRing::new(&config.write_keys));
        IngestState {
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
}
