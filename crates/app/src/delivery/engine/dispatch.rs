//! Sending: single-mode plans for ready lanes, batches filled from them.

use std::sync::Arc;

use domain::ports::AttioGateway;
use segment_adapter::pipeline::Mode;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{BatchBuffer, Done, Engine};
use crate::delivery::recording::RecordingGateway;
use crate::delivery::send::{send_batch, send_single, SingleContext};

impl Engine {
    pub(super) fn dispatch(&mut self, tx: &mpsc::UnboundedSender<Done>) {
        let now = Instant::now();
        let mut deferred = Vec::new();
        while let Some(id) = self.ready.pop_front() {
            let Some(lane) = self.lanes.get_mut(&id) else { continue };
            if lane.busy || lane.jobs.is_empty() || lane.not_before.is_some_and(|t| t > now) {
                continue;
            }
            let sub = id.0;
            if self.destination_paused(sub) {
                // Waits for its destination's credentials.
                deferred.push(id);
                continue;
            }
            let Some(lane) = self.lanes.get_mut(&id) else { continue };
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
                    let ctx = SingleContext {
                        event_id: job.event_id,
                        journal: self.journal.clone(),
                        now: self.clock.now(),
                    };
                    let (router, recording, text, tx) =
                        (self.router.clone(), self.recording(sub), entry.text.clone(), tx.clone());
                    let gateway = self.sending_gateway(sub, &recording);
                    let parts = vec![(id, 1)];
                    self.trace_in_flight(&parts);
                    tokio::spawn(async move {
                        let sent = send_single(router, gateway, sub, text, ctx).await;
                        let skipped = sent.as_ref().ok().cloned().flatten();
                        let outcome = sent.map(|_| Vec::new());
                        let requests = recording.map(|r| r.take_requests()).unwrap_or_default();
                        let _ = tx.send(Done {
                            parts,
                            outcome,
                            requests,
                            skipped,
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
            if self.destination_paused(sub) {
                continue;
            }
            if let Some(buf) = self.buffers.remove(&sub) {
                self.in_flight += 1;
                self.send_buffer(sub, buf, tx);
            }
        }
    }

    pub(super) fn send_buffer(&mut self, sub: usize, buf: BatchBuffer, tx: &mpsc::UnboundedSender<Done>) {
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
        self.trace_in_flight(&buf.parts);
        let recording = self.recording(sub);
        let gateway = self.sending_gateway(sub, &recording);
        let (router, tx, now) = (self.router.clone(), tx.clone(), self.clock.now());
        let parts = buf.parts;
        tokio::spawn(async move {
            let outcome = send_batch(router, gateway, sub, texts, now).await.map(|r| r.rejected);
            let requests = recording.map(|r| r.take_requests()).unwrap_or_default();
            let _ = tx.send(Done {
                parts,
                outcome,
                requests,
                skipped: None,
            });
        });
    }

    /// A gateway that notes the requests of one send to subscription `sub`'s destination,
    /// when the trace is on.
    fn recording(&self, sub: usize) -> Option<Arc<RecordingGateway>> {
        self.trace
            .as_ref()
            .map(|_| Arc::new(RecordingGateway::new(self.gateway_for(sub), self.router.name(sub))))
    }

    /// The gateway one send to subscription `sub` goes through: its destination's, noted by
    /// `recording` when there is one.
    fn sending_gateway(&self, sub: usize, recording: &Option<Arc<RecordingGateway>>) -> Arc<dyn AttioGateway> {
        match recording {
            Some(recording) => recording.clone(),
            None => self.gateway_for(sub),
        }
    }
}
