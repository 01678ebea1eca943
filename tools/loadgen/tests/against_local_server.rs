//! Runs the generator in-process against a counting server on 127.0.0.1:0.

mod support;

use std::time::Duration;

use loadgen::{EventKind, RawConfig, Report};
use support::{Behaviour, Received, TestServer, WRITE_KEY};

fn raw(url: String) -> RawConfig {
    RawConfig {
        url,
        path: "/v1/batch".into(),
        write_key: WRITE_KEY.into(),
        events: None,
        duration_secs: None,
        batch_size: 100,
        concurrency: 4,
        rate: 0,
        kind: EventKind::Mixed,
        distinct_users: 25,
        timeout_ms: 5_000,
        seed: 7,
    }
}

async fn run(config: RawConfig) -> Report {
    let config = config.validate().expect("valid configuration");
    loadgen::run(&config).await.expect("run starts")
}

fn assert_ordered(p: &loadgen::report::Percentiles) {
    assert!(
        p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= p.p999 && p.p999 <= p.max,
        "{p:?}"
    );
    assert!(p.p50 > 0.0, "{p:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaced_run_delivers_every_event_exactly_once_and_reports_consistent_numbers() {
    let server = TestServer::start(Behaviour::default()).await;
    let report = run(RawConfig {
        events: Some(1_050),
        ..raw(server.url())
    })
    .await;
    let got = &server.received;

    assert_eq!(
        Received::get(&got.bad_requests),
        0,
        "every request is authorized and well formed"
    );
    assert_eq!(Received::get(&got.requests), 11);
    assert_eq!(Received::get(&got.events), 1_050);
    assert_eq!(got.unique_ids(), 1_050);
    assert_eq!(Received::get(&got.duplicate_ids), 0);
    assert_eq!(got.distinct_users(), 25);

    assert_eq!(report.requests_sent, 11);
    assert_eq!(report.requests_ok, 11);
    assert_eq!(report.requests_failed, 0);
    assert_eq!(report.events_sent, 1_050);
    assert_eq!(report.events_accepted, 1_050);
    assert_eq!(report.status_codes.get(&200), Some(&11));
    assert_eq!(report.status_codes.len(), 1);
    assert!(report.transport_errors.is_empty());
    assert_eq!(report.bytes_sent, Received::get(&got.bytes));
    assert!(
        (500..=700).contains(&report.mean_event_bytes),
        "{}",
        report.mean_event_bytes
    );
    assert!(!report.has_failures());

    assert_eq!(report.latency_measured_from, "sent");
    assert_eq!(report.latency_ms.count, 11);
    assert_eq!(report.service_time_ms.count, 11);
    assert_ordered(&report.latency_ms);
    assert!(report.start_lag_ms.is_none());
    assert!(report.elapsed_secs > 0.0);
    let expected_rate = 1_050.0 / report.elapsed_secs;
    assert!((report.accepted_events_per_sec - expected_rate).abs() < 1e-6 * expected_rate);
    assert!(report.latency_ms.max / 1_000.0 <= report.elapsed_secs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_run_sends_on_schedule_and_measures_from_due_times() {
    let server = TestServer::start(Behaviour::default()).await;
    // 20,000 events/s in batches of 100: one request every 5 ms; the 20th is due at 95 ms.
    let report = run(RawConfig {
        events: Some(2_000),
        rate: 20_000,
        ..raw(server.url())
    })
    .await;

    assert_eq!(Received::get(&server.received.events), 2_000);
    assert_eq!(report.events_accepted, 2_000);
    assert_eq!(report.requests_sent, 20);
    assert_eq!(report.offered_rate, Some(20_000));
    assert_eq!(report.latency_measured_from, "scheduled");
    assert!(
        report.elapsed_secs >= 0.095,
        "finished before the last due time: {}",
        report.elapsed_secs
    );
    let lag = report.start_lag_ms.expect("paced runs report the start lag");
    assert_eq!(lag.count, 20);
    assert_ordered(&report.latency_ms);
    // Measured from the due time, latency can only be longer than the service time.
    assert!(report.latency_ms.max >= report.service_time_ms.max * 0.99);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_duration_bound_sends_exactly_the_requests_due_within_it() {
    let server = TestServer::start(Behaviour::default()).await;
    // 10,000 events/s in batches of 50: every 5 ms; 50 requests are due within 250 ms.
    let report = run(RawConfig {
        duration_secs: Some(0.25),
        rate: 10_000,
        batch_size: 50,
        ..raw(server.url())
    })
    .await;
    assert_eq!(report.requests_sent, 50);
    assert_eq!(Received::get(&server.received.requests), 50);
    assert_eq!(Received::get(&server.received.events), 2_500);
    assert_eq!(report.events_accepted, 2_500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaced_duration_bound_stops_by_itself() {
    let server = TestServer::start(Behaviour::default()).await;
    let started = std::time::Instant::now();
    let report = run(RawConfig {
        duration_secs: Some(0.2),
        batch_size: 10,
        ..raw(server.url())
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(report.requests_sent > 0);
    assert_eq!(report.requests_sent, Received::get(&server.received.requests));
    assert_eq!(report.events_accepted, Received::get(&server.received.events));
    assert_eq!(server.received.unique_ids() as u64, report.events_sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_are_counted_and_their_events_not_accepted() {
    let server = TestServer::start(Behaviour {
        fail_every: Some(3),
        ..Behaviour::default()
    })
    .await;
    let report = run(RawConfig {
        events: Some(900),
        concurrency: 1,
        ..raw(server.url())
    })
    .await;
    assert_eq!(report.status_codes.get(&200), Some(&6));
    assert_eq!(report.status_codes.get(&503), Some(&3));
    assert_eq!(report.requests_failed, 3);
    assert_eq!(report.events_sent, 900);
    assert_eq!(report.events_accepted, 600);
    assert_eq!(report.events_accepted, Received::get(&server.received.accepted_events));
    assert!(report.has_failures());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_are_reported_as_transport_errors() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let report = run(RawConfig {
        events: Some(200),
        concurrency: 1,
        ..raw(format!("http://127.0.0.1:{port}"))
    })
    .await;
    assert_eq!(report.requests_sent, 2);
    assert_eq!(report.requests_failed, 2);
    assert_eq!(report.events_accepted, 0);
    assert!(report.status_codes.is_empty());
    let connect = report.transport_errors.get("connect").expect("connect errors");
    assert_eq!(connect.count, 2);
    assert!(!connect.example.is_empty());
    assert_eq!(report.latency_ms.count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_slower_than_the_schedule_shows_up_as_latency_not_as_a_lower_offered_rate() {
    // One connection, 50 ms per answer, but a request is due every 10 ms: requests queue up and
    // their latency, measured from the due time, grows far beyond the 50 ms service time.
    let server = TestServer::start(Behaviour {
        delay: Duration::from_millis(50),
        ..Behaviour::default()
    })
    .await;
    let report = run(RawConfig {
        events: Some(100),
        batch_size: 10,
        rate: 1_000,
        concurrency: 1,
        ..raw(server.url())
    })
    .await;
    assert_eq!(report.events_accepted, 100);
    assert!(report.service_time_ms.max < 250.0, "{:?}", report.service_time_ms);
    // The 10th request is due at 90 ms but can only start after nine 50 ms answers (≥ 450 ms).
    assert!(report.latency_ms.max >= 400.0, "{:?}", report.latency_ms);
    let lag = report.start_lag_ms.expect("paced");
    assert!(lag.max >= 300.0, "{lag:?}");
}
