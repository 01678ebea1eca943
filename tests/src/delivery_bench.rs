//! Delivery efficiency: queue N identify events in a fresh spool (`segment-attio import`),
//! then let `segment-attio serve` drain them to a simulator that applies Attio's rate
//! limits, and measure requests per event, the write rate achieved against the limit,
//! 429s and the time to drain.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::pacing::{pacing, Pacing};
use crate::service::{identify, ServiceBuilder, SimulatorProcess};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub events: usize,
    /// `None`: single mode (the presets); `Some(n)`: batch mode with batches of n.
    pub batch_size: Option<usize>,
    /// The simulator's (and the service's) writes per second.
    pub write_rate: u32,
    pub read_rate: u32,
    /// Give up when draining takes longer.
    pub timeout: Duration,
}

/// What was measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub events: usize,
    pub mode: String,
    pub import_time: Duration,
    /// From the service's start until the spool is empty and Attio has applied everything.
    pub drain_time: Duration,
    pub attio_requests: u64,
    pub write_requests: u64,
    pub requests_per_event: f64,
    pub writes_per_event: f64,
    /// Writes per second between the first and the last write arrival.
    pub achieved_write_rate: f64,
    /// The same after the first `limit` writes (the limiter's initial burst), when there are more.
    pub steady_write_rate: Option<f64>,
    pub write_rate_limit: u32,
    /// The write arrivals' pacing, burst by burst (when there are more than `limit`).
    pub pacing: Option<Pacing>,
    pub rate_limited: u64,
    pub delivered_users: usize,
    pub dead_letters: u64,
}

impl BenchReport {
    /// The achieved write rate as a share of the limit (steady state when known).
    pub fn write_rate_share(&self) -> f64 {
        self.steady_write_rate.unwrap_or(self.achieved_write_rate) / f64::from(self.write_rate_limit.max(1))
    }
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} mode, {} events: import {:.1?}, drain {:.1?} ({:.1} events/s); {} Attio requests ({} writes): \
             {:.4} requests/event, {:.4} writes/event; write rate {:.2}/s overall, {} after the initial burst \
             = {:.1}% of the {}/s limit (typically {}); 429s {}; delivered users {}; dead letters {}",
            self.mode,
            self.events,
            self.import_time,
            self.drain_time,
            self.events as f64 / self.drain_time.as_secs_f64().max(1e-9),
            self.attio_requests,
            self.write_requests,
            self.requests_per_event,
            self.writes_per_event,
            self.achieved_write_rate,
            self.steady_write_rate
                .map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}/s")),
            100.0 * self.write_rate_share(),
            self.write_rate_limit,
            self.pacing
                .as_ref()
                .map_or_else(|| "n/a".to_owned(), |p| format!("{:.2}/s", p.typical_rate)),
            self.rate_limited,
            self.delivered_users,
            self.dead_letters
        )
    }
}

fn write_events(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("events file"));
    for i in 0..n {
        let e = identify(&format!("bench-{i}"), &format!("bench-{i}@example.com"));
        writeln!(f, "{e}").expect("events file written");
    }
    f.flush().expect("events file flushed");
}

fn batch_config(batch_size: usize) -> String {
    format!(
        "[[subscriptions]]\nname = \"Identify User (batched)\"\naction = \"identifyUser\"\n\
         subscribe = 'type = \"identify\"'\nuse_default_mapping = true\nenable_batching = true\n\
         batch_size = {batch_size}\n"
    )
}

fn sum_requests(stats: &Value, writes_only: bool) -> u64 {
    stats["requests"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter(|r| !writes_only || r["method"] != "GET")
                .filter_map(|r| r["count"].as_u64())
                .sum()
        })
        .unwrap_or(0)
}

/// Runs one measurement with real processes in a temporary directory.
pub async fn run(opts: &BenchOptions) -> BenchReport {
    let dir = tempfile::tempdir().expect("temp dir");
    let write_rate = opts.write_rate.to_string();
    let read_rate = opts.read_rate.to_string();
    let sim = SimulatorProcess::start_with(&["--write-rate", &write_rate, "--read-rate", &read_rate]).await;
    let events_file = dir.path().join("events.jsonl");
    write_events(&events_file, opts.events);
    // The service's own rates and backoffs, at its default flush interval.
    let mut builder = ServiceBuilder::new()
        .attio(&sim)
        .token("bench-token")
        .env("SEGMENT_ATTIO__ATTIO__WRITE_RATE", &write_rate)
        .env("SEGMENT_ATTIO__ATTIO__READ_RATE", &read_rate)
        .env("SEGMENT_ATTIO__DELIVERY__INITIAL_BACKOFF_MS", "500")
        .env("SEGMENT_ATTIO__DELIVERY__MAX_BACKOFF_SECS", "30")
        .unset_env("SEGMENT_ATTIO__DELIVERY__FLUSH_INTERVAL_MS")
        .unset_env("SEGMENT_ATTIO__SERVER__SHUTDOWN_GRACE_SECS");
    if let Some(n) = opts.batch_size {
        builder = builder.config(&batch_config(n));
    }

    let started = Instant::now();
    let events_arg = events_file.to_string_lossy();
    let out = builder.cli(&["import", &events_arg]);
    assert!(
        out.status.success(),
        "import failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let import_time = started.elapsed();

    let started = Instant::now();
    let service = builder.start().await;
    let stats = loop {
        let (pending, _) = service.spool_counts().await;
        let stats = sim.stats().await;
        if pending == 0 && stats["batch"]["pending"].as_u64() == Some(0) {
            break stats;
        }
        assert!(
            started.elapsed() < opts.timeout,
            "{pending} event(s) still pending after {:?}",
            opts.timeout
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let drain_time = started.elapsed();
    let (_, dead_letters) = service.spool_counts().await;
    drop(service);

    let arrivals: Vec<f64> = stats["write_arrivals_ms"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let span = match (arrivals.first(), arrivals.last()) {
        (Some(a), Some(b)) if b > a => (b - a) / 1000.0,
        _ => 0.0,
    };
    let achieved_write_rate = if span > 0.0 {
        (arrivals.len() - 1) as f64 / span
    } else {
        0.0
    };
    let burst = opts.write_rate as usize;
    let steady_write_rate = match (arrivals.get(burst), arrivals.last()) {
        (Some(a), Some(b)) if b > a && arrivals.len() > 2 * burst => {
            Some((arrivals.len() - 1 - burst) as f64 / ((b - a) / 1000.0))
        }
        _ => None,
    };
    let mut secs: Vec<f64> = arrivals.iter().map(|ms| ms / 1000.0).collect();
    secs.sort_by(f64::total_cmp);
    let pacing = (secs.len() > burst && burst > 0).then(|| pacing(&secs, burst));
    let attio_requests = sum_requests(&stats, false);
    let write_requests = sum_requests(&stats, true);
    BenchReport {
        events: opts.events,
        mode: match opts.batch_size {
            Some(n) => format!("batch (size {n})"),
            None => "single".to_owned(),
        },
        import_time,
        drain_time,
        attio_requests,
        write_requests,
        requests_per_event: attio_requests as f64 / opts.events.max(1) as f64,
        writes_per_event: write_requests as f64 / opts.events.max(1) as f64,
        achieved_write_rate,
        steady_write_rate,
        write_rate_limit: opts.write_rate,
        pacing,
        rate_limited: stats["rate_limited"].as_u64().unwrap_or(0),
        delivered_users: stats["records"]["users"].as_u64().unwrap_or(0) as usize,
        dead_letters,
    }
}
