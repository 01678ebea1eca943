//! The admin endpoints: the event trace over HTTP (`GET /events/{id}`, `GET /events?...`),
//! and the guard of every admin endpoint (and of `/metrics` when a token is set).

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::ports::EventTrace;
use serde_json::json;

use super::access::{Access, Verdict};
use super::query::{self, EventQuery, QueryError};

/// What the trace endpoints read.
#[derive(Clone)]
pub struct AdminState {
    /// `None` when the trace is off.
    pub trace: Option<Arc<dyn EventTrace>>,
}

pub fn router(state: AdminState, access: Access) -> Router {
    Router::new()
        .route("/events", get(list))
        .route("/events/{id}", get(show))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(access, require_admin))
}

/// Refuses a request that is not allowed by [`Access`]: without the admin token (bearer
/// header or console session) 401; without a configured token, anything but loopback.
pub async fn require_admin(State(access): State<Access>, request: Request, next: Next) -> Response {
    match access.check(&request) {
        Verdict::Allowed => next.run(request).await,
        verdict => refusal(verdict),
    }
}

/// The answer to a refused request, as JSON.
pub fn refusal(verdict: Verdict) -> Response {
    match verdict {
        Verdict::NotLoopback => problem(
            StatusCode::FORBIDDEN,
            "no server.admin_token is configured, so the admin endpoints answer only on loopback",
        ),
        Verdict::CrossSite => problem(
            StatusCode::FORBIDDEN,
            "a state-changing request with the console's cookie must come from the console's own origin",
        ),
        _ => {
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
}

/// `/metrics`: open without a configured token, the bearer token when one is set.
pub async fn token_when_set(State(access): State<Access>, request: Request, next: Next) -> Response {
    if access.bearer_allowed(request.headers()) {
        next.run(request).await
    } else {
        refusal(Verdict::Unauthenticated)
    }
}

pub fn problem(status: StatusCode, message: &str) -> Response {
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

async fn list(
    State(s): State<AdminState>,
    query: Result<Query<EventQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(trace) = s.trace else {
        return problem(StatusCode::NOT_FOUND, "the event trace is off (spool.trace = false)");
    };
    let Query(q) = match query {
        Ok(q) => q,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    match query::events(trace.as_ref(), &q).await {
        Ok(found) => Json(json!({ "events": found })).into_response(),
        Err(e @ QueryError::BadRequest(_)) => problem(StatusCode::BAD_REQUEST, &e.to_string()),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}
