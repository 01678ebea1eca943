//! Prepare once: an event's text turned, in one projected parse, into everything delivery
//! needs: where it goes (and where not, and why), and for each subscription that takes it
//! an owned, rendered unit of work (the record key that orders it, the single-mode plan or
//! the batch assertion). Delivery keeps the unit while the event is in its window and
//! sends it again as is on a retry: an event is parsed and mapped once.

use chrono::{DateTime, Utc};
use domain::fingerprint::{assertion_writes, plan_writes, RecordWrite};
use domain::record::{Assertion, Plan};
use segment_adapter::json::Val;
use segment_adapter::pipeline::Mode;

use crate::routing::{Miss, Route, Router, Routing};

/// What is sent for one subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// Single mode: the requests of the plan, one after the other.
    Single(Plan<'static>),
    /// Batch mode: the event's assertion in a batch request.
    Batch(Assertion<'static>),
}

/// The records one request writes and the fingerprint of what it writes to each
/// ([`domain::fingerprint`]); `None`: it must be sent whatever Attio holds.
pub type Writes = Option<Vec<RecordWrite>>;

/// What one subscription sends for an event: the work, and (once
/// [`with_writes`](Self::with_writes) is called) what each of its requests writes (one
/// entry per command of a single-mode plan, one for a batch assertion), so that a write
/// that changes nothing can be skipped (`delivery.skip_unchanged`). Empty `writes`: every
/// request is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepped {
    pub work: Work,
    pub writes: Vec<Writes>,
}

impl Prepped {
    pub fn new(work: Work) -> Self {
        Self {
            work,
            writes: Vec::new(),
        }
    }

    /// Adds the fingerprints of what the work writes (their cost is paid only when
    /// writes may be skipped).
    pub fn with_writes(mut self) -> Self {
        self.writes = match &self.work {
            Work::Single(plan) => plan_writes(plan),
            Work::Batch(a) => vec![assertion_writes(a)],
        };
        self
    }
}

/// The work of one subscription that takes the event.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub subscription: usize,
    /// Events with the same key (per subscription) are delivered in acceptance order.
    pub key: String,
    pub prepped: Prepped,
}

/// The identifying fields of an event (its trace and log lines name it by them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub message_id: Option<String>,
    pub event_type: Option<String>,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
}

impl Identity {
    pub fn of(event: &Val<'_>) -> Identity {
        let text = |key: &str| {
            event
                .get(key)
                .filter(|v| !v.is_nullish())
                .map(|v| v.js_string().into_owned())
        };
        Identity {
            message_id: text("messageId"),
            event_type: text("type"),
            user_id: text("userId"),
            group_id: text("groupId"),
        }
    }
}

/// Everything delivery needs of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub identity: Identity,
    /// Every subscription's verdict: `Deliver` (its work is in `units`, in the same order),
    /// `Reject` (mapping, validation or the schema check refused it) or a miss.
    pub routing: Routing,
    pub units: Vec<Unit>,
}

/// Why every subscription misses an event whose `integrations` object turns this
/// destination off (no subscription is asked about it).
pub const INTEGRATIONS_OFF: &str = "the event's integrations object turns this destination off";

impl Prepared {
    /// Whether the event's `integrations` object turned this destination off: no
    /// subscription was asked about it, each one misses it for that reason.
    pub fn integrations_off(&self) -> bool {
        self.routing.routes.is_empty()
            && !self.routing.misses.is_empty()
            && self.routing.misses.iter().all(|m| m.why == INTEGRATIONS_OFF)
    }
}

/// Parses `text` once (only what the router and its subscriptions read is built) and
/// prepares it. `only` restricts it to one subscription by name (a replayed dead letter);
/// `now` stands in for a missing `received_at` of a batch assertion.
pub fn prepare(
    router: &Router,
    text: &str,
    only: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Prepared, serde_json::Error> {
    prepare_limited(router, text, only, None, now)
}

/// [`prepare`] of an event whose source is limited to `destinations` (`[[ingest.sources]]`):
/// subscriptions of other destinations do not get it.
pub fn prepare_limited(
    router: &Router,
    text: &str,
    only: Option<&str>,
    destinations: Option<&[String]>,
    now: DateTime<Utc>,
) -> Result<Prepared, serde_json::Error> {
    let event = router.parse(text)?;
    Ok(prepare_parsed_limited(router, &event, only, destinations, now))
}

/// [`prepare`] of an event already parsed (with at least what [`Router::parse`] keeps).
pub fn prepare_parsed(router: &Router, event: &Val<'_>, only: Option<&str>, now: DateTime<Utc>) -> Prepared {
    prepare_parsed_limited(router, event, only, None, now)
}

/// [`prepare_limited`] of an event already parsed.
pub fn prepare_parsed_limited(
    router: &Router,
    event: &Val<'_>,
    only: Option<&str>,
    destinations: Option<&[String]>,
    now: DateTime<Utc>,
) -> Prepared {
    let identity = Identity::of(event);
    let mut routing = Routing::default();
    let mut units = Vec::new();
    if !router.integrations.allows(event) {
        routing.misses = (0..router.subscriptions.len())
            .map(|i| Miss {
                subscription: i,
                why: INTEGRATIONS_OFF.to_owned(),
            })
            .collect();
        return Prepared {
            identity,
            routing,
            units,
        };
    }
    for (i, sub) in router.subscriptions.iter().enumerate() {
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
        if let Some(Some(reason)) = router.blocked.get(i) {
            routing.routes.push(Route::Reject {
                subscription: i,
                reason: format!("not sent: the subscription does not fit the workspace: {reason}"),
            });
            continue;
        }
        let mode = router.mode(i);
        let built = sub.payload(event, mode).map_err(|e| e.to_string()).and_then(|p| {
            let key = p.ordering_key();
            let work = match mode {
                Mode::Single => Work::Single(sub.plan(p).into_owned()),
                Mode::Batch => Work::Batch(sub.batch_assertion(p, now).map_err(|e| e.to_string())?.into_owned()),
            };
            Ok((key, work))
        });
        match built {
            Ok((key, work)) => {
                routing.routes.push(Route::Deliver {
                    subscription: i,
                    key: key.clone(),
                });
                units.push(Unit {
                    subscription: i,
                    key,
                    prepped: Prepped::new(work),
                });
            }
            Err(reason) => routing.routes.push(Route::Reject {
                subscription: i,
                reason,
            }),
        }
    }
    Prepared {
        identity,
        routing,
        units,
    }
}

#[cfg(test)]
mod tests;
