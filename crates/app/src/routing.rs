//! Which subscriptions an event goes to: the integrations object first, then each
//! subscription's FQL, then its mapping and validation (which also gives the record key
//! that orders deliveries). The work itself is rendered by [`crate::prepare`].

use segment_adapter::destination::ActionSubscription;
use segment_adapter::integrations::IntegrationsFilter;
use segment_adapter::json::{Projection, Val};
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
    /// What routing, tracing and every subscription can read of an event; `None`: anything
    /// (a mapping reads paths not known in advance).
    projection: Option<Projection>,
}

/// The top-level keys the router itself reads: the integrations object and the fields
/// that identify an event in its trace and log lines.
const ROUTER_ROOTS: [&str; 5] = ["integrations", "messageId", "type", "userId", "groupId"];

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
    pub fn new(
        integrations: IntegrationsFilter,
        subscriptions: Vec<ActionSubscription>,
        blocked: Vec<Option<String>>,
    ) -> Self {
        let mut projection = Some(Projection::of_roots(&ROUTER_ROOTS));
        for sub in &subscriptions {
            match (projection.as_mut(), sub.projection()) {
                (Some(p), Some(q)) => p.merge(q),
                _ => projection = None,
            }
        }
        Self {
            integrations,
            subscriptions,
            blocked,
            projection,
        }
    }

    /// Parses an event once for everything the router and its subscriptions read of it:
    /// only that is built (the rest is syntax-checked and skipped).
    pub fn parse<'a>(&self, text: &'a str) -> Result<Val<'a>, serde_json::Error> {
        match &self.projection {
            Some(p) => Val::parse_with(text, p),
            None => Val::parse(text),
        }
    }

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

    /// Routes one event and says, for each subscription that does not want it, why (the
    /// routing of [`crate::prepare::prepare_parsed`], without its work).
    pub fn explain(&self, event: &Val<'_>, only: Option<&str>) -> Routing {
        crate::prepare::prepare_parsed(self, event, only, chrono::Utc::now()).routing
    }

    pub fn name(&self, subscription: usize) -> &str {
        self.subscriptions
            .get(subscription)
            .map(|s| s.name.as_str())
            .unwrap_or("?")
    }
}
