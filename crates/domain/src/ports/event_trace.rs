//! The event trace: what happened to each accepted event (which subscriptions wanted it,
//! the Attio requests made for it, where it ended), kept for a bounded time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::SpoolError;

/// Where an event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceState {
    /// Accepted, waiting to be sent (or to be retried).
    Waiting,
    /// A request carrying it is on its way to Attio.
    InFlight,
    /// Every subscription that wanted it delivered it.
    Delivered,
    /// No subscription wanted it.
    Skipped,
    /// The mapping or validation refused it (a dead letter holds it).
    Rejected,
    /// Delivery failed for good (a dead letter holds it).
    DeadLettered,
}

impl TraceState {
    pub const ALL: [TraceState; 6] = [
        TraceState::Waiting,
        TraceState::InFlight,
        TraceState::Delivered,
        TraceState::Skipped,
        TraceState::Rejected,
        TraceState::DeadLettered,
    ];

    /// The name used in storage, on the command line and over HTTP.
    pub fn as_str(self) -> &'static str {
        match self {
            TraceState::Waiting => "waiting",
            TraceState::InFlight => "in_flight",
            TraceState::Delivered => "delivered",
            TraceState::Skipped => "skipped",
            TraceState::Rejected => "rejected",
            TraceState::DeadLettered => "dead_lettered",
        }
    }

    /// Whether nothing more will happen to the event.
    pub fn is_final(self) -> bool {
        !matches!(self, TraceState::Waiting | TraceState::InFlight)
    }
}

impl std::str::FromStr for TraceState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TraceState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = TraceState::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown state {s:?}; expected one of {}", names.join(", "))
            })
    }
}

/// What one subscription made of the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionTrace {
    pub name: String,
    pub matched: bool,
    /// Why it did not match (FQL false, integrations object, replay for another one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why_not: Option<String>,
    /// For a matching subscription: waiting, delivered, skipped (its `write_mode` wrote
    /// nothing; `reason` says why), rejected, dead_lettered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<TraceState>,
    /// Why it was rejected or dead-lettered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One request made to Attio for the event (a batch request appears in the trace of each
/// event it carried).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttioRequestTrace {
    pub subscription: String,
    pub method: String,
    pub path: String,
    /// The HTTP status; `None` when no answer came (timeout, connection refused).
    pub status: Option<u16>,
    /// Attio's error body, or what went wrong without an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub duration_ms: f64,
}

/// The trace of one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTraceRecord {
    /// The spool's id of the event (of this acceptance: a replayed event gets a new one).
    pub event_id: i64,
    pub message_id: Option<String>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub state: TraceState,
    /// Why it was skipped, rejected or dead-lettered, or the last error of a retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Sends attempted (the most of any subscription).
    pub attempts: u32,
    pub subscriptions: Vec<SubscriptionTrace>,
    /// The first and the latest requests (at most ten).
    pub attio_requests: Vec<AttioRequestTrace>,
    /// Requests made between those kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attio_requests_omitted: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Which traces `list` returns (every given filter applies).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceFilter {
    pub state: Option<TraceState>,
    pub event_type: Option<String>,
    pub user_id: Option<String>,
    /// Received at or after.
    pub since: Option<DateTime<Utc>>,
    /// Matched this subscription.
    pub subscription: Option<String>,
    pub limit: usize,
}

/// The trace store.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait EventTrace: Send + Sync {
    /// Stores (or replaces) these traces.
    async fn record(&self, traces: Vec<EventTraceRecord>) -> Result<(), SpoolError>;
    /// The trace of the event with this spool id or `messageId` (the newest acceptance).
    async fn find(&self, id: &str) -> Result<Option<EventTraceRecord>, SpoolError>;
    /// Newest first.
    async fn list(&self, filter: TraceFilter) -> Result<Vec<EventTraceRecord>, SpoolError>;
}
