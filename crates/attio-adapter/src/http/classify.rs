//! Turning a raw reply or transport failure into the domain's [`GatewayError`].

use std::time::{Duration, SystemTime};

use domain::GatewayError;
use http::HeaderMap;

use super::send::{RawResponse, TransportError};
use crate::wire::error::parse_error_body;

/// A non-JSON (or non-Attio) error body is kept up to this many bytes.
pub const MAX_RAW_BODY: usize = 512;

/// `Ok(response)` for a 2xx, otherwise the classified error.
pub fn check_status(response: RawResponse) -> Result<RawResponse, GatewayError> {
    if (200..300).contains(&response.status) {
        Ok(response)
    } else {
        Err(status_error(&response, SystemTime::now()))
    }
}

/// The error for a non-2xx reply; `now` converts an HTTP-date `Retry-After` into a delay.
pub fn status_error(response: &RawResponse, now: SystemTime) -> GatewayError {
    let body = parse_error_body(&response.body);
    let raw_body = if body.is_some() || response.body.is_empty() {
        None
    } else {
        Some(truncate(&String::from_utf8_lossy(&response.body), MAX_RAW_BODY))
    };
    GatewayError::Status {
        status: response.status,
        status_text: response.reason.clone(),
        body,
        raw_body,
        retry_after: retry_after(&response.headers, now),
    }
}

/// A transport failure as a gateway error.
pub fn transport_error(e: TransportError) -> GatewayError {
    match e {
        TransportError::Timeout(after) => GatewayError::Timeout { after },
        TransportError::Connection(msg) => GatewayError::Connection(msg),
    }
}

/// The longest delay a `Retry-After` is taken to ask for. Attio's limits are per second;
/// a larger value is a fault (or a clock far ahead of ours), and an unbounded one would
/// overflow the instant it is added to.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// `Retry-After` as delta-seconds or as an HTTP date (Attio's documented form), as a delay
/// from `now`, at most [`MAX_RETRY_AFTER`]. A date in the past is a zero delay; an
/// unreadable header is `None`.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    let delay = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else if let Ok(secs) = value.parse::<f64>() {
        if !(0.0..1e9).contains(&secs) {
            return None;
        }
        Duration::from_secs_f64(secs)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// At most `max` bytes of `s`, cut at a character boundary, with a marker when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_str(retry_after).unwrap());
        h
    }

    #[test]
    fn retry_after_seconds_are_a_delay() {
        assert_eq!(
            retry_after(&headers("3"), SystemTime::now()),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn retry_after_http_date_is_the_time_left_until_it() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_684_852_920); // 14:42:00 GMT
        let h = headers("Tue, 23 May 2023 14:42:01 GMT");
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(1)));
        let later = now + Duration::from_secs(5);
        assert_eq!(retry_after(&h, later), Some(Duration::ZERO));
    }

    #[test]
    fn unreadable_retry_after_is_none() {
        assert_eq!(retry_after(&headers("soon"), SystemTime::now()), None);
        assert_eq!(retry_after(&HeaderMap::new(), SystemTime::now()), None);
        assert_eq!(retry_after(&headers("-1"), SystemTime::now()), None);
        assert_eq!(retry_after(&headers("NaN"), SystemTime::now()), None);
    }

    #[test]
    fn retry_after_with_surrounding_spaces_or_a_fraction_is_read() {
        assert_eq!(
            retry_after(&headers(" 2 "), SystemTime::now()),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_after(&headers("0.5"), SystemTime::now()),
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn an_enormous_retry_after_is_capped() {
        let now = SystemTime::now();
        assert_eq!(retry_after(&headers(&u64::MAX.to_string()), now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after(&headers("Fri, 31 Dec 9999 23:59:59 GMT"), now),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn long_raw_body_is_truncated_at_a_character_boundary() {
        let s = "é".repeat(400);
        let t = truncate(&s, 5);
        assert!(t.starts_with("éé…"), "{t}");
        assert!(t.contains("800 bytes"));
    }
}
