//! The delivery's side of the event trace: each event's record kept beside it while it is
//! in memory, changed as it moves on, and written to the trace store with the outcomes.

use chrono::{DateTime, Utc};
use domain::ports::{AttioRequestTrace, EventTraceRecord, SubscriptionTrace, TraceState};

use super::{Engine, LaneId};

/// Trace changes are written together at most this often (and when this many are waiting):
/// an event that is dispatched and answered within the interval is written once, and the
/// writer gets few, large requests.
pub(super) const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(500);
const FLUSH_AT: usize = 5_000;

/// The trace of an event that is not finished is written at most this often: an event
/// delivered within it is written once, with its final state, and a long run of retries
/// does not rewrite every waiting event's trace at each attempt.
pub(super) const REWRITE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Requests kept in one event's trace: the first ones and the latest (a long run of
/// retries would otherwise grow it without bound).
const MAX_REQUESTS: usize = 10;
use crate::routing::{Route, Routing};

pub(super) use crate::prepare::Identity;

/// The `type` label of the unmatched counter: Segment's event types, anything else `other`.
pub(super) fn type_label(kind: Option<&str>) -> &'static str {
    match kind {
        Some("identify") => "identify",
        Some("group") => "group",
        Some("track") => "track",
        Some("page") => "page",
        Some("screen") => "screen",
        Some("alias") => "alias",
        _ => "other",
    }
}

/// Why no subscription wanted an event.
pub(super) fn unmatched_reason(routing: &Routing, subscriptions: usize) -> String {
    if subscriptions == 0 {
        return "no subscription is configured".to_owned();
    }
    match routing.misses.first() {
        Some(miss) if routing.misses.iter().all(|m| m.why == miss.why) => {
            format!("no subscription matched: {}", miss.why)
        }
        _ => "no subscription matched".to_owned(),
    }
}

/// Records what one subscription made of the event.
pub(super) fn set_outcome(trace: &mut EventTraceRecord, name: &str, state: TraceState, reason: Option<&str>) {
    if let Some(sub) = trace.subscriptions.iter_mut().find(|s| s.name == name) {
        sub.outcome = Some(state);
        sub.reason = reason.map(str::to_owned);
    }
}

/// Where an event ends once every subscription is done with it.
fn final_state(trace: &mut EventTraceRecord) {
    let outcomes = || trace.subscriptions.iter().filter_map(|s| s.outcome);
    let state = if outcomes().any(|o| o == TraceState::DeadLettered) {
        TraceState::DeadLettered
    } else if outcomes().any(|o| o == TraceState::Rejected) {
        TraceState::Rejected
    } else if outcomes().next().is_some() && outcomes().all(|o| o == TraceState::Skipped) {
        // Every subscription's write_mode skipped it: nothing was written.
        TraceState::Skipped
    } else {
        TraceState::Delivered
    };
    let reasons: Vec<String> = trace
        .subscriptions
        .iter()
        .filter(|s| {
            matches!(
                s.outcome,
                Some(TraceState::DeadLettered | TraceState::Rejected | TraceState::Skipped)
            )
        })
        .filter_map(|s| s.reason.as_ref().map(|r| format!("{}: {r}", s.name)))
        .collect();
    trace.state = state;
    trace.reason = (!reasons.is_empty()).then(|| reasons.join("; "));
}

impl Engine {
    /// A new trace, when the trace is on: every subscription, matched or not (and why).
    pub(super) fn new_trace(
        &self,
        event_id: i64,
        received_at: DateTime<Utc>,
        identity: Identity,
        routing: &Routing,
    ) -> Option<Box<EventTraceRecord>> {
        self.trace.as_ref()?;
        let mut subscriptions: Vec<(usize, SubscriptionTrace)> = routing
            .routes
            .iter()
            .map(|route| {
                let (Route::Deliver { subscription, .. } | Route::Reject { subscription, .. }) = route;
                let sub = SubscriptionTrace {
                    name: self.router.name(*subscription).to_owned(),
                    matched: true,
                    why_not: None,
                    outcome: Some(TraceState::Waiting),
                    reason: None,
                };
                (*subscription, sub)
            })
            .chain(routing.misses.iter().map(|miss| {
                let sub = SubscriptionTrace {
                    name: self.router.name(miss.subscription).to_owned(),
                    matched: false,
                    why_not: Some(miss.why.clone()),
                    outcome: None,
                    reason: None,
                };
                (miss.subscription, sub)
            }))
            .collect();
        subscriptions.sort_by_key(|(i, _)| *i);
        Some(Box::new(EventTraceRecord {
            event_id,
            message_id: identity.message_id,
            event_type: identity.event_type,
            user_id: identity.user_id,
            group_id: identity.group_id,
            received_at,
            updated_at: self.clock.now(),
            state: TraceState::Waiting,
            reason: None,
            attempts: 0,
            subscriptions: subscriptions.into_iter().map(|(_, s)| s).collect(),
            attio_requests: Vec::new(),
            attio_requests_omitted: 0,
        }))
    }

    /// Changes the trace of an event in memory (when it has one) and marks it for writing.
    pub(super) fn change_trace(&mut self, event_id: i64, change: impl FnOnce(&mut EventTraceRecord)) {
        let now = self.clock.now();
        if let Some(trace) = self.events.get_mut(&event_id).and_then(|e| e.trace.as_mut()) {
            change(trace);
            trace.updated_at = now;
            self.traces_changed.push(event_id);
        }
    }

    /// The events of the first `n` jobs of each lane.
    pub(super) fn events_of(&self, parts: &[(LaneId, usize)]) -> Vec<i64> {
        parts
            .iter()
            .flat_map(|(id, n)| {
                self.lanes
                    .get(id)
                    .into_iter()
                    .flat_map(move |lane| lane.jobs.iter().take(*n).map(|j| j.event_id))
            })
            .collect()
    }

    /// The events of a send are on their way.
    pub(super) fn trace_in_flight(&mut self, parts: &[(LaneId, usize)]) {
        if self.trace.is_none() {
            return;
        }
        for event_id in self.events_of(parts) {
            self.change_trace(event_id, |t| t.state = TraceState::InFlight);
        }
    }

    /// A send finished: its requests and attempt go into the trace of each of its events.
    pub(super) fn trace_send(&mut self, parts: &[(LaneId, usize)], requests: &[AttioRequestTrace]) {
        if self.trace.is_none() {
            return;
        }
        for (id, n) in parts {
            let attempts = self.lanes.get(id).map_or(1, |l| l.attempts + 1);
            let events = self.events_of(std::slice::from_ref(&(id.clone(), *n)));
            for event_id in events {
                self.change_trace(event_id, |t| {
                    t.attempts = t.attempts.max(attempts);
                    t.attio_requests.extend_from_slice(requests);
                    if t.attio_requests.len() > MAX_REQUESTS {
                        // Keep the first half and the latest half.
                        let drop = t.attio_requests.len() - MAX_REQUESTS;
                        let from = MAX_REQUESTS / 2;
                        t.attio_requests.drain(from..from + drop);
                        t.attio_requests_omitted += drop as u32;
                    }
                    t.state = TraceState::Waiting;
                });
            }
        }
    }

    /// One subscription is done with the event (delivered, or given up on).
    pub(super) fn trace_outcome(
        &mut self,
        event_id: i64,
        subscription: usize,
        state: TraceState,
        reason: Option<&str>,
    ) {
        if self.trace.is_none() {
            return;
        }
        let name = self.router.name(subscription).to_owned();
        self.change_trace(event_id, |t| set_outcome(t, &name, state, reason));
    }

    /// A retry is coming: the trace says why.
    pub(super) fn trace_retry(&mut self, parts: &[(LaneId, usize)], error: &str) {
        if self.trace.is_none() {
            return;
        }
        for event_id in self.events_of(parts) {
            self.change_trace(event_id, |t| {
                t.state = TraceState::Waiting;
                t.reason = Some(format!("will be retried: {error}"));
            });
        }
    }

    /// The event left memory: its trace takes its final state and waits to be written.
    pub(super) fn trace_finished(&mut self, trace: Option<Box<EventTraceRecord>>) {
        if let Some(mut trace) = trace {
            final_state(&mut trace);
            trace.updated_at = self.clock.now();
            self.traces_done.push(*trace);
        }
    }

    /// Writes the traces that changed, when `FLUSH_EVERY` has passed since the last write,
    /// `FLUSH_AT` are waiting, `finished` (outcomes are about to be written: the finished
    /// events' traces go first) or `force`. A failure is logged: the trace is an aid,
    /// delivery does not wait for it.
    pub(super) async fn flush_traces(&mut self, force: bool, finished: bool) {
        let Some(store) = self.trace.clone() else {
            self.traces_changed.clear();
            self.traces_done.clear();
            return;
        };
        if self.traces_changed.is_empty() && self.traces_done.is_empty() {
            return;
        }
        let interval = self.last_trace_flush.elapsed() >= FLUSH_EVERY || self.traces_done.len() >= FLUSH_AT;
        if !force && !interval {
            if finished && !self.traces_done.is_empty() {
                // Outcomes are about to be written: the finished events' traces go first;
                // the changed traces of events still in memory wait for the interval
                // (looking through them at every outcome would cost as much as the window).
                let traces = std::mem::take(&mut self.traces_done);
                if let Err(error) = store.record(traces).await {
                    tracing::warn!(%error, "writing event traces failed; those traces are incomplete");
                }
            }
            return;
        }
        self.last_trace_flush = tokio::time::Instant::now();
        let mut changed = std::mem::take(&mut self.traces_changed);
        changed.sort_unstable();
        changed.dedup();
        let now = tokio::time::Instant::now();
        let mut traces = std::mem::take(&mut self.traces_done);
        for id in changed {
            let Some(entry) = self.events.get_mut(&id) else {
                continue;
            };
            let Some(trace) = entry.trace.as_deref() else { continue };
            if entry.trace_due <= now || force {
                entry.trace_due = now + REWRITE_EVERY;
                traces.push(trace.clone());
            } else {
                // Not yet: kept for a later flush.
                self.traces_changed.push(id);
            }
        }
        if traces.is_empty() {
            return;
        }
        if let Err(error) = store.record(traces).await {
            tracing::warn!(%error, "writing event traces failed; those traces are incomplete");
        }
    }
}
