//! Drives the load: `concurrency` connections take request numbers from a shared counter,
//! wait for each request's due time when paced, send it and record the outcome.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{redirect, Client, Url};
use tokio::time::{sleep_until, Instant};

use crate::config::{RunConfig, WriteKey};
use crate::events::{run_prefix, timestamp, EventPool, DEFAULT_POOL_SIZE};
use crate::pacing::{events_in_request, requests_for_events, Schedule};
use crate::report::Report;
use crate::stats::{Stats, TransportError};

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("a connection task stopped unexpectedly: {0}")]
    Task(#[from] tokio::task::JoinError),
}

struct Shared {
    client: Client,
    endpoint: Url,
    pool: EventPool,
    schedule: Option<Schedule>,
    duration: Option<Duration>,
    batch_size: u64,
    total_events: Option<u64>,
    /// No request number at or above this is sent.
    request_limit: u64,
    next_request: AtomicU64,
    start: Instant,
}

/// Runs the load described by `config` and reports what happened.
pub async fn run(config: &RunConfig) -> Result<Report, RunError> {
    let client = build_client(config)?;
    let pool = EventPool::new(
        config.kind,
        config.distinct_users,
        DEFAULT_POOL_SIZE,
        config.seed,
        &run_prefix(SystemTime::now(), &mut rand::rng()),
    );
    let mean_event_bytes = pool.mean_event_len();
    let schedule = config.rate.map(|rate| Schedule::new(rate, config.batch_size));
    let request_limit = request_limit(config, schedule.as_ref());
    let shared = Arc::new(Shared {
        client,
        endpoint: config.target.endpoint().clone(),
        pool,
        schedule,
        duration: config.duration,
        batch_size: config.batch_size,
        total_events: config.events,
        request_limit,
        next_request: AtomicU64::new(0),
        start: Instant::now(),
    });
    let connections: Vec<_> = (0..config.concurrency)
        .map(|_| tokio::spawn(connection(Arc::clone(&shared))))
        .collect();
    let mut stats = Stats::new();
    for handle in connections {
        stats.merge(&handle.await?);
    }
    Ok(Report::new(config, mean_event_bytes, &stats))
}

/// Requests allowed by the event count and, when paced, by the duration.
fn request_limit(config: &RunConfig, schedule: Option<&Schedule>) -> u64 {
    let by_events = config
        .events
        .map_or(u64::MAX, |events| requests_for_events(events, config.batch_size));
    let by_schedule = match (schedule, config.duration) {
        (Some(schedule), Some(duration)) => schedule.requests_within(duration),
        _ => u64::MAX,
    };
    by_events.min(by_schedule)
}

fn build_client(config: &RunConfig) -> Result<Client, RunError> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(AUTHORIZATION, basic_auth(&config.write_key));
    let mut builder = Client::builder()
        .no_proxy()
        .redirect(redirect::Policy::none())
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(config.concurrency)
        .connect_timeout(config.timeout)
        .timeout(config.timeout)
        .user_agent(concat!("segment-attio-loadgen/", env!("CARGO_PKG_VERSION")))
        .default_headers(headers);
    if let Some((name, addr)) = config.target.pinned_address() {
        builder = builder.resolve(name, addr);
    }
    builder.build().map_err(RunError::Client)
}

/// `Authorization: Basic base64("<write key>:")`, marked sensitive.
pub fn basic_auth(key: &WriteKey) -> HeaderValue {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{}:", key.expose()));
    let mut value =
        HeaderValue::from_str(&format!("Basic {encoded}")).expect("base64 output is always a valid header value");
    value.set_sensitive(true);
    value
}

/// One connection's loop; ends when the request limit, the event count or the duration is reached.
async fn connection(shared: Arc<Shared>) -> Stats {
    let mut stats = Stats::new();
    loop {
        let k = shared.next_request.fetch_add(1, Ordering::Relaxed);
        if k >= shared.request_limit {
            break;
        }
        let events = events_in_request(k, shared.batch_size, shared.total_events);
        if events == 0 {
            break;
        }
        let due = match &shared.schedule {
            Some(schedule) => {
                let due = shared.start + schedule.due(k);
                sleep_until(due).await;
                due
            }
            None => {
                if shared.duration.is_some_and(|limit| shared.start.elapsed() >= limit) {
                    break;
                }
                Instant::now()
            }
        };
        let mut body = Vec::new();
        shared
            .pool
            .write_body(k * shared.batch_size, events, &timestamp(SystemTime::now()), &mut body);
        let sent = Instant::now();
        if shared.schedule.is_some() {
            stats.lagged(sent.saturating_duration_since(due));
        }
        stats.sent(events, body.len() as u64);
        let outcome = send(&shared, Bytes::from(body)).await;
        let done = Instant::now();
        match outcome {
            Ok(status) => stats.answered(status, events, done - due, done - sent),
            Err((kind, error)) => stats.failed(kind, || error.to_string()),
        }
        stats.completed_at(done - shared.start);
    }
    stats
}

/// Posts one body and reads the whole answer (so the connection can be reused).
async fn send(shared: &Shared, body: Bytes) -> Result<u16, (TransportError, reqwest::Error)> {
    let response = shared
        .client
        .post(shared.endpoint.clone())
        .body(body)
        .send()
        .await
        .map_err(|e| (classify(&e), e))?;
    let status = response.status().as_u16();
    response.bytes().await.map_err(|e| {
        (
            if e.is_timeout() {
                TransportError::Timeout
            } else {
                TransportError::Body
            },
            e,
        )
    })?;
    Ok(status)
}

fn classify(error: &reqwest::Error) -> TransportError {
    if error.is_timeout() {
        TransportError::Timeout
    } else if error.is_connect() {
        TransportError::Connect
    } else if error.is_body() || error.is_decode() {
        TransportError::Body
    } else {
        TransportError::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::RawConfig;
    use crate::events::EventKind;

    fn config(events: Option<u64>, duration_secs: Option<f64>, rate: u64) -> RunConfig {
        RawConfig {
            url: "http://127.0.0.1:9".into(),
            path: "/v1/batch".into(),
            write_key: "wk".into(),
            events,
            duration_secs,
            batch_size: 100,
            concurrency: 2,
            rate,
            kind: EventKind::Track,
            distinct_users: 10,
            timeout_ms: 1_000,
            seed: 1,
        }
        .validate()
        .expect("valid")
    }

    fn limit(config: &RunConfig) -> u64 {
        let schedule = config.rate.map(|rate| Schedule::new(rate, config.batch_size));
        request_limit(config, schedule.as_ref())
    }

    #[test]
    fn basic_auth_is_the_write_key_with_an_empty_password() {
        let key = WriteKey::new("WK123").expect("non-empty");
        let value = basic_auth(&key);
        assert_eq!(value.to_str().expect("ascii"), "Basic V0sxMjM6");
        assert!(value.is_sensitive());
    }

    #[test]
    fn event_count_limits_requests_rounding_up() {
        assert_eq!(limit(&config(Some(1_050), None, 0)), 11);
        assert_eq!(limit(&config(Some(1_050), None, 5_000)), 11);
    }

    #[test]
    fn paced_duration_limits_requests_to_those_due_within_it() {
        // 50k events/s in batches of 100 for 20 s: one request every 2 ms, 10,000 requests.
        assert_eq!(limit(&config(None, Some(20.0), 50_000)), 10_000);
        // Whichever bound is tighter wins.
        assert_eq!(limit(&config(Some(300), Some(20.0), 50_000)), 3);
        assert_eq!(limit(&config(Some(10_000_000), Some(1.0), 50_000)), 500);
    }

    #[test]
    fn unpaced_duration_leaves_the_limit_to_the_clock() {
        assert_eq!(limit(&config(None, Some(1.0), 0)), u64::MAX);
    }
}
