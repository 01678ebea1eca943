//! A stand-alone `segment-attio simulator` process.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::records::{fetch_records, wait_records};
use super::{eventually, free_port, http_client, START_TIMEOUT};
use crate::binary;

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

    /// A simulator on a free port with `args` (e.g. `["--token", "t", "--write-rate", "5"]`).
    pub async fn start_with(args: &[&str]) -> SimulatorProcess {
        Self::start_on(free_port(), args).await
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
        fetch_records(&self.client, &self.url(&format!("/_simulator/records/{object}")), None).await
    }

    /// Polls the records of `object` until `done` holds, or panics after `timeout`.
    pub async fn wait_for_records(
        &self,
        object: &str,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let url = self.url(&format!("/_simulator/records/{object}"));
        wait_records(&self.client, &url, None, object, timeout, done, String::new).await
    }

    /// Kills the process (its records are lost).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
