//! Peak heap use of building one Attio batch request of 10,000 identify events: parsing
//! each event for the subscription, mapping and validating it, building the batch
//! assertions and serializing the request body. The event texts themselves (as read from
//! the spool) are allocated before the measurement starts and are not counted.
//!
//! Run: `cargo run --release -p segment-attio-segment --example batch_memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use attio_adapter::wire::CommandWire;
use chrono::Utc;
use domain::AttioCommand;
use segment_adapter::pipeline::Mode;

#[path = "../benches/support/workload.rs"]
mod workload;

use workload::{identify_event, subscription};

const EVENTS: usize = 10_000;

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    fn add(n: usize) {
        let now = IN_USE.fetch_add(n, Ordering::Relaxed) + n;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }

    fn sub(n: usize) {
        IN_USE.fetch_sub(n, Ordering::Relaxed);
    }

    /// Starts a new measurement: the peak is reset to what is in use now.
    fn reset_peak() -> usize {
        let now = IN_USE.load(Ordering::Relaxed);
        PEAK.store(now, Ordering::Relaxed);
        now
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Counting::add(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            Counting::add(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        Counting::sub(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as the new block added before the old one is released (the worst case
            // of a moving realloc).
            Counting::add(new_size);
            Counting::sub(layout.size());
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    let sub = subscription(true);
    let events: Vec<String> = (0..EVENTS).map(identify_event).collect();
    let input_bytes: usize = events.iter().map(String::len).sum();
    let now = Utc::now();

    let baseline = Counting::reset_peak();
    let mut assertions = Vec::with_capacity(events.len());
    let mut rejected = 0usize;
    for text in &events {
        let accepted = sub
            .parse_event(text)
            .ok()
            .filter(|event| sub.matches(event))
            .and_then(|event| sub.payload(&event, Mode::Batch).ok())
            .and_then(|payload| payload.batch_assertion(now).ok());
        match accepted {
            Some(a) => assertions.push(a),
            None => rejected += 1,
        }
    }
    let built = assertions.len();
    let body = AttioCommand::BatchAssert(assertions).body(None);
    let peak = PEAK.load(Ordering::Relaxed) - baseline;

    println!("events in the batch:        {built} ({rejected} rejected)");
    println!("event text (not counted):   {input_bytes} bytes");
    println!("request body:               {} bytes", body.len());
    println!("peak heap while building:   {peak} bytes");
    println!("peak heap per event:        {} bytes", peak / EVENTS);
    assert_eq!(built, EVENTS, "every event of the workload is valid");
}
