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

/// A subscription that does not want an event, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub subscription: usize,
    pub why: String,
}

/// Where an event goes, and where it does not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Routing {
    pub routes: Vec<Route>,
    pub misses: Vec<Miss>,
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
        self.explain(event, only).routes
    }

    /// Routes one event and says, for each subscription that does not want it, why.
    pub fn explain(&self, event: &Val<'_>, only: Option<&str>) -> Routing {
        self.explain_limited(event, only, None)
    }

    /// [`Router::explain`] for an event whose source is limited to `destinations`
    /// (`[[ingest.sources]]`): subscriptions of other destinations do not get it.
    pub fn explain_limited(&self, event: &Val<'_>, only: Option<&str>, destinations: Option<&[String]>) -> Routing {
        let mut routing = Routing::default();
        if !self.integrations.allows(event) {
            routing.misses = (0..self.subscriptions.len())
                .map(|i| Miss {
                    subscription: i,
                    why: "the event's integrations object turns this destination off".to_owned(),
                })
                .collect();
            return routing;
        }
        for (i, sub) in self.subscriptions.iter().enumerate() {
            if let Some(name) = only.filter(|name| *name != sub.name) {
                routing.misses.push(Miss {
                    subscription: i,
                    why: format!("replayed for the subscription {name:?} only"),
                });
                continue;
            }
            let destination = sub.destination.as_deref().unwrap_or(crate::config::DEFAULT_DESTINATION);
            if let Some(allowed) = destinations.filter(|d| !d.iter().any(|d| d == destination)) {
                routing.misses.push(Miss {
                    subscription: i,
                    why: format!(
                        "its destination {destination:?} is not one of the write key's source ({})",
                        allowed.join(", ")
                    ),
                });
                continue;
            }
            if !sub.matches(event) {
                let why = match sub.subscribe_text() {
                    Some(fql) => format!("its subscription `{fql}` is false for this event"),
                    None => "its subscription is false for this event".to_owned(),
                };
                routing.misses.push(Miss { subscription: i, why });
                continue;
            }
            if let Some(Some(reason)) = self.blocked.get(i) {
                routing.routes.push(Route::Reject {
                    subscription: i,
                    reason: format!("not sent: the subscription does not fit the workspace: {reason}"),
                });
                continue;
            }
            match sub.payload(event, self.mode(i)) {
                Ok(p) => routing.routes.push(Route::Deliver {
                    subscription: i,
                    key: p.ordering_key(),
                }),
                Err(e) => routing.routes.push(Route::Reject {
                    subscription: i,
                    reason: e.to_string(),
                }),
            }
        }
        routing
    }

    pub fn name(&self, subscription: usize) -> &str {
        self.subscriptions
            .get(subscription)
            .map(|s| s.name.as_str())
            .unwrap_or("?")
    }
}
