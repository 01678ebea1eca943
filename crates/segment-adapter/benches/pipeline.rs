//! The event pipeline's throughput: parse the event JSON, run the subscription, the
//! mapping and validation, build and serialize the Attio request body.
//!
//! Workload (the same as the reference's measurement): identify events as
//! analytics-node sends them, the identifyUser default mapping plus three attributes,
//! 10 batches of 1,000 events. Also single-event mode. Events are parsed as the service
//! parses them for one subscription: only the top-level keys it reads are built.
//!
//! Run: `cargo bench -p segment-attio-segment --bench pipeline`

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use domain::actions::ActionKind;
use domain::AttioCommand;
use segment_adapter::destination::ActionSubscription;
use segment_adapter::pipeline::Mode;
use serde_json::json;

const PLANS: [&str; 4] = ["free", "pro", "team", "enterprise"];
const FIRST: [&str; 6] = ["Ada", "Grace", "Alan", "Linus", "Barbara", "Ken"];
const LAST: [&str; 6] = ["Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson"];

/// An identify event as analytics-node sends it (after the server stamped it).
pub fn identify_event(i: usize) -> String {
    let first = FIRST[i % FIRST.len()];
    let last = LAST[(i / 7) % LAST.len()];
    json!({
        "type": "identify",
        "messageId": format!("node-next-1716544800000-{i:08x}-5f1c-4e2a-9b7d-3c0e8a1f2b4d"),
        "userId": format!("user-{i}"),
        "anonymousId": format!("anon-{:x}", i * 7919),
        "traits": {
            "email": format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase(), i),
            "name": format!("{first} {last}"),
            "plan": PLANS[i % PLANS.len()],
            "logins": i % 500,
            "company": {"name": "Acme", "domain": "acme.example"},
            "created_at": "2024-02-20T19:46:40.821Z"
        },
        "context": {
            "library": {"name": "@segment/analytics-node", "version": "3.1.0"},
            "ip": "203.0.113.7",
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
            "locale": "en-GB"
        },
        "integrations": {},
        "timestamp": "2024-05-24T10:00:00.000Z",
        "sentAt": "2024-05-24T10:00:00.100Z",
        "receivedAt": "2024-05-24T10:00:00.250Z",
        "originalTimestamp": "2024-05-24T10:00:00.000Z",
        "_metadata": {"nodeVersion": "20.11.1", "jsRuntime": "node"}
    })
    .to_string()
}

/// The identifyUser default mapping plus three attributes.
pub fn subscription(batching: bool) -> ActionSubscription {
    let mapping = json!({
        "enable_batching": batching,
        "user_attributes": {"name": {"@path": "$.traits.name"}, "plan": {"@path": "$.traits.plan"}},
        "person_attributes": {"name": {"@path": "$.traits.name"}}
    });
    ActionSubscription::with_default_mapping("bench", ActionKind::IdentifyUser, Some("type = \"identify\""), &mapping)
        .expect("valid subscription")
}

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

fn bench(c: &mut Criterion) {
    let events: Vec<String> = (0..10_000).map(identify_event).collect();
    let now = Utc::now();
    let mut group = c.benchmark_group("pipeline");
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

criterion_group!(benches, bench);
criterion_main!(benches);
