//! Delivery efficiency benchmark. Queues N identify events in a fresh spool, drains them
//! to a simulator applying Attio's limits and reports requests per event, the write rate
//! achieved against the limit, 429s and the time to drain.
//!
//! ```text
//! cargo run -p segment-attio-acceptance --release --example delivery-bench -- \
//!     --events 20000 --mode batch --batch-size 1000
//! cargo run -p segment-attio-acceptance --release --example delivery-bench -- --events 2000 --mode single
//! ```

use std::time::Duration;

use segment_attio_acceptance::delivery_bench::{run, BenchOptions};

fn usage() -> ! {
    eprintln!(
        "usage: delivery-bench [--events N] [--mode single|batch] [--batch-size N] [--write-rate N] [--read-rate N] [--timeout-secs N]"
    );
    std::process::exit(2)
}

fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> T {
    match value.as_deref().map(str::parse) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("{flag} needs a number");
            usage()
        }
    }
}

fn main() {
    let mut opts = BenchOptions {
        events: 20_000,
        batch_size: Some(1_000),
        write_rate: 25,
        read_rate: 100,
        timeout: Duration::from_secs(3 * 3600),
    };
    let mut batch_size = 1_000;
    let mut batch = true;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--events" => opts.events = number(&flag, args.next()),
            "--batch-size" => batch_size = number(&flag, args.next()),
            "--write-rate" => opts.write_rate = number(&flag, args.next()),
            "--read-rate" => opts.read_rate = number(&flag, args.next()),
            "--timeout-secs" => opts.timeout = Duration::from_secs(number(&flag, args.next())),
            "--mode" => match args.next().as_deref() {
                Some("single") => batch = false,
                Some("batch") => batch = true,
                _ => usage(),
            },
            _ => usage(),
        }
    }
    opts.batch_size = batch.then_some(batch_size);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime.block_on(run(&opts));
    println!("{report}");
}
