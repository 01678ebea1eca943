use std::sync::atomic::Ordering;
use std::time::Duration;

use super::*;
use crate::delivery::CredentialState;

#[tokio::test(start_paused = true)]
async fn a_retryable_error_is_retried_no_sooner_than_the_suggested_delay() {
    let gateway = FakeGateway::new(|_, attempt| {
        if attempt == 0 {
            Err(status(429, Some(Duration::from_secs(7))))
        } else {
            Ok(())
        }
    });
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    h.append(&[track("a@x.io", "a1")]).await;
    h.until(Duration::from_secs(20), |h| h.spool.pending_ids().is_empty())
        .await;
    let calls = h.gateway.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let waited = calls[1].at - calls[0].at;
    // 7 s suggested, far above the 100 ms initial backoff; a few ms of loop overhead.
    assert!(waited >= Duration::from_secs(7), "{waited:?}");
    assert!(waited < Duration::from_millis(7_300), "{waited:?}");
    assert!(h.spool.letters().is_empty());
    assert_eq!(h.spool.acked(), vec![1]);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn retries_back_off_exponentially() {
    let gateway = FakeGateway::new(|_, attempt| if attempt < 4 { Err(status(503, None)) } else { Ok(()) });
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    h.append(&[track("a@x.io", "a1")]).await;
    h.until(Duration::from_secs(20), |h| h.spool.pending_ids().is_empty())
        .await;
    let calls = h.gateway.calls();
    assert_eq!(calls.len(), 5, "{calls:?}");
    // Attempt n waits initial * 2^(n-1) scaled by [0.5, 1]: 50-100, 100-200, 200-400, 400-800 ms.
    for (n, pair) in calls.windows(2).enumerate() {
        let waited = pair[1].at - pair[0].at;
        let ceiling = Duration::from_millis(100 << n);
        assert!(
            waited >= ceiling / 2 && waited <= ceiling + Duration::from_millis(50),
            "wait {n}: {waited:?}"
        );
    }
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_event_past_max_age_is_dead_lettered_with_the_reason() {
    let gateway = FakeGateway::new(|_, _| Err(status(503, None)));
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    let long_ago = Utc::now() - chrono::Duration::hours(2);
    h.append_received(&[track("a@x.io", "old")], long_ago).await;
    h.append(&[track("b@x.io", "young")]).await;
    h.until(Duration::from_secs(5), |h| !h.spool.letters().is_empty()).await;

    let letters = h.spool.letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert!(letter.payload.contains("\"old\""));
    assert!(
        letter.reason.contains("older than the retry limit"),
        "{}",
        letter.reason
    );
    assert!(letter.reason.contains("503"), "{}", letter.reason);
    assert_eq!(letter.attempts, 1);
    assert_eq!(letter.received_at, long_ago);
    // The young event is still being retried, not given up.
    assert_eq!(h.spool.pending_ids(), vec![2]);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn only_the_expired_events_of_a_batch_are_given_up() {
    let gateway = FakeGateway::new(|seqs, _| if seqs.len() > 1 { Err(status(503, None)) } else { Ok(()) });
    let mut h = Harness::start(config(), vec![assert_people(Some(10))], gateway);
    let long_ago = Utc::now() - chrono::Duration::hours(2);
    // Same record: the old event and the young one travel in one batch.
    h.append_received(&[track("a@x.io", "old")], long_ago).await;
    h.append(&[track("a@x.io", "young")]).await;
    h.until(Duration::from_secs(10), |h| h.spool.pending_ids().is_empty())
        .await;
    let letters = h.spool.letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].payload.contains("\"old\""), "{letters:?}");
    assert_eq!(h.delivered_seqs(), seqs(&["young"]));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_dead_letters_only_that_event() {
    let gateway = FakeGateway::new(|seqs, _| {
        if seqs.first().map(String::as_str) == Some("a2") {
            Err(status(400, None))
        } else {
            Ok(())
        }
    });
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    h.append(&[track("a@x.io", "a1"), track("a@x.io", "a2"), track("a@x.io", "a3")])
        .await;
    h.until(Duration::from_secs(5), |h| h.spool.pending_ids().is_empty())
        .await;
    assert_eq!(h.delivered_seqs(), seqs(&["a1", "a3"]));
    let letters = h.spool.letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(letters[0].payload.contains("\"a2\""));
    assert_eq!(letters[0].attempts, 1, "a permanent error is not retried");
    assert_eq!(h.gateway.calls().len(), 3);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn refused_credentials_dead_letter_the_event_and_pause_until_they_work() {
    // The gateway refuses writes and the credential check while `bad` holds.
    let bad = Arc::new(AtomicBool::new(true));
    let flag = bad.clone();
    let gateway = FakeGateway::new(move |_, _| {
        if flag.load(Ordering::SeqCst) {
            Err(status(401, None))
        } else {
            Ok(())
        }
    });
    gateway.credentials_ok.store(false, Ordering::SeqCst);
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    h.append(&[track("a@x.io", "first")]).await;
    h.until(Duration::from_secs(2), |h| !h.spool.letters().is_empty()).await;
    let letters = h.spool.letters();
    assert!(letters[0].payload.contains("\"first\""));
    assert!(letters[0].reason.contains("credentials"), "{}", letters[0].reason);
    assert!(letters[0].reason.contains("401"), "{}", letters[0].reason);
    assert!(matches!(h.status.credentials(), CredentialState::Invalid(_)));
    assert!(h.status.paused.load(Ordering::Relaxed));

    // While paused, nothing is sent, and the credentials are re-checked periodically.
    h.append(&[track("b@x.io", "second")]).await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(h.gateway.calls().len(), 1, "{:?}", h.gateway.calls());
    let checks = h.gateway.credential_checks.lock().map(|c| c.len()).unwrap_or(0);
    assert!(checks >= 2, "credentials checked {checks} times");
    assert_eq!(h.spool.pending_ids(), vec![2]);

    // Fixed: the next check succeeds and delivery resumes.
    bad.store(false, Ordering::SeqCst);
    h.gateway.credentials_ok.store(true, Ordering::SeqCst);
    h.until(Duration::from_secs(10), |h| h.spool.pending_ids().is_empty())
        .await;
    assert_eq!(h.delivered_seqs(), seqs(&["second"]));
    assert_eq!(h.status.credentials(), CredentialState::Valid);
    assert!(!h.status.paused.load(Ordering::Relaxed));
    assert_eq!(h.spool.letters().len(), 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_leaves_undelivered_events_in_the_spool() {
    let gateway = FakeGateway::new(|_, _| Err(status(503, None)));
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    h.append(&[track("a@x.io", "a1"), track("b@x.io", "b1")]).await;
    h.until(Duration::from_secs(2), |h| h.gateway.calls().len() >= 2).await;
    h.stop().await;
    assert_eq!(h.spool.pending_ids(), vec![1, 2]);
    assert!(h.spool.letters().is_empty());
    assert!(h.spool.acked().is_empty());
}

#[tokio::test(start_paused = true)]
async fn credentials_known_to_be_refused_keep_events_waiting_instead_of_dead_lettering_them() {
    // Writes are refused until the token is fixed (as the credential check is).
    let bad = Arc::new(AtomicBool::new(true));
    let flag = bad.clone();
    let gateway = FakeGateway::new(move |_, _| {
        if flag.load(Ordering::SeqCst) {
            Err(status(401, None))
        } else {
            Ok(())
        }
    });
    gateway.credentials_ok.store(false, Ordering::SeqCst);
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    // The check at start already found the token refused.
    h.status
        .set_credentials(CredentialState::Invalid("Attio answered 401".into()));
    h.append(&[track("a@x.io", "first")]).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(h.gateway.calls().is_empty(), "{:?}", h.gateway.calls());
    assert!(h.spool.letters().is_empty());
    assert_eq!(h.spool.pending_ids(), vec![1]);
    assert!(h.status.paused.load(Ordering::Relaxed));

    bad.store(false, Ordering::SeqCst);
    h.gateway.credentials_ok.store(true, Ordering::SeqCst);
    h.until(Duration::from_secs(60), |h| {
        h.status.credentials() == CredentialState::Valid
    })
    .await;
    assert!(!h.status.paused.load(Ordering::Relaxed));
    // The event that waited is delivered, once, and nothing was dead-lettered.
    h.until(Duration::from_secs(10), |h| h.spool.pending_ids().is_empty())
        .await;
    assert_eq!(h.delivered_seqs(), seqs(&["first"]));
    assert_eq!(h.gateway.calls().len(), 1, "{:?}", h.gateway.calls());
    assert_eq!(h.spool.acked(), vec![1]);
    assert!(h.spool.letters().is_empty(), "{:?}", h.spool.letters());
    h.stop().await;
}
