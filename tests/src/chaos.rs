//! Real processes for the fault suites: a `segment-attio simulator` and a
//! `segment-attio serve` pointed at it, each with its output captured in a file, killed
//! when dropped. Plus the few HTTP calls the suites make to them.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A free loopback port (bound, then released for the process to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A child process whose stdout and stderr go to `log`; killed (SIGKILL) when dropped.
pub struct Proc {
    child: Child,
    pub log: PathBuf,
}

impl Proc {
    /// Starts `binary args…` with `env`, output appended to `log`.
    pub fn spawn(binary: &Path, args: &[String], env: &[(String, String)], log: &Path) -> Proc {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file opens");
        let err = out.try_clone().expect("log file clones");
        let mut cmd = Command::new(binary);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        // A stray setting in the environment of the test run must not change the service.
        for (k, _) in std::env::vars() {
            if k.starts_with("SEGMENT_ATTIO") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("the process starts");
        Proc {
            child,
            log: log.to_path_buf(),
        }
    }

    /// SIGKILL (no chance to clean up), then reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit.
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process wrote so far.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP client for the suites, with a short timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

/// Polls `url` until it answers (any status) or `timeout` passes.
pub async fn wait_until_up(url: &str, timeout: Duration, proc: &Proc) {
    let http = client();
    let end = Instant::now() + timeout;
    loop {
        if http.get(url).send().await.is_ok() {
            return;
        }
        assert!(
            Instant::now() < end,
            "{url} did not come up within {timeout:?}; output:\n{}",
            proc.output()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A `segment-attio simulator` process.
pub struct SimProcess {
    pub proc: Proc,
    pub url: String,
}

impl SimProcess {
    /// Starts the simulator with `extra` arguments (e.g. `--write-rate 0`), output in `dir/simulator.log`.
    pub async fn start(dir: &Path, extra: &[&str]) -> SimProcess {
        let port = free_port();
        let mut args = vec![
            "simulator".to_owned(),
            "--listen".to_owned(),
            format!("127.0.0.1:{port}"),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let proc = Proc::spawn(&crate::binary::path(), &args, &[], &dir.join("simulator.log"));
        let url = format!("http://127.0.0.1:{port}");
        wait_until_up(&format!("{url}/_simulator/stats"), Duration::from_secs(20), &proc).await;
        SimProcess { proc, url }
    }

    pub async fn stats(&self) -> Value {
        get_json(&format!("{}/_simulator/stats", self.url)).await
    }

    /// The records of `object` as the simulator holds them.
    pub async fn records(&self, object: &str) -> Vec<Value> {
        let v = get_json(&format!("{}/_simulator/records/{object}", self.url)).await;
        v.get("data").and_then(Value::as_array).cloned().unwrap_or_default()
    }

    pub async fn set_faults(&self, faults: Value) {
        let r = client()
            .post(format!("{}/_simulator/faults", self.url))
            .json(&faults)
            .send()
            .await
            .expect("simulator answers");
        assert!(
            r.status().is_success(),
            "faults refused: {}",
            r.text().await.unwrap_or_default()
        );
    }
}

/// `GET url` as JSON.
pub async fn get_json(url: &str) -> Value {
    let r = client().get(url).send().await.expect("answers");
    r.json().await.expect("JSON reply")
}

/// How to run `segment-attio serve`.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub data_dir: PathBuf,
    pub port: u16,
    pub env: Vec<(String, String)>,
    pub config: Option<PathBuf>,
}

impl ServiceSpec {
    /// The service on a fresh port delivering to `attio_url` with `token`, with client
    /// rate limits out of the way and short retry backoffs.
    pub fn new(data_dir: &Path, attio_url: &str, token: &str) -> ServiceSpec {
        ServiceSpec {
            data_dir: data_dir.to_path_buf(),
            port: free_port(),
            env: vec![
                ("SEGMENT_ATTIO__ATTIO__BASE_URL".into(), attio_url.into()),
                ("SEGMENT_ATTIO__ATTIO__TOKEN".into(), token.into()),
                ("SEGMENT_ATTIO__ATTIO__WRITE_RATE".into(), "100000".into()),
                ("SEGMENT_ATTIO__ATTIO__READ_RATE".into(), "100000".into()),
                ("SEGMENT_ATTIO__DELIVERY__INITIAL_BACKOFF_MS".into(), "50".into()),
                ("SEGMENT_ATTIO__DELIVERY__MAX_BACKOFF_SECS".into(), "1".into()),
            ],
            config: None,
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the service (output appended to `log_name` in the data directory's parent)
    /// and waits for `/healthz`.
    pub async fn start(&self, log: &Path) -> Proc {
        let mut args = vec![
            "serve".to_owned(),
            "--listen".to_owned(),
            format!("127.0.0.1:{}", self.port),
            "--data-dir".to_owned(),
            self.data_dir.display().to_string(),
        ];
        if let Some(c) = &self.config {
            args.insert(0, c.display().to_string());
            args.insert(0, "--config".to_owned());
        }
        let proc = Proc::spawn(&crate::binary::path(), &args, &self.env, log);
        wait_until_up(&format!("{}/healthz", self.url()), Duration::from_secs(20), &proc).await;
        proc
    }
}

/// `GET /readyz` of a service: (HTTP status, body).
pub async fn readyz(service_url: &str) -> (u16, Value) {
    let r = client()
        .get(format!("{service_url}/readyz"))
        .send()
        .await
        .expect("service answers");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Spool counters from `/readyz`: (pending, dead letters).
pub async fn spool_counts(service_url: &str) -> (u64, u64) {
    let (_, body) = readyz(service_url).await;
    let n = |k: &str| {
        body.pointer(&format!("/spool/{k}"))
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX)
    };
    (n("pending"), n("dead_letters"))
}

/// Waits until the service's spool has nothing pending; returns how long that took.
pub async fn wait_drained(service_url: &str, timeout: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (pending, _) = spool_counts(service_url).await;
        if pending == 0 {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < timeout,
            "still {pending} event(s) pending after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An identify event for the presets: `userId` and `traits.email`.
pub fn identify(user_id: &str, email: &str) -> Value {
    serde_json::json!({
        "type": "identify",
        "userId": user_id,
        "traits": {"email": email},
    })
}

/// The value of a user record's attribute `slug` (first value's `value`, or its
/// `email_address` for email attributes).
pub fn user_value(record: &Value, slug: &str) -> Option<String> {
    let v = record.pointer(&format!("/values/{slug}/0"))?;
    v.get("value")
        .or_else(|| v.get("email_address"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Successful write requests the simulator answered (2xx, any write kind).
pub fn successful_writes(stats: &Value) -> u64 {
    stats
        .get("requests")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter(|r| r.get("method").and_then(Value::as_str) != Some("GET"))
                .filter(|r| {
                    r.get("status")
                        .and_then(Value::as_u64)
                        .is_some_and(|s| (200..300).contains(&s))
                })
                .filter_map(|r| r.get("count").and_then(Value::as_u64))
                .sum()
        })
        .unwrap_or(0)
}

/// Requests of `status` the simulator answered, any method and kind.
pub fn answered_with(stats: &Value, status: u64) -> u64 {
    stats
        .get("requests")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter(|r| r.get("status").and_then(Value::as_u64) == Some(status))
                .filter_map(|r| r.get("count").and_then(Value::as_u64))
                .sum()
        })
        .unwrap_or(0)
}

/// A small deterministic generator (xorshift) for kill timings, seeded by the caller.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// Seeded from the clock; the seed is returned so a run can be repeated.
    pub fn from_clock() -> (Rng, u64) {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(42);
        (Rng::new(seed), seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `lo..hi` (milliseconds, say).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }
}
