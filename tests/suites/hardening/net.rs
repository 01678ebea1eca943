//! The network side: connection limits and timeouts, memory bounded by a budget of
//! buffered request bytes, forwarded headers, the simulator's records, shutdown with stuck
//! connections, and gzip bodies of many members.
//!
//! The heavy attacks (thousands of connections) take [`HEAVY`] so that they do not run at
//! the same time; each prints its figures (run with `--nocapture` to see them).

#[path = "net/gzip.rs"]
mod gzip;
#[path = "net/limits.rs"]
mod limits;
#[path = "net/memory.rs"]
mod memory;
#[path = "net/proxies.rs"]
mod proxies;
#[path = "net/shutdown.rs"]
mod shutdown;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The write key of the keyed services.
const KEY: &str = "hardening-net-key";

/// Held by the tests that open thousands of connections.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Raises this test process's soft open-file limit to its hard limit and returns it.
#[allow(clippy::unnecessary_cast)] // `rlim_t` is not `u64` on every platform.
fn raise_own_open_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed by pointer.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < limit.rlim_max && limit.rlim_max != libc::RLIM_INFINITY {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
    }
    limit.rlim_cur as u64
}

/// A `/proc/PID/status` field in kB (`VmRSS`, `VmHWM`).
fn status_kb(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// The soft `Max open files` of a process.
fn soft_open_file_limit(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("/proc/PID/limits");
    text.lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        .expect("Max open files")
}

/// File descriptors a process has open.
fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// CPU time (user + system) a process has used.
fn cpu_time(pid: u32) -> Duration {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = &text[text.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

/// Connects and sends `bytes`.
async fn send_raw(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect to the service");
    stream.write_all(bytes).await.expect("send");
    stream
}

/// Reads until the peer closes the connection or `limit` passes. Returns how long the
/// connection stayed open (`None`: still open at `limit`) and what was read.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Option<Duration>, Vec<u8>) {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + limit;
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (Some(started.elapsed()), read),
            Ok(Ok(n)) => read.extend_from_slice(&buf[..n]),
            Err(_) => return (None, read),
        }
    }
}

/// Opens `count` connections that each send the start of a request and stop: what a
/// slowloris client holds open. `head` is the bytes each sends.
async fn stuck_connections(addr: SocketAddr, count: usize, head: &'static [u8]) -> Vec<TcpStream> {
    let mut all = Vec::with_capacity(count);
    for _ in (0..count).step_by(250) {
        let batch = (0..250.min(count - all.len())).map(|_| send_raw(addr, head));
        all.extend(futures_join_all(batch).await);
    }
    all
}

/// Awaits every future (a small `join_all`, to keep the dependencies as they are).
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

/// Sends one more byte of a header value on each connection, so that they are not idle.
async fn trickle(connections: &mut [TcpStream]) {
    for c in connections.iter_mut() {
        let _ = c.try_write(b"a");
    }
}

/// The status code of a raw HTTP answer (0 when there is none).
fn status_of(answer: &[u8]) -> u16 {
    std::str::from_utf8(answer)
        .ok()
        .and_then(|t| t.strip_prefix("HTTP/1.1 "))
        .and_then(|t| t.get(..3)?.parse().ok())
        .unwrap_or(0)
}

/// An HTTP client that opens a new connection for every request.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client")
}
