//! Token buckets for Attio's read and write limits.

use std::time::Instant;

/// Refills `rate` tokens per second up to a burst of `rate`; a rate of 0 never limits.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate: u32, now: Instant) -> Self {
        Self {
            rate: f64::from(rate),
            tokens: f64::from(rate),
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now: Instant) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_its_rate_then_refuses_until_refilled() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(3, t0);
        assert!((0..3).all(|_| b.try_take(t0)));
        assert!(!b.try_take(t0));
        assert!(b.try_take(t0 + Duration::from_millis(340)));
        assert!(!b.try_take(t0 + Duration::from_millis(340)));
    }

    #[test]
    fn zero_rate_never_limits() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(0, t0);
        assert!((0..10_000).all(|_| b.try_take(t0)));
    }
}
