//! The workload of the pipeline benchmark and of the `batch_memory` example: identify
//! events as analytics-node sends them, and a router with one subscription, the
//! identifyUser default mapping plus three attributes.

use app::routing::Router;
use domain::actions::ActionKind;
use segment_adapter::destination::ActionSubscription;
use segment_adapter::integrations::IntegrationsFilter;
use serde_json::json;

const PLANS: [&str; 4] = ["free", "pro", "team", "enterprise"];
const FIRST: [&str; 6] = ["Ada", "Grace", "Alan", "Linus", "Barbara", "Ken"];
const LAST: [&str; 6] = ["Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson"];

/// An identify event as analytics-node sends it (after the server stamped it).
pub fn identify_event(i: usize) -> String {
    let first = FIRST[i % FIRST.len()];
    let last = LAST[(i / 7) % LAST.len()];
    json!({
        "type": "identify",
        "messageId": format!("node-next-1716544800000-{i:08x}-5f1c-4e2a-9b7d-3c0e8a1f2b4d"),
        "userId": format!("user-{i}"),
        "anonymousId": format!("anon-{:x}", i * 7919),
        "traits": {
            "email": format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase(), i),
            "name": format!("{first} {last}"),
            "plan": PLANS[i % PLANS.len()],
            "logins": i % 500,
            "company": {"name": "Acme", "domain": "acme.example"},
            "created_at": "2024-02-20T19:46:40.821Z"
        },
        "context": {
            "library": {"name": "@segment/analytics-node", "version": "3.1.0"},
            "ip": "203.0.113.7",
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
            "locale": "en-GB"
        },
        "integrations": {},
        "timestamp": "2024-05-24T10:00:00.000Z",
        "sentAt": "2024-05-24T10:00:00.100Z",
        "receivedAt": "2024-05-24T10:00:00.250Z",
        "originalTimestamp": "2024-05-24T10:00:00.000Z",
        "_metadata": {"nodeVersion": "20.11.1", "jsRuntime": "node"}
    })
    .to_string()
}

/// The router of the service configured with one subscription: the identifyUser default
/// mapping plus three attributes, batching or not.
pub fn router(batching: bool) -> Router {
    let mapping = json!({
        "enable_batching": batching,
        "user_attributes": {"name": {"@path": "$.traits.name"}, "plan": {"@path": "$.traits.plan"}},
        "person_attributes": {"name": {"@path": "$.traits.name"}}
    });
    let sub = ActionSubscription::with_default_mapping(
        "bench",
        ActionKind::IdentifyUser,
        Some("type = \"identify\""),
        &mapping,
    )
    .expect("valid subscription");
    Router::new(IntegrationsFilter::default(), vec![sub], vec![None])
}
