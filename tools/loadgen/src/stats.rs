//! Counters and latency histograms, kept per connection and merged at the end.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, from 1 µs to one hour, with 3 significant digits.
const HIGHEST_MICROS: u64 = 3_600_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

/// A request that got no HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TransportError {
    Connect,
    Timeout,
    /// The response body could not be read (connection closed mid-response).
    Body,
    Other,
}

impl TransportError {
    pub fn name(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Body => "body",
            Self::Other => "other",
        }
    }
}

/// How many times one kind of transport error happened, with the first message seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorTally {
    pub count: u64,
    pub example: String,
}

/// Everything measured by one or more connections.
#[derive(Debug, Clone)]
pub struct Stats {
    pub requests: u64,
    pub events_sent: u64,
    pub events_accepted: u64,
    pub bytes_sent: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub errors: BTreeMap<TransportError, ErrorTally>,
    /// From the due time (paced) or the send time (unpaced) to the end of the response.
    pub latency: Histogram<u64>,
    /// From the send time to the end of the response.
    pub service: Histogram<u64>,
    /// From the due time to the send time (paced runs only): how far behind schedule.
    pub start_lag: Histogram<u64>,
    /// Offset from the run start of the last completed request.
    pub last_completion: Duration,
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    pub fn new() -> Self {
        Self {
            requests: 0,
            events_sent: 0,
            events_accepted: 0,
            bytes_sent: 0,
            statuses: BTreeMap::new(),
            errors: BTreeMap::new(),
            latency: histogram(),
            service: histogram(),
            start_lag: histogram(),
            last_completion: Duration::ZERO,
        }
    }

    /// Counts a request of `events` events and `bytes` bytes that is being sent.
    pub fn sent(&mut self, events: u64, bytes: u64) {
        self.requests += 1;
        self.events_sent += events;
        self.bytes_sent += bytes;
    }

    /// Records an HTTP answer; 2xx means the events were accepted.
    pub fn answered(&mut self, status: u16, events: u64, latency: Duration, service: Duration) {
        *self.statuses.entry(status).or_insert(0) += 1;
        if (200..300).contains(&status) {
            self.events_accepted += events;
        }
        self.latency.saturating_record(micros(latency));
        self.service.saturating_record(micros(service));
    }

    /// Records a request that got no HTTP answer.
    pub fn failed(&mut self, kind: TransportError, message: impl FnOnce() -> String) {
        self.errors
            .entry(kind)
            .and_modify(|tally| tally.count += 1)
            .or_insert_with(|| ErrorTally {
                count: 1,
                example: message(),
            });
    }

    pub fn lagged(&mut self, lag: Duration) {
        self.start_lag.saturating_record(micros(lag));
    }

    pub fn completed_at(&mut self, offset: Duration) {
        self.last_completion = self.last_completion.max(offset);
    }

    /// Requests answered with a 2xx status.
    pub fn requests_ok(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| (200..300).contains(*status))
            .map(|(_, count)| count)
            .sum()
    }

    /// Requests that were answered with a non-2xx status or got no answer at all.
    pub fn requests_failed(&self) -> u64 {
        self.requests - self.requests_ok()
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Stats) {
        self.requests += other.requests;
        self.events_sent += other.events_sent;
        self.events_accepted += other.events_accepted;
        self.bytes_sent += other.bytes_sent;
        for (status, count) in &other.statuses {
            *self.statuses.entry(*status).or_insert(0) += count;
        }
        for (kind, tally) in &other.errors {
            self.errors
                .entry(*kind)
                .and_modify(|mine| mine.count += tally.count)
                .or_insert_with(|| tally.clone());
        }
        self.latency
            .add(&other.latency)
            .expect("histograms created with the same bounds always add");
        self.service
            .add(&other.service)
            .expect("histograms created with the same bounds always add");
        self.start_lag
            .add(&other.start_lag)
            .expect("histograms created with the same bounds always add");
        self.last_completion = self.last_completion.max(other.last_completion);
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_MICROS, SIGNIFICANT_DIGITS).expect("constant bounds are valid")
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_2xx_answers_count_events_as_accepted() {
        let mut stats = Stats::new();
        for status in [200_u16, 204, 429, 503] {
            stats.sent(100, 60_000);
            stats.answered(status, 100, Duration::from_millis(3), Duration::from_millis(2));
        }
        stats.sent(100, 60_000);
        stats.failed(TransportError::Connect, || "refused".into());
        assert_eq!(stats.requests, 5);
        assert_eq!(stats.events_sent, 500);
        assert_eq!(stats.events_accepted, 200);
        assert_eq!(stats.requests_ok(), 2);
        assert_eq!(stats.requests_failed(), 3);
        assert_eq!(stats.latency.len(), 4);
    }

    #[test]
    fn merging_adds_counts_and_keeps_the_first_error_message() {
        let mut a = Stats::new();
        a.sent(10, 1);
        a.answered(200, 10, Duration::from_millis(1), Duration::from_millis(1));
        a.failed(TransportError::Timeout, || "first".into());
        a.completed_at(Duration::from_secs(2));
        let mut b = Stats::new();
        b.sent(10, 1);
        b.answered(200, 10, Duration::from_millis(9), Duration::from_millis(9));
        b.failed(TransportError::Timeout, || "second".into());
        b.completed_at(Duration::from_secs(3));
        a.merge(&b);
        assert_eq!(a.statuses.get(&200), Some(&2));
        assert_eq!(a.events_accepted, 20);
        let tally = &a.errors[&TransportError::Timeout];
        assert_eq!((tally.count, tally.example.as_str()), (2, "first"));
        assert_eq!(a.latency.len(), 2);
        assert!(a.latency.max() >= 9_000);
        assert_eq!(a.last_completion, Duration::from_secs(3));
    }

    #[test]
    fn latencies_beyond_the_histogram_range_are_clamped_not_lost() {
        let mut stats = Stats::new();
        stats.answered(200, 1, Duration::from_secs(10_000), Duration::ZERO);
        assert_eq!(stats.latency.len(), 1);
        assert!(stats.latency.max() >= HIGHEST_MICROS);
    }
}
