//! The requests of one delivery: a single-mode plan or one batch.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::actions::{execute_plan_with, ExecContext, ExecError};
use domain::ports::{AttioGateway, DeliveryJournal};
use domain::record::{Assertion, AttioCommand, Plan};
use domain::{GatewayError, Retryability, Retryable};

use segment_adapter::destination::ActionSubscription;

use super::note_key::note_journal_key;
use super::skip::{count_skipped, SkipUnchanged};
use crate::prepare::Writes;
use crate::routing::Router;
use attio_adapter::wire::is_missing_reference;
use domain::fingerprint::SKIP_REASON;

/// Why a delivery failed, with what the loop should do about it.
#[derive(Debug, Clone)]
pub struct SendError {
    pub message: String,
    pub retryability: Retryability,
    /// Attio's answer, when there was one.
    pub attio: Option<String>,
    /// Attio refused a reference to a record that does not exist (yet).
    pub missing_reference: bool,
}

impl SendError {
    fn permanent(message: String) -> Self {
        Self {
            message,
            retryability: Retryability::Permanent,
            attio: None,
            missing_reference: false,
        }
    }
}

impl From<ExecError> for SendError {
    fn from(e: ExecError) -> Self {
        let attio = match &e {
            ExecError::Gateway {
                error: GatewayError::Status { status, raw_body, .. },
                ..
            } => Some(
                format!("{status} {}", raw_body.as_deref().unwrap_or(""))
                    .trim()
                    .to_owned(),
            ),
            _ => None,
        };
        let missing_reference = matches!(&e, ExecError::Gateway { error, .. } if is_missing_reference(error));
        Self {
            message: e.to_string(),
            retryability: e.retryability(),
            attio,
            missing_reference,
        }
    }
}

impl From<GatewayError> for SendError {
    fn from(e: GatewayError) -> Self {
        let attio = match &e {
            GatewayError::Status { status, raw_body, .. } => Some(
                format!("{status} {}", raw_body.as_deref().unwrap_or(""))
                    .trim()
                    .to_owned(),
            ),
            _ => None,
        };
        Self {
            message: e.to_string(),
            retryability: e.retryability(),
            attio,
            missing_reference: is_missing_reference(&e),
        }
    }
}

/// What a single-mode send needs beyond the event: its spool id and the journal that
/// keeps notes to one per event and records skipped events.
#[derive(Clone)]
pub struct SingleContext {
    pub event_id: i64,
    /// The event's `messageId`: a note is journaled under it, so a replay finds it.
    pub message_id: Option<Arc<str>>,
    pub journal: Option<Arc<dyn DeliveryJournal>>,
    pub now: DateTime<Utc>,
}

/// Sends one event in single mode: its prepared plan ([`crate::prepare`]), request after
/// request. `Ok(Some(reason))`: nothing was written, because the subscription's
/// `write_mode` skipped the event (recorded in the journal) or, with `skip`, because
/// Attio already holds what every request would write. `writes` gives what each command
/// writes ([`crate::prepare::Prepped`]).
pub async fn send_single(
    router: Arc<Router>,
    gateway: Arc<dyn AttioGateway>,
    subscription: usize,
    plan: &Plan<'_>,
    writes: &[Writes],
    skip: Option<&SkipUnchanged>,
    ctx: SingleContext,
) -> Result<Option<String>, SendError> {
    let sub = router
        .subscriptions
        .get(subscription)
        .ok_or_else(|| SendError::permanent("subscription no longer configured".into()))?;
    let Some(skip) = skip.filter(|_| !writes.is_empty()) else {
        return run_plan(sub, gateway, plan, &ctx).await;
    };
    let all: Vec<&Writes> = writes.iter().collect();
    let (stored, skipped) = skip.check(&all, ctx.now).await;
    let n_skipped = skipped.iter().filter(|s| **s).count();
    count_skipped(&sub.name, n_skipped);
    if n_skipped > 0 && n_skipped == plan.commands.len() {
        tracing::debug!(event_id = ctx.event_id, subscription = %sub.name, "write skipped: unchanged");
        return Ok(Some(SKIP_REASON.to_owned()));
    }
    let filtered;
    let to_run = if n_skipped == 0 {
        plan
    } else {
        filtered = Plan {
            commands: plan
                .commands
                .iter()
                .zip(&skipped)
                .filter(|(_, s)| !**s)
                .map(|(c, _)| c.clone())
                .collect(),
            follow_up: plan.follow_up.clone(),
            write_mode: plan.write_mode,
        };
        &filtered
    };
    let result = run_plan(sub, gateway, to_run, &ctx).await;
    let sent = || {
        writes
            .iter()
            .zip(&stored)
            .zip(&skipped)
            .filter(|(_, s)| !**s)
            .filter_map(|((w, st), _)| Some((w.as_deref()?, st.as_ref()?)))
    };
    match &result {
        // Written: remembered. Skipped by write_mode: nothing was written.
        Ok(None) => skip.remember(sent(), ctx.now).await,
        Ok(Some(_)) => {}
        Err(_) => skip.forget(sent().map(|(w, _)| w)).await,
    }
    result
}

/// Runs a single-mode plan: checks every step, sends them, records a `write_mode` skip.
async fn run_plan(
    sub: &ActionSubscription,
    gateway: Arc<dyn AttioGateway>,
    plan: &Plan<'_>,
    ctx: &SingleContext,
) -> Result<Option<String>, SendError> {
    // Every step is checked before the first is sent: a plan whose later step cannot
    // succeed must not write its earlier ones.
    let steps: Vec<_> = plan
        .commands
        .iter()
        .filter_map(|c| match c {
            AttioCommand::SimpleAssert(a) => Some(a.borrowed()),
            _ => None,
        })
        .collect();
    if let Some(Err(e)) = gateway.check_assertions(&steps).await.into_iter().find(Result::is_err) {
        return Err(e.into());
    }
    let key = note_journal_key(ctx.message_id.as_deref(), ctx.event_id, &sub.name);
    let exec = ctx.journal.as_deref().map(|journal| ExecContext {
        journal: Some(journal),
        key: &key,
        now: ctx.now,
    });
    let done = execute_plan_with(plan, gateway.as_ref(), exec).await?;
    if let Some(reason) = &done.skipped {
        tracing::info!(event_id = ctx.event_id, subscription = %sub.name, %reason, "event skipped");
        metrics::counter!(
            "segment_attio_events_skipped_total",
            "subscription" => sub.name.clone(),
            "destination" => sub.destination.clone().unwrap_or_else(|| "default".to_owned())
        )
        .increment(1);
        if let Some(journal) = &ctx.journal {
            journal
                .skipped(ctx.event_id, &sub.name, reason, ctx.now)
                .await
                .map_err(|e| SendError {
                    message: format!("recording the skipped event failed: {e}"),
                    retryability: Retryability::Retryable { after: None },
                    attio: None,
                    missing_reference: false,
                })?;
        }
    }
    Ok(done.skipped)
}

/// What a batch send did with its events.
#[derive(Debug, Default)]
pub struct BatchReport {
    /// Events taken out before sending (by position in the batch), with why: the schema
    /// check refused them. They are dead-lettered, never delivered.
    pub rejected: Vec<(usize, String)>,
    /// Events left out because Attio already holds what they write (by position).
    pub skipped: Vec<usize>,
}

/// Sends prepared batch assertions, leaving out (with `skip`) those that would write
/// nothing new, and remembers or forgets what was written. The assertions are given back
/// in their order, whatever the outcome (a retry sends them again).
pub async fn deliver_batch(
    gateway: &dyn AttioGateway,
    subscription: &str,
    assertions: Vec<Assertion<'static>>,
    writes: &[Writes],
    skip: Option<&SkipUnchanged>,
    now: DateTime<Utc>,
) -> (Vec<Assertion<'static>>, Result<BatchReport, SendError>) {
    let Some(skip) = skip.filter(|_| writes.len() == assertions.len()) else {
        let result = send_batch(gateway, &assertions).await;
        return (assertions, result);
    };
    let all: Vec<&Writes> = writes.iter().collect();
    let (stored, skipped) = skip.check(&all, now).await;
    let n_skipped = skipped.iter().filter(|s| **s).count();
    count_skipped(subscription, n_skipped);
    // Positions (in the batch) of the assertions sent.
    let positions: Vec<usize> = (0..assertions.len()).filter(|i| !skipped[*i]).collect();
    let (assertions, mut result) = if n_skipped == 0 {
        let result = send_batch(gateway, &assertions).await;
        (assertions, result)
    } else {
        let mut kept = Vec::with_capacity(n_skipped);
        let mut sent = Vec::with_capacity(positions.len());
        for (a, s) in assertions.into_iter().zip(&skipped) {
            if *s {
                kept.push(a);
            } else {
                sent.push(a);
            }
        }
        let result = send_batch(gateway, &sent).await.map(|mut report| {
            for (p, _) in &mut report.rejected {
                *p = positions[*p];
            }
            report
        });
        // Back in batch order.
        let (mut kept, mut sent) = (kept.into_iter(), sent.into_iter());
        let all = skipped
            .iter()
            .filter_map(|s| if *s { kept.next() } else { sent.next() })
            .collect();
        (all, result)
    };
    let fingerprinted = |i: usize| Some((writes.get(i)?.as_deref()?, stored.get(i)?.as_ref()?));
    match &mut result {
        Ok(report) => {
            let rejected: Vec<usize> = report.rejected.iter().map(|(p, _)| *p).collect();
            let done = positions
                .iter()
                .filter(|p| !rejected.contains(p))
                .filter_map(|p| fingerprinted(*p));
            skip.remember(done, now).await;
            report.skipped = (0..skipped.len()).filter(|i| skipped[*i]).collect();
        }
        Err(_) => {
            skip.forget(positions.iter().filter_map(|p| fingerprinted(*p)).map(|(w, _)| w))
                .await
        }
    }
    (assertions, result)
}

/// Sends prepared assertions ([`crate::prepare`]) as one batch request, in order.
/// Assertions the schema check refuses are taken out and reported (by position); the
/// others go on. A failure to read the workspace or to send fails the whole batch (nothing
/// is reported then: the retry checks again).
pub async fn send_batch(gateway: &dyn AttioGateway, assertions: &[Assertion<'_>]) -> Result<BatchReport, SendError> {
    let mut report = BatchReport::default();
    let checks = gateway.check_assertions(assertions).await;
    if let Some(Err(e)) = checks
        .iter()
        .find(|c| c.as_ref().is_err_and(|e| e.retryability() != Retryability::Permanent))
    {
        return Err(e.clone().into());
    }
    for (i, check) in checks.iter().enumerate() {
        if let Err(e) = check {
            report.rejected.push((i, e.to_string()));
        }
    }
    if report.rejected.is_empty() {
        if !assertions.is_empty() {
            gateway.batch_assert(assertions).await?;
        }
        return Ok(report);
    }
    // Rare: some were refused; the rest go in a batch of their own.
    let valid: Vec<Assertion<'_>> = assertions
        .iter()
        .zip(&checks)
        .filter(|(_, c)| c.is_ok())
        .map(|(a, _)| a.borrowed())
        .collect();
    if !valid.is_empty() {
        gateway.batch_assert(&valid).await?;
    }
    Ok(report)
}
