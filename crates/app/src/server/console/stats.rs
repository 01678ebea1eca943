//! The counters behind the overview: totals read from the service's own metrics every few
//! seconds and kept for an hour, so the console can draw the last hour minute by minute.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;

/// How often a sample is kept.
pub const SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// Minutes in the overview's chart.
pub const MINUTES: i64 = 60;

/// Counter totals since the service started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    pub received: f64,
    pub accepted: f64,
    pub delivered: f64,
    pub dead_lettered: f64,
    /// Attio write requests (record assertions), whatever their answer.
    pub attio_writes: f64,
    /// Attio answers with status 429.
    pub attio_429s: f64,
}

impl Totals {
    fn minus(self, earlier: Totals) -> Totals {
        let d = |a: f64, b: f64| (a - b).max(0.0);
        Totals {
            received: d(self.received, earlier.received),
            accepted: d(self.accepted, earlier.accepted),
            delivered: d(self.delivered, earlier.delivered),
            dead_lettered: d(self.dead_lettered, earlier.dead_lettered),
            attio_writes: d(self.attio_writes, earlier.attio_writes),
            attio_429s: d(self.attio_429s, earlier.attio_429s),
        }
    }
}

/// One minute of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Minute {
    /// The minute's end.
    pub until: DateTime<Utc>,
    #[serde(flatten)]
    pub counts: Totals,
}

/// Keeps the samples.
pub struct Sampler {
    handle: Option<PrometheusHandle>,
    samples: Mutex<VecDeque<(DateTime<Utc>, Totals)>>,
}

impl Sampler {
    /// Without a metrics handle (metrics disabled) every count is zero.
    pub fn new(handle: Option<PrometheusHandle>) -> Self {
        Self {
            handle,
            samples: Mutex::new(VecDeque::new()),
        }
    }

    /// The totals now.
    pub fn totals(&self) -> Totals {
        self.handle
            .as_ref()
            .map(|h| parse_totals(&h.render()))
            .unwrap_or_default()
    }

    /// Takes a sample and forgets those older than the chart.
    pub fn sample(&self, now: DateTime<Utc>) {
        let totals = self.totals();
        self.push(now, totals);
    }

    fn push(&self, now: DateTime<Utc>, totals: Totals) {
        let mut samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        samples.push_back((now, totals));
        let horizon = now - Duration::minutes(MINUTES + 1);
        while samples.front().is_some_and(|(at, _)| *at < horizon) {
            samples.pop_front();
        }
    }

    /// The last hour, minute by minute (oldest first), ending with what has happened
    /// since the last full minute.
    pub fn minutes(&self, now: DateTime<Utc>, current: Totals) -> Vec<Minute> {
        let samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let at = |t: DateTime<Utc>| -> Totals {
            if t >= now {
                return current;
            }
            samples
                .iter()
                .rev()
                .find(|(when, _)| *when <= t)
                .or(samples.front())
                .map(|(_, totals)| *totals)
                .unwrap_or(current)
        };
        (0..MINUTES)
            .map(|i| {
                let until = now - Duration::minutes(MINUTES - 1 - i);
                let from = until - Duration::minutes(1);
                Minute {
                    until,
                    counts: at(until).minus(at(from)),
                }
            })
            .collect()
    }
}

/// Sums the counters the console shows from the Prometheus text format.
pub fn parse_totals(text: &str) -> Totals {
    let mut totals = Totals::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.trim().parse::<f64>() else {
            continue;
        };
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, labels),
            None => (series, ""),
        };
        match name {
            "segment_attio_events_received_total" => totals.received += value,
            "segment_attio_events_accepted_total" => totals.accepted += value,
            "segment_attio_events_delivered_total" => totals.delivered += value,
            "segment_attio_events_dead_lettered_total" => totals.dead_lettered += value,
            "segment_attio_attio_requests_total" => {
                let write = ["simple_assert", "batch_assert", "documented_assert"]
                    .iter()
                    .any(|e| labels.contains(&format!("endpoint=\"{e}\"")));
                if write {
                    totals.attio_writes += value;
                }
                if labels.contains("status=\"429\"") {
                    totals.attio_429s += value;
                }
            }
            _ => {}
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# TYPE segment_attio_events_received_total counter
segment_attio_events_received_total{type="identify"} 7
segment_attio_events_received_total{type="group"} 3
segment_attio_events_accepted_total{type="identify"} 6
segment_attio_events_delivered_total 5
segment_attio_events_dead_lettered_total{subscription="a"} 1
segment_attio_attio_requests_total{endpoint="simple_assert",status="200"} 9
segment_attio_attio_requests_total{endpoint="simple_assert",status="429"} 2
segment_attio_attio_requests_total{endpoint="list_objects",status="429"} 1
segment_attio_attio_requests_total{endpoint="credentials",status="200"} 4
"#;

    #[test]
    fn totals_sum_the_counters_over_their_labels() {
        let t = parse_totals(TEXT);
        assert_eq!(t.received, 10.0);
        assert_eq!(t.accepted, 6.0);
        assert_eq!(t.delivered, 5.0);
        assert_eq!(t.dead_lettered, 1.0);
        assert_eq!(t.attio_writes, 11.0, "reads and credential checks are not writes");
        assert_eq!(t.attio_429s, 3.0);
    }

    #[test]
    fn minutes_hold_what_happened_in_each() {
        let sampler = Sampler::new(None);
        let start = DateTime::parse_from_rfc3339("2030-01-01T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let with = |received: f64| Totals {
            received,
            ..Totals::default()
        };
        sampler.push(start, with(0.0));
        sampler.push(start + Duration::seconds(90), with(4.0));
        sampler.push(start + Duration::seconds(150), with(10.0));
        let now = start + Duration::seconds(180);
        let minutes = sampler.minutes(now, with(12.0));
        assert_eq!(minutes.len(), MINUTES as usize);
        let counts: Vec<f64> = minutes.iter().map(|m| m.counts.received).collect();
        assert_eq!(
            counts[MINUTES as usize - 1],
            8.0,
            "the last minute: 12 now - 4 at 01:30"
        );
        assert_eq!(counts[MINUTES as usize - 2], 4.0, "the minute before: 4 at 01:30 - 0");
        assert_eq!(counts.iter().sum::<f64>(), 12.0);
    }
}
