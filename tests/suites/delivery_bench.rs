//! The delivery benchmark, bounded for CI: 200 events in single mode and 20,000 in batch
//! mode, drained to a simulator at Attio's default limits (25 writes/s).

use std::time::Duration;

use segment_attio_acceptance::delivery_bench::{run, BenchOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_mode_uses_the_write_limit_without_429s() {
    let opts = BenchOptions {
        events: 200,
        batch_size: None,
        write_rate: 25,
        read_rate: 100,
        timeout: Duration::from_secs(90),
    };
    let r = run(&opts).await;
    println!("{r}");
    assert_eq!(r.delivered_users, opts.events);
    assert_eq!(r.dead_letters, 0);
    assert_eq!(r.rate_limited, 0, "no 429 in steady state");
    // Two writes per identify (the person, then the user), nothing else.
    assert!((r.writes_per_event - 2.0).abs() < 1e-9, "{r}");
    assert!(r.requests_per_event < 2.05, "{r}");
    // At the simulator, the limiter's bursts are typically full and one window apart
    // (robust to the few bursts a busy machine delays).
    let limit = opts.write_rate as usize;
    let pacing = r.pacing.as_ref().expect("enough writes to measure the pacing");
    if let Err(e) = pacing.nearly_reaches(limit, 0.95) {
        panic!("{e}\n{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_mode_sends_one_write_per_batch() {
    let batch = 1_000;
    let opts = BenchOptions {
        events: 20_000,
        batch_size: Some(batch),
        write_rate: 25,
        read_rate: 100,
        timeout: Duration::from_secs(120),
    };
    let r = run(&opts).await;
    println!("{r}");
    assert_eq!(r.delivered_users, opts.events);
    assert_eq!(r.dead_letters, 0);
    assert_eq!(r.rate_limited, 0, "no 429 in steady state");
    let full_batches = opts.events.div_ceil(batch) as f64;
    // Batches may leave partly filled when the flush interval passes first; allow a few.
    assert!(r.write_requests as f64 <= full_batches * 1.5, "{r}");
}
