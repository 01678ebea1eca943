//! Reading a request body: content type, gzip/deflate, and size limits that hold without
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
    /// HTTP's `deflate`: zlib-wrapped, or raw deflate as some clients send it.
    Deflate,
}

/// What the request declares its body to be. Like Segment's Tracking API, the service
/// reads every body as JSON whatever its declared type (RudderStack's Node SDK labels
/// its gzipped JSON `application/x-www-form-urlencoded`); the declaration only decides
/// how a body that is not JSON is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeclaredType {
    /// `application/json`, any `+json` type, `text/plain` (what analytics.js sends to
    /// avoid a CORS preflight) or no `Content-Type` at all.
    Json,
    /// Anything else (form-encoded, `application/octet-stream`, ...), as declared.
    Other(String),
}

impl DeclaredType {
    pub(crate) fn of(headers: &HeaderMap) -> DeclaredType {
        let Some(value) = headers.get(header::CONTENT_TYPE) else {
            return DeclaredType::Json;
        };
        let text = String::from_utf8_lossy(value.as_bytes());
        let essence = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let json_like = essence.is_empty()
            || essence == "application/json"
            || essence == "text/plain"
            || essence.ends_with("+json");
        if json_like {
            DeclaredType::Json
        } else {
            DeclaredType::Other(shorten(&text))
        }
    }

    /// A body that could not be read as JSON: for a declared JSON body the parse error
    /// stands (400); for another declared type the answer is 415, saying the service
    /// takes JSON.
    pub(crate) fn refuse_non_json(&self, err: IngestError) -> IngestError {
        match (self, err) {
            (DeclaredType::Other(declared), IngestError::InvalidJson(_) | IngestError::BodyNotObject) => {
                IngestError::UnsupportedMediaType(declared.clone())
            }
            (_, err) => err,
        }
    }
}

pub(crate) fn content_encoding(headers: &HeaderMap) -> Result<Encoding, IngestError> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(Encoding::Identity);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text.eq_ignore_ascii_case("gzip") || text.eq_ignore_ascii_case("x-gzip") {
        Ok(Encoding::Gzip)
    } else if text.eq_ignore_ascii_case("deflate") {
        Ok(Encoding::Deflate)
    } else if text.is_empty() || text.eq_ignore_ascii_case("identity") {
        Ok(Encoding::Identity)
    } else {
        Err(IngestError::UnsupportedEncoding(shorten(text)))
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(64).collect()
}

/// The body as JSON text: decoded as its `Content-Encoding` says, and a body sent
/// compressed without saying so (gzip's magic bytes, or a zlib header: neither can start
/// JSON) decoded all the same. Output over `limit` is refused (no zip bombs).
pub(crate) fn decode_limited(raw: Bytes, encoding: Encoding, limit: usize) -> Result<Bytes, IngestError> {
    let encoding = match encoding {
        Encoding::Identity if raw.starts_with(&[0x1f, 0x8b]) => Encoding::Gzip,
        Encoding::Identity if looks_like_zlib(&raw) => Encoding::Deflate,
        declared => declared,
    };
    match encoding {
        Encoding::Identity => Ok(raw),
        Encoding::Gzip => gunzip_limited(&raw, limit),
        Encoding::Deflate => inflate_limited(&raw, limit),
    }
}

/// A zlib stream starts with a CMF byte of 0x78 (deflate, 32 KiB window) and a FLG byte
/// that makes the pair a multiple of 31.
fn looks_like_zlib(bytes: &[u8]) -> bool {
    matches!(bytes, [0x78, flg, ..] if (0x7800u16 | u16::from(*flg)).is_multiple_of(31))
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
    let decoder = flate2::read::MultiGzDecoder::new(compressed);
    decompress(decoder, compressed.len(), limit, IngestError::InvalidGzip)
}

/// Decompresses a `deflate` body (zlib-wrapped as HTTP specifies, else raw deflate),
/// refusing output larger than `limit`.
pub(crate) fn inflate_limited(compressed: &[u8], limit: usize) -> Result<Bytes, IngestError> {
    if looks_like_zlib(compressed) {
        let decoder = flate2::read::ZlibDecoder::new(compressed);
        decompress(decoder, compressed.len(), limit, IngestError::InvalidDeflate)
    } else {
        let decoder = flate2::read::DeflateDecoder::new(compressed);
        decompress(decoder, compressed.len(), limit, IngestError::InvalidDeflate)
    }
}

fn decompress(
    decoder: impl Read,
    compressed_len: usize,
    limit: usize,
    corrupt: fn(String) -> IngestError,
) -> Result<Bytes, IngestError> {
    let mut out = Vec::with_capacity(compressed_len.saturating_mul(4).min(limit));
    decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| corrupt(e.to_string()))?;
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

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).expect("in memory");
        encoder.finish().expect("in memory")
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).expect("in memory");
        encoder.finish().expect("in memory")
    }

    #[test]
    fn json_text_and_no_content_type_are_declared_json() {
        for value in [
            "application/json",
            "text/plain;charset=UTF-8",
            "Application/JSON; charset=utf-8",
            "application/vnd.segment+json",
        ] {
            let h = headers(header::CONTENT_TYPE, value);
            assert_eq!(DeclaredType::of(&h), DeclaredType::Json, "{value}");
        }
        assert_eq!(DeclaredType::of(&HeaderMap::new()), DeclaredType::Json);
    }

    #[test]
    fn other_content_types_are_kept_as_declared() {
        let h = headers(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        assert_eq!(
            DeclaredType::of(&h),
            DeclaredType::Other("application/x-www-form-urlencoded".into())
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_415_only_when_declared_otherwise() {
        let form = DeclaredType::Other("application/x-www-form-urlencoded".into());
        assert!(matches!(
            form.refuse_non_json(IngestError::InvalidJson("expected value".into())),
            IngestError::UnsupportedMediaType(t) if t == "application/x-www-form-urlencoded"
        ));
        assert!(matches!(
            form.refuse_non_json(IngestError::BodyNotObject),
            IngestError::UnsupportedMediaType(_)
        ));
        // JSON that breaks the Spec is a JSON problem, whatever the label.
        assert!(matches!(
            form.refuse_non_json(IngestError::BatchMissing),
            IngestError::BatchMissing
        ));
        assert!(matches!(
            DeclaredType::Json.refuse_non_json(IngestError::InvalidJson("x".into())),
            IngestError::InvalidJson(_)
        ));
    }

    #[test]
    fn gzip_and_deflate_encodings_are_recognised_and_others_refused() {
        assert_eq!(
            content_encoding(&headers(header::CONTENT_ENCODING, "gzip")).ok(),
            Some(Encoding::Gzip)
        );
        assert_eq!(
            content_encoding(&headers(header::CONTENT_ENCODING, "Deflate")).ok(),
            Some(Encoding::Deflate)
        );
        assert_eq!(content_encoding(&HeaderMap::new()).ok(), Some(Encoding::Identity));
        assert!(matches!(
            content_encoding(&headers(header::CONTENT_ENCODING, "br")),
            Err(IngestError::UnsupportedEncoding(_))
        ));
    }

    #[test]
    fn deflate_is_read_zlib_wrapped_or_raw() {
        let data = br#"{"batch":[{"type":"track"}]}"#;
        for compressed in [zlib(data), raw_deflate(data)] {
            let out = decode_limited(Bytes::from(compressed), Encoding::Deflate, 100).expect("valid");
            assert_eq!(out.as_ref(), data);
        }
    }

    #[test]
    fn compressed_bodies_are_decoded_even_when_the_encoding_is_not_declared() {
        let data = br#"{"userId":"u"}"#;
        for compressed in [gzip(data), zlib(data)] {
            let out = decode_limited(Bytes::from(compressed), Encoding::Identity, 100).expect("valid");
            assert_eq!(out.as_ref(), data);
        }
        let plain = decode_limited(Bytes::from_static(data), Encoding::Identity, 100).expect("as is");
        assert_eq!(plain.as_ref(), data);
    }

    #[test]
    fn deflate_bomb_is_refused_by_decompressed_size() {
        let bomb = zlib(&vec![b' '; 10 * 1024 * 1024]);
        assert!(matches!(
            inflate_limited(&bomb, 500 * 1024),
            Err(IngestError::PayloadTooLarge { limit }) if limit == 500 * 1024
        ));
    }

    #[test]
    fn corrupt_deflate_is_a_bad_request() {
        assert!(matches!(
            inflate_limited(&[0x78, 0x9c, 0xff, 0xff], 100),
            Err(IngestError::InvalidDeflate(_))
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
