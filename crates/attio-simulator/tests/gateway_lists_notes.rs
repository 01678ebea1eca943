//! The list, note and write-mode plans over real HTTP against the simulator: the requests
//! Attio's API reference documents, answered as it documents them.

use domain::actions::{execute_plan, execute_plan_with, ExecContext};
use domain::ports::{AttioGateway, DeliveryJournal, NoteAttempt, SpoolError};
use domain::{
    Assertion, AttioCommand, AttributeMap, AttributeSlug, FollowUp, JsonText, ListEntry, ListSlug, NoteDraft,
    NoteFormat, ObjectSlug, Plan, WriteMode,
};

use attio_adapter::http::{AttioHttpConfig, HttpAttioGateway};
use attio_simulator::{Faults, Simulator, SimulatorConfig, SimulatorHandle};
use secrecy::SecretString;

/// A config for `base_url` with a token no other test uses (limiters are shared per token).
fn config_for(base_url: &str) -> AttioHttpConfig {
    static NEXT_TOKEN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT_TOKEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    AttioHttpConfig::new(SecretString::from(format!("lists-notes-token-{n}"))).with_base_url(base_url)
}

async fn setup() -> (SimulatorHandle, HttpAttioGateway) {
    let sim = Simulator::start(SimulatorConfig {
        write_rate: 0,
        read_rate: 0,
        ..SimulatorConfig::default()
    })
    .await
    .expect("simulator");
    let gateway = HttpAttioGateway::new(config_for(&sim.base_url())).expect("gateway");
    (sim, gateway)
}

fn person(email: &str) -> Assertion<'static> {
    let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
    a.set_json("email_addresses", JsonText::string(email));
    a
}

fn plan(email: &str, follow_up: FollowUp<'static>) -> Plan<'static> {
    Plan {
        follow_up: Some(follow_up),
        ..Plan::asserts(vec![AttioCommand::SimpleAssert(person(email))])
    }
}

fn onboarding() -> ListSlug {
    ListSlug::parse("onboarding").unwrap()
}

fn entry(stage: &str) -> FollowUp<'static> {
    let mut values = AttributeMap::new();
    values.insert("stage", JsonText::string(stage));
    FollowUp::UpsertListEntry(ListEntry {
        list: onboarding(),
        parent_object: ObjectSlug::PEOPLE,
        entry_values: values,
    })
}

#[tokio::test]
async fn list_entry_is_upserted_by_parent_and_removed() {
    let (sim, gw) = setup().await;
    execute_plan(&plan("a@x.io", entry("Signed up")), &gw).await.unwrap();
    execute_plan(&plan("a@x.io", entry("Paying")), &gw).await.unwrap();
    let entries = sim.entries("onboarding");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["entry_values"]["stage"][0]["status"]["title"], "Paying");

    let remove = FollowUp::RemoveListEntries {
        list: onboarding(),
        parent_object: ObjectSlug::PEOPLE,
    };
    let done = execute_plan(&plan("a@x.io", remove.clone()), &gw).await.unwrap();
    assert_eq!(done.entries_removed, 1);
    assert!(sim.entries("onboarding").is_empty());
    let again = execute_plan(&plan("a@x.io", remove), &gw).await.unwrap();
    assert_eq!(again.entries_removed, 0, "no entry is not an error");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unknown_status_is_refused_with_attios_error() {
    let (sim, gw) = setup().await;
    let err = execute_plan(&plan("a@x.io", entry("Churned")), &gw).await.unwrap_err();
    assert!(err.to_string().contains("400"), "{err}");
    sim.shutdown().await;
}

/// A journal in memory.
#[derive(Default)]
struct MemJournal(std::sync::Mutex<std::collections::HashMap<String, NoteAttempt>>);

#[async_trait::async_trait]
impl DeliveryJournal for MemJournal {
    async fn note_attempt(&self, key: &str) -> Result<Option<NoteAttempt>, SpoolError> {
        Ok(self.0.lock().unwrap().get(key).cloned())
    }
    async fn note_started(&self, key: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), SpoolError> {
        self.0.lock().unwrap().entry(key.to_owned()).or_insert(NoteAttempt {
            started_at: at,
            note_id: None,
        });
        Ok(())
    }
    async fn note_created(&self, key: &str, note_id: &str) -> Result<(), SpoolError> {
        if let Some(a) = self.0.lock().unwrap().get_mut(key) {
            a.note_id = Some(note_id.to_owned());
        }
        Ok(())
    }
    async fn skipped(&self, _: i64, _: &str, _: &str, _: chrono::DateTime<chrono::Utc>) -> Result<(), SpoolError> {
        Ok(())
    }
    async fn skipped_events(&self, _: usize) -> Result<Vec<domain::ports::SkippedEvent>, SpoolError> {
        Ok(Vec::new())
    }
    async fn record_destinations(&self, _: Vec<(String, String)>) -> Result<(), SpoolError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_note_is_created_once_when_the_answer_is_lost() {
    let (sim, gw) = setup().await;
    let note = FollowUp::CreateNote(NoteDraft {
        parent_object: ObjectSlug::PEOPLE,
        title: "Demo booked".into(),
        content: "# Demo\n**Tuesday**".into(),
        format: NoteFormat::Markdown,
    });
    let p = plan("n@x.io", note);
    let journal = MemJournal::default();
    let ctx = ExecContext {
        journal: Some(&journal),
        key: "1/notes",
        now: chrono::Utc::now(),
    };
    sim.set_faults(Faults {
        drop_after_write: 1,
        drop_after_write_path: Some("/v2/notes".into()),
        ..Faults::default()
    });
    let lost = execute_plan_with(&p, &gw, Some(ctx)).await.unwrap_err();
    assert!(
        lost.to_string().contains("could not reach Attio") || lost.to_string().contains("request"),
        "{lost}"
    );
    assert_eq!(sim.notes().len(), 1, "the write was applied");
    let done = execute_plan_with(&p, &gw, Some(ctx)).await.unwrap();
    assert_eq!(sim.notes().len(), 1, "the retry found it");
    assert_eq!(done.note_id.as_deref(), sim.notes()[0]["id"]["note_id"].as_str());
    assert_eq!(sim.notes()[0]["content_plaintext"], "Demo\nTuesday");
    sim.shutdown().await;
}

#[tokio::test]
async fn write_modes_look_the_record_up_first() {
    let (sim, gw) = setup().await;
    let mut p = Plan::asserts(vec![AttioCommand::SimpleAssert(person("w@x.io"))]);
    p.write_mode = WriteMode::UpdateOnly;
    let done = execute_plan(&p, &gw).await.unwrap();
    assert!(done.skipped.is_some());
    assert!(sim.records("people").is_empty());

    p.write_mode = WriteMode::CreateOnly;
    let mut titled = person("w@x.io");
    titled.set_json("job_title", JsonText::string("CEO"));
    p.commands = vec![AttioCommand::SimpleAssert(titled.clone())];
    execute_plan(&p, &gw).await.unwrap();
    titled.set_json("job_title", JsonText::string("Intern"));
    p.commands = vec![AttioCommand::SimpleAssert(titled)];
    execute_plan(&p, &gw).await.unwrap();
    let people = sim.records("people");
    assert_eq!(people.len(), 1);
    assert_eq!(people[0]["values"]["job_title"][0]["value"], "CEO");
    assert!(gw
        .find_record(
            &ObjectSlug::PEOPLE,
            &AttributeSlug::EMAIL_ADDRESSES,
            &JsonText::string("w@x.io")
        )
        .await
        .unwrap()
        .is_some());
    sim.shutdown().await;
}
