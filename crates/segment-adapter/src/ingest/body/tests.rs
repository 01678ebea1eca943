//! Content types, encodings, size limits and the buffered-bytes budget.

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
