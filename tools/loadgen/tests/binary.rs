//! Runs the built binary against a counting server on 127.0.0.1:0.

mod support;

use std::process::{Command, Output};

use support::{Behaviour, Received, TestServer, WRITE_KEY};

async fn loadgen(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_segment-attio-loadgen"))
            .args(&args)
            .env_remove("SEGMENT_WRITE_KEY")
            .output()
            .expect("binary runs")
    })
    .await
    .expect("blocking task")
}

fn args(url: &str, extra: &[&str]) -> Vec<String> {
    ["--url", url, "--write-key", WRITE_KEY]
        .iter()
        .chain(extra)
        .map(|s| (*s).to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_report_matches_what_the_server_received() {
    let server = TestServer::start(Behaviour::default()).await;
    let output = loadgen(args(
        &server.url(),
        &[
            "--events",
            "2500",
            "--rate",
            "50000",
            "--concurrency",
            "8",
            "--kind",
            "track",
            "--json",
        ],
    ))
    .await;
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is the JSON report");
    assert_eq!(report["events_sent"], 2_500);
    assert_eq!(report["events_accepted"], 2_500);
    assert_eq!(report["requests_sent"], 25);
    assert_eq!(report["status_codes"]["200"], 25);
    assert_eq!(report["offered_rate"], 50_000);
    assert_eq!(report["kind"], "track");
    assert_eq!(report["latency_measured_from"], "scheduled");
    assert_eq!(report["latency_ms"]["count"], 25);
    for key in ["p50", "p90", "p99", "p999", "max"] {
        assert!(report["latency_ms"][key].as_f64().is_some_and(|v| v > 0.0), "{key}");
    }
    assert_eq!(Received::get(&server.received.events), 2_500);
    assert_eq!(server.received.unique_ids(), 2_500);
    assert_eq!(Received::get(&server.received.bad_requests), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_report_is_printed_by_default() {
    let server = TestServer::start(Behaviour::default()).await;
    let output = loadgen(args(&server.url(), &["--events", "300"])).await;
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.contains("300 sent, 300 accepted"), "{text}");
    assert!(text.contains("p99.9"), "{text}");
    assert!(!text.contains(WRITE_KEY), "the write key is never printed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_requests_make_the_exit_status_non_zero_unless_allowed() {
    let server = TestServer::start(Behaviour {
        fail_every: Some(2),
        ..Behaviour::default()
    })
    .await;
    let failing = loadgen(args(&server.url(), &["--events", "400", "--json"])).await;
    assert_eq!(failing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failing.stderr).contains("requests failed"));
    let report: serde_json::Value = serde_json::from_slice(&failing.stdout).expect("report still printed");
    assert_eq!(report["status_codes"]["503"], 2);

    let allowed = loadgen(args(&server.url(), &["--events", "400", "--allow-errors"])).await;
    assert_eq!(allowed.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_loopback_url_is_refused_before_anything_is_sent() {
    let output = loadgen(args("http://192.0.2.10:8080", &["--events", "100"])).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--url") && stderr.contains("192.0.2.10") && stderr.contains("loopback"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_without_a_bound_is_refused() {
    let output = loadgen(args("http://127.0.0.1:9", &[])).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--events"));
}
