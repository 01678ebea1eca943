//! The event pipeline's throughput: [`prepare`], the function delivery runs on each event
//! (one projected parse of the event JSON for the router and its subscriptions, the
//! integrations object, the subscription's FQL, the mapping and validation, the owned
//! single-mode plan or batch assertion), then the Attio request bodies written as the
//! service writes them.
//!
//! Workload (the same as the reference's measurement): identify events as
//! analytics-node sends them, the identifyUser default mapping plus three attributes,
//! 10 batches of 1,000 events. Also single-event mode (both requests of each event).
//!
//! Two groups run the same work: `pipeline` measures wall-clock time, `pipeline_cpu` the
//! CPU time of the benchmarking thread (its throughput is per CPU-second of one core,
//! which stays meaningful when other work shares the machine).
//!
//! Run: `cargo bench -p segment-attio --bench pipeline`

use std::hint::black_box;

use app::prepare::{prepare, Work};
use app::routing::Router;
use attio_adapter::wire::{batch_assert_body, simple_assert_body, simple_assert_path};
use chrono::{DateTime, Utc};
use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use domain::AttioCommand;

/// The allocator of the service binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;

use support::cpu_time::ThreadCpuTime;
use support::workload::{identify_event, router};

/// Batch mode: each chunk of 1,000 events prepared, its assertions in one batch body.
fn batch_bodies(router: &Router, events: &[String], now: DateTime<Utc>) -> usize {
    let mut bytes = 0;
    for chunk in events.chunks(1000) {
        let mut assertions = Vec::with_capacity(chunk.len());
        for text in chunk {
            let Ok(prepared) = prepare(router, text, None, now) else {
                continue;
            };
            for unit in prepared.units {
                if let Work::Batch(a) = unit.prepped.work {
                    assertions.push(a);
                }
            }
        }
        bytes += batch_assert_body(&assertions).len();
    }
    bytes
}

/// Single mode: each event prepared, each request of its plan written as the gateway
/// writes it (path and body).
fn single_bodies(router: &Router, events: &[String], now: DateTime<Utc>) -> usize {
    let mut bytes = 0;
    for text in events {
        let Ok(prepared) = prepare(router, text, None, now) else {
            continue;
        };
        for unit in prepared.units {
            if let Work::Single(plan) = unit.prepped.work {
                for cmd in &plan.commands {
                    bytes += match cmd {
                        AttioCommand::SimpleAssert(a) => {
                            simple_assert_path(a).len() + simple_assert_body(a, None).len()
                        }
                        AttioCommand::BatchAssert(list) => batch_assert_body(list).len(),
                    };
                }
            }
        }
    }
    bytes
}

fn run<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let events: Vec<String> = (0..10_000).map(identify_event).collect();
    let now = Utc::now();
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(20);

    let batch = router(true);
    group.bench_function("identify_batch_10x1000", |b| {
        b.iter(|| black_box(batch_bodies(&batch, black_box(&events), now)))
    });

    let single = router(false);
    group.bench_function("identify_single_10000", |b| {
        b.iter(|| black_box(single_bodies(&single, black_box(&events), now)))
    });
    group.finish();
}

/// Wall-clock time.
fn wall(c: &mut Criterion) {
    run(c, "pipeline");
}

/// CPU time of the benchmarking thread: events per CPU-second of one core.
fn cpu(c: &mut Criterion<ThreadCpuTime>) {
    run(c, "pipeline_cpu");
}

criterion_group!(wall_clock, wall);
criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = cpu
}
criterion_main!(wall_clock, cpu_time);
