//! The configuration in force as the console and `GET /config` show it: secrets are only
//! said to be set, never shown.

use segment_adapter::destination::ActionSubscription;
use serde_json::{json, Value};

use crate::config::{Settings, SubscriptionSettings};

/// What `GET /config` answers (without the schema check, added per request), and the
/// Attio objects the subscriptions write to.
pub struct ConfigView {
    pub view: Value,
    pub required_objects: Vec<String>,
}

fn secret_state<T>(secret: &Option<T>) -> &'static str {
    if secret.is_some() {
        "set (not shown)"
    } else {
        "not set"
    }
}

/// The object an `assertRecord` mapping names as a constant, if it does.
fn assert_object(s: &SubscriptionSettings) -> Option<String> {
    let mapping = match (&s.mapping, &s.mapping_json) {
        (Some(m), _) => m.clone(),
        (None, Some(text)) => serde_json::from_str(text).ok()?,
        (None, None) => return None,
    };
    mapping.get("object")?.as_str().map(str::to_owned)
}

fn objects_of(action: &str, configured: Option<&SubscriptionSettings>) -> Vec<String> {
    match action {
        "identifyUser" => vec!["people".into(), "users".into()],
        "groupWorkspace" => vec!["companies".into(), "workspaces".into()],
        _ => configured.and_then(assert_object).into_iter().collect(),
    }
}

pub fn build(
    settings: &Settings,
    subscriptions: &[ActionSubscription],
    using_presets: bool,
    target: &str,
) -> ConfigView {
    let mut required: Vec<String> = Vec::new();
    let subs: Vec<Value> = subscriptions
        .iter()
        .map(|sub| {
            let configured = settings.subscriptions.iter().find(|s| s.name == sub.name);
            required.extend(objects_of(sub.action.as_str(), configured));
            let mapping = configured.and_then(|c| match (&c.mapping, &c.mapping_json) {
                (Some(m), _) => Some(m.clone()),
                (None, Some(text)) => Some(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))),
                (None, None) => None,
            });
            json!({
                "name": sub.name,
                "action": sub.action.as_str(),
                "subscribe": sub.subscribe_text(),
                "batching": sub.batching.enabled,
                "batch_size": sub.batching.enabled.then_some(sub.batching.size),
                "use_default_mapping": configured.is_none_or(|c| c.use_default_mapping),
                "mapping": mapping,
            })
        })
        .collect();
    required.sort();
    required.dedup();
    let view = json!({
        "subscriptions": subs,
        "using_presets": using_presets,
        "destination": {
            "attio": target,
            "base_url": settings.attio.base_url,
            "token": secret_state(&settings.attio.token),
            "write_rate": settings.attio.write_rate,
            "read_rate": settings.attio.read_rate,
            "timeout_secs": settings.attio.timeout_secs,
            "validate_schema": settings.attio.validate_schema,
            "integration_names": settings.integrations.names,
        },
        "server": {
            "listen": settings.server.listen.to_string(),
            "admin_token": secret_state(&settings.server.admin_token),
        },
        "ingest": {
            "write_keys": format!("{} configured (not shown)", settings.ingest.write_keys.len()),
            "sources": settings.ingest.sources.iter().map(|s| serde_json::json!({"write_key": "(not shown)", "destinations": s.destinations})).collect::<Vec<_>>(),
            "webhook_secret": secret_state(&settings.ingest.webhook_secret),
        },
        "delivery": {
            "max_age_secs": settings.delivery.max_age_secs,
            "concurrency": settings.delivery.concurrency,
            "flush_interval_ms": settings.delivery.flush_interval_ms,
        },
        "spool": {
            "path": settings.spool.path.display().to_string(),
            "url": settings.spool.url.as_deref().map(postgres_spool::redacted_url),
        },
    });
    ConfigView {
        view,
        required_objects: required,
    }
}
