//! The event endpoints: one flow for single events, batches and webhooks.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::ports::{Appended, IdentifiedEvent, NewEvent, SpoolError};

use super::auth::{authorize, header_key, verify_signature};
use super::body::{check_content_type, content_encoding, gunzip_limited, read_limited, Encoding};
use super::parse::{parse_batch, parse_single, Limits, ParsedBody};
use super::{metrics as names, IngestError, IngestState};
use crate::event::{Enrichment, EventType, StampMode};

/// What a route receives.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Endpoint {
    /// One event; the path implies its type. The label is the path's last segment.
    Single(EventType, &'static str),
    /// A batch envelope (`batch`, `import`, `b`).
    Batch(&'static str),
    /// One event relayed by Segment's Webhooks destination.
    Webhook,
}

impl Endpoint {
    fn label(self) -> &'static str {
        match self {
            Endpoint::Single(_, label) | Endpoint::Batch(label) => label,
            Endpoint::Webhook => "webhook",
        }
    }
}

/// Answers one request, recording its latency and outcome.
pub(crate) async fn handle(state: IngestState, endpoint: Endpoint, request: Request) -> Response {
    let started = Instant::now();
    let response = match accept(&state, endpoint, request).await {
        Ok(()) => (StatusCode::OK, axum::Json(serde_json::json!({"success": true}))).into_response(),
        Err(err) => {
            metrics::counter!(names::REQUESTS_REJECTED, "reason" => err.code()).increment(1);
            if err.status().is_server_error() {
                tracing::warn!(
                    endpoint = endpoint.label(),
                    code = err.code(),
                    "ingestion unavailable: {err}"
                );
            } else {
                tracing::debug!(
                    endpoint = endpoint.label(),
                    code = err.code(),
                    "request rejected: {err}"
                );
            }
            err.into_response()
        }
    };
    metrics::histogram!(names::REQUEST_SECONDS).record(started.elapsed().as_secs_f64());
    response
}

async fn accept(state: &IngestState, endpoint: Endpoint, request: Request) -> Result<(), IngestError> {
    let config = &state.config;
    let retry_after_seconds = config.retry_after_seconds;
    if state.is_draining() {
        return Err(IngestError::Draining { retry_after_seconds });
    }
    let (parts, body) = request.into_parts();
    check_content_type(&parts.headers)?;
    let encoding = content_encoding(&parts.headers)?;
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let signed = matches!(endpoint, Endpoint::Webhook) && config.webhook_secret.is_some();
    let header_key = if signed { None } else { header_key(&parts.headers)? };
    let loopback_only = config.loopback_only_without_keys;
    if let Some(key) = &header_key {
        // Wrong credentials in a header are refused before the body is read.
        authorize(&state.keys, loopback_only, Some(key), peer)?;
    }

    let raw = read_limited(body, &parts.headers, config.max_request_bytes).await?;
    let bytes = match encoding {
        Encoding::Identity => raw,
        Encoding::Gzip => gunzip_limited(&raw, config.max_request_bytes)?,
    };
    if let (true, Some(secret)) = (signed, &config.webhook_secret) {
        verify_signature(secret, &parts.headers, &bytes)?;
    }

    let limits = Limits {
        max_event_bytes: config.max_event_bytes,
        max_batch_events: config.max_batch_events,
    };
    let parsed = match endpoint {
        Endpoint::Batch(_) => parse_batch(&bytes, limits)?,
        Endpoint::Single(..) | Endpoint::Webhook => parse_single(&bytes, limits)?,
    };
    if !signed && header_key.is_none() {
        authorize(&state.keys, loopback_only, parsed.write_key.as_deref(), peer)?;
    }
    metrics::counter!(names::EVENTS_RECEIVED, "endpoint" => endpoint.label()).increment(parsed.events.len() as u64);

    let events = prepare(state, endpoint, parsed)?;
    if events.is_empty() {
        return Ok(());
    }
    let outcomes = state.spool.append_once(events).await.map_err(|err| match err {
        SpoolError::Full { .. } => IngestError::SpoolFull { retry_after_seconds },
        SpoolError::Storage(_) | SpoolError::Closed => {
            tracing::error!("the spool refused events: {err}");
            IngestError::SpoolFailed { retry_after_seconds }
        }
    })?;
    let duplicates = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Appended::Duplicate))
        .count() as u64;
    metrics::counter!(names::EVENTS_ACCEPTED).increment(outcomes.len() as u64 - duplicates);
    if duplicates > 0 {
        metrics::counter!(names::EVENTS_DUPLICATE).increment(duplicates);
    }
    Ok(())
}

/// Merges, validates and stamps every event; the whole request is refused if any
/// event is invalid, naming its position.
fn prepare(state: &IngestState, endpoint: Endpoint, parsed: ParsedBody) -> Result<Vec<IdentifiedEvent>, IngestError> {
    let mode = match endpoint {
        Endpoint::Webhook => StampMode::Relayed,
        _ => StampMode::Client,
    };
    let stamp = Enrichment::new(state.clock.as_ref(), mode);
    let merge = !parsed.envelope.is_empty();
    let mut out = Vec::with_capacity(parsed.events.len());
    for (index, mut event) in parsed.events.into_iter().enumerate() {
        let at = || {
            if parsed.batched {
                format!("batch[{index}]")
            } else {
                String::new()
            }
        };
        if let Endpoint::Single(kind, _) = endpoint {
            event.set_type(kind);
        }
        if parsed.batched {
            event.take_write_key();
        }
        if merge {
            event.merge_envelope(&parsed.envelope);
        }
        event
            .validate()
            .map_err(|source| IngestError::InvalidEvent { at: at(), source })?;
        // Only an id the sender gave identifies a repeat; one stamped here is new.
        let message_id = event.message_id().filter(|id| !id.is_empty()).map(str::to_owned);
        event.enrich(&stamp);
        out.push(IdentifiedEvent {
            event: NewEvent {
                received_at: stamp.received_at(),
                payload: event.into_json(),
                only_subscription: None,
            },
            message_id,
        });
    }
    Ok(out)
}
