//! Runs one conformance case (the reference oracle's input format) through the same
//! subscription, mapping, pipeline and actions the service uses, and compares the
//! outcome with the reference's exactly as `shared/README.md` prescribes.

use chrono::{DateTime, Utc};
use domain::actions::{choice_error, execute_plan, object_choices, ActionKind};
use domain::ports::AttioGateway;
use segment_adapter::destination::ActionSubscription;
use segment_adapter::json::Val;
use segment_adapter::pipeline::Mode;
use serde_json::{json, Value};

use std::time::Duration;

use attio_adapter::http::{AttioHttpConfig, HttpAttioGateway};
use secrecy::SecretString;

use crate::scripted_attio::{RecordedRequest, Reply};
use crate::scripted_server::ScriptedServer;

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
    let (error, result) = run_with(case, &gateway).await;
    let mut requests = Vec::new();
    let want = format!("Bearer {token}");
    for (req, auth) in server.requests() {
        if auth.as_deref() != Some(want.as_str()) {
            return Err(format!(
                "request {} {} did not carry the case's bearer token",
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

async fn run_action(case: &Value, gateway: &dyn AttioGateway) -> Result<(), String> {
    let action_name = case.get("action").and_then(Value::as_str).unwrap_or("assertRecord");
    let action = ActionKind::parse(action_name).ok_or_else(|| format!("unknown action {action_name}"))?;
    let mapping = case.get("mapping").cloned().unwrap_or_else(|| json!({}));
    let subscribe = case.get("subscribe").and_then(Value::as_str);
    let use_defaults = case.get("useDefaultMappings").and_then(Value::as_bool).unwrap_or(false);
    let sub = if use_defaults {
        ActionSubscription::with_default_mapping("case", action, subscribe, &mapping)
    } else {
        ActionSubscription::new("case", action, subscribe, &mapping)
    }
    .map_err(|e| e.to_string())?;

    if let Some(event) = case.get("event") {
        let text = event.to_string();
        let event = Val::parse(&text).map_err(|e| e.to_string())?;
        if !sub.matches(&event) {
            return Ok(());
        }
        let payload = sub.payload(&event, Mode::Single).map_err(|e| e.to_string())?;
        let plan = payload.single_plan();
        execute_plan(&plan, gateway).await.map_err(|e| e.to_string())?;
        return Ok(());
    }
    let events = case
        .get("events")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let texts: Vec<String> = events.iter().map(Value::to_string).collect();
    let now = now_of(case);
    let mut assertions = Vec::new();
    for text in &texts {
        let Ok(event) = Val::parse(text) else { continue };
        if !sub.matches(&event) {
            continue;
        }
        // Invalid events are left out of the request (and dead-lettered by the service).
        if let Ok(payload) = sub.payload(&event, Mode::Batch) {
            if let Ok(a) = payload.batch_assertion(now) {
                assertions.push(a);
            }
        }
    }
    if assertions.is_empty() {
        return Ok(());
    }
    gateway
        .batch_assert(&assertions)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
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

/// Compares our outcome with the reference's `expected`; `Err` holds a readable diff.
pub fn compare(case: &Value, expected: &Value, ours: &Outcome) -> Result<(), String> {
    let mut problems = Vec::new();
    let exp_requests = expected
        .get("requests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
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
        let body = exp.get("body").cloned().unwrap_or(Value::Null);
        if method != got.method {
            problems.push(format!("request {i}: method {method} expected, {} sent", got.method));
        }
        if url != got.url {
            problems.push(format!(
                "request {i}: url\n    expected {url}\n    sent     {}",
                got.url
            ));
        }
        if !json_eq(&body, &got.body) {
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
