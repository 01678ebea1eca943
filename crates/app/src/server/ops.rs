//! Operational endpoints: `/healthz` (liveness), `/readyz` (spool readable and writable,
//! Attio credentials valid) and `/metrics` (Prometheus).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::ports::{Clock, EventSpool};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::json;

use super::access::Access;
use super::admin::token_when_set;
use crate::delivery::{CredentialState, DeliveryStatus};

/// What the operational endpoints read.
#[derive(Clone)]
pub struct OpsState {
    pub spool: Arc<dyn EventSpool>,
    pub status: Arc<DeliveryStatus>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Option<PrometheusHandle>,
    /// `attio` or `simulator`.
    pub attio_target: &'static str,
    /// What the check of the subscriptions against the workspace found at start (the
    /// service was told to go on; those subscriptions' events are dead-lettered).
    pub schema_problems: Arc<Vec<String>>,
}

/// `/metrics` asks for the admin token when one is set; the probes stay open.
pub fn router(state: OpsState, access: Access) -> Router {
    let metrics = Router::new()
        .route("/metrics", get(metrics_text))
        .layer(axum::middleware::from_fn_with_state(access, token_when_set));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(metrics)
        .with_state(state)
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(s): State<OpsState>) -> Response {
    let mut reasons = Vec::new();
    // A write probe through the spool's writer (a read-only, locked, deleted or corrupt
    // file, a stopped writer, or writes that failed recently show here).
    if let Err(e) = s.spool.check_writable().await {
        reasons.push(format!("spool is not writable: {e}"));
    }
    let stats = match s.spool.stats().await {
        Ok(st) => Some(st),
        Err(e) => {
            reasons.push(format!("spool: {e}"));
            None
        }
    };
    let credentials = match s.status.credentials() {
        CredentialState::Invalid(why) => {
            reasons.push(format!("attio credentials: {why}"));
            "invalid"
        }
        CredentialState::Valid => "valid",
        CredentialState::Unknown => "unknown",
    };
    for p in s.schema_problems.iter() {
        reasons.push(format!("configuration does not fit the workspace: {p}"));
    }
    let body = json!({
        "ready": reasons.is_empty(),
        "schema": {"ok": s.schema_problems.is_empty(), "problems": *s.schema_problems},
        "reasons": reasons,
        "attio": s.attio_target,
        "credentials": credentials,
        "delivery_paused": s.status.paused.load(std::sync::atomic::Ordering::Relaxed),
        "spool": stats.map(|st| json!({"pending": st.pending, "dead_letters": st.dead_letters})),
    });
    let code = if reasons.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

async fn metrics_text(State(s): State<OpsState>) -> Response {
    if let Ok(st) = s.spool.stats().await {
        metrics::gauge!("segment_attio_spool_pending_events").set(st.pending as f64);
        metrics::gauge!("segment_attio_dead_letters").set(st.dead_letters as f64);
        let age = st
            .oldest_received_at
            .map(|t| (s.clock.now() - t).to_std().unwrap_or_default().as_secs_f64())
            .unwrap_or(0.0);
        metrics::gauge!("segment_attio_spool_oldest_event_age_seconds").set(age);
    }
    let refused = matches!(s.status.credentials(), CredentialState::Invalid(_));
    metrics::gauge!("segment_attio_attio_credentials_refused").set(if refused { 1.0 } else { 0.0 });
    match &s.metrics {
        Some(h) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], h.render()).into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are disabled").into_response(),
    }
}
