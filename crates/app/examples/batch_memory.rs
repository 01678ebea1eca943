//! Peak heap use of building one Attio batch request of 10,000 identify events as
//! delivery builds it: each event prepared ([`prepare`]: one projected parse for the
//! router, routing, mapping and validation, the owned batch assertion of its unit), then
//! the request body written from the assertions. The event texts themselves (as read from
//! the spool) are allocated before the measurement starts and are not counted.
//!
//! Run: `cargo run --release -p segment-attio --example batch_memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use app::prepare::{prepare, Work};
use attio_adapter::wire::batch_assert_body;
use chrono::Utc;

#[path = "../benches/support/workload.rs"]
mod workload;

use workload::{identify_event, router};

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
    let router = router(true);
    let events: Vec<String> = (0..EVENTS).map(identify_event).collect();
    let input_bytes: usize = events.iter().map(String::len).sum();
    let now = Utc::now();

    let baseline = Counting::reset_peak();
    let mut assertions = Vec::with_capacity(events.len());
    let mut rejected = 0usize;
    for text in &events {
        let units = prepare(&router, text, None, now).map(|p| p.units).unwrap_or_default();
        let before = assertions.len();
        for unit in units {
            if let Work::Batch(a) = unit.prepped.work {
                assertions.push(a);
            }
        }
        if assertions.len() == before {
            rejected += 1;
        }
    }
    let built = assertions.len();
    let body = batch_assert_body(&assertions);
    drop(assertions);
    let peak = PEAK.load(Ordering::Relaxed) - baseline;

    println!("events in the batch:        {built} ({rejected} rejected)");
    println!("event text (not counted):   {input_bytes} bytes");
    println!("request body:               {} bytes", body.len());
    println!("peak heap while building:   {peak} bytes");
    println!("peak heap per event:        {} bytes", peak / EVENTS);
    assert_eq!(built, EVENTS, "every event of the workload is valid");
}
