use std::future::Future;
use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use serde_json::json;

use super::handler::{handle, Endpoint};
use super::settings::settings;
use super::IngestState;
use crate::event::EventType;

fn event_route(endpoint: Endpoint) -> MethodRouter<IngestState> {
    post(move |State(state): State<IngestState>, request: Request| handle(state, endpoint, request))
}

/// The Segment-compatible routes:
///
/// * `POST /v1/{identify,track,page,screen,group,alias}` and the analytics.js short
///   forms `/v1/{i,t,p,s,g,a}`: one event, whose `type` the path sets;
/// * `POST /v1/batch`, `/v1/import`, `/v1/b`: a batch envelope;
/// * `POST /webhook`: one event from Segment's Webhooks destination;
/// * `GET /v1/projects/{writeKey}/settings`: the analytics.js settings document;
/// * `OPTIONS /v1/*`: CORS preflight (every `/v1` answer carries CORS headers).
///
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()` (as [`serve`]
/// does): without the peer address, a keyless service refuses every request.
pub fn router(state: IngestState) -> Router {
    if state.keys.is_empty() {
        if state.config.loopback_only_without_keys {
            tracing::warn!("no write keys are configured: accepting events from loopback clients only");
        } else {
            tracing::warn!("no write keys are configured: accepting events from any client");
        }
    }
    let mut router = Router::new();
    for kind in EventType::ALL {
        let name = kind.as_str();
        router = router
            .route(&format!("/v1/{name}"), event_route(Endpoint::Single(kind, name)))
            .route(
                &format!("/v1/{}", kind.short_path()),
                event_route(Endpoint::Single(kind, kind.short_path())),
            );
    }
    router
        .route("/v1/batch", event_route(Endpoint::Batch("batch")))
        .route("/v1/import", event_route(Endpoint::Batch("import")))
        .route("/v1/b", event_route(Endpoint::Batch("b")))
        .route("/webhook", event_route(Endpoint::Webhook))
        .route("/v1/projects/{write_key}/settings", get(settings))
        .fallback(not_found)
        .layer(middleware::from_fn(cors))
        .with_state(state)
}

/// Serves the router on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: IngestState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn not_found() -> Response {
    let body = json!({"error": {"code": "not_found", "message": "no such endpoint"}});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

const ALLOWED_METHODS: &str = "GET, POST, OPTIONS";
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Content-Encoding, X-Write-Key";

/// CORS for `/v1/*`, so that analytics.js on any origin can load its settings and
/// post events: preflights are answered here, other answers get the headers added.
async fn cors(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/v1/") {
        return next.run(request).await;
    }
    let origin = request.headers().get(header::ORIGIN).cloned();
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        origin.unwrap_or_else(|| HeaderValue::from_static("*")),
    );
    let vary = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
        Some(other) if !other.is_empty() => {
            HeaderValue::from_str(&format!("Origin, {other}")).unwrap_or_else(|_| HeaderValue::from_static("Origin"))
        }
        _ => HeaderValue::from_static("Origin"),
    };
    headers.insert(header::VARY, vary);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOWED_METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Retry-After"),
    );
    response
}
