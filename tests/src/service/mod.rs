//! Real processes for the end-to-end suites: the `segment-attio serve` service and the
//! stand-alone Attio simulator (`segment-attio simulator`), each killed when dropped.
//!
//! Typical use:
//!
//! ```no_run
//! # async fn demo() {
//! use std::time::Duration;
//! use segment_attio_acceptance::service::{ServiceBuilder, SimulatorProcess};
//! use serde_json::json;
//!
//! // The service alone, delivering to its built-in simulator:
//! let service = ServiceBuilder::new().start().await;
//! service.post("/v1/identify", &json!({"userId": "u1", "traits": {"email": "a@x.io"}})).await;
//! let people = service
//!     .wait_for_records("people", Duration::from_secs(10), |r| r.len() == 1)
//!     .await;
//!
//! // Or with a separate simulator process, whose faults the test can steer:
//! let sim = SimulatorProcess::start().await;
//! let service = ServiceBuilder::new().attio(&sim).start().await;
//! sim.set_faults(&json!({"server_error_rate": 1.0})).await;
//! # }
//! ```
//!
//! Every service gets its own temporary data directory (the SQLite spool is at
//! `DIR/spool.sqlite`) unless one is given with [`ServiceBuilder::data_dir`], which is how
//! a test restarts a service on the same spool. The service logs JSON lines to
//! `DIR/service-N.log`; [`Service::logs`] reads them back. CLI commands that work on the
//! same spool and configuration run with [`Service::cli`] or [`ServiceBuilder::cli`].

use std::future::Future;
use std::net::TcpListener;
use std::time::{Duration, Instant};

mod builder;
mod data_dir;
mod lists_notes;
mod records;
mod running;
mod simulator;

pub use builder::ServiceBuilder;
pub use data_dir::DataDir;
pub use records::{find_records, first_value, identify, successful_writes, user_value};
pub use running::Service;
pub use simulator::SimulatorProcess;

/// How long a process may take to start listening.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// An HTTP client for loopback tests (no proxy from the environment).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client")
}

/// A free loopback port (bound, then released: another process could take it in between,
/// which on loopback in a test run is unlikely).
pub fn free_port() -> u16 {
    // The port is free when asked, and bound later by a child process: two tests running
    // at once could be given the same port by the kernel in between. Within one test
    // binary, a port is handed out once.
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        if GIVEN.lock().unwrap_or_else(|p| p.into_inner()).insert(port) {
            return port;
        }
    }
}

/// Polls `probe` every 50 ms until it returns `Some`, or panics after `timeout` with
/// `what` and the last `Err` observation.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(last) => {
                if Instant::now() >= deadline {
                    panic!("timed out after {timeout:?} waiting for {what}; last observation: {last}");
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
