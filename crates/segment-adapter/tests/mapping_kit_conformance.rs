//! Runs every line of `tests/data/mapping-kit.jsonl` (cases verified against the reference
//! implementation): the mapping is parsed, the event is parsed as borrowed JSON, the mapping is
//! applied, and the result must equal `output` as JSON (numbers by value; no `output` key means
//! `undefined`). A line marked `"ours": "match-or-reject"` may instead be refused at load time.

use segment_adapter::json::Val;
use segment_adapter::mapping::Mapping;
use serde_json::Value;

const CASES: &str = include_str!("data/mapping-kit.jsonl");

/// Numbers compared by value: every number becomes an f64.
fn normalise(v: &Value) -> Value {
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64()),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), normalise(v))).collect()),
        other => other.clone(),
    }
}

fn show(v: &Option<Value>) -> String {
    v.as_ref().map_or_else(|| "undefined".to_owned(), |v| v.to_string())
}

/// Lists where two JSON values differ, one line per differing path.
fn diff(path: &str, want: Option<&Value>, got: Option<&Value>, out: &mut Vec<String>) {
    match (want, got) {
        (Some(Value::Object(w)), Some(Value::Object(g))) => {
            for (k, wv) in w {
                diff(&format!("{path}/{k}"), Some(wv), g.get(k), out);
            }
            for (k, gv) in g {
                if !w.contains_key(k) {
                    diff(&format!("{path}/{k}"), None, Some(gv), out);
                }
            }
        }
        (Some(Value::Array(w)), Some(Value::Array(g))) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                diff(&format!("{path}/{i}"), Some(wv), Some(gv), out);
            }
        }
        (w, g) if w.map(normalise) != g.map(normalise) => out.push(format!(
            "  at {}: expected {}, got {}",
            if path.is_empty() { "/" } else { path },
            show(&w.cloned()),
            show(&g.cloned())
        )),
        _ => {}
    }
}

fn run_line(line: &str) -> Result<(), String> {
    let case: Value = serde_json::from_str(line).map_err(|e| format!("unreadable line: {e}"))?;
    let ours = case.get("ours").and_then(Value::as_str);
    let expected = case.get("output");
    let mapping = match Mapping::parse(&case["mapping"]) {
        Ok(m) => m,
        Err(e) if ours == Some("match-or-reject") => {
            let _ = e.to_string();
            return Ok(());
        }
        Err(e) => return Err(format!("mapping refused: {e}")),
    };
    let event_text = case["event"].to_string();
    let event = Val::parse(&event_text).map_err(|e| format!("event unreadable: {e}"))?;
    let got = mapping.apply(&event).map_err(|e| format!("apply failed: {e}"))?;
    let got = got.to_serde();
    if let Some(projection) = mapping.projection() {
        // Parsing only what the mapping reads must not change what it gives.
        let cut = Val::parse_with(&event_text, projection).map_err(|e| format!("projected parse: {e}"))?;
        let projected = mapping
            .apply(&cut)
            .map_err(|e| format!("apply on the projected event failed: {e}"))?;
        if projected.to_serde() != got {
            return Err(format!("projected event maps differently: {:?}", projected.to_serde()));
        }
    }
    if expected.map(normalise) == got.as_ref().map(normalise) {
        return Ok(());
    }
    let mut lines = Vec::new();
    diff("", expected, got.as_ref(), &mut lines);
    Err(format!(
        "output differs:\n{}\n  expected: {}\n  got:      {}",
        lines.join("\n"),
        show(&expected.cloned()),
        show(&got)
    ))
}

#[test]
fn every_mapping_kit_case_matches_the_reference() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (i, line) in CASES.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        count += 1;
        if let Err(e) = run_line(line) {
            failures.push(format!("line {}: {e}", i + 1));
        }
    }
    assert_eq!(count, 34, "the conformance file should hold 34 cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn liquid_case_is_refused_with_a_message_pointing_to_template() {
    let line = CASES.lines().find(|l| l.contains("@liquid")).expect("a @liquid case");
    let case: Value = serde_json::from_str(line).unwrap();
    let err = Mapping::parse(&case["mapping"]).unwrap_err().to_string();
    assert!(err.contains("/up/@liquid") && err.contains("@template"), "{err}");
}
