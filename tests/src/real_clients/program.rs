//! Runs a client program (node or python) with a scenario and reads its report.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A client program to run: `program args...` in `dir`, given the scenario in `SCENARIO`.
pub struct ClientRun<'a> {
    pub program: &'a Path,
    pub args: &'a [&'a str],
    pub dir: &'a Path,
    pub scenario: &'a Value,
    pub extra_env: &'a [(&'a str, &'a str)],
}

/// What a client program printed: its last stdout line, parsed as JSON.
#[derive(Debug)]
pub struct ClientReport {
    pub report: Value,
    pub elapsed: Duration,
}

impl ClientRun<'_> {
    /// Runs the program to completion (off the async runtime). Panics with the
    /// program's output when it fails or prints no JSON report.
    pub async fn run(&self) -> ClientReport {
        let mut cmd = Command::new(self.program);
        cmd.args(self.args)
            .current_dir(self.dir)
            .env("SCENARIO", self.scenario.to_string());
        for (k, v) in self.extra_env {
            cmd.env(k, v);
        }
        let label = format!("{} {}", self.program.display(), self.args.join(" "));
        let started = Instant::now();
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .expect("the client program's thread ends")
            .unwrap_or_else(|e| panic!("could not run {label}: {e}"));
        let elapsed = started.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{label} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
        let report = stdout
            .lines()
            .rev()
            .find_map(|line| serde_json::from_str::<Value>(line).ok())
            .unwrap_or_else(|| panic!("{label} printed no JSON report:\nstdout:\n{stdout}\nstderr:\n{stderr}"));
        ClientReport { report, elapsed }
    }
}

impl ClientReport {
    /// The event types of every batch the service answered with `status`.
    pub fn types_answered(&self, status: u64) -> Vec<String> {
        self.report["responses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["status"].as_u64() == Some(status))
            .flat_map(|r| r["types"].as_array().into_iter().flatten())
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect()
    }

    /// Every HTTP status the service answered with.
    pub fn statuses(&self) -> Vec<u64> {
        self.report["responses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["status"].as_u64())
            .collect()
    }
}
