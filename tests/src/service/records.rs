//! Reading simulator records, and the events the suites send.

use std::time::{Duration, Instant};

use serde_json::Value;

/// GETs a records URL, with `key` as HTTP Basic's username when given (the service's
/// built-in endpoint needs a write key when write keys are configured).
pub(super) async fn fetch_records(
    client: &reqwest::Client,
    url: &str,
    key: Option<&str>,
) -> Result<Vec<Value>, String> {
    let mut request = client.get(url);
    if let Some(key) = key {
        request = request.basic_auth(key, Some(""));
    }
    let r = request.send().await.map_err(|e| e.to_string())?;
    let status = r.status();
    let body: Value = r.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {body}"));
    }
    // The service's built-in endpoint answers an array; the simulator `{"data": [...]}`.
    match body {
        Value::Array(a) => Ok(a),
        Value::Object(mut o) => match o.remove("data") {
            Some(Value::Array(a)) => Ok(a),
            other => Err(format!("no data array: {other:?}")),
        },
        other => Err(format!("unexpected records body {other}")),
    }
}

pub(super) async fn wait_records(
    client: &reqwest::Client,
    url: &str,
    key: Option<&str>,
    object: &str,
    timeout: Duration,
    done: impl Fn(&[Value]) -> bool,
    logs: impl Fn() -> String,
) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let last = fetch_records(client, url, key).await;
        if let Ok(records) = &last {
            if done(records) {
                return records.clone();
            }
        }
        if Instant::now() >= deadline {
            panic!(
                "timed out after {timeout:?} waiting for {object} records; last: {}\nservice log:\n{}",
                match &last {
                    Ok(r) => serde_json::to_string_pretty(r).unwrap_or_default(),
                    Err(e) => e.clone(),
                },
                logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first value of attribute `slug` of a simulator record, as Attio renders it
/// (`values.SLUG[0]`).
pub fn first_value<'a>(record: &'a Value, slug: &str) -> Option<&'a Value> {
    record.get("values")?.get(slug)?.get(0)
}

/// The records whose attribute `slug` has a value whose field `field` equals `expected`
/// (e.g. `("email_addresses", "email_address", "a@x.io")`).
pub fn find_records<'a>(records: &'a [Value], slug: &str, field: &str, expected: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| {
            r.get("values")
                .and_then(|v| v.get(slug))
                .and_then(Value::as_array)
                .is_some_and(|vals| {
                    vals.iter()
                        .any(|v| v.get(field).and_then(Value::as_str) == Some(expected))
                })
        })
        .collect()
}

/// The value of a user record's attribute `slug` (first value's `value`, or its
/// `email_address` for email attributes).
pub fn user_value(record: &Value, slug: &str) -> Option<String> {
    let v = first_value(record, slug)?;
    v.get("value")
        .or_else(|| v.get("email_address"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// An identify event for the presets: `userId` and `traits.email`.
pub fn identify(user_id: &str, email: &str) -> Value {
    serde_json::json!({
        "type": "identify",
        "userId": user_id,
        "traits": {"email": email},
    })
}

/// Successful write requests a simulator answered (2xx, any write kind), from its
/// `/_simulator/stats`.
pub fn successful_writes(stats: &Value) -> u64 {
    stats
        .get("requests")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter(|r| r.get("method").and_then(Value::as_str) != Some("GET"))
                .filter(|r| {
                    r.get("status")
                        .and_then(Value::as_u64)
                        .is_some_and(|s| (200..300).contains(&s))
                })
                .filter_map(|r| r.get("count").and_then(Value::as_u64))
                .sum()
        })
        .unwrap_or(0)
}
