//! `segment-attio test-event`: what would be sent to Attio for some events, without
//! sending anything (Segment's "Send test event", as a dry run). Each event goes through
//! [`prepare`], as delivery prepares it: what is shown is what the service would send.

use std::io::Write;

use attio_adapter::wire::route::BATCH_RECORDS;
use attio_adapter::wire::{batch_assert_body, CommandWire, Method};
use chrono::{DateTime, Utc};
use domain::actions::ActionKind;
use domain::{Assertion, AttioCommand, Plan};
use segment_adapter::destination::ActionSubscription;
use serde_json::{json, Value};

use crate::prepare::{prepare, Work};
use crate::routing::{Route, Router};

/// The outcome for one event and one subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum DryRun {
    NotSubscribed,
    Rejected(String),
    Requests(Vec<RenderedRequest>),
    /// In a batching subscription: the event goes into this batch request (numbered from 1).
    Batched(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenderedRequest {
    pub method: &'static str,
    pub url: String,
    pub body: Value,
}

fn render(base_url: &str, cmd: &AttioCommand<'_>) -> RenderedRequest {
    RenderedRequest {
        method: cmd.method().as_str(),
        url: format!("{}{}", base_url.trim_end_matches('/'), cmd.path_and_query()),
        body: serde_json::from_str(&cmd.body(None)).unwrap_or(Value::Null),
    }
}

/// The plan's requests; a follow-up shows its first request, with the parent record's id
/// as a placeholder.
fn render_plan(base_url: &str, plan: &Plan<'_>) -> Vec<RenderedRequest> {
    let mut out: Vec<RenderedRequest> = plan.commands.iter().map(|c| render(base_url, c)).collect();
    if let Some(f) = &plan.follow_up {
        let r = attio_adapter::wire::requests::follow_up_request(f);
        out.push(RenderedRequest {
            method: r.method,
            url: format!("{}{}", base_url.trim_end_matches('/'), r.path_and_query),
            body: r.body.unwrap_or(Value::Null),
        });
    }
    out
}

/// Builds the subscription given inline on the command line. `default_mapping` alone
/// decides whether `mapping` is laid over the action's default mapping (as
/// `use_default_mapping` does in the configuration), whatever `mapping` holds; without a
/// `mapping` the default mapping is used.
pub fn inline_subscription(
    action: &str,
    mapping: Option<&str>,
    subscribe: Option<&str>,
    default_mapping: bool,
    batch: bool,
) -> Result<ActionSubscription, String> {
    let kind = ActionKind::parse(action)
        .ok_or_else(|| format!("--action {action:?} is not one of {}", ActionKind::names()))?;
    let defaults = default_mapping || mapping.is_none();
    let mut mapping: Value = match mapping {
        Some(m) => serde_json::from_str(m).map_err(|e| format!("--mapping is not valid JSON: {e}"))?,
        None => json!({}),
    };
    if batch {
        match mapping.as_object_mut() {
            Some(o) => {
                o.insert("enable_batching".into(), Value::Bool(true));
            }
            None => return Err("--mapping must be a JSON object".to_owned()),
        }
    }
    let sub = if defaults {
        ActionSubscription::with_default_mapping("test-event", kind, subscribe, &mapping)
    } else {
        ActionSubscription::new("test-event", kind, subscribe, &mapping)
    };
    sub.map_err(|e| e.to_string())
}

/// Runs events one at a time through a [`Router`] with [`prepare`], the function delivery
/// runs, and prints what would be sent, holding at most one batch (`batch_size` events) per
/// batching subscription.
pub struct DryRunner<'r> {
    router: &'r Router,
    /// Only this subscription, by name (the others are not shown).
    only: Option<&'r str>,
    base_url: &'r str,
    now: DateTime<Utc>,
    as_json: bool,
    /// Per subscription: the prepared assertions waiting for its next batch request.
    pending: Vec<Vec<Assertion<'static>>>,
    /// Per subscription: batch requests printed so far.
    batches: Vec<usize>,
    events: usize,
    rejected: usize,
    json_items: usize,
}

impl<'r> DryRunner<'r> {
    pub fn new(router: &'r Router, base_url: &'r str, now: DateTime<Utc>, as_json: bool) -> Self {
        let count = router.subscriptions.len();
        Self {
            router,
            only: None,
            base_url,
            now,
            as_json,
            pending: (0..count).map(|_| Vec::new()).collect(),
            batches: vec![0; count],
            events: 0,
            rejected: 0,
            json_items: 0,
        }
    }

    /// Runs the events through the subscription named `name` alone.
    pub fn only(mut self, name: &'r str) -> Self {
        self.only = Some(name);
        self
    }

    /// One event: one line naming the subscriptions it matches, then what each would send.
    pub fn event(&mut self, text: &str, out: &mut dyn Write) -> std::io::Result<()> {
        self.events += 1;
        let n = self.events;
        let prepared = match prepare(self.router, text, self.only, self.now) {
            Ok(prepared) => prepared,
            Err(e) => {
                self.rejected += 1;
                let reason = format!("the event is not valid JSON: {e}");
                return if self.as_json {
                    self.json(out, json!({"event": n, "matched": [], "rejected": reason}))
                } else {
                    writeln!(out, "event {n}: REJECTED: {reason}")
                };
            }
        };
        if prepared.integrations_off() {
            return if self.as_json {
                self.json(
                    out,
                    json!({"event": n, "matched": [], "filtered_by_integrations": true}),
                )
            } else {
                writeln!(
                    out,
                    "event {n}: not sent: its integrations object disables this destination"
                )
            };
        }
        // A subscription neither delivering nor rejecting the event missed it.
        let mut outcomes = vec![DryRun::NotSubscribed; self.router.subscriptions.len()];
        for route in prepared.routing.routes {
            if let Route::Reject { subscription, reason } = route {
                if let Some(slot) = outcomes.get_mut(subscription) {
                    self.rejected += 1;
                    *slot = DryRun::Rejected(reason);
                }
            }
        }
        let mut to_flush = Vec::new();
        for unit in prepared.units {
            let i = unit.subscription;
            let outcome = match unit.prepped.work {
                Work::Single(plan) => DryRun::Requests(render_plan(self.base_url, &plan)),
                Work::Batch(assertion) => {
                    let Some(pending) = self.pending.get_mut(i) else {
                        continue;
                    };
                    pending.push(assertion);
                    let size = self.router.subscriptions.get(i).map_or(1, |s| s.batching.size.max(1));
                    if pending.len() >= size {
                        to_flush.push(i);
                    }
                    DryRun::Batched(self.batches[i] + 1)
                }
            };
            if let Some(slot) = outcomes.get_mut(i) {
                *slot = outcome;
            }
        }
        let results: Vec<(usize, DryRun)> = outcomes.into_iter().enumerate().collect();
        self.print_event(out, n, &results)?;
        for i in to_flush {
            self.flush(i, out)?;
        }
        Ok(())
    }

    fn print_event(&mut self, out: &mut dyn Write, n: usize, results: &[(usize, DryRun)]) -> std::io::Result<()> {
        let matched: Vec<&str> = results
            .iter()
            .filter(|(_, o)| *o != DryRun::NotSubscribed)
            .map(|(i, _)| self.router.name(*i))
            .collect();
        if self.as_json {
            let outcomes: Vec<Value> = results
                .iter()
                .filter(|(_, o)| *o != DryRun::NotSubscribed)
                .map(|(i, o)| outcome_json(self.router.name(*i), o))
                .collect();
            return self.json(out, json!({"event": n, "matched": matched, "results": outcomes}));
        }
        if matched.is_empty() {
            return if self.shown() == 1 {
                writeln!(out, "event {n}: does not match the subscription")
            } else {
                writeln!(out, "event {n}: matches no subscription")
            };
        }
        writeln!(out, "event {n}: matches {}", matched.join(", "))?;
        for (i, outcome) in results {
            let sub = self.router.name(*i);
            match outcome {
                DryRun::NotSubscribed => {}
                DryRun::Rejected(r) => writeln!(out, "  [{sub}] REJECTED: {r}")?,
                DryRun::Batched(k) => writeln!(out, "  [{sub}] goes into batch request {k}")?,
                DryRun::Requests(reqs) => {
                    writeln!(out, "  [{sub}] {} request(s):", reqs.len())?;
                    for r in reqs {
                        print_request(out, r)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// How many subscriptions the events are run through.
    fn shown(&self) -> usize {
        match self.only {
            Some(name) => self.router.subscriptions.iter().filter(|s| s.name == name).count(),
            None => self.router.subscriptions.len(),
        }
    }

    /// Prints subscription `i`'s batch request for the assertions waiting for it.
    fn flush(&mut self, i: usize, out: &mut dyn Write) -> std::io::Result<()> {
        let Some(assertions) = self.pending.get_mut(i).map(std::mem::take) else {
            return Ok(());
        };
        if assertions.is_empty() {
            return Ok(());
        }
        let count = assertions.len();
        // The body is written as delivery writes it (compact): a batch of 10,000 events is large.
        let body = batch_assert_body(&assertions);
        drop(assertions);
        self.batches[i] += 1;
        let k = self.batches[i];
        let url = format!("{}{}", self.base_url.trim_end_matches('/'), BATCH_RECORDS);
        let method = Method::Put.as_str();
        let name = self.router.name(i);
        if self.as_json {
            let head = json!({"subscription": name, "batch": k, "batch_of": count});
            let head = serde_json::to_string(&head).unwrap_or_default();
            let open = head.strip_suffix('}').unwrap_or(&head);
            let separator = if self.json_items == 0 { "[\n" } else { ",\n" };
            self.json_items += 1;
            write!(
                out,
                "{separator}{open},\"requests\":[{{\"method\":{},\"url\":{},\"body\":{body}}}]}}",
                json!(method),
                json!(url)
            )
        } else {
            writeln!(out, "[{name}] batch request {k}, one request for {count} event(s):")?;
            writeln!(out, "    {method} {url}")?;
            writeln!(out, "      {body}")
        }
    }

    fn json(&mut self, out: &mut dyn Write, item: Value) -> std::io::Result<()> {
        let separator = if self.json_items == 0 { "[\n" } else { ",\n" };
        self.json_items += 1;
        write!(
            out,
            "{separator}{}",
            serde_json::to_string_pretty(&item).unwrap_or_default()
        )
    }

    /// Prints the last partial batches; returns how many (event, subscription) pairs were
    /// rejected.
    pub fn finish(mut self, out: &mut dyn Write) -> std::io::Result<usize> {
        for i in 0..self.router.subscriptions.len() {
            self.flush(i, out)?;
        }
        if self.as_json {
            if self.json_items == 0 {
                writeln!(out, "[]")?;
            } else {
                writeln!(out, "\n]")?;
            }
        }
        Ok(self.rejected)
    }
}

/// Runs the events through the router's subscriptions and prints what would be sent.
pub fn run(
    router: &Router,
    events: &[String],
    base_url: &str,
    now: DateTime<Utc>,
    as_json: bool,
    out: &mut dyn Write,
) -> std::io::Result<usize> {
    let mut runner = DryRunner::new(router, base_url, now, as_json);
    for text in events {
        runner.event(text, out)?;
    }
    runner.finish(out)
}

fn request_json(r: &RenderedRequest) -> Value {
    json!({"method": r.method, "url": r.url, "body": r.body})
}

fn outcome_json(sub: &str, o: &DryRun) -> Value {
    let (status, detail) = match o {
        DryRun::NotSubscribed => ("not_subscribed", Value::Null),
        DryRun::Rejected(r) => ("rejected", json!(r)),
        DryRun::Batched(k) => ("batched", json!({"batch": k})),
        DryRun::Requests(reqs) => ("requests", Value::Array(reqs.iter().map(request_json).collect())),
    };
    json!({"subscription": sub, "outcome": status, "detail": detail})
}

fn print_request(out: &mut dyn Write, r: &RenderedRequest) -> std::io::Result<()> {
    writeln!(out, "    {} {}", r.method, r.url)?;
    let body = serde_json::to_string_pretty(&r.body).unwrap_or_default();
    for line in body.lines() {
        writeln!(out, "      {line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
