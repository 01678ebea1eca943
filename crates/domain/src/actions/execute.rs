use chrono::{DateTime, Utc};

use crate::ports::{AssertReply, AttioGateway, DeliveryJournal, NoteSummary};
use crate::{AssertValue, Assertion, AttioCommand, FollowUp, GatewayError, NoteDraft, NoteFormat, Plan, WriteMode};
use crate::{Retryability, Retryable};

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
    /// The journal of created notes could not be read or written: retried later, so that
    /// no note is created without being recorded.
    #[error("the delivery journal failed: {0}")]
    Journal(String),
}

impl Retryable for ExecError {
    fn retryability(&self) -> Retryability {
        match self {
            ExecError::Gateway { error, .. } => error.retryability(),
            ExecError::MissingRecordId { .. } => Retryability::Permanent,
            ExecError::Journal(_) => Retryability::Retryable { after: None },
        }
    }
}

impl ExecError {
    /// The step that failed: a retry may skip the ones before it only if they are
    /// idempotent, which asserts are.
    pub fn step(&self) -> usize {
        match self {
            ExecError::Gateway { step, .. } | ExecError::MissingRecordId { step } => *step,
            ExecError::Journal(_) => 0,
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
    /// Why the event was not (fully) written, when the write mode skipped it.
    pub skipped: Option<String>,
    /// The note the plan created, or found already created for this event.
    pub note_id: Option<String>,
    /// List entries deleted.
    pub entries_removed: usize,
}

/// What a plan needs beyond the gateway: the journal that makes a note's creation happen
/// once per event, under `key`.
#[derive(Clone, Copy)]
pub struct ExecContext<'c> {
    pub journal: Option<&'c dyn DeliveryJournal>,
    /// One per event and subscription.
    pub key: &'c str,
    pub now: DateTime<Utc>,
}

/// Runs the commands in order; each runs only after the previous one succeeded.
pub async fn execute_plan(plan: &Plan<'_>, gateway: &dyn AttioGateway) -> Result<Executed, ExecError> {
    execute_plan_with(plan, gateway, None).await
}

/// [`execute_plan`] with a journal for notes.
pub async fn execute_plan_with(
    plan: &Plan<'_>,
    gateway: &dyn AttioGateway,
    ctx: Option<ExecContext<'_>>,
) -> Result<Executed, ExecError> {
    let total = plan.commands.len() + usize::from(plan.follow_up.is_some());
    let mut out = Executed::default();
    let mut previous_record_id: Option<String> = None;
    let mut previous_missing_id = false;
    for (step, cmd) in plan.commands.iter().enumerate() {
        let gw = |error| ExecError::Gateway { step, total, error };
        match cmd {
            AttioCommand::SimpleAssert(a) => {
                let needs_id = a
                    .values
                    .iter()
                    .any(|(_, v)| matches!(v, AssertValue::RecordIdOfPreviousReply));
                if needs_id && previous_missing_id {
                    return Err(ExecError::MissingRecordId { step: step - 1 });
                }
                let reply = match existing_for_write_mode(plan.write_mode, a, gateway).await.map_err(gw)? {
                    Existing::Unknown(reason) => {
                        out.skipped = Some(reason);
                        return Ok(out);
                    }
                    Existing::Keep(record_id) => AssertReply {
                        status: 200,
                        body: serde_json::json!({"data": {"id": {"record_id": record_id}}}),
                    },
                    Existing::Write => gateway
                        .simple_assert(a, previous_record_id.as_deref())
                        .await
                        .map_err(gw)?,
                };
                previous_record_id = reply.record_id().map(str::to_owned);
                previous_missing_id = previous_record_id.is_none();
                out.replies.push(reply);
            }
            AttioCommand::BatchAssert(list) => {
                let status = gateway.batch_assert(list).await.map_err(gw)?;
                out.batch_statuses.push(status);
            }
        }
    }
    let Some(follow_up) = &plan.follow_up else {
        return Ok(out);
    };
    let step = plan.commands.len();
    let Some(parent) = previous_record_id else {
        return Err(ExecError::MissingRecordId {
            step: step.saturating_sub(1),
        });
    };
    let gw = |error| ExecError::Gateway { step, total, error };
    match follow_up {
        FollowUp::UpsertListEntry(entry) => gateway.upsert_list_entry(entry, &parent).await.map_err(gw)?,
        FollowUp::RemoveListEntries { list, parent_object } => {
            let ids = gateway.list_entry_ids(list, parent_object, &parent).await.map_err(gw)?;
            for id in &ids {
                gateway.delete_list_entry(list, id).await.map_err(gw)?;
            }
            out.entries_removed = ids.len();
        }
        FollowUp::CreateNote(note) => {
            out.note_id = Some(
                create_note_once(note, &parent, gateway, ctx)
                    .await
                    .map_err(|e| match e {
                        NoteError::Gateway(error) => gw(error),
                        NoteError::Journal(m) => ExecError::Journal(m),
                    })?,
            );
        }
    }
    Ok(out)
}

/// What the write mode makes of one assert.
enum Existing {
    /// Send the assert.
    Write,
    /// The record exists and must not be changed: use its id.
    Keep(String),
    /// The record does not exist and must not be created.
    Unknown(String),
}

async fn existing_for_write_mode(
    mode: WriteMode,
    a: &Assertion<'_>,
    gateway: &dyn AttioGateway,
) -> Result<Existing, GatewayError> {
    if mode == WriteMode::Upsert {
        return Ok(Existing::Write);
    }
    let Some(AssertValue::Json(value)) = a.get(a.matching_attribute.as_str()) else {
        // Without a matching value Attio refuses the assert, which says why.
        return Ok(Existing::Write);
    };
    let found = gateway.find_record(&a.object, &a.matching_attribute, value).await?;
    Ok(match (mode, found) {
        (WriteMode::CreateOnly, Some(id)) => Existing::Keep(id),
        (WriteMode::UpdateOnly, None) => Existing::Unknown(format!(
            "write_mode update_only: no {} record has {} = {}; nothing was created",
            a.object.as_str(),
            a.matching_attribute.as_str(),
            value.as_str()
        )),
        _ => Existing::Write,
    })
}

enum NoteError {
    Gateway(GatewayError),
    Journal(String),
}

/// A note created by an earlier attempt: same title and content, created no earlier than
/// that attempt (less a minute for clocks that disagree).
fn made_by_attempt(n: &NoteSummary, note: &NoteDraft<'_>, started_at: DateTime<Utc>) -> bool {
    let content = match note.format {
        NoteFormat::Plaintext => &n.content_plaintext,
        NoteFormat::Markdown => &n.content_markdown,
    };
    let recent = DateTime::parse_from_rfc3339(&n.created_at)
        .map(|t| t.with_timezone(&Utc) >= started_at - chrono::Duration::minutes(1))
        .unwrap_or(true);
    n.title == note.title && content.as_str() == note.content && recent
}

/// Creates the note unless this event already made it: the journal says so, or an earlier
/// attempt whose answer was lost left a matching note on the record.
async fn create_note_once(
    note: &NoteDraft<'_>,
    parent: &str,
    gateway: &dyn AttioGateway,
    ctx: Option<ExecContext<'_>>,
) -> Result<String, NoteError> {
    let journaled = ctx.and_then(|c| c.journal.map(|j| (j, c)));
    let Some((journal, c)) = journaled else {
        return gateway.create_note(note, parent).await.map_err(NoteError::Gateway);
    };
    let journal_err = |e: crate::ports::SpoolError| NoteError::Journal(e.to_string());
    match journal.note_attempt(c.key).await.map_err(journal_err)? {
        Some(attempt) => {
            if let Some(id) = attempt.note_id {
                return Ok(id);
            }
            let notes = gateway
                .notes_of(&note.parent_object, parent)
                .await
                .map_err(NoteError::Gateway)?;
            if let Some(found) = notes.iter().find(|n| made_by_attempt(n, note, attempt.started_at)) {
                journal.note_created(c.key, &found.note_id).await.map_err(journal_err)?;
                return Ok(found.note_id.clone());
            }
        }
        None => journal.note_started(c.key, c.now).await.map_err(journal_err)?,
    }
    let id = gateway.create_note(note, parent).await.map_err(NoteError::Gateway)?;
    journal.note_created(c.key, &id).await.map_err(journal_err)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockAttioGateway, MockDeliveryJournal};
    use crate::{AttributeSlug, JsonText, ObjectSlug};

    fn group_plan() -> Plan<'static> {
        let mut company = Assertion::new(ObjectSlug::COMPANIES, AttributeSlug::DOMAINS);
        company.set_json("domains", JsonText::string("acme.io"));
        let mut workspace = Assertion::new(ObjectSlug::WORKSPACES, AttributeSlug::WORKSPACE_ID);
        workspace.set_json("workspace_id", JsonText::string("w1"));
        workspace.set("company", AssertValue::RecordIdOfPreviousReply);
        Plan::asserts(vec![
            AttioCommand::SimpleAssert(company),
            AttioCommand::SimpleAssert(workspace),
        ])
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

    fn note_plan() -> Plan<'static> {
        let mut person = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
        person.set_json("email_addresses", JsonText::string("a@b.co"));
        Plan {
            follow_up: Some(FollowUp::CreateNote(NoteDraft {
                parent_object: ObjectSlug::PEOPLE,
                title: "Upgraded".into(),
                content: "to Pro".into(),
                format: NoteFormat::Plaintext,
            })),
            ..Plan::asserts(vec![AttioCommand::SimpleAssert(person)])
        }
    }

    fn person_reply(gw: &mut MockAttioGateway) {
        gw.expect_simple_assert().returning(|_, _| {
            Ok(AssertReply {
                status: 200,
                body: serde_json::json!({"data": {"id": {"record_id": "rec-1"}}}),
            })
        });
    }

    fn run_with(plan: &Plan<'_>, gw: &MockAttioGateway, journal: &MockDeliveryJournal) -> Result<Executed, ExecError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a test runtime");
        let ctx = ExecContext {
            journal: Some(journal),
            key: "7/notes",
            now: Utc::now(),
        };
        rt.block_on(execute_plan_with(plan, gw, Some(ctx)))
    }

    #[test]
    fn an_unknown_note_outcome_finds_the_note_instead_of_creating_another() {
        let mut gw = MockAttioGateway::new();
        person_reply(&mut gw);
        gw.expect_notes_of().times(1).returning(|_, parent| {
            assert_eq!(parent, "rec-1");
            Ok(vec![NoteSummary {
                note_id: "note-1".into(),
                title: "Upgraded".into(),
                content_plaintext: "to Pro".into(),
                content_markdown: "to Pro".into(),
                created_at: Utc::now().to_rfc3339(),
            }])
        });
        gw.expect_create_note().times(0);
        let mut journal = MockDeliveryJournal::new();
        journal.expect_note_attempt().returning(|_| {
            Ok(Some(crate::ports::NoteAttempt {
                started_at: Utc::now(),
                note_id: None,
            }))
        });
        journal
            .expect_note_created()
            .withf(|k, id| k == "7/notes" && id == "note-1")
            .times(1)
            .returning(|_, _| Ok(()));
        let done = run_with(&note_plan(), &gw, &journal).unwrap();
        assert_eq!(done.note_id.as_deref(), Some("note-1"));
    }

    #[test]
    fn a_first_note_attempt_is_journaled_before_and_after_creating() {
        let mut gw = MockAttioGateway::new();
        person_reply(&mut gw);
        gw.expect_notes_of().times(0);
        gw.expect_create_note().times(1).returning(|_, _| Ok("note-9".into()));
        let mut journal = MockDeliveryJournal::new();
        let mut seq = mockall::Sequence::new();
        journal.expect_note_attempt().returning(|_| Ok(None));
        journal
            .expect_note_started()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(()));
        journal
            .expect_note_created()
            .withf(|_, id| id == "note-9")
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(()));
        assert_eq!(
            run_with(&note_plan(), &gw, &journal).unwrap().note_id.as_deref(),
            Some("note-9")
        );
    }

    #[test]
    fn update_only_skips_an_unknown_record_and_create_only_keeps_an_existing_one() {
        let mut plan = group_plan();
        plan.write_mode = WriteMode::UpdateOnly;
        let mut gw = MockAttioGateway::new();
        gw.expect_find_record().times(1).returning(|_, _, _| Ok(None));
        gw.expect_simple_assert().times(0);
        let done = run(&plan, &gw).unwrap();
        assert!(done.skipped.unwrap().contains("update_only"));

        plan.write_mode = WriteMode::CreateOnly;
        let mut gw = MockAttioGateway::new();
        gw.expect_find_record()
            .times(2)
            .returning(|o, _, _| Ok((o.as_str() == "companies").then(|| "company-1".to_owned())));
        gw.expect_simple_assert().times(1).returning(|a, prev| {
            assert_eq!(a.object.as_str(), "workspaces");
            assert_eq!(prev, Some("company-1"), "linked to the kept company");
            Ok(AssertReply {
                status: 200,
                body: serde_json::json!({"data": {"id": {"record_id": "w"}}}),
            })
        });
        let done = run(&plan, &gw).unwrap();
        assert_eq!(done.skipped, None);
    }
}
