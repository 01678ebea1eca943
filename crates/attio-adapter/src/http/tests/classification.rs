//! Error classification through a mocked raw exchange: one case per class.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use domain::ports::AttioGateway;
use domain::{AttributeSlug, GatewayError, JsonText, ObjectSlug, Retryability, Retryable};
use http::{HeaderMap, HeaderValue};
use secrecy::SecretString;

use crate::http::send::MockHttpSend;
use crate::http::{AttioHttpConfig, HttpAttioGateway, RawResponse, TransportError};

static NEXT_TOKEN: AtomicU32 = AtomicU32::new(0);

/// A config with a token no other test uses (limiters are shared per token).
fn config() -> AttioHttpConfig {
    let n = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    let mut c = AttioHttpConfig::new(SecretString::from(format!("mock-token-{n}")));
    c.base_url = "http://attio.invalid".into();
    c.max_rate_limit_retries = 0;
    c
}

fn reply(status: u16, reason: &str, headers: &[(&str, &str)], body: &str) -> RawResponse {
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    RawResponse {
        status,
        reason: reason.into(),
        headers: h,
        body: Bytes::from(body.to_owned()),
    }
}

fn gateway_answering(config: AttioHttpConfig, answer: Result<RawResponse, TransportError>) -> HttpAttioGateway {
    let mut mock = MockHttpSend::new();
    mock.expect_send().returning(move |_| answer.clone());
    HttpAttioGateway::with_sender(config, Arc::new(mock)).unwrap()
}

fn people() -> domain::Assertion<'static> {
    let mut a = domain::Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
    a.set_json("email_addresses", JsonText::string("a@b.co"));
    a
}

async fn assert_error(answer: Result<RawResponse, TransportError>) -> GatewayError {
    let g = gateway_answering(config(), answer);
    g.simple_assert(&people(), None).await.unwrap_err()
}

fn attio_body(status: u16, code: &str) -> String {
    format!(r#"{{"status_code":{status},"type":"invalid_request_error","code":"{code}","message":"m"}}"#)
}

#[tokio::test]
async fn retryable_statuses_are_retryable() {
    for status in [408, 423, 429, 500, 502, 503, 504] {
        let err = assert_error(Ok(reply(status, "X", &[], &attio_body(status, "c")))).await;
        assert_eq!(err.status(), Some(status));
        assert!(err.retryability().is_retryable(), "{status}: {err:?}");
    }
}

#[tokio::test]
async fn timeout_is_a_retryable_timeout() {
    let err = assert_error(Err(TransportError::Timeout(Duration::from_secs(10)))).await;
    assert_eq!(
        err,
        GatewayError::Timeout {
            after: Duration::from_secs(10)
        }
    );
    assert!(err.retryability().is_retryable());
}

#[tokio::test]
async fn connection_refused_is_a_retryable_connection_error() {
    let err = assert_error(Err(TransportError::Connection("connection refused".into()))).await;
    assert!(
        matches!(&err, GatewayError::Connection(m) if m.contains("refused")),
        "{err:?}"
    );
    assert!(err.retryability().is_retryable());
}

#[tokio::test]
async fn unauthorized_and_forbidden_are_authentication_failures() {
    for status in [401, 403] {
        let err = assert_error(Ok(reply(
            status,
            "Unauthorized",
            &[],
            &attio_body(status, "unauthorized"),
        )))
        .await;
        assert_eq!(err.retryability(), Retryability::Authentication, "{status}");
    }
}

#[tokio::test]
async fn client_errors_and_501_are_permanent() {
    for status in [400, 404, 409, 422, 501] {
        let err = assert_error(Ok(reply(status, "X", &[], &attio_body(status, "validation_type")))).await;
        assert_eq!(err.retryability(), Retryability::Permanent, "{status}: {err:?}");
    }
}

#[tokio::test]
async fn attio_error_body_and_reason_phrase_are_kept() {
    let err = assert_error(Ok(reply(400, "Bad Request", &[], &attio_body(400, "validation_type")))).await;
    assert_eq!(err.to_string(), "Attio answered 400 Bad Request (validation_type): m");
    let GatewayError::Status { body, raw_body, .. } = err else {
        panic!("not a status error")
    };
    assert_eq!(body.and_then(|b| b.kind).as_deref(), Some("invalid_request_error"));
    assert_eq!(raw_body, None);
}

#[tokio::test]
async fn retry_after_as_http_date_becomes_the_delay_until_it() {
    let at = SystemTime::now() + Duration::from_secs(5);
    let date = httpdate::fmt_http_date(at);
    let err = assert_error(Ok(reply(429, "Too Many Requests", &[("retry-after", &date)], "{}"))).await;
    let Retryability::Retryable { after: Some(after) } = err.retryability() else {
        panic!("{err:?}")
    };
    // The date has whole seconds: the delay is within one second below five.
    assert!(
        after > Duration::from_secs(3) && after <= Duration::from_secs(5),
        "{after:?}"
    );
}

#[tokio::test]
async fn retry_after_as_seconds_is_the_delay() {
    let err = assert_error(Ok(reply(503, "Service Unavailable", &[("retry-after", "7")], ""))).await;
    assert_eq!(
        err.retryability(),
        Retryability::Retryable {
            after: Some(Duration::from_secs(7))
        }
    );
}

#[tokio::test]
async fn non_json_error_body_is_kept_truncated() {
    let html = format!("<html>{}</html>", "bad gateway ".repeat(200));
    let err = assert_error(Ok(reply(502, "Bad Gateway", &[], &html))).await;
    let GatewayError::Status {
        body,
        raw_body,
        status_text,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(body, &None);
    assert_eq!(status_text, "Bad Gateway");
    let raw = raw_body.as_deref().unwrap();
    assert!(raw.starts_with("<html>bad gateway"), "{raw}");
    assert!(raw.len() < html.len(), "not truncated");
    assert!(err.retryability().is_retryable());
}

#[tokio::test(start_paused = true)]
async fn a_429_is_sent_again_after_the_pause_and_counted() {
    let mut c = config();
    c.max_rate_limit_retries = 3;
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let mut mock = MockHttpSend::new();
    mock.expect_send().times(2).returning(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            Ok(reply(
                429,
                "Too Many Requests",
                &[("retry-after", "2")],
                &attio_body(429, "rate_limit_exceeded"),
            ))
        } else {
            Ok(reply(200, "OK", &[], r#"{"data":{"id":{"record_id":"r1"}}}"#))
        }
    });
    let g = HttpAttioGateway::with_sender(c, Arc::new(mock)).unwrap();
    let t0 = tokio::time::Instant::now();
    let r = g.simple_assert(&people(), None).await.unwrap();
    assert_eq!(r.record_id(), Some("r1"));
    assert!(t0.elapsed() >= Duration::from_secs(2), "{:?}", t0.elapsed());
    let s = g.stats().rate;
    assert_eq!((s.requests_sent, s.rate_limited), (2, 1));
    assert_eq!(s.paused, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_429_is_returned_after_the_configured_retries() {
    let mut c = config();
    c.max_rate_limit_retries = 2;
    let mut mock = MockHttpSend::new();
    mock.expect_send()
        .times(3)
        .returning(|_| Ok(reply(429, "Too Many Requests", &[("retry-after", "1")], "{}")));
    let g = HttpAttioGateway::with_sender(c, Arc::new(mock)).unwrap();
    let err = g.check_credentials().await.unwrap_err();
    assert_eq!(err.status(), Some(429));
}

#[tokio::test(start_paused = true)]
async fn a_429_with_a_past_date_still_pauses_briefly() {
    let mut c = config();
    c.max_rate_limit_retries = 1;
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let mut mock = MockHttpSend::new();
    mock.expect_send().times(2).returning(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            Ok(reply(
                429,
                "Too Many Requests",
                &[("retry-after", "Tue, 23 May 2023 14:42:01 GMT")],
                "{}",
            ))
        } else {
            Ok(reply(200, "OK", &[], "{}"))
        }
    });
    let g = HttpAttioGateway::with_sender(c, Arc::new(mock)).unwrap();
    let t0 = tokio::time::Instant::now();
    g.check_credentials().await.unwrap();
    assert_eq!(t0.elapsed(), crate::http::gateway::MIN_RATE_LIMIT_PAUSE);
}

#[tokio::test]
async fn the_token_is_sent_but_never_printed() {
    let mut c = config();
    c.token = SecretString::from("attio_pat_s3cr3t");
    let mut mock = MockHttpSend::new();
    mock.expect_send().times(1).returning(|req| {
        assert_eq!(req.headers["authorization"], "Bearer attio_pat_s3cr3t");
        assert!(!format!("{req:?}").contains("s3cr3t"), "{req:?}");
        Ok(reply(401, "Unauthorized", &[], &attio_body(401, "unauthorized")))
    });
    let g = HttpAttioGateway::with_sender(c, Arc::new(mock)).unwrap();
    assert!(!format!("{g:?}").contains("s3cr3t"));
    let err = g.check_credentials().await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("s3cr3t"));
}

#[test]
fn a_base_url_with_credentials_is_refused_without_printing_them() {
    let mut c = config();
    c.base_url = "https://attio_pat_s3cr3t:x@api.attio.com".into();
    let err = HttpAttioGateway::with_sender(c, Arc::new(MockHttpSend::new())).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("base_url") && text.contains("api.attio.com"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");

    let mut c = config();
    c.base_url = "https://attio_pat_s3cr3t@[::1".into(); // not even a URL
    let err = HttpAttioGateway::with_sender(c, Arc::new(MockHttpSend::new())).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("base_url") && text.contains("https://***@[::1"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
}

#[tokio::test]
async fn an_enormous_retry_after_is_capped_instead_of_overflowing() {
    let answer = reply(
        429,
        "Too Many Requests",
        &[("retry-after", &u64::MAX.to_string())],
        &attio_body(429, "rate_limit_exceeded"),
    );
    let g = gateway_answering(config(), Ok(answer));
    let err = g.simple_assert(&people(), None).await.unwrap_err();
    let GatewayError::Status { retry_after, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*retry_after, Some(crate::http::classify::MAX_RETRY_AFTER));
    assert!(g.stats().rate.paused >= crate::http::classify::MAX_RETRY_AFTER - Duration::from_secs(1));
}

#[test]
fn bad_configuration_is_refused_with_the_field_named() {
    let mut c = config();
    c.base_url = "ftp://x".into();
    let mock = Arc::new(MockHttpSend::new());
    let err = HttpAttioGateway::with_sender(c, mock.clone()).unwrap_err();
    assert!(err.to_string().contains("base_url"), "{err}");
    let mut c = config();
    c.write_rate = 0;
    let err = HttpAttioGateway::with_sender(c, mock.clone()).unwrap_err();
    assert!(err.to_string().contains("write_rate"), "{err}");
    let mut c = config();
    c.token = SecretString::from("a\nb");
    let err = HttpAttioGateway::with_sender(c, mock).unwrap_err();
    assert!(!err.to_string().contains("a\nb"));
}
