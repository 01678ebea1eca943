use std::time::Duration;

use super::*;

#[tokio::test(start_paused = true)]
async fn events_of_one_record_go_in_order_while_other_records_proceed() {
    // a1 fails twice (503) before it is accepted; b's events must not wait for it, and
    // a2, a3 must not overtake it.
    let gateway = FakeGateway::new(|seqs, attempt| match seqs.first().map(String::as_str) {
        Some("a1") if attempt < 2 => Err(status(503, None)),
        _ => Ok(()),
    });
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    h.append(&[
        track("a@x.io", "a1"),
        track("b@x.io", "b1"),
        track("a@x.io", "a2"),
        track("b@x.io", "b2"),
        track("a@x.io", "a3"),
    ])
    .await;
    h.until(Duration::from_secs(10), |h| h.spool.pending_ids().is_empty())
        .await;

    let delivered = h.delivered_seqs();
    let of = |prefix: char| -> Vec<String> { delivered.iter().filter(|s| s.starts_with(prefix)).cloned().collect() };
    assert_eq!(of('a'), seqs(&["a1", "a2", "a3"]));
    assert_eq!(of('b'), seqs(&["b1", "b2"]));

    let calls = h.gateway.calls();
    let position = |seq: &str, ok: bool| {
        calls
            .iter()
            .position(|c| c.ok == ok && c.seqs.first().map(String::as_str) == Some(seq))
            .unwrap_or_else(|| panic!("no call for {seq} (ok = {ok}): {calls:?}"))
    };
    // b2 was delivered while a1 was still backing off.
    assert!(position("b2", true) < position("a1", true), "{calls:?}");
    // Nothing of a was sent between a1's failures and its success.
    let a1_done = position("a1", true);
    assert!(
        calls[..a1_done]
            .iter()
            .all(|c| !c.seqs.iter().any(|s| s == "a2" || s == "a3")),
        "{calls:?}"
    );
    assert_eq!(DeliveryStatus::get(&h.status.delivered), 5);
    assert_eq!(DeliveryStatus::get(&h.status.retries), 2);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn different_records_are_delivered_concurrently() {
    let gateway = FakeGateway::accepting();
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    let events: Vec<String> = (0..4).map(|i| track(&format!("u{i}@x.io"), &format!("s{i}"))).collect();
    h.append(&events).await;
    h.until(Duration::from_secs(5), |h| h.spool.pending_ids().is_empty())
        .await;
    let calls = h.gateway.calls();
    assert_eq!(calls.len(), 4);
    // Each request takes 5 ms; with concurrency 4 they all end within one such period.
    let first = calls.iter().map(|c| c.at).min().expect("calls");
    let last = calls.iter().map(|c| c.at).max().expect("calls");
    assert!(last - first < Duration::from_millis(5), "{calls:?}");
    h.stop().await;
}
