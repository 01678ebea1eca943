//! Append throughput of the SQLite spool: 8 concurrent tasks, each appending batches of 100
//! events of about 600 bytes, under `synchronous = full` and `synchronous = normal`.
//!
//! `cargo bench -p segment-attio --bench spool`
//! The database lives under the target directory (a real disk, not a memory file system),
//! so that the syncs cost what they cost in production.

use std::time::{Duration, Instant};

use app::spool::{SpoolConfig, SqliteSpool, Synchronous};
use chrono::Utc;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use domain::ports::{EventSpool, NewEvent};

const TASKS: usize = 8;
const BATCH: usize = 100;

fn payload(n: usize) -> String {
    let payload = format!(
        r#"{{"type":"track","event":"Order Completed","userId":"user-{n:08}","anonymousId":"9f0b3c52-6d1e-4a7b-8c3d-2e5f6a7b8c9d","messageId":"msg-{n:016}","timestamp":"2024-05-01T12:34:56.789Z","receivedAt":"2024-05-01T12:34:57.001Z","context":{{"ip":"203.0.113.7","library":{{"name":"analytics.js","version":"4.1.0"}},"userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"}},"properties":{{"orderId":"order-{n:08}","total":129.95,"currency":"EUR","coupon":"SPRING","products":[{{"sku":"SKU-1","price":59.95,"quantity":1}},{{"sku":"SKU-2","price":70.0,"quantity":1}}]}}}}"#
    );
    debug_assert!(
        (550..700).contains(&payload.len()),
        "payload is {} bytes",
        payload.len()
    );
    payload
}

fn batch(task: usize, round: u64) -> Vec<NewEvent> {
    let received_at = Utc::now();
    (0..BATCH)
        .map(|n| NewEvent {
            received_at,
            payload: payload(task * 1_000_000 + (round as usize % 1000) * BATCH + n),
            only_subscription: None,
            only_destinations: None,
        })
        .collect()
}

fn append_throughput(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut group = c.benchmark_group("spool_append");
    group.throughput(Throughput::Elements((TASKS * BATCH) as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(10));

    for (name, synchronous) in [("full", Synchronous::Full), ("normal", Synchronous::Normal)] {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("bench directory");
        let config = SpoolConfig {
            synchronous,
            max_pending: u64::MAX,
            ..SpoolConfig::at(dir.path().join("spool.sqlite"))
        };
        let spool = SqliteSpool::open(config).expect("open spool");
        let id = BenchmarkId::new(format!("{TASKS}_tasks_x_{BATCH}_events"), format!("synchronous={name}"));
        group.bench_function(id, |bencher| {
            bencher.iter_custom(|iterations| {
                runtime.block_on(async {
                    let start = Instant::now();
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|task| {
                            let spool = spool.clone();
                            tokio::spawn(async move {
                                for round in 0..iterations {
                                    spool.append(batch(task, round)).await.expect("append");
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.expect("append task");
                    }
                    start.elapsed()
                })
            })
        });
        let stats = spool.writer_stats();
        eprintln!(
            "synchronous={name}: {} requests in {} transactions ({:.1} requests per commit)",
            stats.requests,
            stats.transactions,
            stats.requests as f64 / stats.transactions.max(1) as f64
        );
        runtime.block_on(spool.close());
    }
    group.finish();
}

criterion_group!(benches, append_throughput);
criterion_main!(benches);
