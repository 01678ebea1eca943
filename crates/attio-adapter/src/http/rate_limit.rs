//! Per-token request pacing: at most `rate` requests in any window of one second, shared by
//! every task and every gateway using the same token, and a shared pause after a 429.
//!
//! The scheduler is exact rather than a token bucket: a request goes no earlier than one
//! second (plus a small margin for jitter) after the request `rate` grants before it
//! actually went. A burst of `rate` requests may go at once; the next ones wait for the
//! following second. No one-second window can hold more than `rate` grants, and in steady
//! state the achieved rate is `rate` per (1 s + margin).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use async_trait::async_trait;
pub use domain::ports::{RateLimitKey, RateLimitStats, RateLimiter, RateLimiters, RequestClass};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

/// Added to the one-second window so that jitter between our clock and the server's
/// cannot put `rate + 1` requests into one of its seconds.
pub const WINDOW_MARGIN: Duration = Duration::from_millis(20);
const WINDOW: Duration = Duration::from_secs(1);

/// Pacing of one request class. Requests are granted one at a time, in arrival order (the
/// async mutex is fair); each grant records the instant its holder actually went on, so a
/// holder that was scheduled late pushes the following ones back rather than letting them
/// crowd its window.
#[derive(Debug)]
struct ClassLimiter {
    rate: usize,
    period: Duration,
    /// When the last `rate` grants happened, oldest first.
    granted: tokio::sync::Mutex<VecDeque<Instant>>,
    paused_until: Mutex<Option<Instant>>,
}

impl ClassLimiter {
    fn new(rate: u32) -> Self {
        let rate = rate.max(1) as usize;
        Self {
            rate,
            period: WINDOW + WINDOW_MARGIN,
            granted: tokio::sync::Mutex::new(VecDeque::with_capacity(rate + 1)),
            paused_until: Mutex::new(None),
        }
    }

    fn paused_until(&self) -> Option<Instant> {
        // Every update is a single assignment; a poisoned lock still holds a valid value.
        *self.paused_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for the earliest instant that keeps at most `rate` grants in any `period` and
    /// is past any pause. Dropping the future gives the turn to the next caller.
    async fn acquire(&self) {
        let mut granted = self.granted.lock().await;
        loop {
            let now = Instant::now();
            let mut slot = now;
            if granted.len() >= self.rate {
                slot = slot.max(granted[granted.len() - self.rate] + self.period);
            }
            if let Some(p) = self.paused_until() {
                slot = slot.max(p);
            }
            if slot <= now {
                break;
            }
            // A 429 seen while we sleep may extend the pause: check again after waking.
            tokio::time::sleep_until(slot).await;
        }
        granted.push_back(Instant::now());
        while granted.len() > self.rate {
            granted.pop_front();
        }
    }

    /// Extends the pause to `until`; returns by how much it grew.
    fn pause_until(&self, until: Instant, now: Instant) -> Duration {
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        let from = paused.map_or(now, |p| p.max(now));
        if until > from {
            *paused = Some(until);
            until - from
        } else {
            Duration::ZERO
        }
    }
}

/// The pacing state of one token (and base URL).
#[derive(Debug)]
pub struct TokenLimiter {
    read: ClassLimiter,
    write: ClassLimiter,
    sent: AtomicU64,
    limited: AtomicU64,
    paused_nanos: AtomicU64,
    waited_nanos: AtomicU64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl TokenLimiter {
    pub fn new(read_rate: u32, write_rate: u32) -> Self {
        Self {
            read: ClassLimiter::new(read_rate),
            write: ClassLimiter::new(write_rate),
            sent: AtomicU64::new(0),
            limited: AtomicU64::new(0),
            paused_nanos: AtomicU64::new(0),
            waited_nanos: AtomicU64::new(0),
        }
    }

    fn class(&self, class: RequestClass) -> &ClassLimiter {
        match class {
            RequestClass::Read => &self.read,
            RequestClass::Write => &self.write,
        }
    }

    /// Waits until a request of `class` may be sent, then counts it as sent.
    pub async fn acquire(&self, class: RequestClass) {
        let start = Instant::now();
        self.class(class).acquire().await;
        self.waited_nanos.fetch_add(nanos(start.elapsed()), Ordering::Relaxed);
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a 429 and holds every request of `class` until `now + after`.
    pub fn rate_limited(&self, class: RequestClass, after: Duration) {
        self.limited.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        // `checked_add`: a delay too large to represent holds requests as long as possible
        // rather than panicking.
        let until = now
            .checked_add(after)
            .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365));
        let grown = self.class(class).pause_until(until, now);
        self.paused_nanos.fetch_add(nanos(grown), Ordering::Relaxed);
    }

    /// The instant requests of `class` are held until, if a pause is still running.
    pub fn paused_until(&self, class: RequestClass) -> Option<Instant> {
        self.class(class).paused_until().filter(|p| *p > Instant::now())
    }

    pub fn stats(&self) -> RateLimitStats {
        RateLimitStats {
            requests_sent: self.sent.load(Ordering::Relaxed),
            rate_limited: self.limited.load(Ordering::Relaxed),
            paused: Duration::from_nanos(self.paused_nanos.load(Ordering::Relaxed)),
            waited: Duration::from_nanos(self.waited_nanos.load(Ordering::Relaxed)),
        }
    }
}

#[async_trait]
impl RateLimiter for TokenLimiter {
    async fn acquire(&self, class: RequestClass) {
        TokenLimiter::acquire(self, class).await;
    }

    async fn rate_limited(&self, class: RequestClass, after: Duration) {
        TokenLimiter::rate_limited(self, class, after);
    }

    fn stats(&self) -> RateLimitStats {
        TokenLimiter::stats(self)
    }
}

/// The key of the limiter of this base URL and token: a SHA-256 digest, so that the token
/// is never kept (nor stored in a shared database) in clear.
pub fn limit_key(base_url: &str, token: &SecretString) -> RateLimitKey {
    let mut h = Sha256::new();
    h.update(base_url.as_bytes());
    h.update([0u8]);
    h.update(token.expose_secret().as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    RateLimitKey::from_digest(hex)
}

/// The in-process limiters: every gateway of this process built with the same key shares
/// one [`TokenLimiter`] while any of them lives. Right for one process; several processes
/// sharing a token need a shared implementation (PostgreSQL).
#[derive(Debug, Default)]
pub struct InProcessRateLimiters {
    registry: Mutex<HashMap<RateLimitKey, Weak<TokenLimiter>>>,
}

impl InProcessRateLimiters {
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide registry, the default of every gateway.
    pub fn global() -> Arc<Self> {
        static GLOBAL: OnceLock<Arc<InProcessRateLimiters>> = OnceLock::new();
        GLOBAL.get_or_init(|| Arc::new(Self::new())).clone()
    }
}

impl RateLimiters for InProcessRateLimiters {
    fn limiter(&self, key: &RateLimitKey, read_rate: u32, write_rate: u32) -> Arc<dyn RateLimiter> {
        let mut map = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = map.get(key).and_then(Weak::upgrade) {
            return existing;
        }
        map.retain(|_, w| w.strong_count() > 0);
        let limiter = Arc::new(TokenLimiter::new(read_rate, write_rate));
        map.insert(key.clone(), Arc::downgrade(&limiter));
        limiter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_rate_goes_at_once_and_the_next_waits_a_second() {
        let l = TokenLimiter::new(100, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            l.acquire(RequestClass::Write).await;
        }
        assert_eq!(t0.elapsed(), Duration::ZERO);
        l.acquire(RequestClass::Write).await;
        assert_eq!(t0.elapsed(), WINDOW + WINDOW_MARGIN);
        assert_eq!(l.stats().requests_sent, 4);
    }

    #[tokio::test(start_paused = true)]
    async fn reads_and_writes_are_paced_separately() {
        let l = TokenLimiter::new(2, 1);
        let t0 = Instant::now();
        l.acquire(RequestClass::Write).await;
        l.acquire(RequestClass::Read).await;
        l.acquire(RequestClass::Read).await;
        assert_eq!(t0.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_requests_until_the_pause_ends() {
        let l = TokenLimiter::new(100, 100);
        let t0 = Instant::now();
        l.rate_limited(RequestClass::Write, Duration::from_millis(1500));
        l.acquire(RequestClass::Write).await;
        assert_eq!(t0.elapsed(), Duration::from_millis(1500));
        l.acquire(RequestClass::Read).await;
        assert_eq!(
            t0.elapsed(),
            Duration::from_millis(1500),
            "reads are not paused by a write 429"
        );
        let s = l.stats();
        assert_eq!(s.rate_limited, 1);
        assert_eq!(s.paused, Duration::from_millis(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_a_write_already_waiting_and_one_asked_during_the_pause() {
        let l = Arc::new(TokenLimiter::new(100, 1));
        let t0 = Instant::now();
        l.acquire(RequestClass::Write).await;
        // The next write is paced to t0 + 1.02 s and waits for it.
        let waiting = {
            let l = l.clone();
            tokio::spawn(async move {
                l.acquire(RequestClass::Write).await;
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        // A 429 at 0.5 s holds writes until 2 s.
        l.rate_limited(RequestClass::Write, Duration::from_millis(1500));
        let asked_during = {
            let l = l.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                l.acquire(RequestClass::Write).await;
                Instant::now()
            })
        };
        // 1.5 s: past the waiting write's pacing slot, inside the pause.
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert!(!waiting.is_finished(), "a write went during the pause");
        assert!(!asked_during.is_finished(), "a write went during the pause");
        let first = waiting.await.expect("the waiting write goes");
        assert_eq!(first - t0, Duration::from_millis(2000), "it goes when the pause ends");
        // The write asked during the pause goes after it, paced at one per 1.02 s.
        let second = asked_during.await.expect("the later write goes");
        assert_eq!(second - t0, Duration::from_millis(2000) + WINDOW + WINDOW_MARGIN);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unrepresentable_pause_holds_requests_without_panicking() {
        let l = TokenLimiter::new(100, 100);
        l.rate_limited(RequestClass::Write, Duration::MAX);
        let until = l.paused_until(RequestClass::Write).expect("a pause");
        assert!(until > Instant::now() + Duration::from_secs(86_400));
        l.acquire(RequestClass::Read).await;
    }

    #[test]
    fn same_token_and_url_share_one_limiter() {
        let t = SecretString::from("tok-share");
        let limiters = InProcessRateLimiters::new();
        let a = limiters.limiter(&limit_key("http://x", &t), 1, 1);
        let b = limiters.limiter(&limit_key("http://x", &t), 5, 5);
        let c = limiters.limiter(&limit_key("http://y", &t), 1, 1);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }

    #[test]
    fn the_key_is_a_digest_that_never_contains_the_token() {
        let key = limit_key("http://x", &SecretString::from("attio_pat_secret"));
        assert_eq!(key.as_str().len(), 64);
        assert!(!key.as_str().contains("secret"));
        assert_ne!(key, limit_key("http://x", &SecretString::from("attio_pat_other")));
    }
}
