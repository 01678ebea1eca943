//! What the simulator has seen: request counts, 429s, write arrivals, batch progress.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

/// Requests answered with one (method, path kind, status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestCount {
    pub method: String,
    pub kind: String,
    pub status: u16,
    pub count: u64,
}

/// Progress of `PUT /v2/batch/records` assertions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchStats {
    pub received: u64,
    pub applied: u64,
    pub dropped: u64,
    pub pending: u64,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SimulatorStats {
    /// Sorted by method, kind and status. A dropped connection has status 0.
    pub requests: Vec<RequestCount>,
    /// 429 answers (rate limiter and scripted bursts).
    pub rate_limited: u64,
    pub injected_server_errors: u64,
    pub dropped_connections: u64,
    /// Arrival of each write request, in milliseconds since the simulator started.
    pub write_arrivals_ms: Vec<f64>,
    /// Writes that arrived after the arrival log was full.
    pub write_arrivals_not_logged: u64,
    pub batch: BatchStats,
    /// Records per active object.
    pub records: BTreeMap<String, usize>,
}

impl SimulatorStats {
    /// Requests of `method` and `kind` answered with `status`.
    pub fn count(&self, method: &str, kind: &str, status: u16) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.method == method && r.kind == kind && r.status == status)
            .map(|r| r.count)
            .sum()
    }

    /// Requests of `kind`, any method and status.
    pub fn total(&self, kind: &str) -> u64 {
        self.requests.iter().filter(|r| r.kind == kind).map(|r| r.count).sum()
    }
}

/// The live counters.
#[derive(Debug)]
pub struct Stats {
    pub started: Instant,
    counts: Mutex<HashMap<(&'static str, &'static str, u16), u64>>,
    pub rate_limited: AtomicU64,
    pub injected_server_errors: AtomicU64,
    pub dropped_connections: AtomicU64,
    arrivals: Mutex<Vec<Instant>>,
    arrival_capacity: usize,
    arrivals_not_logged: AtomicU64,
    pub batch_received: AtomicU64,
    pub batch_applied: AtomicU64,
    pub batch_dropped: AtomicU64,
}

impl Stats {
    pub fn new(arrival_capacity: usize) -> Self {
        Self {
            started: Instant::now(),
            counts: Mutex::default(),
            rate_limited: AtomicU64::new(0),
            injected_server_errors: AtomicU64::new(0),
            dropped_connections: AtomicU64::new(0),
            arrivals: Mutex::default(),
            arrival_capacity,
            arrivals_not_logged: AtomicU64::new(0),
            batch_received: AtomicU64::new(0),
            batch_applied: AtomicU64::new(0),
            batch_dropped: AtomicU64::new(0),
        }
    }

    pub fn count(&self, method: &str, kind: &'static str, status: u16) {
        let method = ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"]
            .into_iter()
            .find(|m| *m == method)
            .unwrap_or("OTHER");
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry((method, kind, status)).or_insert(0) += 1;
    }

    pub fn write_arrived(&self, at: Instant) {
        let mut log = self.arrivals.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() < self.arrival_capacity {
            log.push(at);
        } else {
            self.arrivals_not_logged.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn write_arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn pending_batch(&self) -> u64 {
        let received = self.batch_received.load(Ordering::SeqCst);
        let done = self.batch_applied.load(Ordering::SeqCst) + self.batch_dropped.load(Ordering::SeqCst);
        received.saturating_sub(done)
    }

    pub fn snapshot(&self, records: BTreeMap<String, usize>) -> SimulatorStats {
        let mut requests: Vec<RequestCount> = self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|((method, kind, status), count)| RequestCount {
                method: (*method).to_owned(),
                kind: (*kind).to_owned(),
                status: *status,
                count: *count,
            })
            .collect();
        requests.sort_by(|a, b| (&a.method, &a.kind, a.status).cmp(&(&b.method, &b.kind, b.status)));
        SimulatorStats {
            requests,
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            injected_server_errors: self.injected_server_errors.load(Ordering::Relaxed),
            dropped_connections: self.dropped_connections.load(Ordering::Relaxed),
            write_arrivals_ms: self
                .write_arrivals()
                .iter()
                .map(|t| t.saturating_duration_since(self.started).as_secs_f64() * 1000.0)
                .collect(),
            write_arrivals_not_logged: self.arrivals_not_logged.load(Ordering::Relaxed),
            batch: BatchStats {
                received: self.batch_received.load(Ordering::SeqCst),
                applied: self.batch_applied.load(Ordering::SeqCst),
                dropped: self.batch_dropped.load(Ordering::SeqCst),
                pending: self.pending_batch(),
            },
            records,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_method_kind_and_status() {
        let s = Stats::new(10);
        s.count("PUT", "assert_simple", 200);
        s.count("PUT", "assert_simple", 200);
        s.count("PUT", "assert_simple", 429);
        let snap = s.snapshot(BTreeMap::new());
        assert_eq!(snap.count("PUT", "assert_simple", 200), 2);
        assert_eq!(snap.total("assert_simple"), 3);
    }

    #[test]
    fn arrival_log_is_capped_and_counts_the_rest() {
        let s = Stats::new(2);
        for _ in 0..5 {
            s.write_arrived(Instant::now());
        }
        let snap = s.snapshot(BTreeMap::new());
        assert_eq!(snap.write_arrivals_ms.len(), 2);
        assert_eq!(snap.write_arrivals_not_logged, 3);
    }
}
