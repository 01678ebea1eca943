use crate::ports::{AssertReply, AttioGateway};
use crate::{AttioCommand, GatewayError, Plan, Retryability, Retryable};

/// Why a plan stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExecError {
    /// Request `step` (0-based) failed; the ones after it were not sent.
    #[error("request {} of {total} failed: {error}", .step + 1)]
    Gateway {
        step: usize,
        total: usize,
        error: GatewayError,
    },
    /// Deviation D3: the reply a later request depends on lacks `data.id.record_id`.
    #[error("Attio's reply to request {} has no data.id.record_id, which the next request links to", .step + 1)]
    MissingRecordId { step: usize },
}

impl Retryable for ExecError {
    fn retryability(&self) -> Retryability {
        match self {
            ExecError::Gateway { error, .. } => error.retryability(),
            ExecError::MissingRecordId { .. } => Retryability::Permanent,
        }
    }
}

impl ExecError {
    /// The step that failed: a retry may skip the ones before it only if they are
    /// idempotent, which asserts are.
    pub fn step(&self) -> usize {
        match self {
            ExecError::Gateway { step, .. } | ExecError::MissingRecordId { step } => *step,
        }
    }
}

/// What a plan produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Executed {
    /// Replies of the simple asserts, in order.
    pub replies: Vec<AssertReply>,
    /// Status of each batch request.
    pub batch_statuses: Vec<u16>,
}

/// Runs the commands in order; each runs only after the previous one succeeded.
pub async fn execute_plan(plan: &Plan<'_>, gateway: &dyn AttioGateway) -> Result<Executed, ExecError> {
    let total = plan.commands.len();
    let mut out = Executed::default();
    let mut previous_record_id: Option<String> = None;
    let mut previous_missing_id = false;
    for (step, cmd) in plan.commands.iter().enumerate() {
        match cmd {
            AttioCommand::SimpleAssert(a) => {
                let needs_id = a
                    .values
                    .iter()
                    .any(|(_, v)| matches!(v, crate::AssertValue::RecordIdOfPreviousReply));
                if needs_id && previous_missing_id {
                    return Err(ExecError::MissingRecordId { step: step - 1 });
                }
                let reply = gateway
                    .simple_assert(a, previous_record_id.as_deref())
                    .await
                    .map_err(|error| ExecError::Gateway { step, total, error })?;
                previous_record_id = reply.record_id().map(str::to_owned);
                previous_missing_id = previous_record_id.is_none();
                out.replies.push(reply);
            }
            AttioCommand::BatchAssert(list) => {
                let status =
                    gateway
                        .batch_assert(list)
                        .await
                        .map_err(|error| ExecError::Gateway { step, total, error })?;
                out.batch_statuses.push(status);
            }
        }
    }
    Ok(out)
}
