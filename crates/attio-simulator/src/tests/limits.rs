use std::time::{Duration, SystemTime};

use serde_json::json;

use super::*;
use crate::{Burst429, Faults};

#[tokio::test]
async fn writes_over_the_rate_get_429_with_an_http_date_retry_after() {
    const RATE: u32 = 2;
    let sim = start(SimulatorConfig {
        write_rate: RATE,
        ..SimulatorConfig::default()
    })
    .await;
    let url = format!(
        "{}/v2/objects/companies/records/simple?matching_attribute=domains",
        sim.base_url()
    );
    // Writes one after the other until one is refused. However slow the machine, the
    // bucket refills at RATE per second only, so a refusal must come; the accepted writes
    // can be no more than the burst plus what refilled while they were sent.
    let started = std::time::Instant::now();
    let mut statuses = Vec::new();
    let mut refused = None;
    for i in 0..50 {
        let before = SystemTime::now();
        let r = client()
            .put(&url)
            .bearer_auth(TOKEN)
            .json(&json!({"data": {"values": {"domains": format!("d{i}.com")}}}))
            .send()
            .await
            .expect("sent");
        statuses.push(r.status().as_u16());
        if r.status().as_u16() == 429 {
            let retry_after = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body: Value = r.json().await.expect("json");
            assert_eq!(body["type"], json!("rate_limit_error"));
            assert_eq!(body["code"], json!("rate_limit_exceeded"));
            refused = Some((before, retry_after, SystemTime::now()));
            break;
        }
    }
    let elapsed = started.elapsed();
    let (before, retry_after, after) = refused.unwrap_or_else(|| panic!("no write was refused: {statuses:?}"));
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(statuses.len(), accepted + 1, "{statuses:?}");
    assert!(
        accepted >= RATE as usize,
        "the burst of {RATE} goes through: {statuses:?}"
    );
    let refill = (elapsed.as_secs_f64() * f64::from(RATE)).floor() as usize;
    assert!(
        accepted <= RATE as usize + refill,
        "{accepted} writes accepted within {elapsed:?} at {RATE}/s"
    );
    // The date is a whole second after the refusal, at most two seconds ahead.
    let when = httpdate::parse_http_date(&retry_after.expect("Retry-After")).expect("HTTP date");
    assert!(when > before, "Retry-After {when:?} is not ahead of the refusal");
    assert!(
        when <= after + Duration::from_secs(2),
        "Retry-After {when:?} is too far ahead"
    );
    assert_eq!(sim.stats().rate_limited, 1);
    assert_eq!(sim.stats().count("PUT", "assert_simple", 429), 1);
    assert_eq!(sim.stats().count("PUT", "assert_simple", 200), accepted as u64);
    // Reads have their own bucket.
    let (s, _) = call(&sim, reqwest::Method::GET, "/v2/objects", None).await;
    assert_eq!(s, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn scripted_burst_answers_the_next_writes_with_429() {
    let sim = start_unlimited().await;
    sim.set_faults(Faults {
        burst_429: Some(Burst429 {
            count: 2,
            retry_after_secs: 3,
            seconds_form: true,
        }),
        ..Faults::default()
    });
    let (s, _) = call(&sim, reqwest::Method::GET, "/v2/objects", None).await;
    assert_eq!(s, 200, "reads are not part of the burst");
    let r = client()
        .put(format!(
            "{}/v2/objects/companies/records/simple?matching_attribute=domains",
            sim.base_url()
        ))
        .bearer_auth(TOKEN)
        .json(&json!({"data": {"values": {"domains": "a.com"}}}))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("3"));
    let (s, _) = simple(&sim, "companies", "domains", json!({"domains": "a.com"})).await;
    assert_eq!(s, 429);
    let (s, _) = simple(&sim, "companies", "domains", json!({"domains": "a.com"})).await;
    assert_eq!(s, 200);
    assert_eq!(sim.stats().write_arrivals_ms.len(), 3);
    assert_eq!(sim.write_arrivals().len(), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn server_error_fault_answers_5xx_without_processing() {
    let sim = start(SimulatorConfig {
        write_rate: 0,
        read_rate: 0,
        faults: Faults {
            server_error_rate: 1.0,
            ..Faults::default()
        },
        ..SimulatorConfig::default()
    })
    .await;
    let (s, _) = simple(&sim, "companies", "domains", json!({"domains": "a.com"})).await;
    assert!(s == 500 || s == 503, "{s}");
    assert!(sim.records("companies").is_empty());
    assert_eq!(sim.stats().injected_server_errors, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn drop_fault_closes_the_connection_without_an_answer() {
    let sim = start_unlimited().await;
    sim.set_faults(Faults {
        drop_rate: 1.0,
        ..Faults::default()
    });
    let r = client()
        .get(format!("{}/v2/objects", sim.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await;
    assert!(r.is_err(), "expected a connection error, got {r:?}");
    assert_eq!(sim.stats().dropped_connections, 1);
    sim.set_faults(Faults::default());
    let (s, _) = call(&sim, reqwest::Method::GET, "/v2/objects", None).await;
    assert_eq!(s, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn latency_fault_delays_answers() {
    let sim = start_unlimited().await;
    sim.set_faults(Faults {
        latency_ms: 150,
        ..Faults::default()
    });
    let t0 = std::time::Instant::now();
    let (s, _) = call(&sim, reqwest::Method::GET, "/v2/objects", None).await;
    assert_eq!(s, 200);
    assert!(t0.elapsed() >= Duration::from_millis(150));
    sim.shutdown().await;
}
