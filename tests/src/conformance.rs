//! Runs one conformance case (the reference oracle's input format) through the same
//! router, preparation ([`app::prepare::prepare`]) and actions the service uses, and
//! compares the outcome with the reference's exactly as `shared/README.md` prescribes. A
//! single case is prepared as delivery prepares an event and its plan executed; a batch case
//! (`events`) goes through the service's delivery loop itself: its router, its batches
//! and the way it splits a batch Attio refuses.

use std::sync::Arc;
use std::time::Duration;

use app::delivery::{self, DeliveryConfig, DeliveryDeps, DeliveryStatus};
use app::prepare::{prepare, Work};
use app::routing::{Route, Router};
use attio_adapter::http::{AttioHttpConfig, HttpAttioGateway};
use chrono::{DateTime, Utc};
use domain::actions::{choice_error, execute_plan, object_choices, ActionKind};
use domain::ports::{AttioGateway, Clock, EventSpool, NewEvent};
use secrecy::SecretString;
use segment_adapter::destination::ActionSubscription;
use segment_adapter::integrations::IntegrationsFilter;
use serde_json::{json, Value};
use tokio::sync::{watch, Notify};

use crate::scripted_attio::{RecordedRequest, Reply};
use crate::scripted_server::ScriptedServer;
use domain::ports::MemSpool;

/// What our implementation did for a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub requests: Vec<RecordedRequest>,
    pub error: Option<String>,
    pub result: Option<Value>,
}

impl Outcome {
    pub fn to_json(&self) -> Value {
        json!({
            "requests": self.requests.iter().map(|r| json!({"method": r.method, "url": r.url, "body": r.body})).collect::<Vec<_>>(),
            "error": self.error,
            "result": self.result,
        })
    }
}

/// The script of replies of a case.
pub fn script(case: &Value) -> Vec<Reply> {
    case.get("responses")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(Reply::from_case).collect())
        .unwrap_or_default()
}

/// The bearer token of a case: `auth.accessToken`, else `settings.oauth.access_token`;
/// the reference sends the literal `undefined` when there is none.
pub fn token_of(case: &Value) -> String {
    case.pointer("/auth/accessToken")
        .or_else(|| case.pointer("/settings/oauth/access_token"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .unwrap_or("undefined")
        .to_owned()
}

/// Runs a case over real HTTP: the production transport against the scripted server.
/// Also checks that every request carried `authorization: Bearer <token>`.
pub async fn run_case(case: &Value, server: &ScriptedServer) -> Result<Outcome, String> {
    server.reset(script(case));
    let token = token_of(case);
    let mut config = AttioHttpConfig::new(SecretString::from(token.clone())).with_base_url(server.base_url());
    // The reference neither rate-limits nor retries nor falls back: one request per step.
    config.write_rate = 1_000_000;
    config.read_rate = 1_000_000;
    config.max_rate_limit_retries = 0;
    config.documented_fallback = false;
    config.timeout = Duration::from_secs(10);
    let gateway = HttpAttioGateway::new(config).map_err(|e| e.to_string())?;
    let (error, result) = if case.get("events").is_some() {
        (run_batch(case, Arc::new(gateway)).await?, None)
    } else {
        run_with(case, &gateway).await
    };
    let mut requests = Vec::new();
    let want = format!("Bearer {token}");
    for (i, received) in server.requests().into_iter().enumerate() {
        let req = received.request;
        if received.authorization.as_deref() != Some(want.as_str()) {
            return Err(format!(
                "request {} {} did not carry the case's bearer token",
                req.method, req.url
            ));
        }
        if let Some(e) = received.body_error {
            return Err(format!(
                "request {i} {} {}: the body is not JSON: {e}",
                req.method, req.url
            ));
        }
        requests.push(req);
    }
    Ok(Outcome {
        requests,
        error,
        result,
    })
}

/// Runs a case against any gateway; returns the error message and the `result`.
pub async fn run_with(case: &Value, gateway: &dyn AttioGateway) -> (Option<String>, Option<Value>) {
    match case.get("op").and_then(Value::as_str) {
        Some("testAuthentication") => (gateway.check_credentials().await.err().map(|e| e.to_string()), None),
        Some("dynamicField") => {
            let result = match gateway.list_objects().await {
                Ok(objects) => json!({"choices": object_choices(objects)}),
                Err(e) => json!({"choices": [], "error": choice_error(&e)}),
            };
            (None, Some(result))
        }
        Some(other) => (Some(format!("unknown op {other}")), None),
        None => (run_action(case, gateway).await.err(), None),
    }
}

fn now_of(case: &Value) -> DateTime<Utc> {
    case.get("now")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

/// The case's subscription, built as the service builds a configured one.
fn subscription(case: &Value) -> Result<ActionSubscription, String> {
    let action_name = case.get("action").and_then(Value::as_str).unwrap_or("assertRecord");
    let action = ActionKind::parse(action_name).ok_or_else(|| format!("unknown action {action_name}"))?;
    let mapping = case.get("mapping").cloned().unwrap_or_else(|| json!({}));
    let subscribe = case.get("subscribe").and_then(Value::as_str);
    let use_defaults = case.get("useDefaultMappings").and_then(Value::as_bool).unwrap_or(false);
    if use_defaults {
        ActionSubscription::with_default_mapping("case", action, subscribe, &mapping)
    } else {
        ActionSubscription::new("case", action, subscribe, &mapping)
    }
    .map_err(|e| e.to_string())
}

/// Runs a single-mode case as delivery prepares an event ([`prepare`]: the router's
/// projected parse, the subscription, mapping and validation, the plan with the
/// subscription's write options), then executes the plan: an event the subscription does
/// not take sends nothing; one its mapping refuses fails with the refusal.
async fn run_action(case: &Value, gateway: &dyn AttioGateway) -> Result<(), String> {
    let mut sub = subscription(case)?;
    // The reference's `perform`: one event on its own, whatever `enable_batching` says.
    sub.batching.enabled = false;
    let event = case.get("event").ok_or("the case has neither `event` nor `events`")?;
    let text = event.to_string();
    let router = Router::new(IntegrationsFilter::default(), vec![sub], vec![None]);
    let prepared = prepare(&router, &text, None, now_of(case)).map_err(|e| e.to_string())?;
    if let Some(reason) = prepared.routing.routes.into_iter().find_map(|r| match r {
        Route::Reject { reason, .. } => Some(reason),
        Route::Deliver { .. } => None,
    }) {
        return Err(reason);
    }
    for unit in prepared.units {
        let Work::Single(plan) = unit.prepped.work else {
            return Err("a single-mode case was prepared for a batch".to_owned());
        };
        execute_plan(&plan, gateway).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The case's `now`, for the delivery loop.
struct FixedClock(DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// How long a batch case may take to settle.
const SETTLE: Duration = Duration::from_secs(20);

/// Runs a batch case through the service's delivery loop: the events are spooled, routed
/// by the service's `Router` (events the mapping refuses become dead letters, D7), sent
/// as the loop batches them, and a batch Attio refuses is split as the loop splits it.
/// Returns the error the loop recorded, if a request failed.
///
/// The reference hands all of a case's events to `performBatch` at once, whatever the
/// mapping's `enable_batching`: the subscription batches here, with room for them all.
/// Requests go one at a time, so that their order is the loop's and not the network's;
/// a retryable failure is not retried within the case (the reference makes one attempt).
async fn run_batch(case: &Value, gateway: Arc<dyn AttioGateway>) -> Result<Option<String>, String> {
    let mut sub = subscription(case)?;
    let events = case
        .get("events")
        .and_then(Value::as_array)
        .ok_or("`events` is not an array")?;
    sub.batching.enabled = true;
    sub.batching.size = events.len().max(1);
    let now = now_of(case);
    let spool = Arc::new(MemSpool::default());
    let new_events = events
        .iter()
        .map(|e| NewEvent {
            received_at: now,
            payload: e.to_string(),
            only_subscription: None,
            only_destinations: None,
        })
        .collect();
    spool.append(new_events).await.map_err(|e| e.to_string())?;
    let status = Arc::new(DeliveryStatus::default());
    let config = DeliveryConfig {
        flush_interval: Duration::ZERO,
        concurrency: 1,
        initial_backoff: Duration::from_secs(3600),
        max_backoff: Duration::from_secs(3600),
        // The reference sends one request per event (deviation D16 off).
        coalesce: false,
        ..DeliveryConfig::default()
    };
    let deps = DeliveryDeps {
        spool: spool.clone(),
        gateway,
        clock: Arc::new(FixedClock(now)),
        router: Arc::new(Router::new(IntegrationsFilter::default(), vec![sub], vec![None])),
        status: status.clone(),
        notify: Arc::new(Notify::new()),
        trace: None,
        journal: None,
        subscription_gateways: Vec::new(),
        fingerprints: None,
    };
    let (shutdown, rx) = watch::channel(false);
    let handle = delivery::spawn(config, deps, rx);
    let deadline = tokio::time::Instant::now() + SETTLE;
    // Settled: every event delivered or dead-lettered, or a failure waiting to be retried.
    while spool.pending() > 0 && DeliveryStatus::get(&status.retries) == 0 {
        if tokio::time::Instant::now() >= deadline {
            let _ = shutdown.send(true);
            return Err(format!(
                "the delivery loop did not settle within {SETTLE:?}: {} event(s) pending",
                spool.pending()
            ));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = shutdown.send(true);
    handle.await.map_err(|e| format!("the delivery loop failed: {e}"))?;
    Ok(status.last_error())
}

/// Numbers compared by value: every number becomes an f64.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        other => other.clone(),
    }
}

fn json_eq(a: &Value, b: &Value) -> bool {
    let (mut a, mut b) = (normalize(a), normalize(b));
    a.sort_all_objects();
    b.sort_all_objects();
    a == b
}

/// Where the reference gives up on a batch that Attio refused for its content (a 4xx
/// other than 401, 403, 408 and 429), the service sends each of its events again on its
/// own, so that one bad event does not sink the others (D7): the reference's requests,
/// then one batch per assertion of the refused one, in order.
fn split_of_refused_batch(case: &Value, expected: &[Value], ours: &Outcome) -> Option<Vec<Value>> {
    case.get("events")?;
    let last = expected.last()?;
    let status = case
        .get("responses")
        .and_then(Value::as_array)
        .and_then(|r| r.get(expected.len() - 1))
        .and_then(|r| r.get("status"))
        .and_then(Value::as_u64)?;
    if !(400..500).contains(&status) || matches!(status, 401 | 403 | 408 | 429) {
        return None;
    }
    // Resent in the order the service batched them (compared with the reference's above).
    let refused = ours.requests.get(expected.len() - 1)?;
    let assertions = refused.body.pointer("/assertions")?.as_array()?;
    if assertions.len() < 2 {
        return None;
    }
    Some(
        assertions
            .iter()
            .map(|a| json!({"method": last["method"], "url": last["url"], "body": {"assertions": [a]}}))
            .collect(),
    )
}

/// A batch body with its assertions grouped by record (object, matching attribute and
/// its value), each record's in their original order. The service delivers the events
/// of one record in order and gathers a batch record by record, where the reference
/// keeps the events' order across records (D14): the per-record order must be the
/// reference's, the interleaving of different records may differ.
fn by_record(body: &Value) -> Value {
    let Some(assertions) = body.get("assertions").and_then(Value::as_array) else {
        return body.clone();
    };
    let record = |a: &Value| {
        let attribute = a["matching_attribute"].as_str().unwrap_or_default();
        (
            a["object"].to_string(),
            attribute.to_owned(),
            a["values"].get(attribute).map(Value::to_string).unwrap_or_default(),
        )
    };
    let mut grouped = assertions.clone();
    grouped.sort_by_key(record);
    let mut out = body.clone();
    out["assertions"] = Value::Array(grouped);
    out
}

/// Compares our outcome with the reference's `expected`; `Err` holds a readable diff.
pub fn compare(case: &Value, expected: &Value, ours: &Outcome) -> Result<(), String> {
    let mut problems = Vec::new();
    let Some(mut exp_requests) = expected.get("requests").and_then(Value::as_array).cloned() else {
        return Err("the expected outcome has no `requests` array".into());
    };
    if let Some(split) = split_of_refused_batch(case, &exp_requests, ours) {
        exp_requests.extend(split);
    }
    if exp_requests.len() != ours.requests.len() {
        problems.push(format!(
            "expected {} request(s), sent {}",
            exp_requests.len(),
            ours.requests.len()
        ));
    }
    for (i, (exp, got)) in exp_requests.iter().zip(&ours.requests).enumerate() {
        let method = exp.get("method").and_then(Value::as_str).unwrap_or("");
        let url = exp.get("url").and_then(Value::as_str).unwrap_or("");
        let Some(body) = exp.get("body").cloned() else {
            problems.push(format!("expected request {i} has no `body`"));
            continue;
        };
        if method != got.method {
            problems.push(format!("request {i}: method {method} expected, {} sent", got.method));
        }
        if url != got.url {
            problems.push(format!(
                "request {i}: url\n    expected {url}\n    sent     {}",
                got.url
            ));
        }
        let (body, sent) = if url.ends_with("/v2/batch/records") {
            (by_record(&body), by_record(&got.body))
        } else {
            (body, got.body.clone())
        };
        if !json_eq(&body, &sent) {
            problems.push(format!(
                "request {i}: body\n    expected {body}\n    sent     {}",
                got.body
            ));
        }
    }
    let exp_error = expected.get("error").filter(|e| !e.is_null());
    if exp_error.is_some() != ours.error.is_some() {
        problems.push(format!("error: expected {:?}, ours {:?}", exp_error, ours.error));
    }
    let is_auth = case.get("op").and_then(Value::as_str) == Some("testAuthentication");
    if let Some(exp_result) = expected.get("result") {
        if !is_auth && !json_eq(exp_result, ours.result.as_ref().unwrap_or(&Value::Null)) {
            problems.push(format!(
                "result\n    expected {exp_result}\n    ours     {:?}",
                ours.result
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n  "))
    }
}
