//! [`HttpAttioGateway`]: the production [`AttioGateway`](domain::ports::AttioGateway). Each
//! request goes through the same stack: build (URL, headers, body) → pace (per-token
//! limiter, shared pause after a 429) → send with a timeout → classify (2xx, or a
//! [`GatewayError`] the delivery loop can act on). The port's operations are in
//! `gateway_port`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::labels::{endpoint_label, status_label};
use crate::wire::Route;
use bytes::Bytes;

use domain::{Assertion, GatewayError, ObjectSlug};
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, Method};
use secrecy::ExposeSecret;
use serde::Deserialize;
use tokio::time::Instant;

use super::classify::{check_status, status_error, transport_error};
use super::config::{AttioHttpConfig, HttpSetupError};
use super::rate_limit::{limit_key, RateLimitStats, RateLimiter, RequestClass};
use super::schema::{ObjectSchema, SchemaCache};
use super::send::{HttpSend, RawRequest, RawResponse, ReqwestSend};
use super::workspace::{ChoiceCache, MemberCache};
use crate::wire::requests::WireRequest;

/// `user-agent` of every request.
pub const USER_AGENT_VALUE: &str = concat!("segment-attio/", env!("CARGO_PKG_VERSION"));

/// The pause assumed after a 429 without a readable `Retry-After`.
pub const DEFAULT_RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);

/// The shortest pause after a 429. An HTTP-date `Retry-After` has whole seconds and the
/// server's clock may be behind ours, so the date can already be past when it arrives;
/// sending again at once would only be refused again.
pub const MIN_RATE_LIMIT_PAUSE: Duration = Duration::from_millis(100);

/// What `GET /v2/self` says about the token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Identity {
    /// `false` for a revoked token (Attio may answer 200 with `{"active": false}`).
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub workspace_id: Option<String>,
    #[serde(default)]
    pub workspace_name: Option<String>,
    #[serde(default)]
    pub workspace_slug: Option<String>,
    /// Space-separated scopes.
    #[serde(default)]
    pub scope: Option<String>,
}

/// Counters of one gateway (the rate part is shared by every gateway using the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GatewayStats {
    pub rate: RateLimitStats,
    /// Assertions sent through the documented endpoint because the undocumented one is missing.
    pub documented_fallbacks: u64,
}

/// Object slugs by object id, and when they were fetched.
type ObjectsById = (Instant, Arc<HashMap<String, String>>);

pub(super) struct Inner {
    base_url: String,
    auth: HeaderValue,
    timeout: Duration,
    pub(super) validate_schema: bool,
    max_rate_limit_retries: u32,
    pub(super) documented_fallback: bool,
    sender: Arc<dyn HttpSend>,
    /// The `destination` label of the request metrics.
    destination: String,
    limiter: Arc<dyn RateLimiter>,
    pub(super) schemas: SchemaCache,
    pub(super) schema_ttl: Duration,
    pub(super) objects_by_id: Mutex<Option<ObjectsById>>,
    pub(super) choices: Mutex<ChoiceCache>,
    pub(super) members: Mutex<MemberCache>,
    /// Held while the workspace is read for a check, so that checks missing the cache at
    /// once wait for one read instead of each reading it.
    pub(super) workspace_reads: tokio::sync::Mutex<()>,
    pub(super) simple_missing: AtomicBool,
    pub(super) batch_missing: AtomicBool,
    pub(super) fallbacks: AtomicU64,
}

/// The Attio gateway over HTTP. Cheap to clone; clones share the client, the schema cache
/// and (with every other gateway using the same token) the rate limiter.
#[derive(Clone)]
pub struct HttpAttioGateway {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for HttpAttioGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAttioGateway")
            .field("base_url", &self.inner.base_url)
            .field("token", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

/// `raw` with any user name and password of its authority replaced by `***`, for messages.
fn without_userinfo(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://").map(|i| i + 3) else {
        return raw.to_owned();
    };
    let rest = &raw[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &raw[..scheme_end], &rest[at..]),
        None => raw.to_owned(),
    }
}

fn base_url(raw: &str) -> Result<String, HttpSetupError> {
    let invalid = |reason: String| HttpSetupError::InvalidBaseUrl {
        url: without_userinfo(raw),
        reason,
    };
    let url = reqwest::Url::parse(raw).map_err(|e| invalid(e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Transport errors print the URL: credentials in it would end up in logs.
        return Err(invalid(
            "it must not contain a user name or password (the token goes in the token setting)".into(),
        ));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "the scheme must be http or https, not {:?}",
            url.scheme()
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or fragment".into()));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

impl HttpAttioGateway {
    /// A gateway over the process-wide reqwest client.
    pub fn new(config: AttioHttpConfig) -> Result<Self, HttpSetupError> {
        let sender = ReqwestSend::shared().map_err(|e| HttpSetupError::Client(e.to_string()))?;
        Self::with_sender(config, Arc::new(sender))
    }

    /// A gateway over any [`HttpSend`].
    pub fn with_sender(config: AttioHttpConfig, sender: Arc<dyn HttpSend>) -> Result<Self, HttpSetupError> {
        let base_url = base_url(&config.base_url)?;
        let token = config.token.expose_secret();
        if token.is_empty() {
            return Err(HttpSetupError::EmptyToken);
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| HttpSetupError::InvalidToken)?;
        auth.set_sensitive(true);
        if config.write_rate == 0 {
            return Err(HttpSetupError::ZeroRate { field: "write_rate" });
        }
        if config.read_rate == 0 {
            return Err(HttpSetupError::ZeroRate { field: "read_rate" });
        }
        if config.timeout.is_zero() {
            return Err(HttpSetupError::ZeroTimeout);
        }
        let limiter = config.limiters.limiter(
            &limit_key(&base_url, &config.token),
            config.read_rate,
            config.write_rate,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                base_url,
                auth,
                timeout: config.timeout,
                validate_schema: config.validate_schema,
                max_rate_limit_retries: config.max_rate_limit_retries,
                documented_fallback: config.documented_fallback,
                sender,
                destination: config.destination.clone(),
                limiter,
                schemas: SchemaCache::new(config.schema_ttl),
                schema_ttl: config.schema_ttl,
                objects_by_id: Mutex::new(None),
                choices: Mutex::new(HashMap::new()),
                members: Mutex::new(None),
                workspace_reads: tokio::sync::Mutex::new(()),
                simple_missing: AtomicBool::new(false),
                batch_missing: AtomicBool::new(false),
                fallbacks: AtomicU64::new(0),
            }),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub fn stats(&self) -> GatewayStats {
        GatewayStats {
            rate: self.inner.limiter.stats(),
            documented_fallbacks: self.inner.fallbacks.load(Ordering::Relaxed),
        }
    }

    fn request(&self, method: Method, path_and_query: &str, body: Option<Bytes>) -> RawRequest {
        let mut headers = HeaderMap::with_capacity(4);
        headers.insert(AUTHORIZATION, self.inner.auth.clone());
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        RawRequest {
            method,
            url: format!("{}{}", self.inner.base_url, path_and_query),
            headers,
            body,
            timeout: self.inner.timeout,
        }
    }

    /// Build → pace → send → classify. A 429 pauses every request of its class for this
    /// token until `Retry-After`, then the same request is sent again, up to
    /// `max_rate_limit_retries` times (a rate-limited request was not processed).
    pub(super) async fn execute(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<String>,
    ) -> Result<RawResponse, GatewayError> {
        // Queries are POSTs that Attio counts against the read limit.
        let is_query = path_and_query.split('?').next().is_some_and(|p| p.ends_with("/query"));
        let class = if method == Method::GET || is_query {
            RequestClass::Read
        } else {
            RequestClass::Write
        };
        let body = body.map(Bytes::from); // cheap to clone for a resend
        let mut retries = 0;
        loop {
            let request = self.request(method.clone(), path_and_query, body.clone());
            self.inner.limiter.acquire(class).await;
            let started = Instant::now();
            let reply = self.inner.sender.send(request).await;
            let elapsed = started.elapsed();
            let elapsed_ms = elapsed.as_millis() as u64;
            let endpoint = endpoint_label(&method, path_and_query);
            metrics::histogram!("segment_attio_attio_request_seconds", "endpoint" => endpoint)
                .record(elapsed.as_secs_f64());
            let status = reply
                .as_ref()
                .map_or(Cow::Borrowed("error"), |r| status_label(r.status));
            // Per workspace, for services that deliver to several.
            metrics::counter!(
                "segment_attio_attio_destination_requests_total",
                "destination" => self.inner.destination.clone(),
                "status" => status
            )
            .increment(1);
            let response = match reply {
                Ok(r) => r,
                Err(e) => {
                    metrics::counter!("segment_attio_attio_requests_total", "endpoint" => endpoint, "status" => "error")
                        .increment(1);
                    tracing::debug!(%method, path = path_and_query, elapsed_ms, error = %e, "Attio request failed");
                    return Err(transport_error(e));
                }
            };
            metrics::counter!(
                "segment_attio_attio_requests_total",
                "endpoint" => endpoint,
                "status" => status_label(response.status)
            )
            .increment(1);
            tracing::debug!(%method, path = path_and_query, status = response.status, elapsed_ms, "Attio replied");
            if response.status != 429 {
                return check_status(response);
            }
            let err = status_error(&response, SystemTime::now());
            let GatewayError::Status { retry_after, .. } = &err else {
                return Err(err);
            };
            let pause = retry_after
                .unwrap_or(DEFAULT_RATE_LIMIT_PAUSE)
                .max(MIN_RATE_LIMIT_PAUSE);
            self.inner.limiter.rate_limited(class, pause).await;
            if retries >= self.inner.max_rate_limit_retries {
                return Err(err);
            }
            retries += 1;
            tracing::info!(%method, path = path_and_query, pause_ms = pause.as_millis() as u64, retries, "Attio rate limit reached; pausing this token");
        }
    }

    /// A 2xx reply body as JSON (reads need it).
    pub(super) async fn get_json(&self, path_and_query: &str) -> Result<serde_json::Value, GatewayError> {
        let response = self.execute(Method::GET, path_and_query, None).await?;
        serde_json::from_slice(&response.body)
            .map_err(|e| GatewayError::InvalidReply(format!("GET {path_and_query}: the reply is not JSON: {e}")))
    }

    /// Sends a request built by [`wire`](crate::wire::requests) and returns its reply body as JSON (`Null` when
    /// empty).
    pub(super) async fn send_wire(&self, r: WireRequest) -> Result<serde_json::Value, GatewayError> {
        let method = Method::from_bytes(r.method.as_bytes()).unwrap_or(Method::GET);
        let body = r.body.map(|b| b.to_string());
        let response = self.execute(method, &r.path_and_query, body).await?;
        if response.body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&response.body).map_err(|e| {
            GatewayError::InvalidReply(format!("{} {}: the reply is not JSON: {e}", r.method, r.path_and_query))
        })
    }

    /// `GET /v2/self`: the workspace the token belongs to and whether it is active.
    pub async fn whoami(&self) -> Result<Identity, GatewayError> {
        let value = self.get_json(&Route::Identify.path()).await?;
        serde_json::from_value(value)
            .map_err(|e| GatewayError::InvalidReply(format!("GET /v2/self: unexpected reply: {e}")))
    }

    /// The attributes of `object`, from the cache while fresh.
    pub async fn schema(&self, object: &ObjectSlug) -> Result<Arc<ObjectSchema>, GatewayError> {
        let path = Route::ListAttributes(object.as_str().to_owned()).path();
        self.inner
            .schemas
            .get_or_fetch(object.as_str(), || async {
                let reply = self.get_json(&path).await?;
                ObjectSchema::from_reply(object.as_str(), &reply)
            })
            .await
    }

    /// Object slugs by object id (`GET /v2/objects`), cached like schemas.
    pub(super) async fn object_slugs_by_id(&self) -> Result<Arc<HashMap<String, String>>, GatewayError> {
        let cached = self
            .inner
            .objects_by_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some((at, map)) = cached {
            if at.elapsed() < self.inner.schema_ttl {
                return Ok(map);
            }
        }
        let reply = self.get_json(&Route::ListObjects.path()).await?;
        let map = Arc::new(super::fallback::object_slugs_by_id(&reply));
        *self.inner.objects_by_id.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), map.clone()));
        Ok(map)
    }

    /// Checks assertions against the workspace (see [`Self::check_each`]); the first refusal.
    pub async fn validate(&self, assertions: &[Assertion<'_>]) -> Result<(), GatewayError> {
        self.check_each(assertions).await.into_iter().collect()
    }

    /// After Attio refused a write as wrong (an unknown object, attribute, option, ...), what
    /// is cached about the workspace may be stale: it is read again at the next check.
    pub(super) fn note_refusal(&self, e: &GatewayError) {
        if self.inner.validate_schema && matches!(e.status(), Some(400 | 404)) {
            self.forget_schema();
        }
    }

    pub(super) fn note_missing(&self, flag: &AtomicBool, endpoint: &str) {
        if !flag.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                endpoint,
                "this Attio workspace does not have the {endpoint} endpoint; using the documented assert endpoint instead"
            );
        }
    }
}
