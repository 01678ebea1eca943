//! The raw HTTP exchange, behind a small trait so classification and retry logic can be
//! tested without a network, plus its production implementation over reqwest.

use std::sync::OnceLock;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Method};

/// One request, fully built (URL, headers, body). The authorization header is marked
/// sensitive, so `Debug` prints `Sensitive` in its place.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: Method,
    pub url: String,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    pub timeout: Duration,
}

/// One reply, whatever its status.
#[derive(Debug, Clone, Default)]
pub struct RawResponse {
    pub status: u16,
    /// The reason phrase on the wire (HTTP/1), or the canonical one for the status.
    pub reason: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why no reply was received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("no reply within {}s", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("{0}")]
    Connection(String),
}

/// Sends one request and returns the reply (any status) or a transport failure.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait HttpSend: Send + Sync {
    async fn send(&self, request: RawRequest) -> Result<RawResponse, TransportError>;
}

/// The production sender: one reqwest client (rustls, gzip, connection pool) for the
/// whole process, shared by every gateway.
#[derive(Debug, Clone)]
pub struct ReqwestSend {
    client: reqwest::Client,
}

static SHARED_CLIENT: OnceLock<reqwest::Client> = OnceLock::new();

impl ReqwestSend {
    /// The process-wide client.
    pub fn shared() -> Result<Self, reqwest::Error> {
        if let Some(c) = SHARED_CLIENT.get() {
            return Ok(Self { client: c.clone() });
        }
        let built = reqwest::Client::builder()
            .use_rustls_tls()
            .gzip(true)
            // Attio's API does not redirect; a redirect is answered as it is.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self {
            client: SHARED_CLIENT.get_or_init(|| built).clone(),
        })
    }

    /// A sender over a client built elsewhere.
    pub fn with_client(client: reqwest::Client) -> Self {
        Self { client }
    }
}

/// The text of a reqwest error and its sources (the URL it names carries no secret).
fn describe(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[async_trait]
impl HttpSend for ReqwestSend {
    async fn send(&self, request: RawRequest) -> Result<RawResponse, TransportError> {
        let timeout = request.timeout;
        let mut builder = self
            .client
            .request(request.method, &request.url)
            .headers(request.headers)
            .timeout(timeout);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let map_err = |e: reqwest::Error| {
            if e.is_timeout() {
                TransportError::Timeout(timeout)
            } else {
                TransportError::Connection(describe(&e))
            }
        };
        let response = builder.send().await.map_err(map_err)?;
        let status = response.status();
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .and_then(|r| std::str::from_utf8(r.as_bytes()).ok().map(str::to_owned))
            .or_else(|| status.canonical_reason().map(str::to_owned))
            .unwrap_or_default();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(map_err)?;
        Ok(RawResponse {
            status: status.as_u16(),
            reason,
            headers,
            body,
        })
    }
}
