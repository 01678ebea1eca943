//! Tests of the delivery loop against an in-memory spool and a scripted gateway, on
//! tokio's paused clock.

// The gateway port's error type is large (it carries Attio's answer); scripts return it.

mod batching;
mod coalesce;
mod failures;
mod fakes;
mod ordering;
mod routing;
mod schema_check;
mod skip;
mod trace;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::actions::ActionKind;
use domain::ports::{EventSpool, NewEvent, SpoolError, SystemClock};
use domain::GatewayError;
use segment_adapter::destination::ActionSubscription;
use segment_adapter::integrations::IntegrationsFilter;
use serde_json::{json, Value};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{spawn, DeliveryConfig, DeliveryDeps, DeliveryStatus};
use crate::routing::Router;

pub use fakes::*;

/// An `assertRecord` subscription on `people` keyed by `properties.email`, carrying
/// `properties.seq` so that the gateway can tell the events apart.
pub fn assert_people(batch_size: Option<usize>) -> ActionSubscription {
    let mut mapping = json!({
        "object": "people",
        "matching_attribute": "email_addresses",
        "attributes": {
            "email_addresses": {"@path": "$.properties.email"},
            "seq": {"@path": "$.properties.seq"},
        },
    });
    if let Some(size) = batch_size {
        mapping["enable_batching"] = json!(true);
        mapping["batch_size"] = json!(size);
    }
    ActionSubscription::new("people", ActionKind::AssertRecord, Some("type = \"track\""), &mapping)
        .expect("a valid subscription")
}

/// A track event for the `assert_people` subscription.
pub fn track(email: &str, seq: &str) -> String {
    json!({"type": "track", "event": "Seen", "userId": email, "properties": {"email": email, "seq": seq}}).to_string()
}

/// A delivery loop under test.
pub struct Harness {
    pub spool: Arc<MemSpool>,
    pub trace: Arc<MemTrace>,
    pub gateway: Arc<FakeGateway>,
    pub status: Arc<DeliveryStatus>,
    notify: Arc<Notify>,
    shutdown: watch::Sender<bool>,
    handle: Option<JoinHandle<()>>,
}

/// Settings for tests: short intervals, small windows.
pub fn config() -> DeliveryConfig {
    DeliveryConfig {
        max_age: Duration::from_secs(3600),
        flush_interval: Duration::from_millis(200),
        concurrency: 4,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(2),
        window: 100,
        read_chunk: 10,
        poll_interval: Duration::from_millis(50),
        credential_recheck: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(1),
        missing_reference_attempts: 5,
        skip_unchanged: false,
        resync_after: Duration::from_secs(86_400),
        coalesce: false,
    }
}

impl Harness {
    pub fn start(config: DeliveryConfig, subscriptions: Vec<ActionSubscription>, gateway: FakeGateway) -> Harness {
        Self::start_with(config, subscriptions, gateway, None)
    }

    /// `start` with a store of write fingerprints (`skip_unchanged`).
    pub fn start_with(
        config: DeliveryConfig,
        subscriptions: Vec<ActionSubscription>,
        gateway: FakeGateway,
        fingerprints: Option<Arc<dyn domain::ports::WriteFingerprints>>,
    ) -> Harness {
        let spool = Arc::new(MemSpool::default());
        let gateway = Arc::new(gateway);
        let status = Arc::new(DeliveryStatus::default());
        let notify = Arc::new(Notify::new());
        let (shutdown, rx) = watch::channel(false);
        let trace = Arc::new(MemTrace::default());
        let deps = DeliveryDeps {
            spool: spool.clone(),
            gateway: gateway.clone(),
            clock: Arc::new(SystemClock),
            router: Arc::new(Router::new(IntegrationsFilter::default(), subscriptions, Vec::new())),
            status: status.clone(),
            notify: notify.clone(),
            trace: Some(trace.clone()),
            journal: None,
            subscription_gateways: Vec::new(),
            fingerprints,
        };
        let handle = spawn(config, deps, rx);
        Harness {
            spool,
            trace,
            gateway,
            status,
            notify,
            shutdown,
            handle: Some(handle),
        }
    }

    /// Appends events received now.
    pub async fn append(&self, payloads: &[String]) -> Vec<i64> {
        self.append_received(payloads, Utc::now()).await
    }

    pub async fn append_received(&self, payloads: &[String], received_at: DateTime<Utc>) -> Vec<i64> {
        let events = payloads
            .iter()
            .map(|p| NewEvent {
                received_at,
                payload: p.clone(),
                only_subscription: None,
                only_destinations: None,
            })
            .collect();
        let ids = self.spool.append(events).await.expect("append");
        self.notify.notify_one();
        ids
    }

    /// Waits (on the paused clock) until `done` holds, for at most `limit`.
    pub async fn until(&self, limit: Duration, done: impl Fn(&Harness) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "condition not reached within {limit:?}; calls: {:?}; letters: {:?}; pending: {:?}",
                self.gateway.calls(),
                self.spool.letters(),
                self.spool.pending_ids()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The seqs of successful writes, in the order they were answered.
    pub fn delivered_seqs(&self) -> Vec<String> {
        self.gateway
            .calls()
            .iter()
            .filter(|c| c.ok)
            .flat_map(|c| c.seqs.clone())
            .collect()
    }

    /// Stops the loop and waits for it to return.
    pub async fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(h) = self.handle.take() {
            tokio::time::timeout(Duration::from_secs(30), h)
                .await
                .expect("the loop stops")
                .expect("the loop does not panic");
        }
    }
}

pub fn seqs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}
