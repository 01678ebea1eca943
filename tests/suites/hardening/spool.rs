//! The spool under attack: deleted, corrupted, refusing writes, shared by two `serve`s;
//! secrets in broken configuration files; events sent twice.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use segment_attio_acceptance::service::{eventually, identify, Service, ServiceBuilder};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn spool_files(spool: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut name = spool.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        })
        .collect()
}

/// `/readyz`: (status, reasons joined).
async fn readiness(service: &Service) -> (u16, String) {
    let (status, body) = service.get_json("/readyz").await;
    let reasons = body
        .get("reasons")
        .and_then(Value::as_array)
        .map(|reasons| reasons.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "))
        .unwrap_or_default();
    (status, reasons)
}

/// A counter's value in `/metrics` (0 when absent).
async fn counter(service: &Service, name: &str) -> f64 {
    let (_, text) = service.get_text("/metrics").await;
    text.lines()
        .filter(|line| line.starts_with(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn stderr_of(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs a command that must end by itself within `timeout`.
fn run_bounded(mut command: Command, timeout: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + timeout;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!("still running after {timeout:?}: {}", stderr_of(&output));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_spool_refuses_events_and_readyz_names_it() {
    let service = ServiceBuilder::new().start().await;
    for n in 0..20 {
        let r = service
            .post(
                "/v1/identify",
                &identify(&format!("d{n}"), &format!("d{n}@example.com")),
            )
            .await;
        assert_eq!(r.status().as_u16(), 200);
    }
    assert_eq!(readiness(&service).await.0, 200);
    let spool = service.data_dir().spool();
    let deleted_at = Instant::now();
    for file in spool_files(&spool) {
        let _ = std::fs::remove_file(file);
    }
    // Noticed without any write (the periodic identity check).
    let reasons = eventually("/readyz to report the deleted spool", WAIT, || async {
        match readiness(&service).await {
            (503, reasons) if reasons.contains("was deleted") => Ok(reasons),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let noticed = deleted_at.elapsed();
    println!("deleted spool noticed by /readyz after {} ms", noticed.as_millis());
    assert!(reasons.contains(&spool.display().to_string()), "{reasons}");
    // No event is acknowledged any more.
    for n in 0..50 {
        let r = service
            .post(
                "/v1/identify",
                &identify(&format!("e{n}"), &format!("e{n}@example.com")),
            )
            .await;
        assert_eq!(r.status().as_u16(), 503, "event {n} after the deletion");
    }
    assert_eq!(readiness(&service).await.0, 503, "the fault lasts");
    assert!(!spool.exists(), "no fresh spool is created in place of the deleted one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_checked_against_the_file_before_the_periodic_check_runs() {
    // A long watch interval: only the check before each commit can notice.
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__SPOOL__WATCH_INTERVAL_MS", "3600000")
        .start()
        .await;
    let r = service.post("/v1/identify", &identify("w1", "w1@example.com")).await;
    assert_eq!(r.status().as_u16(), 200);
    for file in spool_files(&service.data_dir().spool()) {
        let _ = std::fs::remove_file(file);
    }
    let r = service.post("/v1/identify", &identify("w2", "w2@example.com")).await;
    assert_eq!(
        r.status().as_u16(),
        503,
        "the first event after the deletion is refused"
    );
}

/// Scrambles every page of the file but the first (the header and schema stay readable).
fn corrupt(spool: &Path) {
    let mut bytes = std::fs::read(spool).expect("read the spool");
    assert!(bytes.len() > 4096, "the spool has more than one page");
    for (index, byte) in bytes.iter_mut().enumerate().skip(4096) {
        *byte = (index % 251) as u8 ^ 0x5a;
    }
    std::fs::write(spool, bytes).expect("write the spool");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_spool_refuses_events_and_is_refused_at_start_with_a_salvage_procedure() {
    let mut service = ServiceBuilder::new().start().await;
    for n in 0..20 {
        let r = service
            .post(
                "/v1/identify",
                &identify(&format!("c{n}"), &format!("c{n}@example.com")),
            )
            .await;
        assert_eq!(r.status().as_u16(), 200);
    }
    service.wait_until_drained(WAIT).await;
    // A clean stop folds the log into the file.
    assert!(service.terminate(WAIT).is_some_and(|status| status.success()));
    let builder = service.builder();
    let service = builder.clone().start().await;
    let spool = service.data_dir().spool();
    corrupt(&spool);
    // Corrupted while running: events are refused (never 200) and /readyz names it.
    let mut statuses = Vec::new();
    for n in 0..10 {
        let r = service
            .post(
                "/v1/identify",
                &identify(&format!("x{n}"), &format!("x{n}@example.com")),
            )
            .await;
        statuses.push(r.status().as_u16());
    }
    assert!(statuses.iter().all(|status| *status == 503), "{statuses:?}");
    let (status, reasons) = readiness(&service).await;
    assert_eq!(status, 503);
    assert!(reasons.contains("corrupt"), "{reasons}");
    drop(service);

    // At start: refused, with the way to salvage it.
    let output = run_bounded(builder.clone().command(&["serve", "--listen", "127.0.0.1:0"]), WAIT);
    let message = stderr_of(&output);
    assert!(!output.status.success(), "{message}");
    assert!(message.contains("integrity check"), "{message}");
    assert!(message.contains(".recover"), "{message}");

    // The documented salvage (docs/operations.md) gives a spool that starts.
    let recovered = spool.with_file_name("recovered.sqlite");
    let salvage = format!(
        "sqlite3 '{broken}' .recover | sqlite3 '{recovered}' && mv '{broken}' '{broken}.corrupt' && \
         rm -f '{broken}-wal' '{broken}-shm' && mv '{recovered}' '{broken}'",
        broken = spool.display(),
        recovered = recovered.display()
    );
    let output = run_bounded(
        {
            let mut command = Command::new("sh");
            command.arg("-c").arg(&salvage);
            command
        },
        WAIT,
    );
    assert!(output.status.success(), "salvage failed: {}", stderr_of(&output));
    let service = builder.start().await;
    let r = service
        .post("/v1/identify", &identify("after", "after@example.com"))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(readiness(&service).await.0, 200);
}

/// Sets the file size limit of a running process (`prlimit`), soft limit only.
fn set_file_size_limit(pid: u32, soft: &str) {
    let status = Command::new("prlimit")
        .arg("--pid")
        .arg(pid.to_string())
        .arg(format!("--fsize={soft}:unlimited"))
        .status()
        .expect("prlimit runs");
    assert!(status.success(), "prlimit failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_writes_make_readyz_not_ready_until_they_work_again() {
    // A failure is held for ten watch intervals when no event write proves it fixed.
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__SPOOL__WATCH_INTERVAL_MS", "200")
        .start()
        .await;
    let pid = service.pid().expect("running");
    let r = service.post("/v1/identify", &identify("f0", "f0@example.com")).await;
    assert_eq!(r.status().as_u16(), 200);
    // Every spool file may keep its size but not grow: writes fail as on a full disk.
    let largest = spool_files(&service.data_dir().spool())
        .iter()
        .filter_map(|file| std::fs::metadata(file).ok())
        .map(|meta| meta.len())
        .max()
        .unwrap_or(0);
    set_file_size_limit(pid, &largest.to_string());
    let big = |n: usize| {
        let events: Vec<Value> = (0..100)
            .map(|i| {
                let mut event = identify(&format!("f{n}-{i}"), &format!("f{n}-{i}@example.com"));
                event["properties"] = json!({"padding": "x".repeat(2000)});
                event
            })
            .collect();
        json!({ "batch": events })
    };
    let mut refused = false;
    for n in 0..100 {
        let r = service.post("/v1/batch", &big(n)).await;
        if r.status().as_u16() == 503 {
            refused = true;
            break;
        }
    }
    assert!(refused, "writes beyond the file size limit were refused");
    let (status, reasons) = readiness(&service).await;
    assert_eq!(status, 503, "{reasons}");
    assert!(reasons.contains("writes are failing"), "{reasons}");
    // Still failing after the hold: the probe finds it again with the next event.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let r = service.post("/v1/batch", &big(500)).await;
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(readiness(&service).await.0, 503);
    // Fixed: ready and accepting again, without a restart.
    set_file_size_limit(pid, "unlimited");
    eventually("/readyz to be ready again", WAIT, || async {
        match readiness(&service).await {
            (200, _) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let r = service.post("/v1/batch", &big(1000)).await;
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_serve_on_a_spool_in_use_is_refused_and_the_commands_still_work() {
    let service = ServiceBuilder::new().start().await;
    let pid = service.pid().expect("running");
    let output = run_bounded(service.builder().command(&["serve", "--listen", "127.0.0.1:0"]), WAIT);
    let message = stderr_of(&output);
    assert!(!output.status.success(), "a second serve started: {message}");
    assert!(message.contains(&format!("pid {pid}")), "{message}");
    assert!(message.contains("in use"), "{message}");

    // import and dead-letters work beside the running serve.
    let file = service.data_dir().path().join("events.jsonl");
    std::fs::write(&file, format!("{}\n", identify("imp", "imp@example.com"))).expect("write");
    let output = service.cli(&["import", &file.display().to_string()]);
    assert!(output.status.success(), "import: {}", stderr_of(&output));
    let output = service.cli(&["dead-letters", "list", "--json"]);
    assert!(output.status.success(), "dead-letters: {}", stderr_of(&output));
    service
        .wait_for_records("users", WAIT, |records| records.len() == 1)
        .await;

    // Once the first stops, another serve may take the spool.
    drop(service);
}

#[test]
fn configuration_errors_never_print_a_secret() {
    const SECRET: &str = "sk9-Qv27-Zx81";
    let lines = [
        ("ingest", format!("write_keys = [\"{SECRET}\" \"other\"]")),
        ("ingest", format!("write_keys = [\"a\", \"{SECRET}\"")),
        ("ingest", format!("write_keys = \"{SECRET}\"")),
        ("ingest", format!("webhook_secret = \"{SECRET}")),
        ("ingest", format!("webhook_secret = {SECRET}")),
        ("ingest", format!("webhook_secret = [\"{SECRET}\"]")),
        ("attio", format!("token = \"{SECRET}")),
        ("attio", format!("token = {SECRET}")),
    ];
    for (section, line) in lines {
        let text = format!("[{section}]\n{line}\n");
        let mut builder = ServiceBuilder::new().config(&text);
        for args in [&["check-config"][..], &["serve", "--listen", "127.0.0.1:0"]] {
            let output = run_bounded(builder.command(args), WAIT);
            let printed = stderr_of(&output);
            assert!(!output.status.success(), "{text} was accepted");
            for part in [SECRET, "Qv27", "Zx81"] {
                assert!(
                    !printed.contains(part),
                    "{args:?} on {text:?} printed the secret:\n{printed}"
                );
            }
            assert!(printed.contains("config.toml"), "{printed}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_sent_again_is_answered_200_and_stored_once_even_across_a_restart() {
    let mut service = ServiceBuilder::new().start().await;
    let mut event = identify("dup", "dup@example.com");
    event["messageId"] = json!("msg-dup-1");
    for _ in 0..3 {
        let r = service.post("/v1/identify", &event).await;
        assert_eq!(r.status().as_u16(), 200);
    }
    let r = service
        .post("/v1/batch", &json!({"batch": [event.clone(), event.clone()]}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(counter(&service, "segment_attio_events_duplicate_total").await, 4.0);
    assert_eq!(counter(&service, "segment_attio_events_accepted_total").await, 1.0);
    service.wait_until_drained(WAIT).await;
    assert!(service.terminate(WAIT).is_some());
    let service = service.builder().start().await;
    let r = service.post("/v1/identify", &event).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(counter(&service, "segment_attio_events_duplicate_total").await, 1.0);
    assert_eq!(counter(&service, "segment_attio_events_accepted_total").await, 0.0);
    // Events without a messageId of their own are all stored.
    let r = service
        .post("/v1/identify", &identify("fresh", "fresh@example.com"))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let r = service
        .post("/v1/identify", &identify("fresh", "fresh@example.com"))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(counter(&service, "segment_attio_events_accepted_total").await, 2.0);
}
