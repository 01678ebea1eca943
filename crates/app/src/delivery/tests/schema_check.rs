//! The pre-send check in batch mode, and which Attio answers are retried.

use std::sync::atomic::Ordering;
use std::time::Duration;

use attio_adapter::wire::error::{kind, parse_error_body, ErrorBody};

use super::*;

/// The error the transport makes of Attio's error body.
fn attio(status: u16, code: &str, message: &str) -> GatewayError {
    let body = ErrorBody {
        status_code: status,
        kind: kind::INVALID_REQUEST,
        code,
        message,
    };
    GatewayError::Status {
        status,
        status_text: String::new(),
        body: parse_error_body(body.to_json().to_string().as_bytes()),
        raw_body: None,
        retry_after: None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_refused_batch_member_is_taken_out_and_dead_lettered_and_the_others_go_in_one_batch() {
    let gateway = FakeGateway::accepting().refusing(&["b2", "b4"]);
    let mut h = Harness::start(config(), vec![assert_people(Some(10))], gateway);
    let events: Vec<String> = (1..=5)
        .map(|i| track(&format!("p{i}@x.io"), &format!("b{i}")))
        .collect();
    h.append(&events).await;
    h.until(Duration::from_secs(5), |h| h.spool.pending_ids().is_empty())
        .await;

    let calls = h.gateway.calls();
    assert_eq!(calls.len(), 1, "one batch, no isolation: {calls:?}");
    assert!(calls[0].batch);
    assert_eq!(calls[0].seqs, seqs(&["b1", "b3", "b5"]));
    let letters = h.spool.letters();
    let refused: Vec<&str> = letters.iter().map(|l| l.payload.as_str()).collect();
    assert_eq!(letters.len(), 2, "{letters:?}");
    assert!(
        refused[0].contains("\"b2\"") && refused[1].contains("\"b4\""),
        "{refused:?}"
    );
    for l in &letters {
        assert!(
            l.reason.contains("attribute \"seq\"") && l.reason.contains("\"people\""),
            "{}",
            l.reason
        );
        assert_eq!(l.attempts, 1);
    }
    assert_eq!(h.status.delivered.load(Ordering::Relaxed), 3);
    assert_eq!(h.status.dead_lettered.load(Ordering::Relaxed), 2);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_single_mode_event_refused_by_the_check_is_dead_lettered_without_a_request() {
    let gateway = FakeGateway::accepting().refusing(&["s1"]);
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    h.append(&[track("a@x.io", "s1")]).await;
    h.until(Duration::from_secs(5), |h| !h.spool.letters().is_empty()).await;
    assert!(h.gateway.calls().is_empty(), "{:?}", h.gateway.calls());
    assert_eq!(h.spool.letters()[0].attempts, 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_unknown_attribute_answer_is_dead_lettered_at_once() {
    let gateway = FakeGateway::new(|_, _| {
        Err(attio(
            400,
            "value_not_found",
            "Cannot find attribute with slug/ID \"plan\".",
        ))
    });
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    h.append(&[track("a@x.io", "u1")]).await;
    h.until(Duration::from_secs(5), |h| !h.spool.letters().is_empty()).await;
    assert_eq!(h.gateway.calls().len(), 1, "not retried: {:?}", h.gateway.calls());
    let letter = &h.spool.letters()[0];
    assert_eq!(letter.attempts, 1);
    assert!(letter.reason.contains("\"plan\""), "{}", letter.reason);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_invalid_value_and_a_not_unique_answer_are_dead_lettered_at_once() {
    for (code, message) in [
        (
            "validation_type",
            "An invalid value was passed to attribute with slug \"age\".",
        ),
        ("not_unique", "Matching attribute \"name\" is not unique."),
    ] {
        let gateway = FakeGateway::new(move |_, _| Err(attio(400, code, message)));
        let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
        h.append(&[track("a@x.io", "v1")]).await;
        h.until(Duration::from_secs(5), |h| !h.spool.letters().is_empty()).await;
        assert_eq!(h.gateway.calls().len(), 1, "{code}: {:?}", h.gateway.calls());
        h.stop().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_missing_record_reference_keeps_its_bounded_retries() {
    let gateway = FakeGateway::new(|_, _| {
        Err(attio(
            400,
            "value_not_found",
            "No record of \"users\" found where \"user_id\" is \"u9\".",
        ))
    });
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    h.append(&[track("a@x.io", "m1")]).await;
    h.until(Duration::from_secs(30), |h| !h.spool.letters().is_empty())
        .await;
    assert_eq!(h.gateway.calls().len(), config().missing_reference_attempts as usize);
    assert_eq!(h.spool.letters()[0].attempts, config().missing_reference_attempts);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_concurrent_write_conflict_is_retried_until_it_succeeds() {
    let gateway = FakeGateway::new(|_, attempt| {
        if attempt < 2 {
            Err(attio(409, "concurrent_write_conflict", "Please try again."))
        } else {
            Ok(())
        }
    });
    let mut h = Harness::start(config(), vec![assert_people(None)], gateway);
    h.append(&[track("a@x.io", "c1")]).await;
    h.until(Duration::from_secs(10), |h| h.spool.pending_ids().is_empty())
        .await;
    assert_eq!(h.gateway.calls().len(), 3);
    assert!(h.spool.letters().is_empty());
    assert_eq!(h.spool.acked(), vec![1]);
    h.stop().await;
}
