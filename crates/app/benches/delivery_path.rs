//! The service's delivery path, measured in CPU time of the whole process (every thread:
//! the spool's writer thread included): read events from the SQLite spool in chunks of
//! 1,000 as the delivery loop does, prepare each one ([`app::prepare`]: one projected
//! parse, routing, mapping, the owned request work), build the Attio request body, and
//! acknowledge the events in the spool. Attio itself is not involved (the drain figure of
//! `tools/bench/drain.sh` adds HTTP and the delivery loop).
//!
//! Workload: identify events as analytics-node sends them (the events of
//! `tools/bench/perf_inputs.py`), the identifyUser default mapping plus three attributes;
//! batch mode (1,000 per request) and single mode (each event's two requests).
//!
//! `cargo bench -p segment-attio --bench delivery_path`

use std::time::Duration;

use app::prepare::{prepare, Work};
use app::routing::Router;
use app::spool::{SpoolConfig, SqliteSpool};
use attio_adapter::wire::CommandWire;
use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use domain::actions::ActionKind;
use domain::ports::{EventSpool, NewEvent};
use domain::record::AttioCommand;
use segment_adapter::destination::ActionSubscription;
use segment_adapter::integrations::IntegrationsFilter;

use serde_json::json;

/// The allocator of the service binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENTS: usize = 10_000;
const CHUNK: usize = 1_000;

fn event(i: usize) -> String {
    let plans = ["free", "pro", "team", "enterprise"];
    json!({
        "type": "identify", "userId": format!("user-{i}"), "anonymousId": format!("anon-{}", i * 7919),
        "messageId": format!("node-{i}-{:x}", i * 104_729),
        "timestamp": "2026-11-28T10:00:00.000Z", "receivedAt": "2026-11-28T10:00:01.000Z",
        "traits": {"email": format!("user{i}@example.com"), "name": format!("User Number {i}"),
                   "plan": plans[i % 4], "description": "x".repeat(10 + i % 70),
                   "createdAt": "2025-01-01T00:00:00.000Z", "logins": i % 1000},
        "context": {"library": {"name": "@segment/analytics-node", "version": "3.1.0"}},
        "integrations": {}, "_metadata": {"nodeVersion": "20.20.2", "jsRuntime": "node"}
    })
    .to_string()
}

fn router(batching: bool) -> Router {
    let mapping = json!({
        "enable_batching": batching,
        "user_attributes": {"plan": {"@path": "$.traits.plan"}, "name": {"@path": "$.traits.name"}},
        "person_attributes": {"description": {"@path": "$.traits.description"}}
    });
    let sub = ActionSubscription::with_default_mapping(
        "identify",
        ActionKind::IdentifyUser,
        Some("type = \"identify\""),
        &mapping,
    )
    .expect("valid subscription");
    Router::new(IntegrationsFilter::default(), vec![sub], vec![None])
}

/// CPU time (user + system) of the whole process so far.
fn process_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Reads everything waiting, prepares it, builds the requests and acknowledges it.
/// Returns the bytes of request bodies built.
async fn drain(spool: &SqliteSpool, router: &Router, out: &mut String) -> usize {
    let mut cursor = 0;
    let mut bytes = 0;
    let now = Utc::now();
    loop {
        let events = spool.read_after(cursor, CHUNK).await.expect("read");
        if events.is_empty() {
            return bytes;
        }
        let mut ids = Vec::with_capacity(events.len());
        let mut assertions = Vec::with_capacity(events.len());
        for ev in &events {
            cursor = cursor.max(ev.id);
            ids.push(ev.id);
            let Ok(prepared) = prepare(router, &ev.payload, ev.only_subscription.as_deref(), now) else {
                continue;
            };
            for unit in prepared.units {
                match unit.prepped.work {
                    Work::Batch(a) => assertions.push(a),
                    Work::Single(plan) => {
                        for cmd in &plan.commands {
                            out.clear();
                            bytes += cmd.path_and_query().len();
                            cmd.write_body(out, None);
                            bytes += out.len();
                        }
                    }
                }
            }
        }
        if !assertions.is_empty() {
            out.clear();
            AttioCommand::BatchAssert(assertions).write_body(out, None);
            bytes += out.len();
        }
        spool.ack(ids).await.expect("ack");
    }
}

fn delivery_path(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let texts: Vec<String> = (0..EVENTS).map(event).collect();
    let mut group = c.benchmark_group("delivery_path_process_cpu");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    for (name, batching) in [("identify_batch_1000", true), ("identify_single", false)] {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("bench directory");
        let config = SpoolConfig {
            max_pending: u64::MAX,
            ..SpoolConfig::at(dir.path().join("spool.sqlite"))
        };
        let spool = SqliteSpool::open(config).expect("open spool");
        let router = router(batching);
        let mut out = String::with_capacity(1 << 20);
        group.bench_function(name, |bencher| {
            bencher.iter_custom(|iterations| {
                runtime.block_on(async {
                    let mut spent = Duration::ZERO;
                    for _ in 0..iterations {
                        // Filling the spool is not measured.
                        let now = Utc::now();
                        for chunk in texts.chunks(CHUNK) {
                            let batch = chunk
                                .iter()
                                .map(|t| NewEvent {
                                    received_at: now,
                                    payload: t.clone(),
                                    only_subscription: None,
                                    only_destinations: None,
                                })
                                .collect();
                            spool.append(batch).await.expect("append");
                        }
                        let start = process_cpu();
                        std::hint::black_box(drain(&spool, &router, &mut out).await);
                        spent += process_cpu() - start;
                    }
                    spent
                })
            })
        });
        runtime.block_on(spool.close());
    }
    group.finish();
}

criterion_group!(benches, delivery_path);
criterion_main!(benches);
