//! Pacing measured at the server, robust to a loaded machine. A limiter of `limit` writes
//! per second (plus a small margin) sends them in bursts of `limit`, one burst per window.
//! A slow machine delays some bursts (the span of a whole run grows with every delay), but
//! it cannot change how far apart most bursts are nor how many writes one burst holds;
//! a limiter that is too slow or too strict changes both.

/// What the write arrivals (seconds, any origin, sorted) show about their pacing.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacing {
    /// The median of `arrival[i] - arrival[i - limit]` over every write after the first
    /// `limit`: the typical time `limit` writes take.
    pub median_window: f64,
    /// `limit / median_window`: the typical rate, writes per second.
    pub typical_rate: f64,
    /// The most arrivals within one second, over the whole run.
    pub most_in_a_second: usize,
    /// The most arrivals within one second after the first `limit` (the initial burst).
    pub most_in_a_second_after_the_first_burst: usize,
}

/// The most arrivals in a window of `window` seconds that starts at an arrival.
fn most_within(arrivals: &[f64], window: f64) -> usize {
    (0..arrivals.len())
        .map(|i| arrivals[i..].iter().take_while(|t| **t - arrivals[i] < window).count())
        .max()
        .unwrap_or(0)
}

/// Measures `arrivals` (seconds, sorted) against a limit of `limit` per second. Needs more
/// than `limit` arrivals.
pub fn pacing(arrivals: &[f64], limit: usize) -> Pacing {
    assert!(
        limit > 0 && arrivals.len() > limit,
        "{} arrivals cannot show a pacing of {limit}/s",
        arrivals.len()
    );
    let mut windows: Vec<f64> = (limit..arrivals.len())
        .map(|i| arrivals[i] - arrivals[i - limit])
        .collect();
    windows.sort_by(f64::total_cmp);
    let median_window = windows[windows.len() / 2];
    Pacing {
        median_window,
        typical_rate: limit as f64 / median_window,
        most_in_a_second: most_within(arrivals, 1.0),
        most_in_a_second_after_the_first_burst: most_within(&arrivals[limit..], 1.0),
    }
}

impl Pacing {
    /// The arrivals nearly reach `limit`: typically within `share` of it, and some second
    /// after the initial burst holds the whole `limit`.
    pub fn nearly_reaches(&self, limit: usize, share: f64) -> Result<(), String> {
        if self.typical_rate < share * limit as f64 {
            return Err(format!(
                "{limit} writes typically take {:.3} s: {:.2}/s, less than {:.0}% of {limit}/s ({self:?})",
                self.median_window,
                self.typical_rate,
                100.0 * share
            ));
        }
        if self.most_in_a_second_after_the_first_burst < limit {
            return Err(format!(
                "no second after the initial burst held {limit} writes ({self:?})"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bursts of `per_burst` every `period` seconds, each spread over `spread` seconds.
    fn bursts(n: usize, per_burst: usize, period: f64, spread: f64) -> Vec<f64> {
        (0..n)
            .map(|i| (i / per_burst) as f64 * period + (i % per_burst) as f64 * spread / per_burst as f64)
            .collect()
    }

    #[test]
    fn the_limiter_schedule_nearly_reaches_the_limit() {
        let p = pacing(&bursts(125, 25, 1.02, 0.01), 25);
        assert!(p.nearly_reaches(25, 0.95).is_ok(), "{p:?}");
        assert_eq!(p.most_in_a_second, 25);
    }

    #[test]
    fn a_few_late_bursts_do_not_hide_the_rate() {
        let mut a = bursts(125, 25, 1.02, 0.01);
        // The third burst comes 300 ms late (the machine was busy), the rest follow it.
        for t in a.iter_mut().skip(50) {
            *t += 0.3;
        }
        let p = pacing(&a, 25);
        assert!(p.nearly_reaches(25, 0.95).is_ok(), "{p:?}");
    }

    #[test]
    fn a_limiter_that_is_too_strict_or_too_slow_is_caught() {
        // 20 per window instead of 25.
        let p = pacing(&bursts(125, 20, 1.02, 0.01), 25);
        assert!(p.nearly_reaches(25, 0.95).is_err(), "{p:?}");
        // 25 per 1.1 s.
        let p = pacing(&bursts(125, 25, 1.1, 0.01), 25);
        assert!(p.nearly_reaches(25, 0.95).is_err(), "{p:?}");
    }
}
