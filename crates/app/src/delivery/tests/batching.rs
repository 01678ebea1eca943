use std::time::Duration;

use super::*;

fn distinct(n: usize) -> Vec<String> {
    (0..n).map(|i| track(&format!("u{i}@x.io"), &format!("s{i}"))).collect()
}

#[tokio::test(start_paused = true)]
async fn full_batches_go_at_once_and_the_rest_after_the_flush_interval() {
    let mut cfg = config();
    cfg.flush_interval = Duration::from_secs(10);
    let mut h = Harness::start(cfg, vec![assert_people(Some(3))], FakeGateway::accepting());
    let start = Instant::now();
    h.append(&distinct(7)).await;

    h.until(Duration::from_secs(1), |h| h.gateway.calls().len() == 2).await;
    let calls = h.gateway.calls();
    assert!(calls.iter().all(|c| c.batch && c.seqs.len() == 3), "{calls:?}");
    assert!(calls.iter().all(|c| c.at - start < Duration::from_secs(1)), "{calls:?}");
    // Acknowledgements are written together, within a few milliseconds.
    h.until(Duration::from_millis(100), |h| h.spool.pending_ids().len() == 1)
        .await;
    assert!(h.gateway.calls().len() == 2, "the seventh event waits for more");

    h.until(Duration::from_secs(15), |h| h.gateway.calls().len() == 3).await;
    let last = h.gateway.calls().pop().expect("a third call");
    assert_eq!(last.seqs, seqs(&["s6"]));
    assert!(
        last.at - start >= Duration::from_secs(10),
        "sent after {:?}",
        last.at - start
    );
    h.until(Duration::from_secs(1), |h| h.spool.pending_ids().is_empty())
        .await;
    let mut all = h.delivered_seqs();
    all.sort();
    let mut expected: Vec<String> = (0..7).map(|i| format!("s{i}")).collect();
    expected.sort();
    assert_eq!(all, expected);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_partial_batch_is_flushed_after_the_interval() {
    let mut cfg = config();
    cfg.flush_interval = Duration::from_millis(300);
    let mut h = Harness::start(cfg, vec![assert_people(Some(100))], FakeGateway::accepting());
    let start = Instant::now();
    h.append(&distinct(2)).await;
    h.until(Duration::from_secs(2), |h| h.spool.pending_ids().is_empty())
        .await;
    let calls = h.gateway.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].seqs, seqs(&["s0", "s1"]));
    assert!(
        calls[0].at - start >= Duration::from_millis(300),
        "{:?}",
        calls[0].at - start
    );
    assert!(
        calls[0].at - start < Duration::from_millis(600),
        "{:?}",
        calls[0].at - start
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn events_of_one_record_keep_their_order_across_batches() {
    // Same record: all events in acceptance order, whatever the batch boundaries.
    let mut h = Harness::start(config(), vec![assert_people(Some(2))], FakeGateway::accepting());
    let events: Vec<String> = (0..5).map(|i| track("same@x.io", &format!("s{i}"))).collect();
    h.append(&events).await;
    h.until(Duration::from_secs(5), |h| h.spool.pending_ids().is_empty())
        .await;
    assert_eq!(h.delivered_seqs(), seqs(&["s0", "s1", "s2", "s3", "s4"]));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_splits_the_batch_and_dead_letters_only_the_bad_event() {
    let gateway = FakeGateway::new(|seqs, _| {
        if seqs.iter().any(|s| s == "bad") {
            Err(status(400, None))
        } else {
            Ok(())
        }
    });
    let mut h = Harness::start(config(), vec![assert_people(Some(3))], gateway);
    h.append(&[track("a@x.io", "a"), track("b@x.io", "bad"), track("c@x.io", "c")])
        .await;
    h.until(Duration::from_secs(5), |h| h.spool.pending_ids().is_empty())
        .await;

    let calls = h.gateway.calls();
    assert_eq!(calls[0].seqs, seqs(&["a", "bad", "c"]));
    assert!(!calls[0].ok);
    // Then each on its own.
    assert!(calls[1..].iter().all(|c| c.seqs.len() == 1), "{calls:?}");
    let mut delivered = h.delivered_seqs();
    delivered.sort();
    assert_eq!(delivered, seqs(&["a", "c"]));

    let letters = h.spool.letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].payload.contains("\"bad\""), "{letters:?}");
    assert_eq!(letters[0].subscription, "people");
    assert!(letters[0].reason.contains("400"), "{}", letters[0].reason);
    assert!(
        letters[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("scripted 400")),
        "{letters:?}"
    );
    assert_eq!(DeliveryStatus::get(&h.status.dead_lettered), 1);
    assert_eq!(DeliveryStatus::get(&h.status.delivered), 2);
    h.stop().await;
}
