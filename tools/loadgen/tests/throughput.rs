//! Checks that the generator itself sustains the benchmark rate, against a counting server in
//! the same process. Ignored by default (timing-sensitive); run it with
//! `cargo test --release -p segment-attio-loadgen --test throughput -- --ignored`.

mod support;

use loadgen::{EventKind, RawConfig};
use support::{Behaviour, Received, TestServer, WRITE_KEY};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing-sensitive; run in release on an idle machine"]
async fn generator_sustains_50k_events_per_second_in_batches_of_100() {
    let server = TestServer::start(Behaviour::default()).await;
    let config = RawConfig {
        url: server.url(),
        path: "/v1/batch".into(),
        write_key: WRITE_KEY.into(),
        events: None,
        duration_secs: Some(5.0),
        batch_size: 100,
        concurrency: 32,
        rate: 50_000,
        kind: EventKind::Mixed,
        distinct_users: 10_000,
        timeout_ms: 10_000,
        seed: 1,
    }
    .validate()
    .expect("valid");
    let report = loadgen::run(&config).await.expect("run");
    println!("{report}");
    assert_eq!(report.events_sent, 250_000);
    assert_eq!(report.events_accepted, 250_000);
    assert_eq!(server.received.unique_ids(), 250_000);
    assert_eq!(Received::get(&server.received.duplicate_ids), 0);
    assert!(
        report.accepted_events_per_sec >= 49_000.0,
        "{}",
        report.accepted_events_per_sec
    );
    let lag = report.start_lag_ms.expect("paced");
    assert!(lag.p90 < 5.0, "the generator fell behind its own schedule: {lag:?}");
}
