//! The delivery loop: reads the spool in acceptance order, routes each event, keeps one
//! FIFO lane per (subscription, record key) so that events touching the same record are
//! delivered in order while different records go in parallel, batches where the
//! subscription asks for it, retries with backoff and dead-letters what cannot succeed.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::ports::{
    AttioGateway, AttioRequestTrace, Clock, DeadLetter, DeliveryJournal, EventSpool, EventTrace, EventTraceRecord,
    SpooledEvent, TraceState, WriteFingerprints,
};
use tokio::sync::{mpsc, watch, Notify};
use tokio::time::Instant;

use super::send::SendError;
use super::status::{CredentialState, DeliveryStatus};
use super::{DeliveryConfig, DeliveryDeps};
use crate::prepare::{prepare_limited, Prepared, Prepped};
use crate::routing::{Route, Router};

mod coalescing;
mod destinations;
mod dispatch;
mod outcome;
mod trace;

type LaneId = (usize, String);

#[derive(Debug)]
struct Job {
    event_id: i64,
    /// Sent in a batch of its own (its batch was refused as a whole).
    isolate: bool,
    /// What is sent, prepared when the event was read; taken while it is in flight and
    /// given back with the outcome (a retry sends it again as is).
    work: Option<Prepped>,
}

#[derive(Debug, Default)]
struct Lane {
    jobs: VecDeque<Job>,
    busy: bool,
    not_before: Option<Instant>,
    attempts: u32,
}

#[derive(Debug)]
struct EventEntry {
    text: Arc<str>,
    received_at: DateTime<Utc>,
    remaining: usize,
    /// The event's `messageId`, for the log lines about it.
    message_id: Option<Arc<str>>,
    /// Its trace so far (when the trace is on).
    trace: Option<Box<EventTraceRecord>>,
    /// When its trace may next be written while it is not finished.
    trace_due: Instant,
}

#[derive(Debug, Default)]
struct BatchBuffer {
    parts: Vec<(LaneId, usize)>,
    events: usize,
    started: Option<Instant>,
}

/// A finished send: which lanes and how many of their head jobs it carried. `Ok` lists the
/// events (by position, in the order of `parts`) that were taken out before sending, with why.
struct Done {
    parts: Vec<(LaneId, usize)>,
    outcome: Result<Vec<(usize, String)>, SendError>,
    /// The Attio requests the send made (when the trace is on).
    requests: Vec<AttioRequestTrace>,
    /// Events (by position, in the order of `parts`) for which nothing was written, and
    /// why: the subscription's `write_mode` skipped them, or Attio already held what
    /// they write (`skip_unchanged`).
    skipped: Vec<(usize, String)>,
    /// The work the send carried, given back to its jobs (in the order of `parts`).
    works: Vec<Prepped>,
}

pub(super) struct Engine {
    pub config: DeliveryConfig,
    pub spool: Arc<dyn EventSpool>,
    pub gateway: Arc<dyn AttioGateway>,
    pub clock: Arc<dyn Clock>,
    pub router: Arc<Router>,
    pub status: Arc<DeliveryStatus>,
    pub notify: Arc<Notify>,
    pub trace: Option<Arc<dyn EventTrace>>,
    /// Notes created and events skipped (absent in some tests).
    pub journal: Option<Arc<dyn DeliveryJournal>>,
    /// Each subscription's destination gateway (missing: `gateway`).
    pub subscription_gateways: Vec<Arc<dyn AttioGateway>>,
    /// What was last written to each record (`skip_unchanged`).
    pub fingerprints: Option<Arc<dyn WriteFingerprints>>,
    cursor: i64,
    exhausted: bool,
    events: HashMap<i64, EventEntry>,
    lanes: HashMap<LaneId, Lane>,
    ready: VecDeque<LaneId>,
    timers: BinaryHeap<Reverse<(Instant, LaneId)>>,
    buffers: HashMap<usize, BatchBuffer>,
    in_flight: usize,
    finished: Vec<i64>,
    letters: Vec<DeadLetter>,
    /// Finished events' traces, written with the next outcomes.
    traces_done: Vec<EventTraceRecord>,
    /// Events whose trace changed since the last write.
    traces_changed: Vec<i64>,
    /// Records of the events just taken up, whose write fingerprints are read ahead.
    prefetch: Vec<domain::ports::RecordRef>,
    last_trace_flush: Instant,
    /// Since when finished events (or dead letters) wait to be written to the spool.
    outcomes_since: Option<Instant>,
    paused_until_credentials: bool,
    /// Named destinations paused for their credentials.
    paused_destinations: destinations::PausedDestinations,
    next_credential_check: Instant,
    next_poll: Instant,
}

impl Engine {
    pub fn new(config: DeliveryConfig, deps: DeliveryDeps) -> Self {
        let DeliveryDeps {
            spool,
            gateway,
            clock,
            router,
            status,
            notify,
            trace,
            journal,
            subscription_gateways,
            fingerprints,
        } = deps;
        let fingerprints = fingerprints.filter(|_| config.skip_unchanged);
        let now = Instant::now();
        Self {
            config,
            spool,
            gateway,
            clock,
            router,
            status,
            notify,
            trace,
            journal,
            subscription_gateways,
            fingerprints,
            cursor: 0,
            exhausted: false,
            events: HashMap::new(),
            lanes: HashMap::new(),
            ready: VecDeque::new(),
            timers: BinaryHeap::new(),
            buffers: HashMap::new(),
            in_flight: 0,
            finished: Vec::new(),
            letters: Vec::new(),
            traces_done: Vec::new(),
            traces_changed: Vec::new(),
            prefetch: Vec::new(),
            last_trace_flush: now,
            outcomes_since: None,
            paused_until_credentials: false,
            paused_destinations: Default::default(),
            next_credential_check: now,
            next_poll: now,
        }
    }

    /// Runs until `shutdown` turns true, then lets in-flight requests finish (up to the
    /// grace period) and returns. Whatever is not delivered stays in the spool.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Done>();
        let mut credential_check: Option<tokio::task::JoinHandle<bool>> = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.fill().await {
                tracing::error!(error = %e, "reading the spool failed");
                self.status.set_last_error(Some(format!("spool: {e}")));
                self.exhausted = true;
                self.next_poll = Instant::now() + Duration::from_secs(1);
            }
            self.wake_timers();
            if !self.paused_until_credentials && matches!(self.status.credentials(), CredentialState::Invalid(_)) {
                // Known to be refused (e.g. by the check at start): wait instead of sending
                // events only to have them refused.
                self.pause_for_credentials();
            }
            self.recheck_destinations().await;
            // Lanes of a paused destination wait in `dispatch`.
            self.dispatch(&tx);
            if self.paused_until_credentials
                && credential_check.is_none()
                && Instant::now() >= self.next_credential_check
            {
                let gw = self.gateway.clone();
                credential_check = Some(tokio::spawn(async move { gw.check_credentials().await.is_ok() }));
                self.next_credential_check = Instant::now() + self.config.credential_recheck;
            }
            if let Some(h) = &credential_check {
                if h.is_finished() {
                    if let Some(h) = credential_check.take() {
                        if h.await.unwrap_or(false) {
                            tracing::info!("Attio credentials work again; resuming delivery");
                            self.status.set_credentials(CredentialState::Valid);
                            self.paused_until_credentials = false;
                            self.status.paused.store(false, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
            }
            self.flush_outcomes(false).await;
            self.status
                .in_memory
                .store(self.events.len() as u64, std::sync::atomic::Ordering::Relaxed);
            metrics::gauge!("segment_attio_delivery_events_in_memory").set(self.events.len() as f64);

            let deadline = self.next_deadline();
            tokio::select! {
                Some(done) = rx.recv() => self.on_done(done),
                _ = tokio::time::sleep_until(deadline) => {}
                _ = self.notify.notified() => { self.exhausted = false; }
                _ = shutdown.changed() => {}
            }
        }
        // Drain: wait for what is in flight, up to the grace period.
        let grace = Instant::now() + self.config.shutdown_grace;
        while self.in_flight > 0 {
            tokio::select! {
                Some(done) = rx.recv() => self.on_done(done),
                _ = tokio::time::sleep_until(grace) => break,
            }
        }
        self.flush_outcomes(true).await;
        self.flush_traces(true, true).await;
        if let Some(store) = &self.fingerprints {
            if let Err(error) = store.flush().await {
                tracing::warn!(%error, "writing the write fingerprints at stop failed; those records will be written again");
            }
        }
    }

    /// The gateway of subscription `sub`'s destination.
    fn gateway_for(&self, sub: usize) -> Arc<dyn AttioGateway> {
        self.subscription_gateways
            .get(sub)
            .cloned()
            .unwrap_or_else(|| self.gateway.clone())
    }

    fn next_deadline(&self) -> Instant {
        let now = Instant::now();
        let mut d = now + Duration::from_millis(250);
        if self.exhausted {
            d = d.min(self.next_poll.max(now + Duration::from_millis(20)));
        } else if self.events.len() < self.config.window {
            d = now;
        }
        if let Some(Reverse((t, _))) = self.timers.peek() {
            d = d.min(*t);
        }
        for b in self.buffers.values() {
            if let Some(s) = b.started {
                d = d.min(s + self.config.flush_interval);
            }
        }
        if self.paused_until_credentials {
            d = d.min(self.next_credential_check);
        }
        if let Some(since) = self.outcomes_since {
            d = d.min(since + outcome::FLUSH_AFTER);
        }
        if !self.traces_changed.is_empty() || !self.traces_done.is_empty() {
            d = d.min(self.last_trace_flush + trace::FLUSH_EVERY);
        }
        if let Some(t) = self.next_destination_check() {
            d = d.min(t);
        }
        d.max(now)
    }

    /// Reads more events from the spool while the window has room.
    async fn fill(&mut self) -> Result<(), domain::ports::SpoolError> {
        if self.exhausted && Instant::now() < self.next_poll {
            return Ok(());
        }
        let room = self.config.window.saturating_sub(self.events.len());
        if room == 0 {
            return Ok(());
        }
        let want = room.min(self.config.read_chunk);
        let batch = self.spool.read_after(self.cursor, want).await?;
        self.exhausted = batch.len() < want;
        if self.exhausted {
            self.next_poll = Instant::now() + self.config.poll_interval;
        }
        for ev in batch {
            self.cursor = self.cursor.max(ev.id);
            self.admit(ev);
        }
        self.read_ahead_fingerprints().await;
        Ok(())
    }

    /// Reads the write fingerprints of the records the admitted events write, together,
    /// before their sends ask for them one by one. A failure only loses the read-ahead.
    async fn read_ahead_fingerprints(&mut self) {
        let records = std::mem::take(&mut self.prefetch);
        if let (Some(store), false) = (&self.fingerprints, records.is_empty()) {
            if let Err(error) = store.prefetch(records).await {
                tracing::debug!(%error, "reading ahead the write fingerprints failed");
            }
        }
    }

    fn admit(&mut self, ev: SpooledEvent) {
        let text: Arc<str> = Arc::from(ev.payload.into_boxed_str());
        let prepared = prepare_limited(
            &self.router,
            &text,
            ev.only_subscription.as_deref(),
            ev.only_destinations.as_deref(),
            self.clock.now(),
        );
        let Prepared {
            identity,
            routing,
            units,
        } = match prepared {
            Ok(p) => p,
            Err(e) => {
                let name = ev.only_subscription.clone().unwrap_or_else(|| "*".into());
                let reason = format!("stored event is not JSON: {e}");
                tracing::warn!(event_id = ev.id, subscription = %name, %reason, "event rejected");
                self.letters
                    .push(self.letter(ev.id, &text, ev.received_at, &name, reason.clone(), 0, None));
                self.finished.push(ev.id);
                let mut trace = self.new_trace(ev.id, ev.received_at, trace::Identity::default(), &Default::default());
                if let Some(trace) = trace.as_mut() {
                    trace.state = TraceState::Rejected;
                    trace.reason = Some(reason);
                }
                self.traces_done.extend(trace.map(|t| *t));
                return;
            }
        };
        let mut units = units.into_iter();
        let message_id: Option<Arc<str>> = identity.message_id.as_deref().map(Arc::from);
        let kind = trace::type_label(identity.event_type.as_deref());
        let mut trace = self.new_trace(ev.id, ev.received_at, identity, &routing);
        if routing.routes.is_empty() {
            self.finished.push(ev.id);
            DeliveryStatus::count(&self.status.filtered, 1);
            metrics::counter!("segment_attio_events_unmatched_total", "type" => kind).increment(1);
            tracing::debug!(
                event_id = ev.id,
                message_id = message_id.as_deref(),
                "event matched no subscription"
            );
            if let Some(mut trace) = trace {
                trace.state = TraceState::Skipped;
                trace.reason = Some(trace::unmatched_reason(&routing, self.router.subscriptions.len()));
                self.traces_done.push(*trace);
            }
            return;
        }
        let mut remaining = 0;
        let mut rejections = Vec::new();
        for route in routing.routes {
            match route {
                Route::Reject { subscription, reason } => {
                    let name = self.router.name(subscription).to_owned();
                    metrics::counter!("segment_attio_events_rejected_total", "subscription" => name.clone())
                        .increment(1);
                    tracing::warn!(event_id = ev.id, message_id = message_id.as_deref(), subscription = %name, %reason, "event rejected by the mapping or validation");
                    if let Some(trace) = trace.as_mut() {
                        trace::set_outcome(trace, &name, TraceState::Rejected, Some(&reason));
                    }
                    rejections.push(format!("{name}: {reason}"));
                    self.letters
                        .push(self.letter(ev.id, &text, ev.received_at, &name, reason, 0, None));
                    DeliveryStatus::count(&self.status.dead_lettered, 1);
                }
                Route::Deliver { subscription, key } => {
                    remaining += 1;
                    let skipping = self.fingerprints.is_some();
                    let work = units
                        .next()
                        .map(|u| if skipping { u.prepped.with_writes() } else { u.prepped });
                    if let Some(work) = &work {
                        let destination = self.destination_name(subscription);
                        let records = work.writes.iter().flatten().flatten();
                        let refs: Vec<_> = records.map(|w| w.record.in_destination(destination)).collect();
                        self.prefetch.extend(refs);
                    }
                    let id = (subscription, key);
                    let lane = self.lanes.entry(id.clone()).or_default();
                    lane.jobs.push_back(Job {
                        event_id: ev.id,
                        isolate: false,
                        work,
                    });
                    if lane.jobs.len() == 1 && !lane.busy && lane.not_before.is_none() {
                        self.ready.push_back(id);
                    }
                }
            }
        }
        if remaining == 0 {
            self.finished.push(ev.id);
            if let Some(mut trace) = trace {
                trace.state = TraceState::Rejected;
                trace.reason = Some(rejections.join("; "));
                self.traces_done.push(*trace);
            }
        } else {
            // Its trace is written when it is finished, or once it has waited
            // `REWRITE_EVERY`; until then `find` shows it waiting from the spool.
            if trace.is_some() {
                self.traces_changed.push(ev.id);
            }
            self.events.insert(
                ev.id,
                EventEntry {
                    text,
                    received_at: ev.received_at,
                    remaining,
                    message_id,
                    trace,
                    trace_due: Instant::now() + trace::REWRITE_EVERY,
                },
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn letter(
        &self,
        event_id: i64,
        text: &str,
        received_at: DateTime<Utc>,
        subscription: &str,
        reason: String,
        attempts: u32,
        last_error: Option<String>,
    ) -> DeadLetter {
        DeadLetter {
            event_id,
            received_at,
            payload: text.to_owned(),
            subscription: subscription.to_owned(),
            reason,
            attempts,
            last_error,
            failed_at: self.clock.now(),
        }
    }

    fn wake_timers(&mut self) {
        let now = Instant::now();
        while let Some(Reverse((t, _))) = self.timers.peek() {
            if *t > now {
                break;
            }
            if let Some(Reverse((_, id))) = self.timers.pop() {
                if let Some(lane) = self.lanes.get_mut(&id) {
                    lane.not_before = None;
                    if !lane.busy && !lane.jobs.is_empty() {
                        self.ready.push_back(id);
                    }
                }
            }
        }
    }
}
