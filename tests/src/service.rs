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
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::binary;

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
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
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

/// A data directory: a temporary one (deleted on drop) or a path the test owns.
#[derive(Clone)]
pub struct DataDir {
    path: PathBuf,
    _temp: Option<Arc<tempfile::TempDir>>,
}

impl DataDir {
    /// A new temporary directory.
    pub fn temp() -> DataDir {
        let dir = tempfile::Builder::new()
            .prefix("segment-attio-e2e-")
            .tempdir()
            .expect("a temporary directory");
        DataDir {
            path: dir.path().to_path_buf(),
            _temp: Some(Arc::new(dir)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The spool database file.
    pub fn spool(&self) -> PathBuf {
        self.path.join("spool.sqlite")
    }
}

/// How to start a service. Environment variables are `SEGMENT_ATTIO__SECTION__KEY`
/// overrides; the configuration file, when given, is written to the data directory.
#[derive(Clone)]
pub struct ServiceBuilder {
    env: Vec<(String, String)>,
    config: Option<String>,
    data_dir: Option<DataDir>,
}

impl Default for ServiceBuilder {
    fn default() -> Self {
        Self::new()
    }
}

static STARTS: AtomicUsize = AtomicUsize::new(0);

impl ServiceBuilder {
    /// Defaults tuned for tests: a 50 ms batch flush interval and 50 ms initial backoff.
    pub fn new() -> Self {
        ServiceBuilder {
            env: vec![
                ("SEGMENT_ATTIO__DELIVERY__FLUSH_INTERVAL_MS".into(), "50".into()),
                ("SEGMENT_ATTIO__DELIVERY__INITIAL_BACKOFF_MS".into(), "50".into()),
                ("SEGMENT_ATTIO__DELIVERY__MAX_BACKOFF_SECS".into(), "1".into()),
                ("SEGMENT_ATTIO__SERVER__SHUTDOWN_GRACE_SECS".into(), "2".into()),
            ],
            config: None,
            data_dir: None,
        }
    }

    /// Sets (or replaces) an environment variable, e.g.
    /// `env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", "k1,k2")`.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The configuration file's TOML text.
    pub fn config(mut self, toml: &str) -> Self {
        self.config = Some(toml.to_owned());
        self
    }

    /// Deliver to a stand-alone simulator process (sets base URL and token).
    pub fn attio(self, sim: &SimulatorProcess) -> Self {
        self.attio_url(&sim.base_url)
    }

    /// Deliver to `base_url` with a token (the URL need not be listening yet).
    pub fn attio_url(self, base_url: &str) -> Self {
        self.env("SEGMENT_ATTIO__ATTIO__BASE_URL", base_url)
            .env("SEGMENT_ATTIO__ATTIO__TOKEN", "e2e-token")
    }

    /// Use this data directory (e.g. another service's, to restart on its spool).
    pub fn data_dir(mut self, dir: &DataDir) -> Self {
        self.data_dir = Some(dir.clone());
        self
    }

    fn resolved_dir(&mut self) -> DataDir {
        self.data_dir.get_or_insert_with(DataDir::temp).clone()
    }

    fn config_path(&mut self) -> Option<PathBuf> {
        let dir = self.resolved_dir();
        self.config.as_ref().map(|text| {
            let path = dir.path().join("config.toml");
            std::fs::write(&path, text).expect("write the configuration file");
            path
        })
    }

    /// A `segment-attio` command with this builder's configuration, environment and spool.
    pub fn command(&mut self, args: &[&str]) -> Command {
        let dir = self.resolved_dir();
        let config = self.config_path();
        let mut cmd = Command::new(binary::path());
        if let Some(path) = config {
            cmd.arg("--config").arg(path);
        }
        cmd.args(args);
        cmd.env_remove("SEGMENT_ATTIO_CONFIG")
            .env_remove("SEGMENT_ATTIO_LOG")
            .env("NO_COLOR", "1")
            .env("SEGMENT_ATTIO__SPOOL__PATH", dir.spool());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a CLI command (`dead-letters list --json`, `import FILE`, `check-config`, ...)
    /// to completion.
    pub fn cli(&mut self, args: &[&str]) -> Output {
        self.command(args).output().expect("segment-attio runs")
    }

    /// Starts `serve` on an ephemeral port and waits until it listens and `/healthz`
    /// answers. Panics with the log when it does not start.
    pub async fn start(mut self) -> Service {
        let dir = self.resolved_dir();
        let n = STARTS.fetch_add(1, Ordering::Relaxed);
        let log_path = dir.path().join(format!("service-{n}.log"));
        let log = std::fs::File::create(&log_path).expect("create the log file");
        let mut cmd = self.command(&["serve", "--listen", "127.0.0.1:0"]);
        cmd.env("SEGMENT_ATTIO__LOG__FORMAT", "json")
            .env("SEGMENT_ATTIO__LOG__LEVEL", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let child = cmd.spawn().expect("spawn segment-attio serve");
        let mut service = Service {
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_url: String::new(),
            log_path,
            builder: self,
            dir,
            client: http_client(),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(addr) = service.listening_addr() {
                service.addr = addr;
                service.base_url = format!("http://{addr}");
                break;
            }
            if let Some(status) = service.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!(
                    "segment-attio serve exited with {status} before listening:\n{}",
                    service.logs()
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "segment-attio serve did not listen within {START_TIMEOUT:?}:\n{}",
                    service.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let client = service.client.clone();
        let url = service.url("/healthz");
        eventually("/healthz to answer 200", START_TIMEOUT, || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                match client.get(&url).send().await {
                    Ok(r) if r.status() == 200 => Ok(()),
                    Ok(r) => Err(format!("status {}", r.status())),
                    Err(e) => Err(e.to_string()),
                }
            }
        })
        .await;
        service
    }
}

/// A running `segment-attio serve` process, killed (SIGKILL) when dropped.
pub struct Service {
    child: Option<Child>,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    log_path: PathBuf,
    builder: ServiceBuilder,
    dir: DataDir,
    pub client: reqwest::Client,
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Service {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    /// The builder this service was started with, to restart it (same data directory,
    /// configuration and environment) or to change them first.
    pub fn builder(&self) -> ServiceBuilder {
        self.builder.clone()
    }

    /// Runs a CLI command on this service's spool and configuration.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.builder.clone().cli(args)
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The service's log so far (JSON lines).
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The log lines as JSON values (lines that are not JSON are skipped).
    pub fn log_entries(&self) -> Vec<Value> {
        self.logs()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn listening_addr(&self) -> Option<SocketAddr> {
        self.log_entries().iter().find_map(|e| {
            let fields = e.get("fields")?;
            if fields.get("message")?.as_str()? != "listening" {
                return None;
            }
            fields.get("addr")?.as_str()?.parse().ok()
        })
    }

    /// POSTs a JSON body without a write key.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST reaches the service")
    }

    /// POSTs a JSON body with the write key as HTTP Basic's username.
    pub async fn post_with_key(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .basic_auth(key, Some(""))
            .json(body)
            .send()
            .await
            .expect("POST reaches the service")
    }

    /// GET `path` and its JSON body.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("GET reaches the service");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// GET `path` and its text body.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("GET reaches the service");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    /// The built-in simulator's records of `object` (services started without a token).
    pub async fn records(&self, object: &str) -> Result<Vec<Value>, String> {
        fetch_records(&self.client, &self.url(&format!("/_simulator/records/{object}"))).await
    }

    /// Polls the built-in simulator's records until `done` holds (or panics after
    /// `timeout` with the last records and the service log).
    pub async fn wait_for_records(
        &self,
        object: &str,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let url = self.url(&format!("/_simulator/records/{object}"));
        wait_records(&self.client, &url, object, timeout, done, || self.logs()).await
    }

    /// `/readyz`'s `spool` object: `{"pending", "dead_letters"}`.
    pub async fn spool_stats(&self) -> Value {
        self.get_json("/readyz")
            .await
            .1
            .get("spool")
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// Waits until the spool holds no pending event.
    pub async fn wait_until_drained(&self, timeout: Duration) {
        eventually("the spool to drain", timeout, || async move {
            let stats = self.spool_stats().await;
            match stats.get("pending").and_then(Value::as_u64) {
                Some(0) => Ok(()),
                _ => Err(stats.to_string()),
            }
        })
        .await;
    }

    /// The dead letters, as `dead-letters list --json` prints them.
    pub fn dead_letters(&self) -> Vec<Value> {
        let out = self.cli(&["dead-letters", "list", "--json"]);
        assert!(
            out.status.success(),
            "dead-letters list failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        match serde_json::from_slice(&out.stdout) {
            Ok(Value::Array(a)) => a,
            other => panic!("dead-letters list --json printed {other:?}"),
        }
    }

    /// Asks the service to stop (SIGTERM) and waits up to `timeout` for it to exit.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                self.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process at once (SIGKILL): a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn fetch_records(client: &reqwest::Client, url: &str) -> Result<Vec<Value>, String> {
    let r = client.get(url).send().await.map_err(|e| e.to_string())?;
    let status = r.status();
    let body: Value = r.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {body}"));
    }
    // The service's built-in endpoint answers an array; the simulator `{"data": [...]}`.
    match body {
        Value::Array(a) => Ok(a),
        Value::Object(mut o) => match o.remove("data") {
            Some(Value::Array(a)) => Ok(a),
            other => Err(format!("no data array: {other:?}")),
        },
        other => Err(format!("unexpected records body {other}")),
    }
}

async fn wait_records(
    client: &reqwest::Client,
    url: &str,
    object: &str,
    timeout: Duration,
    done: impl Fn(&[Value]) -> bool,
    logs: impl Fn() -> String,
) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let last = fetch_records(client, url).await;
        if let Ok(records) = &last {
            if done(records) {
                return records.clone();
            }
        }
        if Instant::now() >= deadline {
            panic!(
                "timed out after {timeout:?} waiting for {object} records; last: {}\nservice log:\n{}",
                match &last {
                    Ok(r) => serde_json::to_string_pretty(r).unwrap_or_default(),
                    Err(e) => e.clone(),
                },
                logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A stand-alone `segment-attio simulator` process, killed when dropped.
pub struct SimulatorProcess {
    child: Option<Child>,
    pub port: u16,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    client: reqwest::Client,
}

impl Drop for SimulatorProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

impl SimulatorProcess {
    /// A simulator without rate limits on a free port.
    pub async fn start() -> SimulatorProcess {
        Self::start_on(free_port(), &["--write-rate", "0", "--read-rate", "0"]).await
    }

    /// A simulator on `port` (e.g. the port of one that was killed) with extra arguments.
    pub async fn start_on(port: u16, args: &[&str]) -> SimulatorProcess {
        let child = Command::new(binary::path())
            .args(["simulator", "--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn segment-attio simulator");
        let sim = SimulatorProcess {
            child: Some(child),
            port,
            base_url: format!("http://127.0.0.1:{port}"),
            client: http_client(),
        };
        let url = sim.url("/_simulator/stats");
        let (client, url) = (&sim.client, &url);
        eventually("the simulator to answer", START_TIMEOUT, || async move {
            match client.get(url).send().await {
                Ok(r) if r.status() == 200 => Ok(()),
                Ok(r) => Err(format!("status {}", r.status())),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
        sim
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Replaces the injected faults (`{"server_error_rate": 1.0}`, `{"burst_429":
    /// {"count": 3, "retry_after_secs": 1}}`, `{}` for none).
    pub async fn set_faults(&self, faults: &Value) {
        let r = self
            .client
            .post(self.url("/_simulator/faults"))
            .json(faults)
            .send()
            .await
            .expect("POST /_simulator/faults");
        assert_eq!(r.status(), 200, "setting faults {faults}: {:?}", r.text().await);
    }

    /// `/_simulator/stats`.
    pub async fn stats(&self) -> Value {
        let r = self
            .client
            .get(self.url("/_simulator/stats"))
            .send()
            .await
            .expect("stats");
        r.json().await.expect("stats JSON")
    }

    pub async fn records(&self, object: &str) -> Result<Vec<Value>, String> {
        fetch_records(&self.client, &self.url(&format!("/_simulator/records/{object}"))).await
    }

    /// Polls the records of `object` until `done` holds, or panics after `timeout`.
    pub async fn wait_for_records(
        &self,
        object: &str,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let url = self.url(&format!("/_simulator/records/{object}"));
        wait_records(&self.client, &url, object, timeout, done, String::new).await
    }

    /// Kills the process (its records are lost).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The first value of attribute `slug` of a simulator record, as Attio renders it
/// (`values.SLUG[0]`).
pub fn first_value<'a>(record: &'a Value, slug: &str) -> Option<&'a Value> {
    record.get("values")?.get(slug)?.get(0)
}

/// The records whose attribute `slug` has a value whose field `field` equals `expected`
/// (e.g. `("email_addresses", "email_address", "a@x.io")`).
pub fn find_records<'a>(records: &'a [Value], slug: &str, field: &str, expected: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| {
            r.get("values")
                .and_then(|v| v.get(slug))
                .and_then(Value::as_array)
                .is_some_and(|vals| {
                    vals.iter()
                        .any(|v| v.get(field).and_then(Value::as_str) == Some(expected))
                })
        })
        .collect()
}
