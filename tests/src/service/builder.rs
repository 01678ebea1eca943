//! How to start `segment-attio serve` (and its CLI commands) for a test.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{eventually, http_client, DataDir, Service, SimulatorProcess, START_TIMEOUT};
use crate::binary;

/// How to start a service. Environment variables are `SEGMENT_ATTIO__SECTION__KEY`
/// overrides; the configuration file, when given, is written to the data directory.
#[derive(Clone)]
pub struct ServiceBuilder {
    env: Vec<(String, String)>,
    config: Option<String>,
    data_dir: Option<DataDir>,
    open_files: Option<u64>,
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
            open_files: None,
        }
    }

    /// Sets (or replaces) an environment variable, e.g.
    /// `env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", "k1,k2")`.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Removes an environment variable set before (e.g. a test default), so the
    /// service's own default applies.
    pub fn unset_env(mut self, key: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self
    }

    /// The first write key set with `SEGMENT_ATTIO__INGEST__WRITE_KEYS`, or else the first
    /// of the configuration file's `ingest.write_keys`, if any.
    pub fn write_key(&self) -> Option<String> {
        let from_env = self
            .env
            .iter()
            .find(|(k, _)| k == "SEGMENT_ATTIO__INGEST__WRITE_KEYS")
            .and_then(|(_, v)| v.split(',').map(str::trim).find(|k| !k.is_empty()))
            .map(str::to_owned);
        from_env.or_else(|| {
            let config: toml::Value = toml::from_str(self.config.as_deref()?).ok()?;
            let keys = config.get("ingest")?.get("write_keys")?.as_array()?;
            keys.first()?.as_str().map(str::to_owned)
        })
    }

    /// Starts the process with this soft open-file limit (as systemd's default of 1,024
    /// would), leaving the hard limit as it is.
    pub fn open_file_limit(mut self, soft: u64) -> Self {
        self.open_files = Some(soft);
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

    /// The Attio token sent (after [`Self::attio`] or [`Self::attio_url`]).
    pub fn token(self, token: &str) -> Self {
        self.env("SEGMENT_ATTIO__ATTIO__TOKEN", token)
    }

    /// Lifts the service's own Attio rate limits out of the way (the simulator's apply).
    pub fn unthrottled(self) -> Self {
        self.env("SEGMENT_ATTIO__ATTIO__WRITE_RATE", "100000")
            .env("SEGMENT_ATTIO__ATTIO__READ_RATE", "100000")
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
        // A stray setting in the environment of the test run must not change the service.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("SEGMENT_ATTIO") {
                cmd.env_remove(k);
            }
        }
        cmd.env("NO_COLOR", "1").env("SEGMENT_ATTIO__SPOOL__PATH", dir.spool());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(soft) = self.open_files {
            set_soft_open_file_limit(&mut cmd, soft);
        }
        cmd
    }

    /// Runs a CLI command (`dead-letters list --json`, `import FILE`, `check-config`, ...)
    /// to completion.
    pub fn cli(&mut self, args: &[&str]) -> Output {
        self.command(args).output().expect("segment-attio runs")
    }

    /// Starts `serve` on an ephemeral port and waits until it listens and `/healthz`
    /// answers. Its stdout and stderr go to the log (JSON lines; level `info` unless set).
    /// Panics with the log when it does not start.
    pub async fn start(mut self) -> Service {
        let dir = self.resolved_dir();
        let n = STARTS.fetch_add(1, Ordering::Relaxed);
        let log_path = dir.path().join(format!("service-{n}.log"));
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("create the log file");
        let log_err = log.try_clone().expect("clone the log file");
        let mut cmd = self.command(&["serve", "--listen", "127.0.0.1:0"]);
        if !self.env.iter().any(|(k, _)| k == "SEGMENT_ATTIO__LOG__LEVEL") {
            cmd.env("SEGMENT_ATTIO__LOG__LEVEL", "info");
        }
        cmd.env("SEGMENT_ATTIO__LOG__FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
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

#[cfg(unix)]
fn set_soft_open_file_limit(cmd: &mut Command, soft: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and only calls
    // getrlimit/setrlimit, which are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            #[allow(clippy::unnecessary_cast)] // `rlim_t` is not `u64` on every platform.
            let soft = soft as libc::rlim_t;
            limit.rlim_cur = soft.min(limit.rlim_max);
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn set_soft_open_file_limit(_cmd: &mut Command, _soft: u64) {}
