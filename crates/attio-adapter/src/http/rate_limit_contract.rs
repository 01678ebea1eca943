//! The behaviour every [`RateLimiters`] implementation owes, as functions that any
//! implementation's tests call with its own "instances" (for the in-process registry, the
//! same registry several times; for a shared one, one handle per simulated process).
//!
//! They run in real time (a shared implementation's clock is not tokio's), each within a
//! few seconds, and panic with a message naming the broken promise.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::rate_limit::{RateLimitKey, RateLimiters, RequestClass};

/// Scheduling lateness tolerated when counting grants in a window (a grant is recorded
/// when its task runs again, which on a loaded machine can be tens of milliseconds late).
/// Limiters that do not share their budget grant several times the rate: far beyond it.
const JITTER: Duration = Duration::from_millis(100);

/// The most grants any window of `window` holds.
fn busiest_window(grants: &[Instant], window: Duration) -> usize {
    let mut best = 0;
    let mut j = 0;
    for i in 0..grants.len() {
        while j < grants.len() && grants[j] < grants[i] + window {
            j += 1;
        }
        best = best.max(j - i);
    }
    best
}

/// Several instances, each with several callers, asking for writes as fast as they can for
/// `run`: together they never exceed `write_rate` in any second, and get at least 90 % of
/// it.
pub async fn instances_together_keep_to_the_rate_and_use_most_of_it(
    instances: &[Arc<dyn RateLimiters>],
    key: &RateLimitKey,
) {
    const RATE: u32 = 20;
    let run = Duration::from_millis(2600);
    let start = Instant::now();
    let grants = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for instance in instances {
        let limiter = instance.limiter(key, 100, RATE);
        for _ in 0..3 {
            let limiter = limiter.clone();
            let grants = grants.clone();
            tasks.push(tokio::spawn(async move {
                while start.elapsed() < run {
                    limiter.acquire(RequestClass::Write).await;
                    grants.lock().unwrap_or_else(|p| p.into_inner()).push(Instant::now());
                }
            }));
        }
    }
    for t in tasks {
        t.await.expect("a caller panicked");
    }
    let mut grants = grants.lock().unwrap_or_else(|p| p.into_inner()).clone();
    grants.sort();
    let within_run = grants.iter().filter(|g| **g < start + run).count();
    let busiest = busiest_window(&grants, Duration::from_secs(1) - JITTER);
    assert!(
        busiest <= RATE as usize,
        "{busiest} writes within one second from {} instances; the limit is {RATE}",
        instances.len()
    );
    let expected = f64::from(RATE) * run.as_secs_f64();
    assert!(
        within_run as f64 >= 0.9 * expected,
        "only {within_run} writes in {run:?} under backlog; at least 90 % of {expected} expected"
    );
}

/// A 429 seen by one instance holds the writes of every instance until its pause ends;
/// reads go on.
pub async fn a_429_seen_by_one_instance_pauses_the_others(instances: &[Arc<dyn RateLimiters>], key: &RateLimitKey) {
    assert!(instances.len() >= 2, "the contract needs two instances");
    let first = instances[0].limiter(key, 100, 20);
    let second = instances[1].limiter(key, 100, 20);
    // Both have written before: a shared limiter may hold permits of its own already.
    first.acquire(RequestClass::Write).await;
    second.acquire(RequestClass::Write).await;
    let pause = Duration::from_millis(800);
    let t0 = Instant::now();
    first.rate_limited(RequestClass::Write, pause).await;
    second.acquire(RequestClass::Read).await;
    assert!(
        t0.elapsed() < Duration::from_millis(300),
        "a write 429 held a read for {:?}",
        t0.elapsed()
    );
    second.acquire(RequestClass::Write).await;
    let waited = t0.elapsed();
    assert!(
        waited + JITTER >= pause,
        "the other instance wrote {waited:?} after a 429 asking for a pause of {pause:?}"
    );
    assert!(
        waited < pause + Duration::from_millis(500),
        "the pause lasted {waited:?}, not {pause:?}"
    );
    assert_eq!(first.stats().rate_limited, 1);
    assert!(second.stats().requests_sent >= 3);
}

/// Limiters of different keys do not share a budget.
pub async fn different_keys_are_paced_apart(instances: &[Arc<dyn RateLimiters>], a: &RateLimitKey, b: &RateLimitKey) {
    let one = instances[0].limiter(a, 100, 1);
    let other = instances[instances.len() - 1].limiter(b, 100, 1);
    one.acquire(RequestClass::Write).await;
    let t0 = Instant::now();
    other.acquire(RequestClass::Write).await;
    assert!(
        t0.elapsed() < Duration::from_millis(300),
        "a write for another token waited {:?}",
        t0.elapsed()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::rate_limit::InProcessRateLimiters;

    #[test]
    fn the_busiest_window_counts_grants_less_than_a_window_apart() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let grants = [at(0), at(500), at(999), at(1000), at(1001)];
        assert_eq!(busiest_window(&grants, Duration::from_secs(1)), 4);
        assert_eq!(busiest_window(&[], Duration::from_secs(1)), 0);
    }

    fn in_process() -> Vec<Arc<dyn RateLimiters>> {
        let shared: Arc<dyn RateLimiters> = Arc::new(InProcessRateLimiters::new());
        vec![shared.clone(), shared.clone(), shared]
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_process_limiters_keep_to_the_rate_together() {
        instances_together_keep_to_the_rate_and_use_most_of_it(&in_process(), &RateLimitKey::from_digest("k1")).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_process_429_pauses_every_user_of_the_token() {
        a_429_seen_by_one_instance_pauses_the_others(&in_process(), &RateLimitKey::from_digest("k2")).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_process_keys_are_paced_apart() {
        different_keys_are_paced_apart(
            &in_process(),
            &RateLimitKey::from_digest("k3"),
            &RateLimitKey::from_digest("k4"),
        )
        .await;
    }
}
