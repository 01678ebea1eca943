use chrono::{DateTime, Utc};

use super::*;
use crate::actions::IdentifyUser;
use crate::actions::NonEmptyText;
use crate::value::EmailAddress;
use crate::{
    AttributeMap, AttributeSlug, FollowUp, JsonText, Multiselect, NoteDraft, NoteFormat, ObjectSlug, ReceivedAt,
};

fn identify(email: &str, name: &str, title: &str, received_at: &str) -> IdentifyUser<'static> {
    let mut user_attributes = AttributeMap::new();
    user_attributes.insert("name", JsonText::string(name));
    let mut person_attributes = AttributeMap::new();
    person_attributes.insert("job_title", JsonText::string(title));
    IdentifyUser {
        email_address: EmailAddress::parse(email.to_owned()).expect("email"),
        user_id: NonEmptyText::parse("u-9").expect("id"),
        user_attributes,
        person_attributes,
        received_at: Some(ReceivedAt::Text(received_at.to_owned().into())),
    }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("valid")
}

fn single(u: IdentifyUser<'static>) -> Vec<Option<Vec<RecordWrite>>> {
    plan_writes(&u.single_plan())
}

fn batch(u: IdentifyUser<'static>) -> Vec<RecordWrite> {
    assertion_writes(&u.batch_assertion(now()).expect("assertion")).expect("fingerprinted")
}

#[test]
fn an_identify_writes_a_person_and_a_user_each_with_its_own_key() {
    let writes = single(identify("gob@bluth.example", "GOB", "Magician", "2024-01-01T00:00:00Z"));
    let keys: Vec<(String, String)> = writes
        .iter()
        .map(|w| {
            let w = w.as_ref().expect("skippable");
            assert_eq!(w.len(), 1);
            (w[0].record.object.clone(), w[0].record.matching.clone())
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("people".to_owned(), "email_addresses=\"gob@bluth.example\"".to_owned()),
            ("users".to_owned(), "user_id=\"u-9\"".to_owned()),
        ]
    );
}

#[test]
fn an_identify_changing_only_a_person_attribute_leaves_the_user_fingerprint_unchanged() {
    let before = single(identify("gob@bluth.example", "GOB", "Magician", "2024-01-01T00:00:00Z"));
    let after = single(identify(
        "gob@bluth.example",
        "GOB",
        "Illusionist",
        "2024-01-02T00:00:00Z",
    ));
    assert_ne!(before[0], after[0], "the person changed");
    assert_eq!(before[1], after[1], "the user did not");
}

#[test]
fn batch_assertions_differing_only_in_received_at_have_the_same_fingerprints() {
    let a = batch(identify("gob@bluth.example", "GOB", "Magician", "2024-01-01T00:00:00Z"));
    let b = batch(identify("gob@bluth.example", "GOB", "Magician", "2025-06-01T12:00:00Z"));
    assert_eq!(a, b);
    assert_eq!(a.len(), 2, "the user and its nested person");
    assert_eq!(a[1].record.object, "people");
    let c = batch(identify(
        "gob@bluth.example",
        "GOB",
        "Illusionist",
        "2024-01-01T00:00:00Z",
    ));
    assert_eq!(a[0], c[0], "the user links the same person");
    assert_ne!(a[1], c[1]);
}

#[test]
fn email_matching_values_are_compared_without_case_but_written_values_with_it() {
    let lower = single(identify("gob@bluth.example", "GOB", "Magician", "x"));
    let upper = single(identify("GOB@Bluth.example", "GOB", "Magician", "x"));
    let (lower, upper) = (lower[0].clone().expect("w"), upper[0].clone().expect("w"));
    assert_eq!(lower[0].record, upper[0].record);
    assert_ne!(lower[0].fingerprint, upper[0].fingerprint);
}

fn record(values: &[(&str, &str)], multiselect: Multiselect) -> Assertion<'static> {
    let mut a = Assertion::new(
        ObjectSlug::parse("vehicles").expect("slug"),
        AttributeSlug::parse("name").expect("slug"),
    );
    for (k, v) in values {
        a.set_json(k.to_string(), JsonText::parse(v.to_string()).expect("json"));
    }
    a.multiselect = multiselect;
    a
}

fn fingerprint(values: &[(&str, &str)], multiselect: Multiselect) -> Fingerprint {
    let writes = assertion_writes(&record(values, multiselect)).expect("fingerprinted");
    writes[0].fingerprint.clone()
}

#[test]
fn attribute_order_and_json_member_order_do_not_matter() {
    let a = fingerprint(
        &[("name", "\"car\""), ("spec", r#"{"a":1,"b":2.0}"#)],
        Multiselect::Append,
    );
    let b = fingerprint(
        &[("spec", r#"{"b":2,"a":1}"#), ("name", "\"car\"")],
        Multiselect::Append,
    );
    assert_eq!(a, b);
}

#[test]
fn null_a_missing_attribute_and_the_multiselect_behaviour_are_all_distinct() {
    let base = fingerprint(&[("name", "\"car\""), ("tags", r#"["x"]"#)], Multiselect::Append);
    let replaced = fingerprint(&[("name", "\"car\""), ("tags", r#"["x"]"#)], Multiselect::Replace);
    let cleared = fingerprint(&[("name", "\"car\""), ("tags", "null")], Multiselect::Append);
    let without = fingerprint(&[("name", "\"car\"")], Multiselect::Append);
    assert!(!replaced.is_covered_by(&base));
    assert!(!cleared.is_covered_by(&base));
    assert!(
        without.is_covered_by(&base),
        "a write of fewer attributes changes nothing more"
    );
    assert!(!base.is_covered_by(&without));
}

#[test]
fn an_assertion_without_its_matching_value_is_not_fingerprinted() {
    assert_eq!(assertion_writes(&record(&[("wheels", "4")], Multiselect::Append)), None);
    assert_eq!(
        assertion_writes(&record(&[("name", "null")], Multiselect::Append)),
        None
    );
    assert_eq!(
        assertion_writes(&record(&[("name", r#"["a","b"]"#)], Multiselect::Append)),
        None
    );
    let one = assertion_writes(&record(&[("name", r#"["a"]"#)], Multiselect::Append)).expect("one value");
    assert_eq!(one[0].record.matching, "name=\"a\"");
}

#[test]
fn a_command_whose_reply_the_plan_needs_is_never_skipped() {
    let company = record(&[("name", "\"acme\"")], Multiselect::Append);
    let mut workspace = record(&[("name", "\"ws\"")], Multiselect::Append);
    workspace.set("company", AssertValue::RecordIdOfPreviousReply);
    let plan = Plan::asserts(vec![
        AttioCommand::SimpleAssert(company.clone()),
        AttioCommand::SimpleAssert(workspace),
    ]);
    assert_eq!(plan_writes(&plan), vec![None, None]);

    let mut with_note = Plan::asserts(vec![AttioCommand::SimpleAssert(company.clone())]);
    with_note.follow_up = Some(FollowUp::CreateNote(NoteDraft {
        parent_object: ObjectSlug::parse("vehicles").expect("slug"),
        title: "t".into(),
        content: "c".into(),
        format: NoteFormat::Plaintext,
    }));
    assert_eq!(plan_writes(&with_note), vec![None]);

    let batch_of_two = Plan::asserts(vec![AttioCommand::BatchAssert(vec![company.clone(), company.clone()])]);
    assert_eq!(plan_writes(&batch_of_two), vec![None]);
    let batch_of_one = Plan::asserts(vec![AttioCommand::BatchAssert(vec![company.clone()])]);
    assert_eq!(plan_writes(&batch_of_one), vec![assertion_writes(&company)]);
}

#[test]
fn the_key_names_its_destination_in_the_port() {
    let key = RecordKey {
        object: "people".into(),
        matching: "email_addresses=\"a@b.co\"".into(),
    };
    let r = key.in_destination("eu");
    assert_eq!((r.destination.as_str(), r.object.as_str()), ("eu", "people"));
}
