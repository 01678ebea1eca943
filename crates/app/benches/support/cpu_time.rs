//! A criterion measurement of the CPU time of the benchmarking thread, so that a
//! throughput can be read per CPU-second of one core even on a machine shared with other
//! work (wall-clock time then also counts the time the thread waits for a core).

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::Throughput;

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`), in nanoseconds.
pub struct ThreadCpuTime;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "CLOCK_THREAD_CPUTIME_ID is available on Linux");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, started: u64) -> u64 {
        thread_cpu_ns().saturating_sub(started)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical_ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical_ns {
            t if t < 1e3 => (1.0, "ns cpu"),
            t if t < 1e6 => (1e-3, "µs cpu"),
            t if t < 1e9 => (1e-6, "ms cpu"),
            _ => (1e-9, "s cpu"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(&self, typical_ns: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let (per_iteration, unit) = match *throughput {
            Throughput::Elements(n) => (n as f64, "elem/cpu-s"),
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (n as f64, "B/cpu-s"),
        };
        let rate = |ns: f64| per_iteration * 1e9 / ns;
        let (denominator, prefix) = match rate(typical_ns) {
            r if r < 1e3 => (1.0, ""),
            r if r < 1e6 => (1e3, "K"),
            _ => (1e6, "M"),
        };
        values.iter_mut().for_each(|v| *v = rate(*v) / denominator);
        match (prefix, unit) {
            ("K", "elem/cpu-s") => "Kelem/cpu-s",
            ("M", "elem/cpu-s") => "Melem/cpu-s",
            ("K", _) => "KB/cpu-s",
            ("M", _) => "MB/cpu-s",
            (_, u) => u,
        }
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
