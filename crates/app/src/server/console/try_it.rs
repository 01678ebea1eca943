//! "Try it" (`POST /try`): what a subscription (configured, or an action, mapping and FQL
//! given inline) makes of an event, the Attio requests it would send, without sending;
//! with `"send": true`, sent for real, with Attio's answers.

use std::sync::Arc;

use chrono::Utc;
use domain::ports::AttioGateway;
use serde::Deserialize;
use serde_json::{json, Value};

use super::ConsoleInner;
use crate::cli::test_event::{self, inline_subscription};
use crate::delivery::{send_batch, send_single, RecordingGateway, SingleContext};
use crate::prepare::Work;
use crate::routing::Router;
use crate::server::query::{given, QueryError};

/// The body of `POST /try`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TryRequest {
    /// The Segment event: a JSON object, or its text.
    pub event: Value,
    /// A configured subscription, by name.
    #[serde(default)]
    pub subscription: Option<String>,
    /// An inline subscription instead: identifyUser, groupWorkspace or assertRecord.
    #[serde(default)]
    pub action: Option<String>,
    /// Its mapping (Segment's mapping JSON, as an object or its text).
    #[serde(default)]
    pub mapping: Option<Value>,
    /// Its FQL.
    #[serde(default)]
    pub subscribe: Option<String>,
    /// Lay the inline mapping over the action's default mapping.
    #[serde(default)]
    pub default_mapping: bool,
    /// Send it to Attio for real.
    #[serde(default)]
    pub send: bool,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Which subscriptions to try: an inline one (in its own router), one configured, or all.
enum Chosen {
    Inline(Arc<Router>),
    Configured(Option<usize>),
}

fn choose(console: &ConsoleInner, req: &TryRequest) -> Result<Chosen, QueryError> {
    if let Some(action) = given(&req.action) {
        let mapping = req.mapping.as_ref().filter(|m| !m.is_null()).map(text_of);
        let mapping = mapping.as_deref().map(str::trim).filter(|m| !m.is_empty());
        let mut sub = inline_subscription(action, mapping, given(&req.subscribe), req.default_mapping, false)
            .map_err(|e| QueryError::BadRequest(e.replace("--", "")))?;
        sub.name = "typed subscription".to_owned();
        return Ok(Chosen::Inline(Arc::new(Router::new(
            console.router.integrations.clone(),
            vec![sub],
            vec![None],
        ))));
    }
    match given(&req.subscription) {
        None => Ok(Chosen::Configured(None)),
        Some(name) => console
            .router
            .subscriptions
            .iter()
            .position(|s| s.name == name)
            .map(|i| Chosen::Configured(Some(i)))
            .ok_or_else(|| {
                QueryError::BadRequest(format!("subscription: no subscription named {name:?} is configured"))
            }),
    }
}

pub async fn run(console: &ConsoleInner, req: TryRequest) -> Result<Value, QueryError> {
    let event = text_of(&req.event);
    let chosen = choose(console, &req)?;
    let (router, only) = match &chosen {
        Chosen::Inline(router) => (router.clone(), None),
        Chosen::Configured(Some(i)) => (console.router.clone(), Some(console.router.name(*i))),
        Chosen::Configured(None) => (console.router.clone(), None),
    };
    // The preview is what delivery would prepare (`prepare`, through the same router).
    let mut out = Vec::new();
    let mut runner = test_event::DryRunner::new(&router, &console.attio_base_url, Utc::now(), true);
    if let Some(name) = only {
        runner = runner.only(name);
    }
    runner
        .event(&event, &mut out)
        .and_then(|()| runner.finish(&mut out))
        .map_err(|e| QueryError::Unavailable(e.to_string()))?;
    let preview: Value = serde_json::from_slice(&out).unwrap_or(Value::Null);
    let mut answer = json!({ "preview": preview, "sent": Value::Null });
    if !req.send {
        return Ok(answer);
    }
    let index = match &chosen {
        Chosen::Inline(_) => 0,
        Chosen::Configured(Some(i)) => *i,
        Chosen::Configured(None) => {
            return Err(QueryError::BadRequest(
                "send: choose one subscription (a configured one, or an action) to send for real".into(),
            ))
        }
    };
    // The event's item: `results` holds one outcome per matching subscription.
    let sendable = preview
        .as_array()
        .and_then(|items| items.first())
        .and_then(|item| item["results"].as_array())
        .and_then(|results| results.first())
        .and_then(|result| result["outcome"].as_str())
        .is_some_and(|o| o == "requests" || o == "batched");
    if !sendable {
        answer["sent"] =
            json!({"ok": false, "error": "nothing to send: see the preview for why", "attio_requests": []});
        return Ok(answer);
    }
    let sub = &router.subscriptions[index];
    // A configured subscription goes to its own destination; a typed one to `[attio]`'s.
    let destination = match &chosen {
        Chosen::Configured(_) => console.subscription_gateways.get(index).cloned(),
        Chosen::Inline(_) => None,
    }
    .unwrap_or_else(|| console.gateway.clone());
    let recording = Arc::new(RecordingGateway::new(destination, &sub.name));
    let gateway: Arc<dyn AttioGateway> = recording.clone();
    // The event prepared as delivery prepares it, for this subscription alone.
    let work = crate::prepare::prepare(&router, &event, Some(sub.name.as_str()), Utc::now())
        .map_err(|e| format!("the event is not JSON: {e}"))
        .and_then(|p| {
            p.units
                .into_iter()
                .find(|u| u.subscription == index)
                .map(|u| u.prepped.work)
                .ok_or_else(|| "nothing to send: see the preview for why".to_owned())
        });
    // `Ok(Some(reason))`: the subscription's write_mode skipped it (nothing written).
    let result: Result<Option<String>, String> = match work {
        Err(e) => Err(e),
        Ok(Work::Batch(assertion)) => {
            // The one event taken out before sending (the schema check refused it) is a failure.
            match send_batch(gateway.as_ref(), std::slice::from_ref(&assertion)).await {
                Ok(report) => report.rejected.into_iter().next().map_or(Ok(None), |(_, why)| Err(why)),
                Err(e) => Err(e.message),
            }
        }
        Ok(Work::Single(plan)) => {
            // Sent straight through the gateway, not the spool: there is no spool event, so
            // no journal (a note is created as asked, and a skip is only reported).
            let ctx = SingleContext {
                event_id: 0,
                message_id: None,
                journal: None,
                now: Utc::now(),
            };
            send_single(router.clone(), gateway, index, &plan, &[], None, ctx)
                .await
                .map_err(|e| e.message)
        }
    };
    answer["sent"] = json!({
        "ok": result.is_ok(),
        "skipped": result.as_ref().ok().cloned().flatten(),
        "error": result.err(),
        "attio_requests": recording.take_requests(),
    });
    tracing::info!(subscription = %sub.name, "console: a test event was sent to Attio");
    Ok(answer)
}
