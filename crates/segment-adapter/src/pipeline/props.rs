//! Properties of the pipeline: whatever a mapping produces, an accepted payload is valid
//! (so no request is ever built from a payload that fails validation) and the requests
//! built from it are well-formed JSON.

use attio_adapter::wire::CommandWire;
use domain::actions::{ActionKind, ActionPayload};
use domain::value::EmailAddress;
use proptest::prelude::*;

use super::{fields, prepare, Mode};
use crate::json::{Obj, Val};

fn scalar() -> impl Strategy<Value = Val<'static>> {
    prop_oneof![
        Just(Val::Null),
        Just(Val::Undefined),
        any::<bool>().prop_map(Val::Bool),
        any::<f64>().prop_map(Val::Num),
        (-1e16f64..1e16).prop_map(Val::Num),
        Just(Val::string(String::new())),
        Just(Val::string("a@b.co".into())),
        Just(Val::string("A.B-c@sub.example.org".into())),
        Just(Val::string("a@localhost".into())),
        Just(Val::string("jöse@example.com".into())),
        Just(Val::string("2024-05-24T10:00:00Z".into())),
        Just(Val::string("garbage".into())),
        Just(Val::string("people".into())),
        Just(Val::string("x\ny".into())),
        ".{0,12}".prop_map(Val::string),
    ]
}

fn value() -> impl Strategy<Value = Val<'static>> {
    scalar().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Val::Arr),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..4)
                .prop_map(|kv| Val::Obj(Obj(kv.into_iter().map(|(k, v)| (k.into(), v)).collect()))),
        ]
    })
}

/// A mapped payload: some of the action's fields (and a stray key) with arbitrary values.
fn mapped(action: ActionKind) -> impl Strategy<Value = Val<'static>> {
    let keys: Vec<&'static str> = fields::fields(action).iter().map(|f| f.key).chain(["stray"]).collect();
    prop::collection::vec((prop::sample::select(keys), value()), 0..9)
        .prop_map(|kv| Val::Obj(Obj(kv.into_iter().map(|(k, v)| (k.into(), v)).collect())))
}

fn action() -> impl Strategy<Value = ActionKind> {
    prop::sample::select(ActionKind::ALL.to_vec())
}

fn mode() -> impl Strategy<Value = Mode> {
    prop::sample::select(vec![Mode::Single, Mode::Batch])
}

fn assert_valid(p: &ActionPayload<'_>) -> Result<(), TestCaseError> {
    match p {
        ActionPayload::IdentifyUser(p) => {
            prop_assert!(EmailAddress::parse(p.email_address.as_str()).is_ok());
            prop_assert!(!p.user_id.as_str().is_empty());
        }
        ActionPayload::GroupWorkspace(p) => {
            prop_assert!(!p.domain.as_str().is_empty());
            prop_assert!(!p.workspace_id.as_str().is_empty());
            prop_assert!(p.user_id.as_ref().is_none_or(|u| !u.as_str().is_empty()));
        }
        ActionPayload::AssertRecord(p) => {
            prop_assert!(!p.object.as_str().is_empty());
            prop_assert!(!p.matching_attribute.as_str().is_empty());
        }
        ActionPayload::UpsertListEntry(p) => {
            prop_assert!(p.parent.attributes.get(p.parent.matching_attribute.as_str()).is_some());
        }
        ActionPayload::RemoveListEntry(p) => {
            prop_assert!(p.parent.attributes.get(p.parent.matching_attribute.as_str()).is_some());
        }
        ActionPayload::CreateNote(p) => {
            prop_assert!(p.parent.attributes.get(p.parent.matching_attribute.as_str()).is_some());
            prop_assert!(!p.note.title.is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn accepted_payloads_are_valid_and_build_well_formed_requests(
        (action, mapped) in action().prop_flat_map(|a| (Just(a), mapped(a))),
        mode in mode(),
    ) {
        match prepare(action, mapped, mode) {
            Err(e) => prop_assert!(!e.to_string().is_empty()),
            Ok(payload) => {
                assert_valid(&payload)?;
                let plan = payload.clone().single_plan();
                prop_assert!(!plan.commands.is_empty());
                for cmd in &plan.commands {
                    let body: serde_json::Value = serde_json::from_str(&cmd.body(Some("rec-1")))
                        .map_err(|e| TestCaseError::fail(format!("body is not JSON: {e}")))?;
                    prop_assert!(body.pointer("/data/values").is_some_and(|v| v.is_object()));
                    prop_assert!(cmd.path_and_query().starts_with("/v2/objects/"));
                    prop_assert!(!cmd.path_and_query().contains(['\n', ' ', '#']));
                }
                let now = chrono::Utc::now();
                if let Ok(a) = payload.batch_assertion(now) {
                    let cmd = domain::AttioCommand::BatchAssert(vec![a]);
                    let body: serde_json::Value = serde_json::from_str(&cmd.body(None))
                        .map_err(|e| TestCaseError::fail(format!("batch body is not JSON: {e}")))?;
                    prop_assert!(body["assertions"][0]["received_at"].is_string());
                }
            }
        }
    }
}
