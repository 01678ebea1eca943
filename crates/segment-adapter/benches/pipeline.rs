//! The event pipeline's throughput: parse the event JSON, run the subscription, the
//! mapping and validation, build and serialize the Attio request body.
//!
//! Workload (the same as the reference's measurement): identify events as
//! analytics-node sends them, the identifyUser default mapping plus three attributes,
//! 10 batches of 1,000 events. Also single-event mode. Events are parsed as the service
//! parses them for one subscription: only the top-level keys it reads are built.
//!
//! Two groups run the same work: `pipeline` measures wall-clock time, `pipeline_cpu` the
//! CPU time of the benchmarking thread (its throughput is per CPU-second of one core,
//! which stays meaningful when other work shares the machine).
//!
//! Run: `cargo bench -p segment-attio-segment --bench pipeline`

use std::hint::black_box;

use attio_adapter::wire::CommandWire;
use chrono::{DateTime, Utc};
use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use domain::AttioCommand;
use segment_adapter::destination::ActionSubscription;
use segment_adapter::pipeline::Mode;

/// The allocator of the service binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;

use support::cpu_time::ThreadCpuTime;
use support::workload::{identify_event, subscription};

fn batch_bodies(sub: &ActionSubscription, events: &[String], now: DateTime<Utc>, out: &mut String) -> usize {
    let mut bytes = 0;
    for chunk in events.chunks(1000) {
        let mut assertions = Vec::with_capacity(chunk.len());
        for text in chunk {
            let Ok(event) = sub.parse_event(text) else { continue };
            if !sub.matches(&event) {
                continue;
            }
            if let Ok(payload) = sub.payload(&event, Mode::Batch) {
                if let Ok(a) = payload.batch_assertion(now) {
                    assertions.push(a);
                }
            }
        }
        out.clear();
        AttioCommand::BatchAssert(assertions).write_body(out, None);
        bytes += out.len();
    }
    bytes
}

fn single_bodies(sub: &ActionSubscription, events: &[String], out: &mut String) -> usize {
    let mut bytes = 0;
    for text in events {
        let Ok(event) = sub.parse_event(text) else { continue };
        if !sub.matches(&event) {
            continue;
        }
        if let Ok(payload) = sub.payload(&event, Mode::Single) {
            for cmd in payload.single_plan().commands {
                out.clear();
                bytes += cmd.path_and_query().len();
                cmd.write_body(out, None);
                bytes += out.len();
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

    let batch = subscription(true);
    let mut out = String::with_capacity(1 << 20);
    group.bench_function("identify_batch_10x1000", |b| {
        b.iter(|| black_box(batch_bodies(&batch, black_box(&events), now, &mut out)))
    });

    let single = subscription(false);
    group.bench_function("identify_single_10000", |b| {
        b.iter(|| black_box(single_bodies(&single, black_box(&events), &mut out)))
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
