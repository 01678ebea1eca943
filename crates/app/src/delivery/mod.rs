//! Delivery: from the spool to Attio, in order per record, with batching, retries and
//! dead letters.

mod engine;
mod missing_reference;
mod note_key;
mod recording;
mod send;
mod skip;
mod status;

use std::sync::Arc;
use std::time::Duration;

use domain::ports::{AttioGateway, Clock, DeliveryJournal, EventSpool, EventTrace, WriteFingerprints};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

pub use recording::RecordingGateway;
pub use send::{deliver_batch, send_batch, send_single, BatchReport, SendError, SingleContext};
pub use skip::SkipUnchanged;
pub use status::{CredentialState, DeliveryStatus};

use crate::routing::Router;

/// Tuning of the delivery loop.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Retryable failures are retried until the event is this old; then dead-lettered.
    pub max_age: Duration,
    /// A partial batch is sent after waiting this long for more events.
    pub flush_interval: Duration,
    /// Requests (plans or batches) in flight at once.
    pub concurrency: usize,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Events held in memory at most.
    pub window: usize,
    /// Events read from the spool per read.
    pub read_chunk: usize,
    /// How often an idle loop looks for new events when not notified.
    pub poll_interval: Duration,
    /// How often credentials are re-checked while delivery is paused for them.
    pub credential_recheck: Duration,
    pub shutdown_grace: Duration,
    /// Attempts at an event whose record reference Attio did not find (`400
    /// value_not_found`) before it is dead-lettered: the record is usually being created
    /// by another subscription's delivery (an identify sent just before a group).
    pub missing_reference_attempts: u32,
    /// Leave out writes that would change nothing in Attio (needs `fingerprints`).
    pub skip_unchanged: bool,
    /// A record is written again once its last write is this old, changed or not.
    pub resync_after: Duration,
    /// Merge a lane's waiting assertions for one record into one (batch mode).
    pub coalesce: bool,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(4 * 3600),
            flush_interval: Duration::from_secs(1),
            concurrency: 16,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(300),
            window: 20_000,
            read_chunk: 1_000,
            poll_interval: Duration::from_millis(200),
            credential_recheck: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            missing_reference_attempts: 5,
            skip_unchanged: true,
            resync_after: Duration::from_secs(86_400),
            coalesce: true,
        }
    }
}

/// Everything the delivery loop needs.
pub struct DeliveryDeps {
    pub spool: Arc<dyn EventSpool>,
    pub gateway: Arc<dyn AttioGateway>,
    pub clock: Arc<dyn Clock>,
    pub router: Arc<Router>,
    pub status: Arc<DeliveryStatus>,
    /// Notified when new events were appended, so delivery starts without polling delay.
    pub notify: Arc<Notify>,
    /// Where each event's trace is written; `None` = no trace.
    pub trace: Option<Arc<dyn EventTrace>>,
    /// Where notes created and events skipped are recorded.
    pub journal: Option<Arc<dyn DeliveryJournal>>,
    /// The gateway of each subscription's destination, by subscription index (a missing
    /// one is `gateway`'s).
    pub subscription_gateways: Vec<Arc<dyn AttioGateway>>,
    /// What was last written to each record (`skip_unchanged`); `None`: nothing is skipped.
    pub fingerprints: Option<Arc<dyn WriteFingerprints>>,
}

/// Starts the delivery loop; it stops when `shutdown` turns true.
pub fn spawn(config: DeliveryConfig, deps: DeliveryDeps, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    let engine = engine::Engine::new(config, deps);
    tokio::spawn(engine.run(shutdown))
}

#[cfg(test)]
mod tests;
