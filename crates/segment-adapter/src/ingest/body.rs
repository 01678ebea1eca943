//! Reading a request body: content type, gzip, and size limits that hold without
//! buffering an oversized body.

use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::IngestError;

/// How the body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Identity,
    Gzip,
}

/// Accepts `application/json` and `text/plain` (what analytics.js sends to avoid a CORS
/// preflight), with any parameters. A body without `Content-Type` is read as JSON.
pub(crate) fn check_content_type(headers: &HeaderMap) -> Result<(), IngestError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or_default();
    let essence = text.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json") || essence.eq_ignore_ascii_case("text/plain") {
        Ok(())
    } else {
        Err(IngestError::UnsupportedMediaType(shorten(text)))
    }
}

pub(crate) fn content_encoding(headers: &HeaderMap) -> Result<Encoding, IngestError> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(Encoding::Identity);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text.eq_ignore_ascii_case("gzip") || text.eq_ignore_ascii_case("x-gzip") {
        Ok(Encoding::Gzip)
    } else if text.is_empty() || text.eq_ignore_ascii_case("identity") {
        Ok(Encoding::Identity)
    } else {
        Err(IngestError::UnsupportedEncoding(shorten(text)))
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(64).collect()
}

/// Gzip members accepted in one body. Clients send one; each member costs a decoder
/// set-up, so a body of thousands of empty members is refused instead of decoded.
pub(crate) const MAX_GZIP_MEMBERS: usize = 16;

/// The share of the global budget of buffered request bytes that one request holds until
/// it is answered.
#[derive(Default)]
pub(crate) struct Reservation {
    global: Option<OwnedSemaphorePermit>,
    anonymous: Option<OwnedSemaphorePermit>,
}

/// The global budget of buffered request bytes (one semaphore permit a byte) and, for a
/// request whose key is not known yet, the share of it such requests may take together.
pub(crate) struct Budget<'a> {
    pub(crate) bytes: &'a Arc<Semaphore>,
    pub(crate) anonymous: Option<&'a Arc<Semaphore>>,
    pub(crate) retry_after_seconds: u64,
}

fn take(budget: &Arc<Semaphore>, held: &mut Option<OwnedSemaphorePermit>, count: u32) -> bool {
    match budget.clone().try_acquire_many_owned(count) {
        Ok(permit) => {
            match held {
                Some(held) => held.merge(permit),
                None => *held = Some(permit),
            }
            true
        }
        Err(_) => false,
    }
}

impl Budget<'_> {
    /// Adds `bytes` to `reservation`, or refuses the request when the budget is spent.
    pub(crate) fn reserve(&self, reservation: &mut Reservation, bytes: usize) -> Result<(), IngestError> {
        if bytes == 0 {
            return Ok(());
        }
        let overloaded = || IngestError::Overloaded {
            retry_after_seconds: self.retry_after_seconds,
        };
        let count = u32::try_from(bytes).map_err(|_| overloaded())?;
        if let Some(anonymous) = self.anonymous {
            if !take(anonymous, &mut reservation.anonymous, count) {
                return Err(overloaded());
            }
        }
        if !take(self.bytes, &mut reservation.global, count) {
            return Err(overloaded());
        }
        Ok(())
    }
}

/// Reads at most `limit` bytes. A declared `Content-Length` above the limit is refused
/// before reading anything; a chunked body is refused as soon as it passes the limit.
/// Every byte is reserved from `budget` before it is kept: a declared length up front,
/// a chunked body chunk by chunk.
pub(crate) async fn read_limited(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    budget: &Budget<'_>,
) -> Result<(Bytes, Reservation), IngestError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(IngestError::PayloadTooLarge { limit });
    }
    let mut reservation = Reservation::default();
    if let Some(n) = declared {
        budget.reserve(&mut reservation, n as usize)?;
    }
    let mut body = body;
    let mut first: Option<Bytes> = None;
    let mut buffer: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| IngestError::BodyRead(e.to_string()))?;
        let Ok(data) = frame.into_data() else { continue };
        let before = total;
        total = total.saturating_add(data.len());
        if total > limit {
            return Err(IngestError::PayloadTooLarge { limit });
        }
        let reserved = declared.map_or(before, |n| n as usize);
        if total > reserved {
            budget.reserve(&mut reservation, total - reserved.max(before))?;
        }
        match first.take() {
            None if buffer.is_empty() => first = Some(data),
            None => buffer.extend_from_slice(&data),
            Some(previous) => {
                buffer.reserve(declared.map_or(total, |n| n as usize));
                buffer.extend_from_slice(&previous);
                buffer.extend_from_slice(&data);
            }
        }
    }
    let bytes = match first {
        Some(only) => only,
        None => Bytes::from(buffer),
    };
    Ok((bytes, reservation))
}

/// Decompresses a gzip body, refusing output larger than `limit` (no zip bombs) and more
/// than [`MAX_GZIP_MEMBERS`] members.
pub(crate) fn gunzip_limited(compressed: &[u8], limit: usize) -> Result<Bytes, IngestError> {
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(4).min(limit));
    let mut rest = compressed;
    let mut members = 0;
    while !rest.is_empty() {
        members += 1;
        if members > MAX_GZIP_MEMBERS {
            return Err(IngestError::InvalidGzip(format!(
                "more than {MAX_GZIP_MEMBERS} gzip members"
            )));
        }
        let room = (limit + 1).saturating_sub(out.len()) as u64;
        let mut decoder = flate2::bufread::GzDecoder::new(rest);
        (&mut decoder)
            .take(room)
            .read_to_end(&mut out)
            .map_err(|e| IngestError::InvalidGzip(e.to_string()))?;
        if out.len() > limit {
            return Err(IngestError::PayloadTooLarge { limit });
        }
        let remaining = decoder.into_inner();
        if remaining.len() >= rest.len() {
            return Err(IngestError::InvalidGzip("a gzip member could not be read".into()));
        }
        rest = remaining;
    }
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Write;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).expect("in memory");
        encoder.finish().expect("in memory")
    }

    #[test]
    fn json_and_text_plain_are_accepted_with_parameters() {
        for value in [
            "application/json",
            "text/plain;charset=UTF-8",
            "Application/JSON; charset=utf-8",
        ] {
            let h = headers(header::CONTENT_TYPE, value);
            assert!(check_content_type(&h).is_ok(), "{value}");
        }
        assert!(check_content_type(&HeaderMap::new()).is_ok());
    }

    #[test]
    fn other_content_types_are_refused() {
        let h = headers(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        assert!(matches!(
            check_content_type(&h),
            Err(IngestError::UnsupportedMediaType(_))
        ));
    }

    #[test]
    fn gzip_encoding_is_recognised_and_others_refused() {
        assert_eq!(
            content_encoding(&headers(header::CONTENT_ENCODING, "gzip")).ok(),
            Some(Encoding::Gzip)
        );
        assert_eq!(content_encoding(&HeaderMap::new()).ok(), Some(Encoding::Identity));
        assert!(matches!(
            content_encoding(&headers(header::CONTENT_ENCODING, "br")),
            Err(IngestError::UnsupportedEncoding(_))
        ));
    }

    #[test]
    fn gunzip_returns_the_original_bytes() {
        let data = br#"{"batch":[]}"#;
        assert_eq!(gunzip_limited(&gzip(data), 100).expect("valid").as_ref(), data);
    }

    #[test]
    fn gzip_bomb_is_refused_by_decompressed_size() {
        let bomb = gzip(&vec![b' '; 10 * 1024 * 1024]);
        assert!(bomb.len() < 20 * 1024);
        assert!(matches!(
            gunzip_limited(&bomb, 500 * 1024),
            Err(IngestError::PayloadTooLarge { limit }) if limit == 500 * 1024
        ));
    }

    #[test]
    fn corrupt_gzip_is_a_bad_request() {
        assert!(matches!(
            gunzip_limited(b"not gzip", 100),
            Err(IngestError::InvalidGzip(_))
        ));
    }

    fn budget(bytes: &Arc<Semaphore>) -> Budget<'_> {
        Budget {
            bytes,
            anonymous: None,
            retry_after_seconds: 3,
        }
    }

    #[test]
    fn requests_without_a_known_key_share_only_part_of_the_budget() {
        let bytes = Arc::new(Semaphore::new(1_000));
        let anonymous = Arc::new(Semaphore::new(500));
        let unknown = Budget {
            bytes: &bytes,
            anonymous: Some(&anonymous),
            retry_after_seconds: 3,
        };
        let mut first = Reservation::default();
        unknown.reserve(&mut first, 400).expect("within the share");
        let mut second = Reservation::default();
        assert!(matches!(
            unknown.reserve(&mut second, 200),
            Err(IngestError::Overloaded { .. })
        ));
        let mut keyed = Reservation::default();
        budget(&bytes)
            .reserve(&mut keyed, 600)
            .expect("the rest is left for known keys");
        assert_eq!(bytes.available_permits(), 0);
        drop((first, keyed));
        assert_eq!((bytes.available_permits(), anonymous.available_permits()), (1_000, 500));
    }

    #[tokio::test]
    async fn declared_length_over_the_limit_is_refused_unread() {
        let h = headers(header::CONTENT_LENGTH, "1000");
        let bytes = Arc::new(Semaphore::new(10_000));
        let result = read_limited(Body::from(vec![0u8; 10]), &h, 100, &budget(&bytes)).await;
        assert!(matches!(result, Err(IngestError::PayloadTooLarge { limit: 100 })));
    }

    #[tokio::test]
    async fn bodies_within_the_limit_are_read_whole() {
        let data = vec![7u8; 100];
        let bytes = Arc::new(Semaphore::new(10_000));
        let (read, _held) = read_limited(Body::from(data.clone()), &HeaderMap::new(), 100, &budget(&bytes))
            .await
            .expect("fits");
        assert_eq!(read.as_ref(), &data[..]);
    }

    #[tokio::test]
    async fn a_read_body_holds_its_bytes_of_the_budget_until_dropped() {
        let bytes = Arc::new(Semaphore::new(1_000));
        let (_, held) = read_limited(Body::from(vec![1u8; 600]), &HeaderMap::new(), 1_000, &budget(&bytes))
            .await
            .expect("fits");
        assert_eq!(bytes.available_permits(), 400);
        let second = read_limited(Body::from(vec![1u8; 600]), &HeaderMap::new(), 1_000, &budget(&bytes)).await;
        assert!(matches!(
            second,
            Err(IngestError::Overloaded { retry_after_seconds: 3 })
        ));
        drop(held);
        assert_eq!(bytes.available_permits(), 1_000);
    }

    #[tokio::test]
    async fn a_declared_length_beyond_the_budget_is_refused_before_reading() {
        let bytes = Arc::new(Semaphore::new(100));
        let h = headers(header::CONTENT_LENGTH, "500");
        let result = read_limited(Body::from(vec![1u8; 500]), &h, 1_000, &budget(&bytes)).await;
        assert!(matches!(result, Err(IngestError::Overloaded { .. })));
        assert_eq!(bytes.available_permits(), 100);
    }

    #[test]
    fn a_few_gzip_members_are_concatenated() {
        let mut body = gzip(br#"{"batch":"#);
        body.extend(gzip(b"[]}"));
        assert_eq!(gunzip_limited(&body, 100).expect("valid").as_ref(), br#"{"batch":[]}"#);
    }

    #[test]
    fn thousands_of_empty_gzip_members_are_refused() {
        let empty = gzip(b"");
        let body: Vec<u8> = std::iter::repeat_n(empty.as_slice(), 25_000)
            .flatten()
            .copied()
            .collect();
        let err = gunzip_limited(&body, 500 * 1024).expect_err("too many members");
        assert!(err.to_string().contains("gzip members"), "{err}");
    }
}
