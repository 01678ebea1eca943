//! Sending: single-mode plans for ready lanes, batches filled from them.

use std::sync::Arc;

use domain::fingerprint::plan_writes;
use domain::ports::AttioGateway;
use domain::Plan;
use segment_adapter::pipeline::Mode;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::coalescing::{merge_plans, merge_runs, Merged};
use super::{BatchBuffer, Done, Engine, LaneId};
use crate::delivery::recording::RecordingGateway;
use crate::delivery::send::{deliver_batch, send_single, SingleContext};
use crate::delivery::skip::SkipUnchanged;
use crate::prepare::{Prepped, Work};

/// At most this many waiting single-mode plans of a lane are merged into one.
const MAX_MERGED_PLANS: usize = 32;

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
                    let Some(event_id) = lane.jobs.front().map(|j| j.event_id) else {
                        continue;
                    };
                    // With `coalesce`, the plans waiting behind the head, which the send
                    // may merge with it (they stay on their jobs).
                    let followers: Vec<Plan<'static>> = if self.config.coalesce {
                        lane.jobs
                            .iter()
                            .skip(1)
                            .take(MAX_MERGED_PLANS - 1)
                            .map_while(|j| match &j.work {
                                Some(Prepped {
                                    work: Work::Single(p), ..
                                }) => Some(p.clone()),
                                _ => None,
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    let (plan, writes) = match self.take_work(&id, 0) {
                        Some(Prepped {
                            work: Work::Single(plan),
                            writes,
                        }) => (plan, writes),
                        other => {
                            tracing::error!(event_id, "no single-mode work prepared for the event");
                            self.give_back(&id, other);
                            continue;
                        }
                    };
                    let Some(lane) = self.lanes.get_mut(&id) else { continue };
                    lane.busy = true;
                    self.in_flight += 1;
                    let ctx = SingleContext {
                        event_id,
                        message_id: self.events.get(&event_id).and_then(|e| e.message_id.clone()),
                        journal: self.journal.clone(),
                        now: self.clock.now(),
                    };
                    let (router, recording, tx) = (self.router.clone(), self.recording(sub), tx.clone());
                    let gateway = self.sending_gateway(sub, &recording);
                    let skip = self.skip_for(sub);
                    let schema = self.gateway_for(sub);
                    self.trace_in_flight(&[(id.clone(), 1)]);
                    tokio::spawn(async move {
                        let merged = if followers.is_empty() {
                            None
                        } else {
                            let mut run = Vec::with_capacity(followers.len() + 1);
                            run.push(plan.clone());
                            run.extend(followers);
                            merge_plans(schema.as_ref(), &run).await
                        };
                        // The merged plan stands for the head and the `n - 1` events after it.
                        let (sent, n) = match &merged {
                            Some((merged, n)) => {
                                let merged_writes = if writes.is_empty() {
                                    Vec::new()
                                } else {
                                    plan_writes(merged)
                                };
                                let sent =
                                    send_single(router, gateway, sub, merged, &merged_writes, skip.as_ref(), ctx).await;
                                (sent, *n)
                            }
                            None => (
                                send_single(router, gateway, sub, &plan, &writes, skip.as_ref(), ctx).await,
                                1,
                            ),
                        };
                        let skipped = match sent.as_ref() {
                            Ok(Some(why)) => (0..n).map(|p| (p, why.clone())).collect(),
                            _ => Vec::new(),
                        };
                        let outcome = sent.map(|_| Vec::new());
                        let requests = recording.map(|r| r.take_requests()).unwrap_or_default();
                        let _ = tx.send(Done {
                            parts: vec![(id, n)],
                            outcome,
                            requests,
                            skipped,
                            works: vec![Prepped {
                                work: Work::Single(plan),
                                writes,
                            }],
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
        // One run per lane: its waiting assertions in order (merged when coalescing).
        let mut runs = Vec::with_capacity(buf.parts.len());
        for (id, n) in &buf.parts {
            let mut run = Vec::with_capacity(*n);
            for i in 0..*n {
                match self.take_work(id, i) {
                    Some(Prepped {
                        work: Work::Batch(a),
                        writes: mut w,
                    }) => run.push((a, w.pop().flatten())),
                    other => {
                        // Never happens: every job of a batching subscription holds its
                        // assertion while it is not in flight.
                        tracing::error!(subscription = %self.router.name(sub), "no batch assertion prepared for an event");
                        self.give_back(id, other);
                    }
                }
            }
            runs.push(run);
        }
        self.trace_in_flight(&buf.parts);
        let recording = self.recording(sub);
        let gateway = self.sending_gateway(sub, &recording);
        // The attribute kinds are read past the recording: they are no part of the send.
        let schema = self.gateway_for(sub);
        let coalescing = self.config.coalesce && runs.iter().any(|r| r.len() > 1);
        let skip = self.skip_for(sub);
        let (tx, now, name) = (tx.clone(), self.clock.now(), self.router.name(sub).to_owned());
        let parts = buf.parts;
        tokio::spawn(async move {
            // The events' own work goes back to them whatever happens to the merged one.
            let originals: Option<Vec<Prepped>> = coalescing.then(|| {
                runs.iter()
                    .flatten()
                    .map(|(a, w)| Prepped {
                        work: Work::Batch(a.clone()),
                        writes: vec![w.clone()],
                    })
                    .collect()
            });
            let merged = if coalescing {
                merge_runs(schema.as_ref(), runs).await
            } else {
                Merged::unmerged(runs)
            };
            let Merged {
                assertions,
                writes,
                groups,
            } = merged;
            let (assertions, outcome) =
                deliver_batch(gateway.as_ref(), &name, assertions, &writes, skip.as_ref(), now).await;
            let merged = Merged {
                assertions: Vec::new(),
                writes: Vec::new(),
                groups,
            };
            let (outcome, skipped) = match outcome {
                Ok(report) => {
                    let skipped = merged
                        .expand(report.skipped)
                        .into_iter()
                        .map(|p| (p, domain::fingerprint::SKIP_REASON.to_owned()))
                        .collect();
                    let rejected = report
                        .rejected
                        .into_iter()
                        .flat_map(|(p, why)| merged.expand([p]).into_iter().map(move |q| (q, why.clone())))
                        .collect();
                    (Ok(rejected), skipped)
                }
                Err(e) => (Err(e), Vec::new()),
            };
            let requests = recording.map(|r| r.take_requests()).unwrap_or_default();
            let works = match originals {
                Some(originals) => originals,
                None => assertions
                    .into_iter()
                    .zip(writes)
                    .map(|(a, w)| Prepped {
                        work: Work::Batch(a),
                        writes: vec![w],
                    })
                    .collect(),
            };
            let _ = tx.send(Done {
                parts,
                outcome,
                requests,
                skipped,
                works,
            });
        });
    }

    /// The skip check of subscription `sub`'s destination, when `skip_unchanged` is on.
    fn skip_for(&self, sub: usize) -> Option<SkipUnchanged> {
        let store = self.fingerprints.clone()?;
        Some(SkipUnchanged {
            store,
            resync_after: self.config.resync_after,
            destination: self.destination_name(sub).to_owned(),
        })
    }

    /// The name of subscription `sub`'s destination (`default`: the `[attio]` section).
    pub(super) fn destination_name(&self, sub: usize) -> &str {
        self.router
            .subscriptions
            .get(sub)
            .and_then(|s| s.destination.as_deref())
            .unwrap_or("default")
    }

    /// Takes the prepared work of the `i`-th job of lane `id` for a send.
    fn take_work(&mut self, id: &LaneId, i: usize) -> Option<Prepped> {
        self.lanes.get_mut(id)?.jobs.get_mut(i)?.work.take()
    }

    /// Puts work taken by mistake back at the head of lane `id`.
    fn give_back(&mut self, id: &LaneId, work: Option<Prepped>) {
        if let (Some(work), Some(job)) = (work, self.lanes.get_mut(id).and_then(|l| l.jobs.front_mut())) {
            job.work = Some(work);
        }
    }

    /// A send finished: the work it carried goes back to its jobs (in the order of
    /// `parts`), so that a retry sends it again without preparing it again.
    pub(super) fn restore_works(&mut self, parts: &[(LaneId, usize)], works: Vec<Prepped>) {
        let mut works = works.into_iter();
        for (id, n) in parts {
            if let Some(lane) = self.lanes.get_mut(id) {
                for job in lane.jobs.iter_mut().take(*n) {
                    match works.next() {
                        Some(w) => job.work = Some(w),
                        None => return,
                    }
                }
            }
        }
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
