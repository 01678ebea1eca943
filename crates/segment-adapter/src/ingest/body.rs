//! Reading a request body: content type, gzip, and size limits that hold without
//! buffering an oversized body.

use std::io::Read;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::Bytes;
use http_body_util::BodyExt;

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

/// Reads at most `limit` bytes. A declared `Content-Length` above the limit is refused
/// before reading anything; a chunked body is refused as soon as it passes the limit.
pub(crate) async fn read_limited(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, IngestError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(IngestError::PayloadTooLarge { limit });
    }
    let mut body = body;
    let mut first: Option<Bytes> = None;
    let mut buffer: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| IngestError::BodyRead(e.to_string()))?;
        let Ok(data) = frame.into_data() else { continue };
        total = total.saturating_add(data.len());
        if total > limit {
            return Err(IngestError::PayloadTooLarge { limit });
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
    Ok(match first {
        Some(only) => only,
        None => Bytes::from(buffer),
    })
}

/// Decompresses a gzip body, refusing output larger than `limit` (no zip bombs).
pub(crate) fn gunzip_limited(compressed: &[u8], limit: usize) -> Result<Bytes, IngestError> {
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(4).min(limit));
    flate2::read::MultiGzDecoder::new(compressed)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| IngestError::InvalidGzip(e.to_string()))?;
    if out.len() > limit {
        return Err(IngestError::PayloadTooLarge { limit });
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

    #[tokio::test]
    async fn declared_length_over_the_limit_is_refused_unread() {
        let h = headers(header::CONTENT_LENGTH, "1000");
        let result = read_limited(Body::from(vec![0u8; 10]), &h, 100).await;
        assert!(matches!(result, Err(IngestError::PayloadTooLarge { limit: 100 })));
    }

    #[tokio::test]
    async fn bodies_within_the_limit_are_read_whole() {
        let data = vec![7u8; 100];
        let read = read_limited(Body::from(data.clone()), &HeaderMap::new(), 100)
            .await
            .expect("fits");
        assert_eq!(read.as_ref(), &data[..]);
    }
}
