//! `GET /_simulator/records/{object}`: the built-in simulator's records, for trying the
//! service out. They hold people's data, so: with write keys configured the request must
//! carry a write key (HTTP Basic username or `X-Write-Key`) or the admin token
//! (`Authorization: Bearer ...`); without write keys only loopback clients, not relayed
//! by a proxy, are answered.

use std::net::SocketAddr;

use attio_simulator::SimulatorView;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use segment_adapter::ingest::{is_forwarded, IngestState};
use serde_json::json;
use subtle::ConstantTimeEq;

#[derive(Clone)]
struct Inspection {
    simulator: SimulatorView,
    ingest: IngestState,
    admin_token: Option<SecretString>,
}

pub fn router(simulator: SimulatorView, ingest: IngestState, admin_token: Option<SecretString>) -> Router {
    Router::new()
        .route("/_simulator/records/{object}", get(records))
        .with_state(Inspection {
            simulator,
            ingest,
            admin_token,
        })
}

async fn records(State(s): State<Inspection>, Path(object): Path<String>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if let Err(refusal) = allowed(&s, peer, request.headers()) {
        return refusal;
    }
    Json(s.simulator.records(&object)).into_response()
}

fn allowed(s: &Inspection, peer: Option<SocketAddr>, headers: &HeaderMap) -> Result<(), Response> {
    if s.ingest.has_write_keys() {
        if s.ingest.headers_carry_write_key(headers) || carries_admin_token(s.admin_token.as_ref(), headers) {
            return Ok(());
        }
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the simulator's records need a write key (HTTP Basic username or X-Write-Key) or the admin token (Authorization: Bearer)",
        ));
    }
    let loopback = peer.is_some_and(|p| p.ip().to_canonical().is_loopback());
    if loopback && !is_forwarded(headers) {
        Ok(())
    } else {
        Err(refuse(
            StatusCode::FORBIDDEN,
            "loopback_only",
            "no write keys are configured, so the simulator's records are shown to loopback clients only",
        ))
    }
}

fn carries_admin_token(token: Option<&SecretString>, headers: &HeaderMap) -> bool {
    let Some(token) = token else { return false };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, value)| value.trim());
    let expected = token.expose_secret().as_bytes();
    presented.is_some_and(|p| !expected.is_empty() && bool::from(p.as_bytes().ct_eq(expected)))
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_admin_token_is_a_bearer_token() {
        let token = SecretString::from("admin-1");
        let mut headers = HeaderMap::new();
        assert!(!carries_admin_token(Some(&token), &headers));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer admin-1"));
        assert!(carries_admin_token(Some(&token), &headers));
        assert!(!carries_admin_token(None, &headers));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer admin-2"));
        assert!(!carries_admin_token(Some(&token), &headers));
    }
}
