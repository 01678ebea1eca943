//! Which subscriptions an event goes to: the integrations object first, then each
//! subscription's FQL, then its mapping and validation (which also gives the record key
//! that orders deliveries).

use segment_adapter::destination::ActionSubscription;
use segment_adapter::integrations::IntegrationsFilter;
use segment_adapter::json::Val;
use segment_adapter::pipeline::Mode;

/// The configured destination: integrations names and subscriptions.
#[derive(Debug)]
pub struct Router {
    pub integrations: IntegrationsFilter,
    pub subscriptions: Vec<ActionSubscription>,
    /// Why a subscription's events cannot be sent (the schema check at start refused it and
    /// the service was told to go on), by subscription index: its events are dead-lettered
    /// with this reason.
    pub blocked: Vec<Option<String>>,
}

/// What happens to an event for one subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// Deliver; events with the same `key` go in acceptance order.
    Deliver { subscription: usize, key: String },
    /// The mapping or validation refused the event: dead-letter it with `reason`.
    Reject { subscription: usize, reason: String },
}

impl Router {
    pub fn mode(&self, subscription: usize) -> Mode {
        match self.subscriptions.get(subscription) {
            Some(s) if s.batching.enabled => Mode::Batch,
            _ => Mode::Single,
        }
    }

    /// Routes one event. `only` restricts it to one subscription by name (a replayed
    /// dead letter). An empty result means no subscription wants the event.
    pub fn route(&self, event: &Val<'_>, only: Option<&str>) -> Vec<Route> {
        if !self.integrations.allows(event) {
            return Vec::new();
        }
        let mut routes = Vec::new();
        for (i, sub) in self.subscriptions.iter().enumerate() {
            if only.is_some_and(|name| name != sub.name) || !sub.matches(event) {
                continue;
            }
            if let Some(Some(reason)) = self.blocked.get(i) {
                routes.push(Route::Reject {
                    subscription: i,
                    reason: format!("not sent: the subscription does not fit the workspace: {reason}"),
                });
                continue;
            }
            match sub.payload(event, self.mode(i)) {
                Ok(p) => routes.push(Route::Deliver {
                    subscription: i,
                    key: p.ordering_key(),
                }),
                Err(e) => routes.push(Route::Reject {
                    subscription: i,
                    reason: e.to_string(),
                }),
            }
        }
        routes
    }

    pub fn name(&self, subscription: usize) -> &str {
        self.subscriptions
            .get(subscription)
            .map(|s| s.name.as_str())
            .unwrap_or("?")
    }
}
