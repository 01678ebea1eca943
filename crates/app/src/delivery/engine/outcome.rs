//! What a finished send means for its events: acknowledged, retried later or
//! dead-lettered, and the spool updated accordingly.

use std::cmp::Reverse;

use attio_adapter::http::RetryPolicy;
use domain::ports::TraceState;
use domain::Retryability;
use tokio::time::Instant;

use super::{Done, Engine, LaneId};

/// Finished events are acknowledged in the spool together once this many wait...
const FLUSH_AT: usize = 1_000;
/// ...or the oldest has waited this long.
pub(super) const FLUSH_AFTER: std::time::Duration = std::time::Duration::from_millis(20);
/// How long outcomes wait before being written again after the spool refused them (a full
/// disk, say): the loop does not spin on a write that keeps failing.
pub(super) const RETRY_FAILED_FLUSH_AFTER: std::time::Duration = std::time::Duration::from_secs(1);
use crate::delivery::missing_reference;
use crate::delivery::send::SendError;
use crate::delivery::status::{CredentialState, DeliveryStatus};

impl Engine {
    pub(super) fn on_done(&mut self, mut done: Done) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.restore_works(&done.parts, std::mem::take(&mut done.works));
        let total: usize = done.parts.iter().map(|(_, n)| n).sum();
        self.trace_send(&done.parts, &done.requests);
        match done.outcome {
            Ok(rejected) => {
                let delivered = total.saturating_sub(rejected.len());
                metrics::counter!("segment_attio_events_delivered_total").increment(delivered as u64);
                DeliveryStatus::count(&self.status.delivered, delivered as u64);
                // The service's credential status is the default destination's.
                let default_destination = done
                    .parts
                    .first()
                    .is_none_or(|(id, _)| self.destination_of(id.0).is_none());
                if default_destination && self.status.credentials() != CredentialState::Valid {
                    self.status.set_credentials(CredentialState::Valid);
                }
                let mut reasons = rejected.into_iter().peekable();
                let mut skips = std::mem::take(&mut done.skipped).into_iter().peekable();
                let mut position = 0;
                for (id, n) in done.parts {
                    let attempts = self.lanes.get(&id).map(|l| l.attempts + 1).unwrap_or(1);
                    for event_id in self.pop_jobs(&id, n) {
                        match reasons.next_if(|(p, _)| *p == position) {
                            Some((_, reason)) => self.dead(event_id, id.0, reason, attempts, None),
                            None => {
                                // A skipped event is done (acknowledged) but its trace says
                                // that nothing was written, and why.
                                match skips.next_if(|(p, _)| *p == position) {
                                    Some((_, why)) => {
                                        self.trace_outcome(event_id, id.0, TraceState::Skipped, Some(&why))
                                    }
                                    None => self.trace_outcome(event_id, id.0, TraceState::Delivered, None),
                                }
                                self.complete(event_id);
                            }
                        }
                        position += 1;
                    }
                    self.release(&id, true);
                }
            }
            Err(err) => self.on_failure(done.parts, total, err),
        }
    }

    pub(super) fn on_failure(&mut self, parts: Vec<(LaneId, usize)>, total: usize, err: SendError) {
        self.status.set_last_error(Some(err.message.clone()));
        let attempts = parts
            .first()
            .and_then(|(id, _)| self.lanes.get(id))
            .map(|l| l.attempts + 1)
            .unwrap_or(1);
        let retryability = missing_reference::retryability(
            err.retryability,
            err.missing_reference && total == 1,
            attempts,
            self.config.missing_reference_attempts,
        );
        match retryability {
            Retryability::Retryable { after } => {
                DeliveryStatus::count(&self.status.retries, total as u64);
                let now_utc = self.clock.now();
                for (id, n) in parts {
                    // The lane's oldest events that are past the retry limit are given up;
                    // younger ones (a batch may carry both) are retried.
                    let expired = self.lanes.get(&id).map_or(0, |l| {
                        l.jobs
                            .iter()
                            .take(n)
                            .take_while(|j| {
                                self.events.get(&j.event_id).is_some_and(|e| {
                                    (now_utc - e.received_at).to_std().unwrap_or_default() > self.config.max_age
                                })
                            })
                            .count()
                    });
                    let attempts = self.lanes.get(&id).map(|l| l.attempts + 1).unwrap_or(1);
                    if expired > 0 {
                        let reason = format!("gave up after {attempts} attempts: the event is older than the retry limit; last error: {}", err.message);
                        for event_id in self.pop_jobs(&id, expired) {
                            self.dead(event_id, id.0, reason.clone(), attempts, err.attio.clone());
                        }
                        if expired == n {
                            self.release(&id, true);
                            continue;
                        }
                    }
                    self.trace_retry(&[(id.clone(), n - expired)], &err.message);
                    let wait = self.retry_policy().delay(attempts, after);
                    tracing::debug!(subscription = %self.router.name(id.0), ?wait, error = %err.message, "delivery will be retried");
                    if let Some(lane) = self.lanes.get_mut(&id) {
                        lane.attempts = attempts;
                        lane.busy = false;
                        let at = Instant::now() + wait;
                        lane.not_before = Some(at);
                        self.timers.push(Reverse((at, id)));
                    }
                }
            }
            Retryability::Authentication => {
                let sub = parts.first().map_or(0, |(id, _)| id.0);
                if self.pause_destination_of(sub) {
                    tracing::error!(destination = ?self.destination_of(sub), error = %err.message, "Attio refused the destination's credentials; its delivery is paused until they work");
                } else {
                    tracing::error!(error = %err.message, "Attio refused the credentials; delivery paused until they work");
                    self.status
                        .set_credentials(CredentialState::Invalid(err.message.clone()));
                    self.pause_for_credentials();
                }
                let reason = format!("Attio refused the credentials: {}", err.message);
                for (id, n) in parts {
                    let attempts = self.lanes.get(&id).map(|l| l.attempts + 1).unwrap_or(1);
                    for event_id in self.pop_jobs(&id, n) {
                        self.dead(event_id, id.0, reason.clone(), attempts, err.attio.clone());
                    }
                    self.release(&id, true);
                }
            }
            Retryability::Permanent => {
                if total > 1 {
                    // One bad event must not sink the others: send each on its own.
                    self.trace_retry(&parts, &format!("sent again on its own: {}", err.message));
                    for (id, n) in parts {
                        if let Some(lane) = self.lanes.get_mut(&id) {
                            for job in lane.jobs.iter_mut().take(n) {
                                job.isolate = true;
                            }
                        }
                        self.release(&id, false);
                    }
                    return;
                }
                for (id, n) in parts {
                    let attempts = self.lanes.get(&id).map(|l| l.attempts + 1).unwrap_or(1);
                    for event_id in self.pop_jobs(&id, n) {
                        self.dead(event_id, id.0, err.message.clone(), attempts, err.attio.clone());
                    }
                    self.release(&id, true);
                }
            }
        }
    }

    pub(super) fn pause_for_credentials(&mut self) {
        self.status.paused.store(true, std::sync::atomic::Ordering::Relaxed);
        self.paused_until_credentials = true;
        self.next_credential_check = Instant::now() + self.config.credential_recheck;
    }

    pub(super) fn pop_jobs(&mut self, id: &LaneId, n: usize) -> Vec<i64> {
        match self.lanes.get_mut(id) {
            Some(lane) => (0..n)
                .filter_map(|_| lane.jobs.pop_front())
                .map(|j| j.event_id)
                .collect(),
            None => Vec::new(),
        }
    }

    /// The lane is free again; `reset` clears its attempt count.
    pub(super) fn release(&mut self, id: &LaneId, reset: bool) {
        let remove = match self.lanes.get_mut(id) {
            Some(lane) => {
                lane.busy = false;
                if reset {
                    lane.attempts = 0;
                }
                if !lane.jobs.is_empty() && lane.not_before.is_none() {
                    self.ready.push_back(id.clone());
                }
                lane.jobs.is_empty() && lane.not_before.is_none()
            }
            None => false,
        };
        if remove {
            self.lanes.remove(id);
        }
    }

    pub(super) fn complete(&mut self, event_id: i64) {
        if let Some(e) = self.events.get_mut(&event_id) {
            e.remaining = e.remaining.saturating_sub(1);
            if e.remaining == 0 {
                let received_at = e.received_at;
                if let Some(entry) = self.events.remove(&event_id) {
                    tracing::debug!(event_id, message_id = entry.message_id.as_deref(), "event finished");
                    self.trace_finished(entry.trace);
                }
                self.finished.push(event_id);
                let age = (self.clock.now() - received_at).to_std().unwrap_or_default();
                metrics::histogram!("segment_attio_delivery_latency_seconds").record(age.as_secs_f64());
            }
        }
    }

    pub(super) fn dead(&mut self, event_id: i64, sub: usize, reason: String, attempts: u32, attio: Option<String>) {
        let name = self.router.name(sub).to_owned();
        let message_id = self.events.get(&event_id).and_then(|e| e.message_id.clone());
        tracing::warn!(event_id, message_id = message_id.as_deref(), subscription = %name, %reason, "event moved to the dead letters");
        self.trace_outcome(event_id, sub, TraceState::DeadLettered, Some(&reason));
        metrics::counter!("segment_attio_events_dead_lettered_total", "subscription" => name.clone()).increment(1);
        DeliveryStatus::count(&self.status.dead_lettered, 1);
        if let Some(e) = self.events.get(&event_id) {
            let letter = self.letter(event_id, &e.text, e.received_at, &name, reason, attempts, attio);
            self.letters.push(letter);
        }
        self.complete(event_id);
    }

    /// Writes acknowledgements and dead letters to the spool: together, once `FLUSH_AT`
    /// wait or the oldest has waited `FLUSH_AFTER` (or `force`), so that events finished
    /// one by one (single mode) do not each cost a commit.
    pub(super) async fn flush_outcomes(&mut self, force: bool) {
        if self.finished.is_empty() && self.letters.is_empty() {
            self.outcomes_since = None;
            self.flush_traces(false, false).await;
            return;
        }
        let since = *self.outcomes_since.get_or_insert_with(Instant::now);
        // After a failed write `since` lies ahead: wait for it whatever the count.
        let backing_off = since > Instant::now();
        if !force
            && (backing_off || (self.finished.len() + self.letters.len() < FLUSH_AT && since.elapsed() < FLUSH_AFTER))
        {
            self.flush_traces(false, false).await;
            return;
        }
        // The finished events' traces first: an event is never gone from the spool
        // without its final trace.
        self.flush_traces(false, true).await;
        let finished = std::mem::take(&mut self.finished);
        let letters = std::mem::take(&mut self.letters);
        let result = if letters.is_empty() {
            self.spool.ack(finished.clone()).await
        } else {
            self.spool.dead_letter(letters.clone(), finished.clone()).await
        };
        match result {
            Ok(()) => self.outcomes_since = None,
            Err(e) => {
                tracing::error!(error = %e, "recording delivery outcomes in the spool failed; will retry");
                self.finished = finished;
                self.letters = letters;
                // Next try once RETRY_FAILED_FLUSH_AFTER has passed (`next_deadline` wakes
                // the loop at `since + FLUSH_AFTER`).
                self.outcomes_since = Some(Instant::now() + RETRY_FAILED_FLUSH_AFTER.saturating_sub(FLUSH_AFTER));
            }
        }
    }

    /// Jittered exponential backoff from the delivery settings; how long to keep trying is
    /// decided by the event's age (`max_age`), not by an attempt count.
    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            initial_delay: self.config.initial_backoff,
            max_delay: self.config.max_backoff,
            max_attempts: None,
            max_elapsed: None,
            ..RetryPolicy::default()
        }
    }
}
