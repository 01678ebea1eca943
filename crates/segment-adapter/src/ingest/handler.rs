//! The event endpoints: one flow for single events, batches and webhooks.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::ports::{Appended, IdentifiedEvent, NewEvent, SpoolError};

use super::auth::{authorize, header_key, verify_signature, Allowed};
use super::body::{content_encoding, decode_limited, effective_encoding, read_limited, Budget, DeclaredType, Encoding};
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
    let declared = DeclaredType::of(&parts.headers);
    let encoding = content_encoding(&parts.headers)?;
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let signed = matches!(endpoint, Endpoint::Webhook) && config.webhook_secret.is_some();
    let header_key = if signed { None } else { header_key(&parts.headers)? };
    let loopback_only = config.loopback_only_without_keys;
    let mut allowed = None;
    if !signed && (header_key.is_some() || state.keys.is_empty()) {
        // Credentials in a header (and a keyless service's peer rules) are checked before
        // the body is read.
        allowed = authorize(&state.keys, loopback_only, header_key.as_deref(), peer, &parts.headers)?;
    }

    // With write keys configured, a request whose key is not checked yet (it is in the
    // body, or the webhook signature covers the body) takes from the anonymous share.
    let known = header_key.is_some() || state.keys.is_empty();
    let budget = Budget {
        bytes: &state.budget,
        anonymous: (!known).then_some(&state.anonymous_budget),
        retry_after_seconds,
    };
    let timeout = Duration::from_secs(config.body_read_timeout_secs);
    let read = read_limited(body, &parts.headers, config.max_request_bytes, &budget);
    let (raw, mut reservation) =
        tokio::time::timeout(timeout, read)
            .await
            .map_err(|_| IngestError::BodyTimeout {
                seconds: config.body_read_timeout_secs,
            })??;
    let bytes = match effective_encoding(&raw, encoding) {
        Encoding::Identity => raw,
        compressed => {
            let decoded = decode_limited(raw, compressed, config.max_request_bytes)?;
            budget.reserve(&mut reservation, decoded.len())?;
            decoded
        }
    };
    if let (true, Some(secret)) = (signed, &config.webhook_secret) {
        verify_signature(secret, &parts.headers, &bytes)?;
    }

    let limits = Limits {
        max_event_bytes: config.max_event_bytes,
        max_batch_events: config.max_batch_events,
    };
    let parsed = match endpoint {
        Endpoint::Batch(_) => parse_batch(&bytes, limits),
        Endpoint::Single(..) | Endpoint::Webhook => parse_single(&bytes, limits),
    }
    .map_err(|err| declared.refuse_non_json(err))?;
    if !signed && header_key.is_none() && !state.keys.is_empty() {
        allowed = authorize(
            &state.keys,
            loopback_only,
            parsed.write_key.as_deref(),
            peer,
            &parts.headers,
        )?;
    }
    metrics::counter!(names::EVENTS_RECEIVED, "endpoint" => endpoint.label()).increment(parsed.events.len() as u64);

    let events = prepare(state, endpoint, parsed, allowed)?;
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
    drop(reservation);
    Ok(())
}

/// Merges, validates and stamps every event; the whole request is refused if any
/// event is invalid, naming its position.
fn prepare(
    state: &IngestState,
    endpoint: Endpoint,
    parsed: ParsedBody,
    allowed: Allowed,
) -> Result<Vec<IdentifiedEvent>, IngestError> {
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
                only_destinations: allowed.clone(),
            },
            message_id,
        });
    }
    Ok(out)
}
