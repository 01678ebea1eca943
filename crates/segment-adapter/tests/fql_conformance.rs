//! Every case of the FQL conformance file: cases marked `"ours": "reject"` must be refused
//! when parsed; every other case must give the reference's answer.

use segment_adapter::fql::Subscription;
use segment_adapter::json::Val;

const CASES: &str = include_str!("data/fql.jsonl");

#[test]
fn every_conformance_case_gives_the_reference_answer_or_is_refused() {
    let mut failures = Vec::new();
    let mut counted = (0, 0);
    for (n, line) in CASES.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).expect("conformance line is JSON");
        let text = case["subscription"].as_str().expect("subscription is a string");
        let event_json = case["event"].to_string();
        let event = Val::parse(&event_json).expect("event is JSON");
        let reject = case.get("ours").and_then(|v| v.as_str()) == Some("reject");
        let expected = case["matches"].as_bool().expect("matches is a boolean");
        let line_no = n + 1;
        match (Subscription::parse(text), reject) {
            (Err(_), true) => counted.1 += 1,
            (Ok(s), true) => failures.push(format!(
                "line {line_no}: {text:?} should be refused but parsed as {:?}",
                s.root()
            )),
            (Err(e), false) => failures.push(format!("line {line_no}: {text:?} was refused: {e}")),
            (Ok(s), false) => {
                let actual = s.matches(&event);
                let cut = Val::parse_with(&event_json, &s.projection()).expect("event is JSON");
                if s.matches(&cut) != actual {
                    failures.push(format!(
                        "line {line_no}: {text:?} answers differently on the projected event"
                    ));
                }
                if actual == expected {
                    counted.0 += 1;
                } else {
                    failures.push(format!(
                        "line {line_no}: {text:?} on {event_json}: expected {expected}, got {actual} ({:?})",
                        s.root()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(counted, (84, 22), "(matched, refused) case counts");
}
