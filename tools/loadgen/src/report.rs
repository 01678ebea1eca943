//! The run report, as text or JSON.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::config::RunConfig;
use crate::events::EventKind;
use crate::stats::Stats;

/// Latency summary in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Percentiles {
    fn of(histogram: &Histogram<u64>) -> Self {
        let ms = |micros: u64| micros as f64 / 1_000.0;
        if histogram.is_empty() {
            return Self {
                count: 0,
                mean: 0.0,
                p50: 0.0,
                p90: 0.0,
                p99: 0.0,
                p999: 0.0,
                max: 0.0,
            };
        }
        Self {
            count: histogram.len(),
            mean: histogram.mean() / 1_000.0,
            p50: ms(histogram.value_at_quantile(0.50)),
            p90: ms(histogram.value_at_quantile(0.90)),
            p99: ms(histogram.value_at_quantile(0.99)),
            p999: ms(histogram.value_at_quantile(0.999)),
            max: ms(histogram.max()),
        }
    }
}

/// One kind of transport error in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorSummary {
    pub count: u64,
    pub example: String,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub endpoint: String,
    pub kind: EventKind,
    pub batch_size: u64,
    pub concurrency: usize,
    /// Offered events/s, `null` when unpaced.
    pub offered_rate: Option<u64>,
    pub requests_sent: u64,
    pub requests_ok: u64,
    pub requests_failed: u64,
    pub events_sent: u64,
    pub events_accepted: u64,
    pub bytes_sent: u64,
    pub mean_event_bytes: usize,
    /// Requests per HTTP status code.
    pub status_codes: BTreeMap<u16, u64>,
    /// Requests that got no status, by kind (`connect`, `timeout`, `body`, `other`).
    pub transport_errors: BTreeMap<&'static str, ErrorSummary>,
    /// From the start to the last response.
    pub elapsed_secs: f64,
    pub accepted_events_per_sec: f64,
    pub requests_per_sec: f64,
    /// `scheduled` (paced: coordinated-omission corrected) or `sent` (unpaced).
    pub latency_measured_from: &'static str,
    pub latency_ms: Percentiles,
    /// Time from sending to the end of the response, whatever the schedule.
    pub service_time_ms: Percentiles,
    /// How late requests left relative to their due time; `null` when unpaced.
    pub start_lag_ms: Option<Percentiles>,
}

impl Report {
    pub fn new(config: &RunConfig, mean_event_bytes: usize, stats: &Stats) -> Self {
        let elapsed = stats.last_completion;
        let per_sec = |count: u64| rate(count, elapsed);
        Self {
            endpoint: config.target.endpoint().to_string(),
            kind: config.kind,
            batch_size: config.batch_size,
            concurrency: config.concurrency,
            offered_rate: config.rate,
            requests_sent: stats.requests,
            requests_ok: stats.requests_ok(),
            requests_failed: stats.requests_failed(),
            events_sent: stats.events_sent,
            events_accepted: stats.events_accepted,
            bytes_sent: stats.bytes_sent,
            mean_event_bytes,
            status_codes: stats.statuses.clone(),
            transport_errors: stats
                .errors
                .iter()
                .map(|(kind, tally)| {
                    (
                        kind.name(),
                        ErrorSummary {
                            count: tally.count,
                            example: tally.example.clone(),
                        },
                    )
                })
                .collect(),
            elapsed_secs: elapsed.as_secs_f64(),
            accepted_events_per_sec: per_sec(stats.events_accepted),
            requests_per_sec: per_sec(stats.requests),
            latency_measured_from: if config.rate.is_some() { "scheduled" } else { "sent" },
            latency_ms: Percentiles::of(&stats.latency),
            service_time_ms: Percentiles::of(&stats.service),
            start_lag_ms: config.rate.map(|_| Percentiles::of(&stats.start_lag)),
        }
    }

    /// Whether any request failed (non-2xx or no answer).
    pub fn has_failures(&self) -> bool {
        self.requests_failed > 0
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report holds only serializable values")
    }
}

fn rate(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        count as f64 / secs
    } else {
        0.0
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let offered = match self.offered_rate {
            Some(rate) => format!("{rate} events/s offered (open loop)"),
            None => "unpaced (as fast as possible)".to_owned(),
        };
        writeln!(f, "target      {}", self.endpoint)?;
        writeln!(
            f,
            "load        {:?} events, batch {}, {} connections, {offered}",
            self.kind, self.batch_size, self.concurrency
        )?;
        writeln!(
            f,
            "events      {} sent, {} accepted ({} bytes per event on average)",
            self.events_sent, self.events_accepted, self.mean_event_bytes
        )?;
        let mut codes = String::new();
        for (status, count) in &self.status_codes {
            let _ = write!(codes, " {status}={count}");
        }
        writeln!(
            f,
            "requests    {} sent, {} ok, {} failed; status:{}",
            self.requests_sent,
            self.requests_ok,
            self.requests_failed,
            if codes.is_empty() { " none" } else { &codes }
        )?;
        for (kind, summary) in &self.transport_errors {
            writeln!(f, "error       {kind} x{}: {}", summary.count, summary.example)?;
        }
        writeln!(
            f,
            "throughput  {:.0} events/s accepted, {:.1} requests/s over {:.3} s",
            self.accepted_events_per_sec, self.requests_per_sec, self.elapsed_secs
        )?;
        write_percentiles(
            f,
            &format!("latency (from {})", self.latency_measured_from),
            &self.latency_ms,
        )?;
        write_percentiles(f, "service time", &self.service_time_ms)?;
        if let Some(lag) = &self.start_lag_ms {
            write_percentiles(f, "start lag", lag)?;
        }
        Ok(())
    }
}

fn write_percentiles(f: &mut fmt::Formatter<'_>, label: &str, p: &Percentiles) -> fmt::Result {
    writeln!(
        f,
        "{label:<22} ms  p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  mean {:.2}  (n={})",
        p.p50, p.p90, p.p99, p.p999, p.max, p.mean, p.count
    )
}
