//! Runs every line of every `.jsonl` file in `tests/conformance/` (cases produced by the
//! reference implementation) and fails listing each case that differs. Every file must
//! hold cases, and the cases must be exactly the 400 the reference produced.

use std::path::PathBuf;

use attio_adapter::wire::ATTIO_BASE_URL;
use segment_attio_acceptance::conformance::{compare, run_case};
use segment_attio_acceptance::scripted_server::ScriptedServer;
use serde_json::Value;

/// The cases in `shared/conformance/destination.jsonl`.
const CASES: usize = 400;

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

#[tokio::test]
async fn every_conformance_case_matches_the_reference() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(conformance_dir())
        .expect("tests/conformance exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .jsonl files in {}", conformance_dir().display());
    let server = ScriptedServer::start(ATTIO_BASE_URL)
        .await
        .expect("scripted Attio listens on loopback");
    let mut total = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable case file");
        let in_file = text.lines().filter(|l| !l.trim().is_empty()).count();
        if in_file == 0 {
            failures.push(format!("{}: holds no case", file.display()));
        }
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            total += 1;
            let entry: Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{}:{}: not JSON: {e}", file.display(), n + 1));
                    continue;
                }
            };
            let (case, expected) = (&entry["case"], &entry["expected"]);
            let ours = match run_case(case, &server).await {
                Ok(o) => o,
                Err(e) => {
                    failures.push(format!("{}:{}: {e}", file.display(), n + 1));
                    continue;
                }
            };
            if let Err(diff) = compare(case, expected, &ours) {
                failures.push(format!(
                    "{}:{}:\n  {diff}",
                    file.file_name().unwrap_or_default().to_string_lossy(),
                    n + 1
                ));
            }
        }
    }
    println!("conformance: {} cases, {} differ", total, failures.len());
    assert_eq!(total, CASES, "conformance cases run (files: {files:?})");
    assert!(
        failures.is_empty(),
        "{} of {total} conformance cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
