//! `segment-attio serve` as a real process, with the built-in Attio simulator, on a
//! loopback port it picks itself.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::binary;

/// A running service; killed when dropped.
pub struct Service {
    child: Child,
    url: String,
    logs: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
    _data_dir: tempfile::TempDir,
}

impl Service {
    /// Starts the service with `config` (TOML) and `write_key`, logging JSON to stderr,
    /// and waits until it has logged the address it listens on.
    pub fn start(config: &str, write_key: &str) -> Service {
        let data_dir = tempfile::tempdir().expect("temporary data dir");
        let config_path = data_dir.path().join("config.toml");
        std::fs::write(&config_path, config).expect("config written");
        let mut child = Command::new(binary::path())
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir.path())
            .env_remove("SEGMENT_ATTIO__ATTIO__TOKEN")
            .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", write_key)
            .env("SEGMENT_ATTIO__LOG__FORMAT", "json")
            .env("SEGMENT_ATTIO__LOG__LEVEL", "info")
            .env("SEGMENT_ATTIO__DELIVERY__FLUSH_INTERVAL_MS", "100")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("segment-attio starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = listening_addr(&line) {
                    let _ = addr_tx.send(addr);
                }
                sink.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
        let mut service = Service {
            child,
            url: String::new(),
            logs,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("http client"),
            _data_dir: data_dir,
        };
        match addr_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => service.url = format!("http://{addr}"),
            Err(_) => panic!(
                "segment-attio did not log its address within 30 s; its log:\n{}",
                service.logs()
            ),
        }
        service
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Everything the service logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap_or_else(|p| p.into_inner()).join("\n")
    }

    /// The simulator's records of `object` (`GET /_simulator/records/{object}`).
    pub async fn records(&self, object: &str) -> Vec<Value> {
        let url = format!("{}/_simulator/records/{object}", self.url);
        let response = self.http.get(&url).send().await;
        let response = response.unwrap_or_else(|e| panic!("GET {url}: {e}\nservice log:\n{}", self.logs()));
        assert!(response.status().is_success(), "GET {url}: {}", response.status());
        response.json().await.unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    /// Polls `check` (given a snapshot of the simulator's records) until it passes or
    /// `timeout` passes; then fails with its last complaint and the service log.
    pub async fn wait_for<F>(&self, what: &str, timeout: Duration, check: F)
    where
        F: Fn(&Snapshot) -> Result<(), String>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            let snapshot = self.snapshot().await;
            let complaint = match check(&snapshot) {
                Ok(()) => return,
                Err(complaint) => complaint,
            };
            if Instant::now() >= deadline {
                panic!(
                    "{what}: not there after {timeout:?}: {complaint}\nservice log:\n{}",
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn snapshot(&self) -> Snapshot {
        Snapshot {
            people: self.records("people").await,
            users: self.records("users").await,
            companies: self.records("companies").await,
            workspaces: self.records("workspaces").await,
        }
    }
}

/// The simulator's records of the four objects the destination writes.
#[derive(Debug)]
pub struct Snapshot {
    pub people: Vec<Value>,
    pub users: Vec<Value>,
    pub companies: Vec<Value>,
    pub workspaces: Vec<Value>,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in the service's `listening` log line (JSON log format).
fn listening_addr(line: &str) -> Option<String> {
    let entry: Value = serde_json::from_str(line).ok()?;
    let fields = entry.get("fields")?;
    if fields.get("message")?.as_str()? != "listening" {
        return None;
    }
    fields.get("addr")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_line_gives_the_address() {
        let line =
            r#"{"timestamp":"t","level":"INFO","fields":{"message":"listening","addr":"127.0.0.1:4242"},"target":"x"}"#;
        assert_eq!(listening_addr(line).as_deref(), Some("127.0.0.1:4242"));
        let other = r#"{"fields":{"message":"Attio simulator listening","addr":"127.0.0.1:1"}}"#;
        assert_eq!(listening_addr(other), None);
        assert_eq!(listening_addr("not json"), None);
    }
}
