//! Open-loop pacing: when each request is due.
//!
//! With a target rate of `R` events/s and `B` events per request, request `k` is due at
//! `k * B / R` seconds after the start, whatever happened to earlier requests. Latency is then
//! measured from that due time, so a slow server (or too few connections) shows up as latency
//! instead of silently lowering the offered rate (coordinated omission).

use std::time::Duration;

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// The fixed schedule of an open-loop run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    events_per_sec: u64,
    batch_size: u64,
}

impl Schedule {
    /// `events_per_sec` and `batch_size` are both at least 1 (checked by the configuration).
    pub fn new(events_per_sec: u64, batch_size: u64) -> Self {
        Self {
            events_per_sec: events_per_sec.max(1),
            batch_size: batch_size.max(1),
        }
    }

    /// Offset from the start at which request `k` is due. Computed from `k` directly (never by
    /// adding intervals) so rounding does not accumulate over a long run.
    pub fn due(&self, k: u64) -> Duration {
        let nanos = u128::from(k) * u128::from(self.batch_size) * NANOS_PER_SEC / u128::from(self.events_per_sec);
        duration_from_nanos(nanos)
    }

    /// Mean time between two requests.
    pub fn interval(&self) -> Duration {
        self.due(1)
    }

    /// Number of requests due strictly before `window` has elapsed.
    pub fn requests_within(&self, window: Duration) -> u64 {
        // Smallest k with due(k) >= window, i.e. ceil(window * R / (B * 1e9)).
        let numerator = window.as_nanos() * u128::from(self.events_per_sec);
        let denominator = u128::from(self.batch_size) * NANOS_PER_SEC;
        let count = numerator.div_ceil(denominator);
        u64::try_from(count).unwrap_or(u64::MAX)
    }
}

fn duration_from_nanos(nanos: u128) -> Duration {
    let secs = u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX);
    let sub = u32::try_from(nanos % NANOS_PER_SEC).expect("remainder of a division by 1e9 fits in u32");
    Duration::new(secs, sub)
}

/// Number of requests needed for `events` events in batches of `batch_size` (the last may be short).
pub fn requests_for_events(events: u64, batch_size: u64) -> u64 {
    events.div_ceil(batch_size.max(1))
}

/// Events carried by request `k` when `total_events` are sent in batches of `batch_size`.
pub fn events_in_request(k: u64, batch_size: u64, total_events: Option<u64>) -> u64 {
    match total_events {
        None => batch_size,
        Some(total) => total.saturating_sub(k.saturating_mul(batch_size)).min(batch_size),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_thousand_events_per_second_in_batches_of_100_is_one_request_every_2ms() {
        let schedule = Schedule::new(50_000, 100);
        assert_eq!(schedule.interval(), Duration::from_millis(2));
        assert_eq!(schedule.due(0), Duration::ZERO);
        assert_eq!(schedule.due(500), Duration::from_secs(1));
        assert_eq!(schedule.due(10_000), Duration::from_secs(20));
    }

    #[test]
    fn due_times_do_not_drift_when_the_interval_is_not_a_whole_number_of_nanoseconds() {
        // 3 requests/s: the interval is 333_333_333.33 ns; after 3 million requests exactly 1e6 s.
        let schedule = Schedule::new(300, 100);
        assert_eq!(schedule.due(3_000_000), Duration::from_secs(1_000_000));
        assert_eq!(schedule.due(1), Duration::new(0, 333_333_333));
        assert_eq!(schedule.due(2), Duration::new(0, 666_666_666));
    }

    #[test]
    fn due_times_are_strictly_increasing() {
        let schedule = Schedule::new(7_919, 13);
        let mut previous = schedule.due(0);
        for k in 1..10_000 {
            let next = schedule.due(k);
            assert!(next > previous, "due({k}) = {next:?} not after {previous:?}");
            previous = next;
        }
    }

    #[test]
    fn requests_within_a_window_counts_those_due_before_its_end() {
        let schedule = Schedule::new(50_000, 100);
        // Due at 0, 2, 4, 6, 8 ms are inside 10 ms; 10 ms itself is not.
        assert_eq!(schedule.requests_within(Duration::from_millis(10)), 5);
        assert_eq!(schedule.requests_within(Duration::from_micros(10_001)), 6);
        assert_eq!(schedule.requests_within(Duration::from_secs(20)), 10_000);
        assert_eq!(schedule.requests_within(Duration::ZERO), 0);
        for k in [0_u64, 1, 17, 9_999] {
            let window = schedule.due(k) + Duration::from_nanos(1);
            assert_eq!(schedule.requests_within(window), k + 1);
        }
    }

    #[test]
    fn requests_for_events_rounds_up_and_the_last_request_carries_the_remainder() {
        assert_eq!(requests_for_events(1_000_000, 100), 10_000);
        assert_eq!(requests_for_events(1_050, 100), 11);
        assert_eq!(requests_for_events(1, 100), 1);
        assert_eq!(events_in_request(0, 100, Some(1_050)), 100);
        assert_eq!(events_in_request(10, 100, Some(1_050)), 50);
        assert_eq!(events_in_request(11, 100, Some(1_050)), 0);
        assert_eq!(events_in_request(123_456, 100, None), 100);
        let total: u64 = (0..11).map(|k| events_in_request(k, 100, Some(1_050))).sum();
        assert_eq!(total, 1_050);
    }
}
