//! A running `segment-attio serve` process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::records::{fetch_records, wait_records};
use super::{eventually, DataDir, ServiceBuilder};

/// A running `segment-attio serve` process, killed (SIGKILL) when dropped.
pub struct Service {
    pub(super) child: Option<Child>,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    pub(super) log_path: PathBuf,
    pub(super) builder: ServiceBuilder,
    pub(super) dir: DataDir,
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

    pub(super) fn listening_addr(&self) -> Option<SocketAddr> {
        self.log_entries().iter().find_map(listening_line_addr)
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
        let key = self.builder.write_key();
        fetch_records(
            &self.client,
            &self.url(&format!("/_simulator/records/{object}")),
            key.as_deref(),
        )
        .await
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
        let key = self.builder.write_key();
        wait_records(&self.client, &url, key.as_deref(), object, timeout, done, || {
            self.logs()
        })
        .await
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

    /// `/readyz`'s spool counters: (pending, dead letters); `u64::MAX` for one it lacks.
    pub async fn spool_counts(&self) -> (u64, u64) {
        let stats = self.spool_stats().await;
        let n = |k: &str| stats.get(k).and_then(Value::as_u64).unwrap_or(u64::MAX);
        (n("pending"), n("dead_letters"))
    }

    /// Waits until the spool holds no pending event; returns how long that took.
    pub async fn wait_until_drained(&self, timeout: Duration) -> Duration {
        let started = Instant::now();
        eventually("the spool to drain", timeout, || async move {
            let stats = self.spool_stats().await;
            match stats.get("pending").and_then(Value::as_u64) {
                Some(0) => Ok(()),
                _ => Err(stats.to_string()),
            }
        })
        .await;
        started.elapsed()
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

/// The address in the service's `listening` log entry (JSON log format).
fn listening_line_addr(entry: &Value) -> Option<SocketAddr> {
    let fields = entry.get("fields")?;
    if fields.get("message")?.as_str()? != "listening" {
        return None;
    }
    fields.get("addr")?.as_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(line: &str) -> Value {
        serde_json::from_str(line).expect("a JSON log line")
    }

    #[test]
    fn listening_entry_gives_the_address_and_others_do_not() {
        let line =
            r#"{"timestamp":"t","level":"INFO","fields":{"message":"listening","addr":"127.0.0.1:4242"},"target":"x"}"#;
        assert_eq!(
            listening_line_addr(&entry(line)),
            Some(SocketAddr::from(([127, 0, 0, 1], 4242)))
        );
        let other = r#"{"fields":{"message":"Attio simulator listening","addr":"127.0.0.1:1"}}"#;
        assert_eq!(listening_line_addr(&entry(other)), None);
    }
}
