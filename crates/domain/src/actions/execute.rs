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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockAttioGateway;
    use crate::{AssertValue, Assertion, AttributeSlug, JsonText, ObjectSlug};

    fn group_plan() -> Plan<'static> {
        let mut company = Assertion::new(ObjectSlug::COMPANIES, AttributeSlug::DOMAINS);
        company.set_json("domains", JsonText::string("acme.io"));
        let mut workspace = Assertion::new(ObjectSlug::WORKSPACES, AttributeSlug::WORKSPACE_ID);
        workspace.set_json("workspace_id", JsonText::string("w1"));
        workspace.set("company", AssertValue::RecordIdOfPreviousReply);
        Plan {
            commands: vec![
                AttioCommand::SimpleAssert(company),
                AttioCommand::SimpleAssert(workspace),
            ],
        }
    }

    fn run(plan: &Plan<'_>, gw: &MockAttioGateway) -> Result<Executed, ExecError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a test runtime");
        rt.block_on(execute_plan(plan, gw))
    }

    #[test]
    fn company_reply_without_record_id_fails_with_a_clear_permanent_error() {
        let mut gw = MockAttioGateway::new();
        gw.expect_simple_assert().times(1).returning(|_, _| {
            Ok(AssertReply {
                status: 200,
                body: serde_json::json!({}),
            })
        });
        let err = run(&group_plan(), &gw).unwrap_err();
        assert_eq!(err, ExecError::MissingRecordId { step: 0 });
        assert_eq!(err.retryability(), Retryability::Permanent);
        assert!(err.to_string().contains("data.id.record_id"));
    }

    #[test]
    fn workspace_is_linked_to_the_company_record_id() {
        let mut gw = MockAttioGateway::new();
        let mut seq = mockall::Sequence::new();
        gw.expect_simple_assert()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, prev| {
                assert_eq!(prev, None);
                Ok(AssertReply {
                    status: 200,
                    body: serde_json::json!({"data": {"id": {"record_id": "rec-1"}}}),
                })
            });
        gw.expect_simple_assert()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, prev| {
                assert_eq!(prev, Some("rec-1"));
                Ok(AssertReply {
                    status: 200,
                    body: serde_json::json!({}),
                })
            });
        let done = run(&group_plan(), &gw).unwrap();
        assert_eq!(done.replies.len(), 2);
    }

    #[test]
    fn failed_first_request_stops_the_second() {
        let mut gw = MockAttioGateway::new();
        gw.expect_simple_assert().times(1).returning(|_, _| {
            Err(GatewayError::Status {
                status: 400,
                status_text: "Bad Request".into(),
                body: None,
                raw_body: None,
                retry_after: None,
            })
        });
        let err = run(&group_plan(), &gw).unwrap_err();
        assert!(matches!(err, ExecError::Gateway { step: 0, total: 2, .. }));
    }
}
