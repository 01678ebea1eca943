//! Segment-compatible HTTP ingestion (the Tracking API of Segment's spec §3).
//!
//! Answers:
//! * `200 {"success":true}` once every event of the request is stored in the spool;
//! * `400` for what will never succeed: bad JSON, a body that is not an object, a
//!   batch that is not an array, an event over the size limit, too many events, an
//!   event that breaks the Spec. A batch is all or nothing: if one event is invalid,
//!   none is stored and the answer names it (`batch[3].event is missing`);
//! * `401` for a missing or wrong write key or webhook signature;
//! * `413` for a body over `max_request_bytes`, before or after gzip decoding;
//! * `403` for a request relayed by a proxy (`Forwarded`, `X-Forwarded-*`, `X-Real-IP`)
//!   when no write keys are configured;
//! * `408` for a body that does not arrive within `body_read_timeout_secs`;
//! * `415` for a body that is not JSON and is declared as something else (e.g.
//!   form-encoded), or an encoding other than gzip or deflate. As with Segment's Tracking
//!   API, a JSON body is read whatever its declared content type (none, `text/plain`,
//!   `application/x-www-form-urlencoded`, ...), and a gzip or zlib body is decoded even
//!   without `Content-Encoding`;
//! * `429` + `Retry-After` when the spool is full; `503` + `Retry-After` while draining
//!   or when the spool fails; `503` + `Retry-After` too when the bodies being read would
//!   pass `max_buffered_bytes`.
//!
//! Errors are `{"error": {"code", "message", "field"?}}`.
//!
//! Authentication: the write key is HTTP Basic's username, the `X-Write-Key` header or
//! the body's `writeKey` (in that order); the body's `writeKey` is removed before the
//! event is stored. The webhook endpoint, when `webhook_secret` is set, checks
//! `X-Signature` (hex HMAC-SHA1 of the decoded body with the secret, what Segment's
//! Webhooks destination sends) instead of a write key.

mod auth;
mod body;
mod config;
mod error;
mod handler;
pub mod metrics;
mod parse;
mod routes;
mod settings;
mod state;

#[cfg(test)]
mod tests;

/// Parses a request body as `/v1/batch` (`batch`) or `/v1/track` would, then merges,
/// validates and serializes each event; the number of valid events. For the fuzz targets.
#[cfg(feature = "fuzzing")]
pub fn fuzz_parse_body(bytes: &[u8], batch: bool) -> Result<usize, IngestError> {
    let limits = parse::Limits {
        max_event_bytes: 32 * 1024,
        max_batch_events: 2500,
    };
    let parsed = if batch {
        parse::parse_batch(bytes, limits)?
    } else {
        parse::parse_single(bytes, limits)?
    };
    let mut valid = 0;
    for mut event in parsed.events {
        event.merge_envelope(&parsed.envelope);
        if event.validate().is_ok() {
            valid += 1;
            let text = event.into_json();
            // What is stored must parse back.
            assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{text}");
        }
    }
    Ok(valid)
}

pub use auth::{is_forwarded, SIGNATURE_HEADER, WRITE_KEY_HEADER};
pub use config::{IngestConfig, SourceConfig};
pub use error::IngestError;
pub use routes::{router, serve};
pub use state::IngestState;
