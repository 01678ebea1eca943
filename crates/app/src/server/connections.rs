//! The HTTP/1.1 server: accepts connections up to a limit, closes the ones that are too
//! slow or idle, and stops within a bounded time.
//!
//! * At most `max_connections` are served at once. Beyond that, a small overflow pool
//!   answers the health endpoints and `503` with `Retry-After` to everything else, with
//!   short timeouts, and closes each connection after one answer; beyond the overflow pool
//!   a connection is closed as soon as it is accepted.
//! * A request head must arrive within `header_read_timeout` (counted from the opening
//!   of the connection or the end of the previous answer); a connection with no request
//!   in progress on which nothing is read or written for `idle_timeout` is closed.
//! * HTTP/2 is not served.
//! * On shutdown, listening stops, idle connections are closed, requests in progress get
//!   until `grace` to finish, and whatever is still open then is closed.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use super::activity::{Activity, Tracked};

/// Connections served beyond `max_connections`, for health checks and quick refusals.
pub const OVERFLOW_CONNECTIONS: usize = 64;
/// Timeouts of an overflow connection.
const OVERFLOW_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest request head, in bytes (and the socket read buffer).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Connections the kernel may queue before they are accepted (capped by
/// `net.core.somaxconn`): a burst of connections waits there instead of being dropped.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr` with a listen queue of [`LISTEN_BACKLOG`].
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// The limits the server holds.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    /// How long a shutdown waits for requests in progress.
    pub grace: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serving,
    /// Finish the request in progress, then close.
    Draining,
    /// Close now.
    Closing,
}

#[derive(Clone, Copy)]
struct Timeouts {
    header_read: Duration,
    idle: Duration,
    keep_alive: bool,
}

/// Serves `app` on `listener` until `shutdown` completes, then drains as described in the
/// module documentation. `overflow` answers connections beyond the limit.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    overflow: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let max = limits.max_connections.clamp(1, u32::MAX as usize);
    let regular = Arc::new(Semaphore::new(max));
    let spare = Arc::new(Semaphore::new(OVERFLOW_CONNECTIONS));
    let (phase_tx, phase_rx) = watch::channel(Phase::Serving);
    let regular_timeouts = Timeouts {
        header_read: limits.header_read_timeout,
        idle: limits.idle_timeout,
        keep_alive: true,
    };
    let overflow_timeouts = Timeouts {
        header_read: OVERFLOW_TIMEOUT.min(limits.header_read_timeout),
        idle: OVERFLOW_TIMEOUT.min(limits.idle_timeout),
        keep_alive: false,
    };
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(&err).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        if let Ok(permit) = regular.clone().try_acquire_owned() {
            let conn = connection(stream, peer, app.clone(), regular_timeouts, permit, phase_rx.clone());
            tokio::spawn(conn);
        } else if let Ok(permit) = spare.clone().try_acquire_owned() {
            metrics::counter!(REFUSED, "how" => "busy").increment(1);
            let conn = connection(
                stream,
                peer,
                overflow.clone(),
                overflow_timeouts,
                permit,
                phase_rx.clone(),
            );
            tokio::spawn(conn);
        } else {
            metrics::counter!(REFUSED, "how" => "closed").increment(1);
            drop(stream);
        }
    }
    drop(listener);
    let _ = phase_tx.send(Phase::Draining);
    let all_closed = async {
        let _ = regular.acquire_many(max as u32).await;
        let _ = spare.acquire_many(OVERFLOW_CONNECTIONS as u32).await;
    };
    if tokio::time::timeout(limits.grace, all_closed).await.is_err() {
        let open = max - regular.available_permits() + OVERFLOW_CONNECTIONS - spare.available_permits();
        tracing::warn!(open, "closing the connections still open after the grace period");
        let _ = phase_tx.send(Phase::Closing);
        let all_closed = async {
            let _ = regular.acquire_many(max as u32).await;
            let _ = spare.acquire_many(OVERFLOW_CONNECTIONS as u32).await;
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), all_closed).await;
    }
}

/// Counter, label `how` (`busy`: answered 503; `closed`: closed unanswered): connections
/// beyond `server.max_connections`.
pub const REFUSED: &str = "segment_attio_connections_refused_total";

/// Out of file descriptors or a connection reset before it was accepted: wait a little
/// (the error would repeat at once) and go on.
async fn accept_failed(err: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(err.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::warn!(error = %err, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    timeouts: Timeouts,
    permit: OwnedSemaphorePermit,
    mut phase: watch::Receiver<Phase>,
) {
    let activity = Activity::new();
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
    });
    let requests = activity.clone();
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        let guard = requests.request();
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await;
            drop(guard);
            response
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read)
        .keep_alive(timeouts.keep_alive)
        .max_buf_size(MAX_HEAD_BYTES);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    if *phase.borrow_and_update() != Phase::Serving {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            () = activity.idle(timeouts.idle) => break,
            changed = phase.changed() => match changed.map(|()| *phase.borrow_and_update()) {
                Ok(Phase::Serving) => {}
                Ok(Phase::Draining) => conn.as_mut().graceful_shutdown(),
                Ok(Phase::Closing) | Err(_) => break,
            },
        }
    }
    drop(permit);
}

/// The answer of the overflow pool to everything but the health endpoints.
pub async fn busy() -> axum::response::Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let body = serde_json::json!({"error": {
        "code": "too_many_connections",
        "message": "the service has too many open connections; retry later",
    }});
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "5"), (header::CONNECTION, "close")],
        axum::Json(body),
    )
        .into_response()
}
