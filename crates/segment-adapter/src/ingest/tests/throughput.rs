use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::support::{keyed_config, Server, KEY};

/// `cargo test --release -p segment-attio-segment --lib throughput -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run in release"]
async fn batch_throughput_with_100_events_per_request() {
    let server = Server::start(keyed_config()).await;
    let batch: Vec<Value> = (0..100)
        .map(|i| {
            json!({"type": "track", "userId": format!("user-{i}"), "event": "Order Completed",
                   "messageId": format!("node-next-1714557600000-{i:08}"), "timestamp": "2024-05-01T12:00:00.000Z",
                   "properties": {"revenue": 42.5, "currency": "EUR", "sku": "A-1"},
                   "context": {"library": {"name": "@segment/analytics-node", "version": "3.1.0"}},
                   "integrations": {}, "_metadata": {"jsRuntime": "node"}})
        })
        .collect();
    let body = json!({"batch": batch, "writeKey": KEY, "sentAt": "2024-05-01T12:00:01.000Z"}).to_string();
    let requests = 2000usize;
    let concurrency = 8usize;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, url, body) = (server.client.clone(), format!("{}/v1/batch", server.base), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for _ in (worker..requests).step_by(concurrency) {
                let t = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("answer");
                assert_eq!(response.status().as_u16(), 200);
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("worker"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    let rate = (requests * 100) as f64 / elapsed.as_secs_f64();
    println!("{rate:.0} events/s, p99 {p99:?} (client and server on the same 2 workers)");
    assert_eq!(server.spool.events().len(), requests * 100);
}
