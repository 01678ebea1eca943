//! Reading a request body: content type, gzip/deflate, and size limits that hold without
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

/// The encoding a body really has: what its `Content-Encoding` says, or, for a body sent
/// compressed without saying so (gzip's magic bytes, or a zlib header: neither can start
/// JSON), the compression it carries.
pub(crate) fn effective_encoding(raw: &[u8], declared: Encoding) -> Encoding {
    match declared {
        Encoding::Identity if raw.starts_with(&[0x1f, 0x8b]) => Encoding::Gzip,
        Encoding::Identity if looks_like_zlib(raw) => Encoding::Deflate,
        declared => declared,
    }
}

/// The body as JSON text, decoded as [`effective_encoding`] says. Output over `limit` is
/// refused (no zip bombs).
pub(crate) fn decode_limited(raw: Bytes, encoding: Encoding, limit: usize) -> Result<Bytes, IngestError> {
    match effective_encoding(&raw, encoding) {
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

/// How many times the limit an oversized body may be before it is refused unread. Up to
/// this size the rest of the body is read and thrown away before the refusal is sent,
/// so that a client still writing its body reads the named 413 instead of a reset
/// connection (a server that closes a connection with unread data makes the kernel
/// reset it); above it the connection is closed at once.
const DRAIN_LIMIT_FACTOR: usize = 4;

/// Reads at most `limit` bytes. A declared `Content-Length` above the limit is refused
/// without keeping anything: its bytes are read and discarded when it is within
/// [`DRAIN_LIMIT_FACTOR`] times the limit, else not read at all. A chunked body is refused
/// as soon as it passes the limit, and the rest drained in the same way. Every byte is
/// reserved from `budget` before it is kept: a declared length up front, a chunked body
/// chunk by chunk.
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
    let drain_limit = limit.saturating_mul(DRAIN_LIMIT_FACTOR);
    if let Some(n) = declared.filter(|n| *n > limit as u64) {
        if n <= drain_limit as u64 {
            discard(body, drain_limit).await;
        }
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
            discard(body, drain_limit.saturating_sub(total)).await;
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

/// Reads and throws away what is left of `body`, stopping after `at_most` bytes or at the
/// first error: nothing is kept, so it takes no share of the buffered-bytes budget. The
/// caller's body-read timeout bounds the time it takes.
async fn discard(mut body: Body, at_most: usize) {
    let mut seen = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen > at_most {
                return;
            }
        }
    }
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
mod tests;
