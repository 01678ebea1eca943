//! The HTTP server: accepts connections, runs each request through faults, auth and
//! rate limits, and answers.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rand::Rng;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinSet;

use super::api_error::ApiError;
use super::clock::retry_after_date;
use super::config::{Faults, SimulatorConfig, SimulatorError};
use super::engine::Engine;
use super::http::{api, auth, control};
use super::rate_limit::TokenBucket;
use super::schema::{load_schema_file, Schema};
use super::stats::{SimulatorStats, Stats};
use super::SimulatorHandle;
use attio_adapter::wire::route::Route;

const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Everything the request handlers share.
#[derive(Debug)]
pub struct State {
    pub engine: Engine,
    pub tokens: Vec<String>,
    pub create_missing_people: bool,
    pub faults: Mutex<Faults>,
    pub writes: Mutex<TokenBucket>,
    pub reads: Mutex<TokenBucket>,
    pub stats: Stats,
    pub batch_tx: mpsc::UnboundedSender<Vec<Value>>,
    pub batch_progress: Notify,
}

impl State {
    pub fn snapshot(&self) -> SimulatorStats {
        let records: BTreeMap<String, usize> = self.engine.record_counts().into_iter().collect();
        self.stats.snapshot(records)
    }
}

/// A response, or `None` to close the connection without answering.
type Outcome = Option<Response<Full<Bytes>>>;

/// Marker error that makes hyper drop the connection.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

pub fn json_response(status: u16, body: Option<&Value>) -> Response<Full<Bytes>> {
    text_response(status, body.map(Value::to_string))
}

fn text_response(status: u16, body: Option<String>) -> Response<Full<Bytes>> {
    let has_body = body.is_some();
    let mut r = Response::new(Full::new(body.map(Bytes::from).unwrap_or_default()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if has_body {
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    r
}

fn error_response(e: &ApiError) -> Response<Full<Bytes>> {
    json_response(e.status, Some(&e.body()))
}

fn too_many(retry_after: String) -> Response<Full<Bytes>> {
    let mut r = error_response(&ApiError::rate_limited());
    if let Ok(v) = HeaderValue::from_str(&retry_after) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

pub async fn start(config: SimulatorConfig) -> Result<SimulatorHandle, SimulatorError> {
    config.faults.validate().map_err(SimulatorError::Faults)?;
    let file = match &config.schema_file {
        Some(path) => Some(load_schema_file(path)?),
        None => None,
    };
    let schema = Schema::build(file.as_ref(), &config.inactive_objects)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| SimulatorError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimulatorError::Bind {
        addr: config.listen,
        source,
    })?;
    let (batch_tx, batch_rx) = mpsc::unbounded_channel();
    let now = Instant::now();
    let state = Arc::new(State {
        engine: Engine::new(schema),
        tokens: config.tokens.clone(),
        create_missing_people: config.create_missing_people,
        faults: Mutex::new(config.faults.clone()),
        writes: Mutex::new(TokenBucket::new(config.write_rate, now)),
        reads: Mutex::new(TokenBucket::new(config.read_rate, now)),
        stats: Stats::new(config.arrival_log_capacity),
        batch_tx,
        batch_progress: Notify::new(),
    });
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let worker = tokio::spawn(super::batch::run_worker(state.clone(), batch_rx));
    let server = tokio::spawn(accept_loop(listener, state.clone(), shutdown_rx));
    tracing::info!(%addr, "Attio simulator listening");
    Ok(SimulatorHandle::new(addr, state, shutdown_tx, server, worker))
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| {
                        let state = state.clone();
                        async move {
                            match handle(state, req).await {
                                Some(r) => Ok(r),
                                None => Err(DropConnection),
                            }
                        }
                    });
                    if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                        tracing::debug!(error = %e, "connection ended");
                    }
                });
            }
        }
    }
    connections.abort_all();
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Outcome {
    let arrived = Instant::now();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    if path.starts_with("/_simulator") {
        let body = read_body(req).await?;
        let (status, value) = control::handle(&state, &method, &path, &body);
        return Some(json_response(status, Some(&value)));
    }
    let route = Route::parse(&method, &path);
    let kind = route.kind();
    let is_write = route.is_write(&method);
    if is_write {
        state.stats.write_arrived(arrived);
    }
    let response = respond(&state, req, &route, is_write, &method, &path, query.as_deref()).await;
    let status = response.as_ref().map_or(0, |r| r.status().as_u16());
    state.stats.count(&method, kind, status);
    if response.is_none() {
        state.stats.dropped_connections.fetch_add(1, Ordering::Relaxed);
    }
    response
}

/// Reads the body; a failure to read closes the connection.
async fn read_body(req: Request<Incoming>) -> Option<Bytes> {
    Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
        .ok()
        .map(|c| c.to_bytes())
}

enum Injected {
    None,
    Drop,
    ServerError(u16),
    TooMany(String),
}

fn draw_fault(state: &State, is_write: bool) -> (Injected, u64) {
    let mut faults = state.faults.lock().unwrap_or_else(|p| p.into_inner());
    let latency = faults.latency_ms;
    if is_write {
        if let Some(burst) = faults.burst_429.as_mut() {
            if burst.count > 0 {
                burst.count -= 1;
                let retry = if burst.seconds_form {
                    burst.retry_after_secs.to_string()
                } else {
                    retry_after_date(burst.retry_after_secs)
                };
                if burst.count == 0 {
                    faults.burst_429 = None;
                }
                return (Injected::TooMany(retry), latency);
            }
        }
    }
    if faults.drop_rate == 0.0 && faults.server_error_rate == 0.0 {
        return (Injected::None, latency);
    }
    let mut rng = rand::rng();
    if rng.random::<f64>() < faults.drop_rate {
        return (Injected::Drop, latency);
    }
    if rng.random::<f64>() < faults.server_error_rate {
        let status = if rng.random::<bool>() { 500 } else { 503 };
        return (Injected::ServerError(status), latency);
    }
    (Injected::None, latency)
}

/// Whether this applied write's answer is to be lost (`Faults::drop_after_write`).
fn take_drop_after_write(state: &State, path: &str) -> bool {
    let mut faults = state.faults.lock().unwrap_or_else(|p| p.into_inner());
    let applies = faults.drop_after_write > 0
        && faults
            .drop_after_write_path
            .as_deref()
            .is_none_or(|prefix| path.starts_with(prefix));
    if applies {
        faults.drop_after_write -= 1;
    }
    applies
}

async fn respond(
    state: &State,
    req: Request<Incoming>,
    route: &Route,
    is_write: bool,
    method: &str,
    path: &str,
    query: Option<&str>,
) -> Outcome {
    let (injected, latency_ms) = draw_fault(state, is_write);
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    match injected {
        Injected::Drop => return None,
        Injected::ServerError(status) => {
            state.stats.injected_server_errors.fetch_add(1, Ordering::Relaxed);
            return Some(error_response(&ApiError::server_error(status)));
        }
        Injected::TooMany(retry) => {
            state.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            return Some(too_many(retry));
        }
        Injected::None => {}
    }
    let auth_header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Err(e) = auth::authorize(auth_header, &state.tokens) {
        return Some(error_response(&e));
    }
    let bucket = if is_write { &state.writes } else { &state.reads };
    let allowed = bucket
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .try_take(Instant::now());
    if !allowed {
        state.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
        return Some(too_many(retry_after_date(1)));
    }
    if *route == Route::Unknown {
        return Some(error_response(&ApiError::route_not_found(method, path)));
    }
    let body = read_body(req).await?;
    let answer = api::handle(state, route, query, &body);
    if is_write && answer.is_ok() && take_drop_after_write(state, path) {
        return None;
    }
    Some(match answer {
        Ok((status, api::Body::Empty)) => text_response(status, None),
        Ok((status, api::Body::Json(v))) => text_response(status, Some(v.to_string())),
        Ok((status, api::Body::Text(t))) => text_response(status, Some(t)),
        Err(e) => error_response(&e),
    })
}
