//! Slowloris: timeouts for request heads, bodies and idle connections, a connection
//! limit that keeps health checks answering, and the open-file limit.

use std::time::{Duration, Instant};

use segment_attio_acceptance::service::ServiceBuilder;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::{
    cpu_time, fresh_client, open_descriptors, raise_own_open_file_limit, read_until_closed, send_raw,
    soft_open_file_limit, status_of, stuck_connections, trickle, HEAVY, KEY,
};

/// The start of a request whose head never ends.
const PARTIAL_HEAD: &[u8] = b"POST /v1/batch HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";

#[tokio::test]
async fn default_timeouts_close_silent_and_trickling_connections() {
    let service = ServiceBuilder::new().start().await;
    let silent = tokio::net::TcpStream::connect(service.addr).await.expect("connect");
    let mut trickling = send_raw(service.addr, PARTIAL_HEAD).await;
    let opened = Instant::now();

    let silent = tokio::spawn(async move {
        let mut silent = silent;
        read_until_closed(&mut silent, Duration::from_secs(9)).await.0
    });
    // One byte every 500 ms: never idle, but the head never completes.
    let trickled = async {
        let deadline = opened + Duration::from_secs(15);
        while Instant::now() < deadline {
            if trickling.write_all(b"a").await.is_err() {
                return Some(opened.elapsed());
            }
            let (closed, _) = read_until_closed(&mut trickling, Duration::from_millis(500)).await;
            if closed.is_some() {
                return Some(opened.elapsed());
            }
        }
        None
    };
    let trickled = trickled.await;
    let silent = silent.await.expect("task");
    println!("silent connection closed after {silent:?}, trickling head after {trickled:?}");
    let silent = silent.expect("a silent connection is closed by the idle timeout (default 5 s)");
    assert!(
        silent >= Duration::from_secs(4) && silent < Duration::from_secs(8),
        "{silent:?}"
    );
    let trickled = trickled.expect("a trickled head is cut off by the header-read timeout (default 10 s)");
    assert!(
        trickled >= Duration::from_secs(9) && trickled < Duration::from_secs(14),
        "{trickled:?}"
    );
    let (status, _) = service.get_json("/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_slow_body_is_answered_408_and_its_connection_closed() {
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", KEY)
        .env("SEGMENT_ATTIO__INGEST__BODY_READ_TIMEOUT_SECS", "1")
        .start()
        .await;
    let head = format!(
        "POST /v1/batch HTTP/1.1\r\nHost: localhost\r\nX-Write-Key: {KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"batch\":["
    );
    let mut stream = send_raw(service.addr, head.as_bytes()).await;
    let (closed, answer) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let closed = closed.expect("the connection is closed after the body timeout");
    let text = String::from_utf8_lossy(&answer);
    println!(
        "slow body answered after {closed:?}: {}",
        text.lines().next().unwrap_or("")
    );
    assert_eq!(status_of(&answer), 408, "{text}");
    assert!(text.contains("body_timeout"), "{text}");
    assert!(
        closed >= Duration::from_millis(900) && closed < Duration::from_secs(4),
        "{closed:?}"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__SERVER__IDLE_TIMEOUT_SECS", "1")
        .env("SEGMENT_ATTIO__SERVER__HEADER_READ_TIMEOUT_SECS", "30")
        .start()
        .await;
    let mut stream = send_raw(service.addr, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    let (closed, answer) = read_until_closed(&mut stream, Duration::from_secs(4)).await;
    let closed = closed.expect("the kept-alive connection is closed once idle");
    assert_eq!(status_of(&answer), 200, "{}", String::from_utf8_lossy(&answer));
    println!("idle keep-alive connection closed after {closed:?}");
    assert!(
        closed >= Duration::from_millis(900) && closed < Duration::from_secs(3),
        "{closed:?}"
    );
}

#[tokio::test]
async fn http2_over_cleartext_is_not_served() {
    let service = ServiceBuilder::new().start().await;
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";
    let mut stream = send_raw(service.addr, preface).await;
    let (closed, answer) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    // An HTTP/2 server answers with a SETTINGS frame (type 4) at once.
    assert!(
        answer.len() < 9 || answer[3] != 4,
        "HTTP/2 was spoken: {:?}",
        &answer[..answer.len().min(32)]
    );
    assert!(closed.is_some(), "the connection is closed");
}

#[tokio::test]
async fn five_thousand_stuck_connections_leave_a_normal_client_served() {
    const STUCK: usize = 5_000;
    let _heavy = HEAVY.lock().await;
    let own = raise_own_open_file_limit();
    assert!(
        own > STUCK as u64 + 500,
        "this test needs {} open files, has {own}",
        STUCK + 500
    );
    // Started with systemd's default soft limit of 1,024 open files, and the default
    // connection limit. The timeouts are lengthened only so that the stuck connections
    // stay open for the whole test on a slow machine (the defaults would close them).
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", KEY)
        .env("SEGMENT_ATTIO__SERVER__HEADER_READ_TIMEOUT_SECS", "120")
        .env("SEGMENT_ATTIO__SERVER__IDLE_TIMEOUT_SECS", "120")
        .open_file_limit(1024)
        .start()
        .await;
    let pid = service.pid().expect("running");
    let soft = soft_open_file_limit(pid);
    println!("the service's open-file limit: {soft} (started with 1024)");
    assert!(soft > STUCK as u64, "the service raised its open-file limit: {soft}");

    let started = Instant::now();
    let mut stuck = stuck_connections(service.addr, STUCK, PARTIAL_HEAD).await;
    trickle(&mut stuck).await;
    let opened = started.elapsed();
    let cpu = cpu_time(pid);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = open_descriptors(pid);

    let client = fresh_client();
    let asked = Instant::now();
    let accepted = client
        .post(service.url("/v1/identify"))
        .basic_auth(KEY, Some(""))
        .json(&json!({"userId": "served-1", "traits": {"email": "served@example.com"}}))
        .send()
        .await
        .expect("a normal client reaches the service");
    let answered_in = asked.elapsed();
    let health = client.get(service.url("/healthz")).send().await.expect("healthz");
    trickle(&mut stuck).await;
    let still_held = open_descriptors(pid);
    println!(
        "{STUCK} stuck connections opened in {opened:?} (service CPU {cpu:?}); service descriptors {held} then {still_held}; \
         normal client answered {} in {answered_in:?}; /healthz {}",
        accepted.status(),
        health.status()
    );
    assert_eq!(accepted.status(), 200);
    assert_eq!(health.status(), 200);
    assert!(
        held >= STUCK && still_held >= STUCK,
        "the stuck connections are open: {held}, {still_held}"
    );
    assert!(answered_in < Duration::from_secs(2), "{answered_in:?}");
    drop(stuck);
}

#[tokio::test]
async fn beyond_the_connection_cap_new_connections_are_refused_quickly_and_health_answers() {
    const CAP: usize = 20;
    const OVERFLOW: usize = 64;
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__SERVER__MAX_CONNECTIONS", &CAP.to_string())
        .start()
        .await;
    let mut stuck = stuck_connections(service.addr, CAP, PARTIAL_HEAD).await;
    let client = fresh_client();

    let asked = Instant::now();
    let health = client.get(service.url("/healthz")).send().await.expect("healthz");
    let health_in = asked.elapsed();
    assert_eq!(health.status(), 200);

    let asked = Instant::now();
    let refused = client
        .post(service.url("/v1/track"))
        .json(&json!({"userId": "u", "event": "e"}))
        .send()
        .await
        .expect("an answer");
    let refused_in = asked.elapsed();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "too_many_connections");

    // With the overflow pool taken too, a connection is closed unanswered at once. The
    // two answered connections above held overflow slots, released as the service closes
    // them (after the answer is read): a probe that finds one of them free is answered and
    // takes another stuck connection to fill it, at most once per connection answered.
    drop(client);
    let mut overflow = stuck_connections(service.addr, OVERFLOW, PARTIAL_HEAD).await;
    let mut refills = 0;
    let (asked, closed, answer) = loop {
        let asked = Instant::now();
        let mut extra = send_raw(service.addr, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
        let (closed, answer) = read_until_closed(&mut extra, Duration::from_secs(1)).await;
        if answer.is_empty() || refills == 2 {
            break (asked, closed, answer);
        }
        refills += 1;
        overflow.extend(stuck_connections(service.addr, 1, PARTIAL_HEAD).await);
    };
    println!(
        "cap {CAP}: /healthz beyond the cap in {health_in:?}, ingestion refused in {refused_in:?}, \
         beyond the overflow pool closed in {closed:?} (overflow slots refilled: {refills})"
    );
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert!(closed.is_some(), "closed at once (asked {:?} ago)", asked.elapsed());
    assert!(health_in < Duration::from_secs(1) && refused_in < Duration::from_secs(1));
    trickle(&mut stuck).await;
    trickle(&mut overflow).await;
}
