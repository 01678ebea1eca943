use super::*;
use crate::{Assertion, AttributeSlug, JsonText, ObjectSlug};

const DAY: Duration = Duration::from_secs(86_400);

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("valid")
}

fn writes(values: &[(&str, &str)]) -> Vec<RecordWrite> {
    let mut a = Assertion::new(
        ObjectSlug::parse("vehicles").expect("slug"),
        AttributeSlug::parse("name").expect("slug"),
    );
    a.set_json("name", JsonText::string("car"));
    for (k, v) in values {
        a.set_json(k.to_string(), JsonText::string(v));
    }
    crate::fingerprint::assertion_writes(&a).expect("fingerprinted")
}

fn remembered(w: &[RecordWrite], stored: &[Option<WrittenState>], now: DateTime<Utc>) -> Vec<Option<WrittenState>> {
    after_write(w, stored, now, DAY)
        .into_iter()
        .map(|(_, s)| Some(s))
        .collect()
}

#[test]
fn a_record_never_written_is_written() {
    let w = writes(&[("colour", "red")]);
    assert_eq!(
        decide(&w, &[None], at(0), DAY),
        WriteDecision::Write(WriteReason::NotWrittenBefore)
    );
}

#[test]
fn the_same_values_again_are_skipped_until_resync_after() {
    let w = writes(&[("colour", "red")]);
    let stored = remembered(&w, &[None], at(0));
    assert_eq!(decide(&w, &stored, at(10), DAY), WriteDecision::Skip);
    assert_eq!(decide(&w, &stored, at(86_399), DAY), WriteDecision::Skip);
    assert_eq!(
        decide(&w, &stored, at(86_400), DAY),
        WriteDecision::Write(WriteReason::Resync)
    );
}

#[test]
fn a_changed_value_is_written() {
    let stored = remembered(&writes(&[("colour", "red")]), &[None], at(0));
    assert_eq!(
        decide(&writes(&[("colour", "blue")]), &stored, at(1), DAY),
        WriteDecision::Write(WriteReason::Changed)
    );
}

#[test]
fn an_unreadable_stored_fingerprint_means_written_again() {
    let w = writes(&[]);
    let stored = vec![Some(WrittenState {
        fingerprint: "v0:old".into(),
        written_at: at(0),
    })];
    assert_eq!(
        decide(&w, &stored, at(1), DAY),
        WriteDecision::Write(WriteReason::NotWrittenBefore)
    );
}

#[test]
fn alternating_writers_keep_both_skipping_and_the_first_write_time_is_kept() {
    let a = writes(&[("colour", "red")]);
    let b = writes(&[("wheels", "4")]);
    let s = remembered(&a, &[None], at(0));
    let s = remembered(&b, &s, at(100));
    assert_eq!(s[0].as_ref().map(|s| s.written_at), Some(at(0)));
    assert_eq!(decide(&a, &s, at(200), DAY), WriteDecision::Skip);
    assert_eq!(decide(&b, &s, at(200), DAY), WriteDecision::Skip);
    // Once stale, a write replaces the state with its own attributes and time.
    let s = remembered(&a, &s, at(90_000));
    assert_eq!(s[0].as_ref().map(|s| s.written_at), Some(at(90_000)));
    assert_eq!(decide(&a, &s, at(90_001), DAY), WriteDecision::Skip);
    assert_eq!(
        decide(&b, &s, at(90_001), DAY),
        WriteDecision::Write(WriteReason::Changed)
    );
}

#[test]
fn a_write_of_several_records_is_skipped_only_when_all_are_unchanged() {
    let mut w = writes(&[("colour", "red")]);
    w.extend(writes(&[("colour", "blue")]).into_iter().map(|mut r| {
        r.record.object = "other".into();
        r
    }));
    let s = remembered(&w, &[None, None], at(0));
    assert_eq!(decide(&w, &s, at(1), DAY), WriteDecision::Skip);
    assert_eq!(
        decide(&w, &[s[0].clone(), None], at(1), DAY),
        WriteDecision::Write(WriteReason::NotWrittenBefore)
    );
    assert_eq!(
        decide(&[], &[], at(1), DAY),
        WriteDecision::Write(WriteReason::NotWrittenBefore)
    );
}
