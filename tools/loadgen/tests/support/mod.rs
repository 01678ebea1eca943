//! A tiny Segment-like ingestion server on 127.0.0.1:0 that counts what it receives.

#![allow(dead_code)]

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// `Basic base64("test-key:")`.
pub const WRITE_KEY: &str = "test-key";
const EXPECTED_AUTH: &str = "Basic dGVzdC1rZXk6";

#[derive(Debug, Default, Clone, Copy)]
pub struct Behaviour {
    /// Answer 503 to every n-th request (1-based), 200 to the others.
    pub fail_every: Option<u64>,
    /// Wait this long before answering.
    pub delay: Duration,
}

#[derive(Debug, Default)]
pub struct Received {
    pub requests: AtomicU64,
    pub events: AtomicU64,
    pub accepted_events: AtomicU64,
    pub bytes: AtomicU64,
    pub bad_requests: AtomicU64,
    pub duplicate_ids: AtomicU64,
    pub message_ids: Mutex<HashSet<String>>,
    pub user_ids: Mutex<HashSet<String>>,
}

impl Received {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::SeqCst)
    }

    pub fn unique_ids(&self) -> usize {
        self.message_ids.lock().expect("lock").len()
    }

    pub fn distinct_users(&self) -> usize {
        self.user_ids.lock().expect("lock").len()
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub received: Arc<Received>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let received = Arc::new(Received::default());
        let state = Arc::clone(&received);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&state), behaviour, request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, received, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    state: Arc<Received>,
    behaviour: Behaviour,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let number = state.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let authorized = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .is_some_and(|value| value == EXPECTED_AUTH);
    let well_formed = request.method() == hyper::Method::POST && request.uri().path() == "/v1/batch";
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(answer(StatusCode::BAD_REQUEST)),
    };
    state.bytes.fetch_add(body.len() as u64, Ordering::SeqCst);
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let Some(batch) = parsed.as_ref().and_then(|v| v["batch"].as_array()) else {
        state.bad_requests.fetch_add(1, Ordering::SeqCst);
        return Ok(answer(StatusCode::BAD_REQUEST));
    };
    if !authorized || !well_formed {
        state.bad_requests.fetch_add(1, Ordering::SeqCst);
        return Ok(answer(StatusCode::UNAUTHORIZED));
    }
    state.events.fetch_add(batch.len() as u64, Ordering::SeqCst);
    {
        let mut ids = state.message_ids.lock().expect("lock");
        let mut users = state.user_ids.lock().expect("lock");
        for event in batch {
            let id = event["messageId"].as_str().unwrap_or_default().to_owned();
            if !ids.insert(id) {
                state.duplicate_ids.fetch_add(1, Ordering::SeqCst);
            }
            users.insert(event["userId"].as_str().unwrap_or_default().to_owned());
        }
    }
    if !behaviour.delay.is_zero() {
        tokio::time::sleep(behaviour.delay).await;
    }
    if behaviour.fail_every.is_some_and(|n| number.is_multiple_of(n)) {
        return Ok(answer(StatusCode::SERVICE_UNAVAILABLE));
    }
    state.accepted_events.fetch_add(batch.len() as u64, Ordering::SeqCst);
    Ok(answer(StatusCode::OK))
}

fn answer(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(br#"{"success":true}"#)));
    *response.status_mut() = status;
    response
}
