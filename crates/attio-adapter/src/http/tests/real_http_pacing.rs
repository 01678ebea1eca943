//! The per-token rate limiter and the shared pause after a 429, measured at the server.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use domain::ports::AttioGateway;
use domain::{Assertion, AttributeSlug, JsonText, ObjectSlug};
use secrecy::ExposeSecret;

use super::config_for;
use super::server::{Recorded, Reply, TestServer};
use crate::http::HttpAttioGateway;

const RECORD: &str = r#"{"data":{"id":{"record_id":"rec-1"}}}"#;

fn people(n: usize) -> Assertion<'static> {
    let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
    a.set_json("email_addresses", JsonText::string(&format!("p{n}@example.com")));
    a
}

fn with_token<'r>(requests: &'r [Recorded], token: &str) -> Vec<&'r Recorded> {
    let bearer = format!("Bearer {token}");
    requests
        .iter()
        .filter(|r| r.header("authorization") == Some(bearer.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tasks_on_clones_never_exceed_the_write_rate_and_nearly_reach_it() {
    const RATE: usize = 10;
    let server = TestServer::start(|_, _| Reply::json(200, RECORD)).await;

    // Open pooled connections first (with another token), so the measured run does not
    // include connection set-up.
    let mut warm = config_for(&server.url());
    warm.read_rate = 1000;
    let warm = HttpAttioGateway::new(warm).unwrap();
    let warmups: Vec<_> = (0..3 * RATE)
        .map(|_| {
            let g = warm.clone();
            tokio::spawn(async move { g.check_credentials().await })
        })
        .collect();
    for w in warmups {
        w.await.unwrap().unwrap();
    }

    let mut config = config_for(&server.url());
    config.write_rate = RATE as u32;
    let token = config.token.expose_secret().to_owned();
    let first = HttpAttioGateway::new(config.clone()).unwrap();
    let second = HttpAttioGateway::new(config).unwrap(); // same token: same limiter
    let tasks: Vec<_> = (0..3 * RATE)
        .map(|n| {
            let g = if n % 2 == 0 { first.clone() } else { second.clone() };
            tokio::spawn(async move { g.simple_assert(&people(n), None).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }

    let requests = server.requests();
    let mut arrivals: Vec<Instant> = with_token(&requests, &token).iter().map(|r| r.at).collect();
    arrivals.sort();
    assert_eq!(arrivals.len(), 3 * RATE);
    for (i, start) in arrivals.iter().enumerate() {
        let in_window = arrivals[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(
            in_window <= RATE,
            "{in_window} requests within one second from request {i}"
        );
    }
    // Nearly reaching the rate, measured burst by burst so that a burst a busy machine
    // delayed does not count against the limiter: RATE requests typically take one window
    // (1 s and the margin), and a second after the initial burst holds RATE of them.
    let mut windows: Vec<Duration> = (RATE..arrivals.len())
        .map(|i| arrivals[i].duration_since(arrivals[i - RATE]))
        .collect();
    windows.sort();
    let typical = windows[windows.len() / 2];
    let typical_rate = RATE as f64 / typical.as_secs_f64();
    assert!(
        typical_rate >= 0.95 * RATE as f64,
        "{RATE} requests typically took {typical:?}: {typical_rate:.2}/s of {RATE}/s ({windows:?})"
    );
    let full_second_after_the_burst = (RATE..arrivals.len()).any(|i| {
        arrivals[i..]
            .iter()
            .take_while(|t| t.duration_since(arrivals[i]) < Duration::from_secs(1))
            .count()
            >= RATE
    });
    assert!(
        full_second_after_the_burst,
        "no second after the initial burst held {RATE} requests: {arrivals:?}"
    );
    assert_eq!(first.stats().rate.requests_sent, 3 * RATE as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_429_no_request_with_that_token_arrives_before_retry_after() {
    let retry_at: Arc<Mutex<Option<SystemTime>>> = Arc::default();
    let shared = retry_at.clone();
    let server = TestServer::start(move |_, i| {
        if i == 0 {
            // Attio's form: an HTTP date, whole seconds, about two seconds ahead.
            let at = SystemTime::now() + Duration::from_secs(2);
            let date = httpdate::fmt_http_date(at);
            *shared.lock().unwrap() = Some(httpdate::parse_http_date(&date).unwrap());
            Reply::json(
                429,
                r#"{"status_code":429,"type":"rate_limit_error","code":"rate_limit_exceeded","message":"Rate limit exceeded, please try again later"}"#,
            )
            .header("retry-after", date)
        } else {
            Reply::json(200, RECORD)
        }
    })
    .await;
    let mut config = config_for(&server.url());
    config.max_rate_limit_retries = 0;
    let g = HttpAttioGateway::new(config.clone()).unwrap();
    let err = g.simple_assert(&people(0), None).await.unwrap_err();
    assert_eq!(err.status(), Some(429));

    config.max_rate_limit_retries = 3;
    let other = HttpAttioGateway::new(config).unwrap();
    let tasks: Vec<_> = (1..=6)
        .map(|n| {
            let g = if n % 2 == 0 { g.clone() } else { other.clone() };
            tokio::spawn(async move { g.simple_assert(&people(n), None).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }

    let retry_at = retry_at.lock().unwrap().expect("the 429 was sent");
    let requests = server.requests();
    assert_eq!(requests.len(), 7);
    for r in &requests[1..] {
        assert!(
            r.wall >= retry_at,
            "a request arrived {:?} before Retry-After",
            retry_at.duration_since(r.wall).unwrap_or_default()
        );
        assert!(
            r.wall < retry_at + Duration::from_secs(1),
            "requests were held too long"
        );
    }
    let stats = g.stats().rate;
    assert_eq!(stats.rate_limited, 1);
    assert!(stats.paused > Duration::from_millis(900), "{stats:?}");
}
