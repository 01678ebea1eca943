//! The delivery loop: reads the spool in acceptance order, routes each event, keeps one
//! FIFO lane per (subscription, record key) so that events touching the same record are
//! delivered in order while different records go in parallel, batches where the
//! subscription asks for it, retries with backoff and dead-letters what cannot succeed.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::ports::{AttioGateway, Clock, DeadLetter, EventSpool, SpooledEvent};
use domain::Retryability;
use segment_adapter::json::Val;
use segment_adapter::pipeline::Mode;
use tokio::sync::{mpsc, watch, Notify};
use tokio::time::Instant;

use super::backoff;
use super::missing_reference;
use super::send::{send_batch, send_single, SendError};
use super::status::{CredentialState, DeliveryStatus};
use super::DeliveryConfig;
use crate::routing::{Route, Router};

type LaneId = (usize, String);

#[derive(Debug)]
struct Job {
    event_id: i64,
    /// Sent in a batch of its own (its batch was refused as a whole).
    isolate: bool,
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
}

#[derive(Debug, Default)]
struct BatchBuffer {
    parts: Vec<(LaneId, usize)>,
    events: usize,
    started: Option<Instant>,
}

/// A finished send: which lanes and how many of their head jobs it carried.
struct Done {
    parts: Vec<(LaneId, usize)>,
    outcome: Result<(), SendError>,
}

pub(super) struct Engine {
    pub config: DeliveryConfig,
    pub spool: Arc<dyn EventSpool>,
    pub gateway: Arc<dyn AttioGateway>,
    pub clock: Arc<dyn Clock>,
    pub router: Arc<Router>,
    pub status: Arc<DeliveryStatus>,
    pub notify: Arc<Notify>,
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
    paused_until_credentials: bool,
    next_credential_check: Instant,
    next_poll: Instant,
}

impl Engine {
    pub fn new(
        config: DeliveryConfig,
        spool: Arc<dyn EventSpool>,
        gateway: Arc<dyn AttioGateway>,
        clock: Arc<dyn Clock>,
        router: Arc<Router>,
        status: Arc<DeliveryStatus>,
        notify: Arc<Notify>,
    ) -> Self {
        let now = Instant::now();
        Self {
            config,
            spool,
            gateway,
            clock,
            router,
            status,
            notify,
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
            paused_until_credentials: false,
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
            if !self.paused_until_credentials {
                self.dispatch(&tx);
            } else if credential_check.is_none() && Instant::now() >= self.next_credential_check {
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
            self.flush_outcomes().await;
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
        self.flush_outcomes().await;
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
        Ok(())
    }

    fn admit(&mut self, ev: SpooledEvent) {
        let text: Arc<str> = Arc::from(ev.payload.into_boxed_str());
        let routes = match Val::parse(&text) {
            Ok(event) => self.router.route(&event, ev.only_subscription.as_deref()),
            Err(e) => {
                let name = ev.only_subscription.clone().unwrap_or_else(|| "*".into());
                self.letters.push(self.letter(
                    ev.id,
                    &text,
                    ev.received_at,
                    &name,
                    format!("stored event is not JSON: {e}"),
                    0,
                    None,
                ));
                self.finished.push(ev.id);
                return;
            }
        };
        if routes.is_empty() {
            self.finished.push(ev.id);
            DeliveryStatus::count(&self.status.filtered, 1);
            return;
        }
        let mut remaining = 0;
        for route in routes {
            match route {
                Route::Reject { subscription, reason } => {
                    let name = self.router.name(subscription).to_owned();
                    metrics::counter!("segment_attio_events_rejected_total", "subscription" => name.clone())
                        .increment(1);
                    tracing::warn!(event_id = ev.id, subscription = %name, %reason, "event rejected by the mapping or validation");
                    self.letters
                        .push(self.letter(ev.id, &text, ev.received_at, &name, reason, 0, None));
                    DeliveryStatus::count(&self.status.dead_lettered, 1);
                }
                Route::Deliver { subscription, key } => {
                    remaining += 1;
                    let id = (subscription, key);
                    let lane = self.lanes.entry(id.clone()).or_default();
                    lane.jobs.push_back(Job {
                        event_id: ev.id,
                        isolate: false,
                    });
                    if lane.jobs.len() == 1 && !lane.busy && lane.not_before.is_none() {
                        self.ready.push_back(id);
                    }
                }
            }
        }
        if remaining == 0 {
            self.finished.push(ev.id);
        } else {
            self.events.insert(
                ev.id,
                EventEntry {
                    text,
                    received_at: ev.received_at,
                    remaining,
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

    fn dispatch(&mut self, tx: &mpsc::UnboundedSender<Done>) {
        let now = Instant::now();
        let mut deferred = Vec::new();
        while let Some(id) = self.ready.pop_front() {
            let Some(lane) = self.lanes.get_mut(&id) else { continue };
            if lane.busy || lane.jobs.is_empty() || lane.not_before.is_some_and(|t| t > now) {
                continue;
            }
            let sub = id.0;
            match self.router.mode(sub) {
                Mode::Single => {
                    if self.in_flight >= self.config.concurrency {
                        // No capacity: stop here instead of scanning every ready lane.
                        self.ready.push_front(id);
                        break;
                    }
                    let Some(job) = lane.jobs.front() else { continue };
                    let Some(entry) = self.events.get(&job.event_id) else {
                        continue;
                    };
                    lane.busy = true;
                    self.in_flight += 1;
                    let (router, gateway, text, tx) = (
                        self.router.clone(),
                        self.gateway.clone(),
                        entry.text.clone(),
                        tx.clone(),
                    );
                    tokio::spawn(async move {
                        let outcome = send_single(router, gateway, sub, text).await;
                        let _ = tx.send(Done {
                            parts: vec![(id, 1)],
                            outcome,
                        });
                    });
                }
                Mode::Batch => {
                    let size = self
                        .router
                        .subscriptions
                        .get(sub)
                        .map(|s| s.batching.size)
                        .unwrap_or(1)
                        .max(1);
                    let isolate = lane.jobs.front().is_some_and(|j| j.isolate);
                    let buf = self.buffers.entry(sub).or_default();
                    if isolate {
                        if self.in_flight >= self.config.concurrency {
                            self.ready.push_front(id);
                            break;
                        }
                        lane.busy = true;
                        self.in_flight += 1;
                        let solo = BatchBuffer {
                            parts: vec![(id, 1)],
                            events: 1,
                            started: Some(now),
                        };
                        self.send_buffer(sub, solo, tx);
                        continue;
                    }
                    let take = lane
                        .jobs
                        .iter()
                        .take_while(|j| !j.isolate)
                        .count()
                        .min(size - buf.events);
                    if take == 0 {
                        deferred.push(id);
                        continue;
                    }
                    lane.busy = true;
                    buf.parts.push((id, take));
                    buf.events += take;
                    buf.started.get_or_insert(now);
                    if buf.events >= size {
                        if self.in_flight >= self.config.concurrency {
                            continue;
                        }
                        if let Some(full) = self.buffers.remove(&sub) {
                            self.in_flight += 1;
                            self.send_buffer(sub, full, tx);
                        }
                    }
                }
            }
        }
        self.ready.extend(deferred);
        // Flush partial batches whose interval has passed.
        let router = &self.router;
        let interval = self.config.flush_interval;
        let due: Vec<usize> = self
            .buffers
            .iter()
            .filter(|(sub, b)| {
                let size = router.subscriptions.get(**sub).map(|s| s.batching.size).unwrap_or(1);
                b.events > 0 && (b.events >= size || b.started.is_some_and(|s| s + interval <= now))
            })
            .map(|(s, _)| *s)
            .collect();
        for sub in due {
            if self.in_flight >= self.config.concurrency {
                break;
            }
            if let Some(buf) = self.buffers.remove(&sub) {
                self.in_flight += 1;
                self.send_buffer(sub, buf, tx);
            }
        }
    }

    fn send_buffer(&mut self, sub: usize, buf: BatchBuffer, tx: &mpsc::UnboundedSender<Done>) {
        let mut texts = Vec::with_capacity(buf.events);
        for (id, n) in &buf.parts {
            if let Some(lane) = self.lanes.get(id) {
                for job in lane.jobs.iter().take(*n) {
                    if let Some(e) = self.events.get(&job.event_id) {
                        texts.push(e.text.clone());
                    }
                }
            }
        }
        let (router, gateway, tx, now) = (self.router.clone(), self.gateway.clone(), tx.clone(), self.clock.now());
        let parts = buf.parts;
        tokio::spawn(async move {
            let outcome = send_batch(router, gateway, sub, texts, now).await;
            let _ = tx.send(Done { parts, outcome });
        });
    }

    fn on_done(&mut self, done: Done) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let total: usize = done.parts.iter().map(|(_, n)| n).sum();
        match done.outcome {
            Ok(()) => {
                metrics::counter!("segment_attio_events_delivered_total").increment(total as u64);
                DeliveryStatus::count(&self.status.delivered, total as u64);
                if self.status.credentials() != CredentialState::Valid {
                    self.status.set_credentials(CredentialState::Valid);
                }
                for (id, n) in done.parts {
                    for event_id in self.pop_jobs(&id, n) {
                        self.complete(event_id);
                    }
                    self.release(&id, true);
                }
            }
            Err(err) => self.on_failure(done.parts, total, err),
        }
    }

    fn on_failure(&mut self, parts: Vec<(LaneId, usize)>, total: usize, err: SendError) {
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
                    let wait = backoff::delay(attempts, self.config.initial_backoff, self.config.max_backoff, after);
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
                tracing::error!(error = %err.message, "Attio refused the credentials; delivery paused until they work");
                self.status
                    .set_credentials(CredentialState::Invalid(err.message.clone()));
                self.pause_for_credentials();
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

    fn pause_for_credentials(&mut self) {
        self.status.paused.store(true, std::sync::atomic::Ordering::Relaxed);
        self.paused_until_credentials = true;
        self.next_credential_check = Instant::now() + self.config.credential_recheck;
    }

    fn pop_jobs(&mut self, id: &LaneId, n: usize) -> Vec<i64> {
        match self.lanes.get_mut(id) {
            Some(lane) => (0..n)
                .filter_map(|_| lane.jobs.pop_front())
                .map(|j| j.event_id)
                .collect(),
            None => Vec::new(),
        }
    }

    /// The lane is free again; `reset` clears its attempt count.
    fn release(&mut self, id: &LaneId, reset: bool) {
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

    fn complete(&mut self, event_id: i64) {
        if let Some(e) = self.events.get_mut(&event_id) {
            e.remaining = e.remaining.saturating_sub(1);
            if e.remaining == 0 {
                let received_at = e.received_at;
                self.events.remove(&event_id);
                self.finished.push(event_id);
                let age = (self.clock.now() - received_at).to_std().unwrap_or_default();
                metrics::histogram!("segment_attio_delivery_latency_seconds").record(age.as_secs_f64());
            }
        }
    }

    fn dead(&mut self, event_id: i64, sub: usize, reason: String, attempts: u32, attio: Option<String>) {
        let name = self.router.name(sub).to_owned();
        tracing::warn!(event_id, subscription = %name, %reason, "event moved to the dead letters");
        metrics::counter!("segment_attio_events_dead_lettered_total", "subscription" => name.clone()).increment(1);
        DeliveryStatus::count(&self.status.dead_lettered, 1);
        if let Some(e) = self.events.get(&event_id) {
            let letter = self.letter(event_id, &e.text, e.received_at, &name, reason, attempts, attio);
            self.letters.push(letter);
        }
        self.complete(event_id);
    }

    /// Writes acknowledgements and dead letters to the spool.
    async fn flush_outcomes(&mut self) {
        if self.finished.is_empty() && self.letters.is_empty() {
            return;
        }
        let finished = std::mem::take(&mut self.finished);
        let letters = std::mem::take(&mut self.letters);
        let result = if letters.is_empty() {
            self.spool.ack(finished.clone()).await
        } else {
            self.spool.dead_letter(letters.clone(), finished.clone()).await
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "recording delivery outcomes in the spool failed; will retry");
            self.finished = finished;
            self.letters = letters;
        }
    }
}
