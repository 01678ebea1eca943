//! `/metrics` follows Prometheus' conventions and every metric the running service shows
//! is documented in docs/metrics.md, with its type. The pages come from real services:
//! one delivering to its built-in simulator (events accepted, refused, rejected by a
//! mapping, delivered), one whose Attio token is refused, and one whose events pass the
//! retry limit (dead letters).

use std::collections::BTreeMap;
use std::time::Duration;

use segment_attio_acceptance::metrics_doc::{documented, families};
use segment_attio_acceptance::service::{eventually, http_client, Service, ServiceBuilder, SimulatorProcess};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

async fn metrics_page(service: &Service) -> String {
    let (status, page) = service.get_text("/metrics").await;
    assert_eq!(status, 200, "{page}");
    page
}

/// Waits until the page shows every one of `needles`, then returns it.
async fn page_with(service: &Service, needles: &[&str]) -> String {
    eventually(&format!("/metrics to show {needles:?}"), WAIT, || async {
        let page = metrics_page(service).await;
        if needles.iter().all(|n| page.contains(n)) {
            Ok(page)
        } else {
            Err(page)
        }
    })
    .await
}

/// A service on its built-in simulator after an accepted, a refused, a rejected and a
/// delivered event.
async fn busy_service_page() -> String {
    let service = ServiceBuilder::new().start().await;
    let ok = service
        .post(
            "/v1/identify",
            &json!({"userId": "m1", "traits": {"email": "m1@example.com"}}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    // No e-mail: the preset's mapping rejects it (a dead letter without an Attio request).
    let no_email = service.post("/v1/identify", &json!({"userId": "m2"})).await;
    assert_eq!(no_email.status(), 200);
    let refused = http_client()
        .post(service.url("/v1/track"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("event=x")
        .send()
        .await
        .expect("the service answers");
    assert_eq!(refused.status(), 415);
    page_with(
        &service,
        &[
            "segment_attio_delivery_latency_seconds_bucket",
            "segment_attio_events_rejected_total",
        ],
    )
    .await
}

/// A service whose Attio refuses the token.
async fn refused_credentials_page() -> String {
    let sim = SimulatorProcess::start_with(&["--token", "the-right-token"]).await;
    let service = ServiceBuilder::new().attio(&sim).token("a-wrong-token").start().await;
    let sent = service
        .post(
            "/v1/identify",
            &json!({"userId": "m3", "traits": {"email": "m3@example.com"}}),
        )
        .await;
    assert_eq!(sent.status(), 200);
    page_with(&service, &["segment_attio_attio_credentials_refused 1"]).await
}

/// A service whose Attio fails every request until the event passes the retry limit.
async fn expired_event_page() -> String {
    let sim = SimulatorProcess::start().await;
    sim.set_faults(&json!({"server_error_rate": 1.0})).await;
    let service = ServiceBuilder::new()
        .attio(&sim)
        .env("SEGMENT_ATTIO__DELIVERY__MAX_AGE_SECS", "1")
        .start()
        .await;
    let sent = service
        .post(
            "/v1/identify",
            &json!({"userId": "m4", "traits": {"email": "m4@example.com"}}),
        )
        .await;
    assert_eq!(sent.status(), 200);
    page_with(&service, &["segment_attio_events_dead_lettered_total"]).await
}

fn assert_documented(shown: &BTreeMap<String, String>, docs: &BTreeMap<String, String>) {
    let missing: Vec<String> = shown
        .iter()
        .filter(|(name, _)| !docs.contains_key(*name))
        .map(|(name, kind)| format!("{name} ({kind})"))
        .collect();
    assert!(
        missing.is_empty(),
        "/metrics shows metrics docs/metrics.md does not list: {missing:?}"
    );
    for (name, kind) in shown {
        assert_eq!(
            &docs[name], kind,
            "docs/metrics.md gives {name} another type than /metrics"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_service_shows_is_documented_with_its_type() {
    let docs = documented();
    let busy = busy_service_page().await;
    let refused = refused_credentials_page().await;
    let expired = expired_event_page().await;
    let mut shown = families(&busy);
    shown.extend(families(&refused));
    shown.extend(families(&expired));
    // The pages are rich enough for the check to mean something.
    for expected in [
        "segment_attio_build_info",
        "segment_attio_events_accepted_total",
        "segment_attio_requests_rejected_total",
        "segment_attio_events_rejected_total",
        "segment_attio_events_dead_lettered_total",
        "segment_attio_attio_requests_total",
        "segment_attio_spool_oldest_event_age_seconds",
        "segment_attio_attio_credentials_refused",
    ] {
        assert!(
            shown.contains_key(expected),
            "{expected} not shown:\n{busy}\n{refused}\n{expired}"
        );
    }
    assert_documented(&shown, &docs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_prometheus_conventions() {
    let page = busy_service_page().await;
    let shown = families(&page);
    for (name, kind) in &shown {
        assert!(name.starts_with("segment_attio_"), "{name}");
        match kind.as_str() {
            "counter" => assert!(name.ends_with("_total"), "counter {name} does not end in _total"),
            "histogram" => assert!(name.ends_with("_seconds"), "histogram {name} is not in seconds"),
            "gauge" => assert!(!name.ends_with("_total"), "gauge {name} is named like a counter"),
            other => panic!("{name} is a {other}: latencies are histograms, not summaries"),
        }
        for unit in ["_ms", "_milliseconds", "_minutes", "_kb", "_mb"] {
            assert!(!name.contains(unit), "{name} is not in base units");
        }
    }
    for histogram in [
        "segment_attio_ingest_request_seconds",
        "segment_attio_attio_request_seconds",
        "segment_attio_delivery_latency_seconds",
    ] {
        assert_eq!(shown.get(histogram).map(String::as_str), Some("histogram"), "{page}");
        assert!(page.contains(&format!("{histogram}_bucket{{")), "{histogram}: {page}");
    }
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        page.contains(&format!("segment_attio_build_info{{version=\"{version}\"}} 1")),
        "{page}"
    );
}
