//! SIGTERM with clients holding half-sent requests: the process still exits within
//! `shutdown_grace_secs`.

use std::time::{Duration, Instant};

use segment_attio_acceptance::service::ServiceBuilder;

use super::{send_raw, KEY};

#[tokio::test]
async fn sigterm_with_half_sent_requests_exits_within_the_grace_period() {
    let grace = Duration::from_secs(2);
    // Timeouts far longer than the grace, so that only the grace period can end them.
    let mut service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", KEY)
        .env(
            "SEGMENT_ATTIO__SERVER__SHUTDOWN_GRACE_SECS",
            &grace.as_secs().to_string(),
        )
        .env("SEGMENT_ATTIO__SERVER__HEADER_READ_TIMEOUT_SECS", "120")
        .env("SEGMENT_ATTIO__SERVER__IDLE_TIMEOUT_SECS", "120")
        .env("SEGMENT_ATTIO__INGEST__BODY_READ_TIMEOUT_SECS", "120")
        .start()
        .await;
    let half_head = send_raw(service.addr, b"POST /v1/batch HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await;
    let body_head = format!(
        "POST /v1/batch HTTP/1.1\r\nHost: localhost\r\nX-Write-Key: {KEY}\r\nContent-Length: 1000\r\n\r\n{{\"batch\":["
    );
    let half_body = send_raw(service.addr, body_head.as_bytes()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let asked = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let status = service.terminate(Duration::from_secs(15));
        (status, service)
    })
    .await
    .expect("terminate");
    let took = asked.elapsed();
    let (status, service) = status;
    println!("SIGTERM with two half-sent requests: exited after {took:?} ({status:?})");
    let status = status.unwrap_or_else(|| panic!("still running 15 s after SIGTERM:\n{}", service.logs()));
    assert!(status.success(), "{status:?}\n{}", service.logs());
    assert!(took < grace + Duration::from_millis(2500), "{took:?}");
    drop((half_head, half_body));
}
