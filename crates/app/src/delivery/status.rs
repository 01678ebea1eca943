//! Delivery state shared with the health endpoints and metrics.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// What is known of the Attio credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialState {
    /// Not checked yet and no request failed for them.
    Unknown,
    Valid,
    /// Attio refused them (401/403); delivery is paused until they work again.
    Invalid(String),
}

/// Counters and flags of the delivery loop.
#[derive(Debug)]
pub struct DeliveryStatus {
    credentials: Mutex<CredentialState>,
    pub delivered: AtomicU64,
    pub dead_lettered: AtomicU64,
    pub retries: AtomicU64,
    pub filtered: AtomicU64,
    pub in_memory: AtomicU64,
    pub paused: AtomicBool,
    last_error: Mutex<Option<String>>,
}

impl Default for DeliveryStatus {
    fn default() -> Self {
        Self {
            credentials: Mutex::new(CredentialState::Unknown),
            delivered: AtomicU64::new(0),
            dead_lettered: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            filtered: AtomicU64::new(0),
            in_memory: AtomicU64::new(0),
            paused: AtomicBool::new(false),
            last_error: Mutex::new(None),
        }
    }
}

impl DeliveryStatus {
    pub fn credentials(&self) -> CredentialState {
        self.credentials
            .lock()
            .map(|c| c.clone())
            .unwrap_or(CredentialState::Unknown)
    }

    pub fn set_credentials(&self, state: CredentialState) {
        if let Ok(mut c) = self.credentials.lock() {
            *c = state;
        }
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    pub fn set_last_error(&self, e: Option<String>) {
        if let Ok(mut l) = self.last_error.lock() {
            *l = e;
        }
    }

    pub fn count(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
