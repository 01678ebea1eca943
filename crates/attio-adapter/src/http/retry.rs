//! A reusable retry policy: jittered exponential backoff that honours a delay the server
//! suggested (`Retry-After`), bounded by a number of attempts and/or a total elapsed time.

use std::time::Duration;

use domain::Retryability;
use rand::Rng;

/// When and whether to try a failed request again.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// The delay before the first retry (before jitter).
    pub initial_delay: Duration,
    /// Each further retry waits this many times longer.
    pub multiplier: f64,
    /// No computed delay exceeds this (a server-suggested delay may).
    pub max_delay: Duration,
    /// The delay is drawn uniformly from `[d * (1 - jitter), d]`; 0 disables jitter.
    pub jitter: f64,
    /// Give up after this many attempts in all (the first one included).
    pub max_attempts: Option<u32>,
    /// Give up when the next attempt would start later than this after the first.
    pub max_elapsed: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_millis(500),
            multiplier: 2.0,
            max_delay: Duration::from_secs(60),
            jitter: 0.5,
            max_attempts: Some(10),
            max_elapsed: Some(Duration::from_secs(3600)),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry number `retry` (1 = the first retry), before jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(64) as i32;
        let secs = self.initial_delay.as_secs_f64() * self.multiplier.max(1.0).powi(exp);
        let capped = secs.min(self.max_delay.as_secs_f64());
        Duration::try_from_secs_f64(capped).unwrap_or(self.max_delay)
    }

    /// The delay before retry number `retry`, with `unit` (in `[0, 1)`) choosing the jitter,
    /// never shorter than the server's `suggested` delay.
    pub fn delay_with(&self, retry: u32, suggested: Option<Duration>, unit: f64) -> Duration {
        let base = self.backoff(retry);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let jittered = base.mul_f64(1.0 - jitter * unit.clamp(0.0, 1.0));
        match suggested {
            Some(s) => jittered.max(s),
            None => jittered,
        }
    }

    /// The delay before retry number `retry`, with random jitter.
    pub fn delay(&self, retry: u32, suggested: Option<Duration>) -> Duration {
        let unit: f64 = rand::rng().random();
        self.delay_with(retry, suggested, unit)
    }

    /// What to do after attempt number `attempts` (1 = the first) failed with
    /// `retryability`, `elapsed` after the first attempt started: `Some(delay)` to try
    /// again after `delay`, `None` to give up.
    pub fn next_delay(&self, attempts: u32, elapsed: Duration, retryability: Retryability) -> Option<Duration> {
        let Retryability::Retryable { after } = retryability else {
            return None;
        };
        if self.max_attempts.is_some_and(|max| attempts >= max) {
            return None;
        }
        let delay = self.delay(attempts, after);
        if self.max_elapsed.is_some_and(|max| elapsed + delay > max) {
            return None;
        }
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            initial_delay: Duration::from_millis(100),
            multiplier: 2.0,
            max_delay: Duration::from_secs(1),
            jitter: 0.5,
            max_attempts: Some(4),
            max_elapsed: Some(Duration::from_secs(10)),
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = policy();
        let got: Vec<_> = (1..=6).map(|r| p.backoff(r).as_millis()).collect();
        assert_eq!(got, [100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn jitter_stays_within_its_band() {
        let p = policy();
        assert_eq!(p.delay_with(3, None, 0.0), Duration::from_millis(400));
        assert_eq!(p.delay_with(3, None, 1.0), Duration::from_millis(200));
        for _ in 0..100 {
            let d = p.delay(3, None);
            assert!(
                d >= Duration::from_millis(200) && d <= Duration::from_millis(400),
                "{d:?}"
            );
        }
    }

    #[test]
    fn a_suggested_delay_is_never_cut_short() {
        let p = policy();
        assert_eq!(
            p.delay_with(1, Some(Duration::from_secs(5)), 0.0),
            Duration::from_secs(5)
        );
        assert_eq!(
            p.delay_with(4, Some(Duration::from_millis(10)), 0.0),
            Duration::from_millis(800)
        );
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let p = policy();
        let r = Retryability::Retryable { after: None };
        assert!(p.next_delay(3, Duration::ZERO, r).is_some());
        assert!(p.next_delay(4, Duration::ZERO, r).is_none());
    }

    #[test]
    fn gives_up_when_the_elapsed_budget_would_be_exceeded() {
        let p = policy();
        let r = Retryability::Retryable {
            after: Some(Duration::from_secs(3)),
        };
        assert!(p.next_delay(1, Duration::from_secs(6), r).is_some());
        assert!(p.next_delay(1, Duration::from_secs(8), r).is_none());
    }

    #[test]
    fn permanent_and_authentication_failures_are_not_retried() {
        let p = policy();
        assert!(p.next_delay(1, Duration::ZERO, Retryability::Permanent).is_none());
        assert!(p.next_delay(1, Duration::ZERO, Retryability::Authentication).is_none());
    }
}
