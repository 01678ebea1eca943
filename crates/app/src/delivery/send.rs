//! The requests of one delivery: a single-mode plan or one batch.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::actions::{execute_plan_with, ExecContext, ExecError};
use domain::ports::{AttioGateway, DeliveryJournal};
use domain::record::AttioCommand;
use domain::{GatewayError, Retryability, Retryable};
use segment_adapter::json::Val;
use segment_adapter::pipeline::Mode;

use crate::routing::Router;
use attio_adapter::wire::is_missing_reference;

use super::note_key::note_journal_key;

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
    pub journal: Option<Arc<dyn DeliveryJournal>>,
    pub now: DateTime<Utc>,
}

/// Sends one event in single mode: its plan, request after request. `Ok(Some(reason))`:
/// the subscription's `write_mode` skipped the event (recorded in the journal).
pub async fn send_single(
    router: Arc<Router>,
    gateway: Arc<dyn AttioGateway>,
    subscription: usize,
    text: Arc<str>,
    ctx: SingleContext,
) -> Result<Option<String>, SendError> {
    let sub = router
        .subscriptions
        .get(subscription)
        .ok_or_else(|| SendError::permanent("subscription no longer configured".into()))?;
    let event = Val::parse(&text).map_err(|e| SendError::permanent(format!("stored event is not JSON: {e}")))?;
    let payload = sub
        .payload(&event, Mode::Single)
        .map_err(|e| SendError::permanent(e.to_string()))?;
    let plan = sub.plan(payload);
    // Every step is checked before the first is sent: a plan whose later step cannot
    // succeed must not write its earlier ones.
    let steps: Vec<_> = plan
        .commands
        .iter()
        .filter_map(|c| match c {
            AttioCommand::SimpleAssert(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    if let Some(Err(e)) = gateway.check_assertions(&steps).await.into_iter().find(Result::is_err) {
        return Err(e.into());
    }
    let key = note_journal_key(&event, ctx.event_id, &sub.name);
    let exec = ctx.journal.as_deref().map(|journal| ExecContext {
        journal: Some(journal),
        key: &key,
        now: ctx.now,
    });
    let done = execute_plan_with(&plan, gateway.as_ref(), exec).await?;
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
    /// Events taken out before sending (by position in the batch), with why: their mapping
    /// failed or the schema check refused them. They are dead-lettered, never delivered.
    pub rejected: Vec<(usize, String)>,
}

/// Sends events as one batch request, in order. Events that cannot be sent (their mapping
/// fails, or the schema check refuses them) are taken out and reported; the others go on.
/// A failure to read the workspace or to send fails the whole batch (nothing is reported
/// then: the retry checks again).
pub async fn send_batch(
    router: Arc<Router>,
    gateway: Arc<dyn AttioGateway>,
    subscription: usize,
    texts: Vec<Arc<str>>,
    now: DateTime<Utc>,
) -> Result<BatchReport, SendError> {
    let sub = router
        .subscriptions
        .get(subscription)
        .ok_or_else(|| SendError::permanent("subscription no longer configured".into()))?;
    let mut report = BatchReport::default();
    let mut events = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        match Val::parse(text) {
            Ok(e) => events.push((i, e)),
            Err(e) => report.rejected.push((i, format!("stored event is not JSON: {e}"))),
        }
    }
    let mut positions = Vec::with_capacity(events.len());
    let mut assertions = Vec::with_capacity(events.len());
    for (i, event) in &events {
        let built = sub
            .payload(event, Mode::Batch)
            .map_err(|e| e.to_string())
            .and_then(|p| sub.batch_assertion(p, now).map_err(|e| e.to_string()));
        match built {
            Ok(a) => {
                positions.push(*i);
                assertions.push(a);
            }
            Err(reason) => report.rejected.push((*i, reason)),
        }
    }
    let checks = gateway.check_assertions(&assertions).await;
    if let Some(Err(e)) = checks
        .iter()
        .find(|c| c.as_ref().is_err_and(|e| e.retryability() != Retryability::Permanent))
    {
        return Err(e.clone().into());
    }
    let mut valid = Vec::with_capacity(assertions.len());
    for ((i, a), check) in positions.into_iter().zip(assertions).zip(checks) {
        match check {
            Ok(()) => valid.push(a),
            Err(e) => report.rejected.push((i, e.to_string())),
        }
    }
    report.rejected.sort_by_key(|(i, _)| *i);
    if !valid.is_empty() {
        gateway.batch_assert(&valid).await?;
    }
    Ok(report)
}
