//! The running simulator, as tests and the CLI hold it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::config::Faults;
use super::server::State;
use super::stats::SimulatorStats;

/// A running simulator. Dropping it without [`SimulatorHandle::shutdown`] leaves the
/// server running until the runtime ends.
#[derive(Debug)]
pub struct SimulatorHandle {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    worker: JoinHandle<()>,
}

/// A cheap, cloneable read-only view of a running simulator's records and counters.
#[derive(Debug, Clone)]
pub struct SimulatorView {
    state: Arc<State>,
}

impl SimulatorView {
    /// The records of an active object in Attio's output format, oldest first.
    pub fn records(&self, object: &str) -> Vec<Value> {
        self.state.engine.records(object).unwrap_or_default()
    }

    pub fn stats(&self) -> SimulatorStats {
        self.state.snapshot()
    }
}

impl SimulatorHandle {
    /// A view that can be shared (e.g. by HTTP handlers) while the handle is kept.
    pub fn view(&self) -> SimulatorView {
        SimulatorView {
            state: self.state.clone(),
        }
    }

    pub(super) fn new(
        addr: SocketAddr,
        state: Arc<State>,
        shutdown: watch::Sender<bool>,
        server: JoinHandle<()>,
        worker: JoinHandle<()>,
    ) -> Self {
        Self {
            addr,
            state,
            shutdown,
            server,
            worker,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The records of an active object in Attio's output format, oldest first
    /// (empty for an unknown or inactive object).
    pub fn records(&self, object: &str) -> Vec<Value> {
        self.state.engine.records(object).unwrap_or_default()
    }

    pub fn stats(&self) -> SimulatorStats {
        self.state.snapshot()
    }

    /// The entries of a list in Attio's output format, oldest first (empty for an
    /// unknown list).
    pub fn entries(&self, list: &str) -> Vec<Value> {
        self.state.engine.entries(list).unwrap_or_default()
    }

    /// Every note, oldest first.
    pub fn notes(&self) -> Vec<Value> {
        self.state.engine.all_notes()
    }

    /// When each write request arrived (up to the configured log capacity).
    pub fn write_arrivals(&self) -> Vec<Instant> {
        self.state.stats.write_arrivals()
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        *self.state.faults.lock().unwrap_or_else(|p| p.into_inner()) = faults;
    }

    /// Waits until every accepted batch assertion has been applied or dropped, or
    /// `timeout` passes; returns whether the queue is empty.
    pub async fn settle(&self, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.state.batch_progress.notified();
                if self.state.stats.pending_batch() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// Stops accepting, closes open connections and stops the batch worker.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        self.worker.abort();
        let _ = self.worker.await;
    }
}
