//! Memory from bodies: 2,000 clients each sending 500 KB without a key and withholding
//! the last bytes. The budget of buffered request bytes holds the service's memory.

use std::time::{Duration, Instant};

use segment_attio_acceptance::service::ServiceBuilder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use serde_json::json;

use super::{fresh_client, raise_own_open_file_limit, status_kb, HEAVY, KEY};

const CLIENTS: usize = 2_000;
const BODY: usize = 500 * 1024;
const WITHHELD: usize = 16;
const MAX_RSS_MB: u64 = 300;

/// What happened to one slow client.
enum Outcome {
    /// Answered before it finished sending: the status and whether `Retry-After` came.
    Refused(u16, bool),
    /// Everything but the last bytes was sent and no answer came.
    Holding(TcpStream),
}

async fn slow_client(addr: std::net::SocketAddr) -> Outcome {
    let mut stream = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(_) => return Outcome::Refused(0, false),
    };
    let head = format!(
        "POST /v1/batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {BODY}\r\n\r\n"
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return answer(&mut stream).await;
    }
    let chunk = vec![b' '; 16 * 1024];
    let mut sent = 0;
    while sent < BODY - WITHHELD {
        let n = chunk.len().min(BODY - WITHHELD - sent);
        let write = tokio::time::timeout(Duration::from_secs(10), stream.write_all(&chunk[..n])).await;
        match write {
            Ok(Ok(())) => sent += n,
            // Refused (the service answered and closed) or stalled (it reads no more).
            _ => return answer(&mut stream).await,
        }
    }
    let mut first = [0u8; 1];
    match tokio::time::timeout(Duration::from_millis(200), stream.peek(&mut first)).await {
        Ok(Ok(n)) if n > 0 => answer(&mut stream).await,
        _ => Outcome::Holding(stream),
    }
}

async fn answer(stream: &mut TcpStream) -> Outcome {
    let mut read = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut read)).await;
    let text = String::from_utf8_lossy(&read).to_ascii_lowercase();
    let status = text
        .strip_prefix("http/1.1 ")
        .and_then(|t| t.get(..3)?.parse().ok())
        .unwrap_or(0);
    Outcome::Refused(status, text.contains("\r\nretry-after:"))
}

#[tokio::test]
async fn memory_stays_bounded_while_two_thousand_clients_send_500_kb_slowly() {
    let _heavy = HEAVY.lock().await;
    assert!(raise_own_open_file_limit() > CLIENTS as u64 + 500);
    let service = ServiceBuilder::new()
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", KEY)
        .start()
        .await;
    let pid = service.pid().expect("running");
    let before = status_kb(pid, "VmRSS");
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS).map(|_| tokio::spawn(slow_client(service.addr))).collect();
    let mut holding = Vec::new();
    let (mut refused, mut with_retry_after, mut reset, mut other) = (0, 0, 0, Vec::new());
    for c in clients {
        match c.await.expect("client task") {
            Outcome::Holding(stream) => holding.push(stream),
            Outcome::Refused(503, retry) => {
                refused += 1;
                with_retry_after += usize::from(retry);
            }
            // Closed with the body unread: the answer may be lost to the reset.
            Outcome::Refused(0, _) => reset += 1,
            Outcome::Refused(status, _) => other.push(status),
        }
    }
    let sent_in = started.elapsed();
    let rss = status_kb(pid, "VmRSS");
    let peak = status_kb(pid, "VmHWM");
    let checked = Instant::now();
    let (health, _) = service.get_json("/healthz").await;
    // One more, sending only its head: answered 503 with Retry-After before its body.
    let mut probe = TcpStream::connect(service.addr).await.expect("connect");
    let head = format!("POST /v1/batch HTTP/1.1\r\nHost: localhost\r\nContent-Length: {BODY}\r\n\r\n");
    probe.write_all(head.as_bytes()).await.expect("send the head");
    let probe = answer(&mut probe).await;
    // A client with its key in a header still gets a large batch in: requests whose key
    // is not known yet may hold only half of the budget.
    let pad = "x".repeat(3_900);
    let batch: Vec<_> = (0..100)
        .map(|i| json!({"type": "identify", "userId": format!("keyed-{i}"), "traits": {"pad": pad}}))
        .collect();
    let keyed = fresh_client()
        .post(service.url("/v1/batch"))
        .basic_auth(KEY, Some(""))
        .json(&json!({ "batch": batch }))
        .send()
        .await
        .expect("an answer")
        .status();
    let checked_in = checked.elapsed();
    println!(
        "{CLIENTS} clients x {BODY} bytes (last {WITHHELD} withheld) in {sent_in:?}: {} holding, {refused} answered 503 \
         ({with_retry_after} with Retry-After), {reset} reset, others {other:?}; RSS {} MB before, {} MB during, peak {} MB; a keyed 400 KB batch meanwhile: {keyed} (checks took {checked_in:?})",
        holding.len(),
        before / 1024,
        rss / 1024,
        peak / 1024
    );
    assert!(peak / 1024 < MAX_RSS_MB, "peak RSS {} MB", peak / 1024);
    assert!(refused + reset > 0, "the budget refused clients");
    assert!(
        matches!(probe, Outcome::Refused(503, true)),
        "a request beyond the budget is answered 503 with Retry-After"
    );
    assert_eq!(with_retry_after, refused, "every 503 carries Retry-After");
    assert!(other.is_empty(), "unexpected answers {other:?}");
    assert_eq!(health, 200);
    assert_eq!(keyed, 200, "a client with a key is served during the attack");
    drop(holding);
}
