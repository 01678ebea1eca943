//! A child process appends and prints each acknowledged id, is killed with SIGKILL
//! mid-stream, and every acknowledged event must be in the file afterwards.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use domain::ports::{EventSpool, NewEvent};

use crate::spool::{SpoolConfig, SqliteSpool, Synchronous};

const CHILD_PATH_VAR: &str = "SEGMENT_ATTIO_SPOOL_CHILD_PATH";
const CHILD_TEST: &str = "child_appends_until_killed";
/// Acknowledgements to see before the kill.
const ACKS_BEFORE_KILL: usize = 3_000;

fn child_test_name() -> String {
    // module_path! starts with the crate name, which libtest leaves out of test names.
    let module = module_path!();
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    format!("{module}::{CHILD_TEST}")
}

fn child_payload(sequence: u64) -> String {
    format!(
        r#"{{"type":"track","messageId":"durability-{sequence}","padding":"{}"}}"#,
        "x".repeat(200)
    )
}

/// Run by the parent test in a child process only (it is ignored otherwise).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs as the child process of spool_keeps_every_acknowledged_event_when_the_process_is_killed"]
async fn child_appends_until_killed() {
    // Only the parent test sets the variable; run any other way (`--include-ignored`),
    // there is nothing to do.
    let Ok(path) = std::env::var(CHILD_PATH_VAR) else {
        return;
    };
    let config = SpoolConfig {
        synchronous: Synchronous::Normal,
        ..SpoolConfig::at(path)
    };
    let spool = SqliteSpool::open(config).expect("open");
    let tasks: Vec<_> = (0..4u64)
        .map(|task| {
            let spool = spool.clone();
            tokio::spawn(async move {
                for round in 0u64.. {
                    let sequences: Vec<u64> = (0..5).map(|n| (round * 4 + task) * 5 + n).collect();
                    let events = sequences
                        .iter()
                        .map(|&sequence| NewEvent {
                            received_at: chrono::Utc::now(),
                            payload: child_payload(sequence),
                            only_subscription: None,
                            only_destinations: None,
                        })
                        .collect();
                    let ids = spool.append(events).await.expect("append");
                    let mut out = std::io::stdout().lock();
                    for (id, sequence) in ids.iter().zip(&sequences) {
                        writeln!(out, "ACK {id} {sequence}").expect("stdout");
                    }
                    out.flush().expect("stdout");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
}

#[test]
fn spool_keeps_every_acknowledged_event_when_the_process_is_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("spool.sqlite");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            child_test_name().as_str(),
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_PATH_VAR, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();

    let mut acknowledged: BTreeMap<i64, u64> = BTreeMap::new();
    let record = |line: &str, acknowledged: &mut BTreeMap<i64, u64>| {
        let Some(rest) = line.strip_prefix("ACK ") else { return };
        let (id, sequence) = rest.split_once(' ').expect("ACK id sequence");
        let previous = acknowledged.insert(id.parse().expect("id"), sequence.parse().expect("sequence"));
        assert_eq!(previous, None, "id {id} acknowledged twice");
    };
    while acknowledged.len() < ACKS_BEFORE_KILL {
        let line = lines
            .next()
            .expect("the child stopped before it was killed")
            .expect("read");
        record(&line, &mut acknowledged);
    }
    // Child::kill sends SIGKILL on Unix: no destructor, no flush, no checkpoint.
    child.kill().expect("kill");
    // Acknowledgements already written to the pipe still count.
    for line in lines {
        record(&line.expect("read"), &mut acknowledged);
    }
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the child was killed, not finished: {status}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stored: BTreeMap<i64, String> = runtime.block_on(async {
        let spool = SqliteSpool::open(SpoolConfig::at(&path)).expect("reopen after the kill");
        let mut stored = BTreeMap::new();
        let mut after = 0;
        loop {
            let page = spool.read_after(after, 1_000).await.expect("read");
            let Some(last) = page.last() else { break };
            after = last.id;
            stored.extend(page.into_iter().map(|event| (event.id, event.payload)));
        }
        stored
    });
    assert!(
        stored.len() >= acknowledged.len(),
        "{} stored, {} acknowledged",
        stored.len(),
        acknowledged.len()
    );
    for (id, sequence) in &acknowledged {
        let payload = stored
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged event {id} is missing after the kill"));
        assert_eq!(payload, &child_payload(*sequence), "event {id} holds another payload");
    }
}
