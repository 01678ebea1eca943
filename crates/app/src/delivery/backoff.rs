//! Jittered exponential backoff that honours a server-suggested delay.

use std::time::Duration;

use rand::Rng;

/// The delay before attempt `attempts + 1`: `initial * 2^(attempts-1)`, capped at `max`,
/// scaled by a random factor in [0.5, 1.0]; never shorter than `suggested`.
pub fn delay(attempts: u32, initial: Duration, max: Duration, suggested: Option<Duration>) -> Duration {
    let exp = initial.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
    let capped = exp.min(max);
    let jitter = rand::rng().random_range(0.5..=1.0);
    let jittered = capped.mul_f64(jitter);
    match suggested {
        Some(s) if s > jittered => s,
        _ => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_and_is_capped() {
        let i = Duration::from_millis(100);
        let m = Duration::from_secs(5);
        for attempts in 1..30 {
            let d = delay(attempts, i, m, None);
            let ceiling = i.saturating_mul(1 << (attempts - 1).min(20)).min(m);
            assert!(d <= ceiling && d >= ceiling / 2, "attempt {attempts}: {d:?}");
        }
    }

    #[test]
    fn server_suggestion_is_a_floor() {
        let d = delay(
            1,
            Duration::from_millis(10),
            Duration::from_secs(1),
            Some(Duration::from_secs(3)),
        );
        assert_eq!(d, Duration::from_secs(3));
    }
}
