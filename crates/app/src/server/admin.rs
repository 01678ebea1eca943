//! The admin endpoints: the event trace over HTTP (`GET /events/{id}`, `GET /events?...`),
//! and the bearer token that guards them (and `/metrics` when one is set).

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::ports::{EventTrace, TraceFilter};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use crate::trace_query::{parse_since, parse_state, MAX_LIST};

/// What the trace endpoints read.
#[derive(Clone)]
pub struct AdminState {
    /// `None` when the trace is off.
    pub trace: Option<Arc<dyn EventTrace>>,
}

/// The admin token, when one is configured.
#[derive(Clone)]
pub struct AdminToken(pub Option<Arc<SecretString>>);

pub fn router(state: AdminState, token: AdminToken) -> Router {
    Router::new()
        .route("/events", get(list))
        .route("/events/{id}", get(show))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(token, require_token))
}

/// Refuses a request without the admin token. Without a configured token the trace
/// endpoints are off (404): events name users.
pub async fn require_token(State(token): State<AdminToken>, request: Request, next: Next) -> Response {
    let Some(expected) = token.0 else {
        return problem(
            StatusCode::NOT_FOUND,
            "the admin endpoints are off: set server.admin_token to use them",
        );
    };
    if bearer_matches(&request, &expected) {
        next.run(request).await
    } else {
        let mut response = problem(
            StatusCode::UNAUTHORIZED,
            "this endpoint needs the admin token (Authorization: Bearer TOKEN)",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        response
    }
}

/// Like `require_token`, but lets everything through when no token is configured
/// (`/metrics`).
pub async fn token_when_set(State(token): State<AdminToken>, request: Request, next: Next) -> Response {
    if token.0.is_none() {
        return next.run(request).await;
    }
    require_token(State(token), request, next).await
}

fn bearer_matches(request: &Request, expected: &SecretString) -> bool {
    let Some(given) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    constant_time_eq(given.trim().as_bytes(), expected.expose_secret().as_bytes())
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn problem(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

async fn show(State(s): State<AdminState>, Path(id): Path<String>) -> Response {
    let Some(trace) = s.trace else {
        return problem(StatusCode::NOT_FOUND, "the event trace is off (spool.trace = false)");
    };
    match trace.find(&id).await {
        Ok(Some(found)) => Json(found).into_response(),
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            &format!("no event with id or messageId {id:?} in the trace or the spool"),
        ),
        Err(e) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("reading the trace failed: {e}"),
        ),
    }
}

/// The query of `GET /events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    user_id: Option<String>,
    since: Option<String>,
    subscription: Option<String>,
    limit: Option<usize>,
}

async fn list(
    State(s): State<AdminState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(trace) = s.trace else {
        return problem(StatusCode::NOT_FOUND, "the event trace is off (spool.trace = false)");
    };
    let Query(q) = match query {
        Ok(q) => q,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let state = match q.state.as_deref().map(parse_state).transpose() {
        Ok(state) => state,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &format!("state: {e}")),
    };
    let since = match q.since.as_deref().map(parse_since).transpose() {
        Ok(since) => since,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &format!("since: {e}")),
    };
    let filter = TraceFilter {
        state,
        event_type: q.event_type,
        user_id: q.user_id,
        since,
        subscription: q.subscription,
        limit: q.limit.unwrap_or(100).min(MAX_LIST),
    };
    match trace.list(filter).await {
        Ok(found) => Json(json!({ "events": found })).into_response(),
        Err(e) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("reading the trace failed: {e}"),
        ),
    }
}
