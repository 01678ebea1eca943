use super::*;
use crate::{AssertValue, Assertion, AttributeSlug, JsonText, Multiselect, ObjectSlug, WriteMode};

fn kind(_object: &str, attribute: &str) -> AttributeKind {
    match attribute {
        "tags" => AttributeKind::Multiselect,
        "owner" => AttributeKind::Reference,
        "mystery" => AttributeKind::Unknown,
        _ => AttributeKind::Single,
    }
}

fn a(values: &[(&str, &str)], multiselect: Multiselect) -> Assertion<'static> {
    let mut a = Assertion::new(
        ObjectSlug::parse("gadgets").expect("slug"),
        AttributeSlug::parse("code").expect("slug"),
    );
    a.set_json("code", JsonText::string("g1"));
    for (k, v) in values {
        a.set_json(k.to_string(), JsonText::parse(v.to_string()).expect("json"));
    }
    a.multiselect = multiselect;
    a
}

fn run(list: &[Assertion<'static>], mode: WriteMode) -> Coalesced<'static> {
    coalesce(list, mode, &kind).expect("not empty")
}

fn value(c: &Coalesced<'_>, key: &str) -> Option<String> {
    match c.assertion.get(key) {
        Some(AssertValue::Json(j)) => Some(j.as_str().to_owned()),
        _ => None,
    }
}

#[test]
fn an_empty_run_has_nothing_to_send() {
    assert_eq!(coalesce(&[], WriteMode::Upsert, &kind), None);
}

#[test]
fn later_values_win_and_every_attribute_written_is_kept() {
    let c = run(
        &[
            a(&[("title", "\"a\""), ("count", "1")], Multiselect::Append),
            a(&[("title", "\"b\"")], Multiselect::Append),
            a(&[("colour", "\"red\"")], Multiselect::Append),
        ],
        WriteMode::Upsert,
    );
    assert_eq!(c.merged, 3);
    assert_eq!(value(&c, "title").as_deref(), Some("\"b\""));
    assert_eq!(value(&c, "count").as_deref(), Some("1"));
    assert_eq!(value(&c, "colour").as_deref(), Some("\"red\""));
}

#[test]
fn a_clear_followed_by_values_keeps_the_values_and_values_followed_by_a_clear_keep_the_clear() {
    let c = run(
        &[
            a(&[("title", "null"), ("count", "1")], Multiselect::Append),
            a(&[("title", "\"b\""), ("count", "null")], Multiselect::Append),
        ],
        WriteMode::Upsert,
    );
    assert_eq!(c.merged, 2);
    assert_eq!(value(&c, "title").as_deref(), Some("\"b\""));
    assert_eq!(value(&c, "count").as_deref(), Some("null"));
}

#[test]
fn appended_multiselect_values_are_united_in_order() {
    let c = run(
        &[
            a(&[("tags", r#"["x","y"]"#)], Multiselect::Append),
            a(&[("tags", r#""z""#)], Multiselect::Append),
            a(&[("tags", r#"["y","w"]"#)], Multiselect::Append),
        ],
        WriteMode::Upsert,
    );
    assert_eq!(c.merged, 3);
    assert_eq!(value(&c, "tags").as_deref(), Some(r#"["x","y","z","w"]"#));
}

#[test]
fn replaced_multiselect_values_are_the_last_ones() {
    let c = run(
        &[
            a(&[("tags", r#"["x"]"#)], Multiselect::Replace),
            a(&[("tags", r#"["y"]"#)], Multiselect::Replace),
        ],
        WriteMode::Upsert,
    );
    assert_eq!((c.merged, value(&c, "tags").as_deref()), (2, Some(r#"["y"]"#)));
}

#[test]
fn an_appended_multiselect_clear_followed_by_values_ends_the_run() {
    let c = run(
        &[
            a(&[("tags", r#"["x"]"#)], Multiselect::Append),
            a(&[("tags", "null")], Multiselect::Append),
            a(&[("tags", r#"["y"]"#)], Multiselect::Append),
        ],
        WriteMode::Upsert,
    );
    assert_eq!((c.merged, value(&c, "tags").as_deref()), (2, Some("null")));
}

#[test]
fn another_record_other_multiselect_behaviour_or_an_unknown_attribute_ends_the_run() {
    let mut other = a(&[], Multiselect::Append);
    other.set_json("code", JsonText::string("g2"));
    let stops = [
        other,
        a(&[], Multiselect::Replace),
        a(&[("mystery", "2")], Multiselect::Append),
        a(&[("owner", r#""b@x.io""#)], Multiselect::Append),
    ];
    for stop in stops {
        let first = a(&[("mystery", "1"), ("owner", r#""a@x.io""#)], Multiselect::Append);
        let c = run(&[first.clone(), stop.clone(), first.clone()], WriteMode::Upsert);
        assert_eq!(c.merged, 1, "{stop:?}");
        assert_eq!(c.assertion, first);
    }
}

#[test]
fn a_repeated_reference_and_a_new_unknown_attribute_merge() {
    let c = run(
        &[
            a(&[("owner", r#""a@x.io""#)], Multiselect::Append),
            a(&[("owner", r#""a@x.io""#), ("mystery", "1")], Multiselect::Append),
        ],
        WriteMode::Upsert,
    );
    assert_eq!(c.merged, 2);
}

#[test]
fn create_only_sends_the_first_assertion_for_the_whole_run() {
    let list = [
        a(&[("title", "\"a\"")], Multiselect::Append),
        a(&[("title", "\"b\"")], Multiselect::Append),
    ];
    let c = run(&list, WriteMode::CreateOnly);
    assert_eq!((c.merged, c.assertion.clone()), (2, list[0].clone()));
    assert_eq!(run(&list, WriteMode::UpdateOnly).merged, 2);
}

#[test]
fn nested_assertions_of_the_same_record_merge_and_received_at_is_the_last() {
    let nest = |title: &str, at: &str| {
        let mut outer = a(&[], Multiselect::Append);
        let mut inner = a(&[("title", title)], Multiselect::Append);
        inner.object = ObjectSlug::parse("parts").expect("slug");
        outer.set("part", AssertValue::Nested(Box::new(inner)));
        outer.received_at = Some(at.to_owned().into());
        outer
    };
    let c = run(&[nest("\"a\"", "1"), nest("\"b\"", "2")], WriteMode::Upsert);
    assert_eq!(c.merged, 2);
    assert_eq!(c.assertion, nest("\"b\"", "2"));
    let mut elsewhere = nest("\"c\"", "3");
    if let Some(AssertValue::Nested(n)) = elsewhere.values.iter_mut().find(|(k, _)| k == "part").map(|(_, v)| v) {
        n.set_json("code", JsonText::string("other"));
    }
    assert_eq!(run(&[nest("\"a\"", "1"), elsewhere], WriteMode::Upsert).merged, 1);
}

#[test]
fn a_value_only_known_once_sent_is_never_merged() {
    let mut first = a(&[], Multiselect::Append);
    first.set("company", AssertValue::RecordIdOfPreviousReply);
    assert_eq!(run(&[first.clone(), first], WriteMode::Upsert).merged, 1);
}

#[test]
fn an_empty_array_clears_like_null() {
    let c = run(
        &[
            a(&[("tags", r#"["x"]"#)], Multiselect::Append),
            a(&[("tags", "[]")], Multiselect::Append),
            a(&[("tags", r#"["y"]"#)], Multiselect::Append),
        ],
        WriteMode::Upsert,
    );
    assert_eq!((c.merged, value(&c, "tags").as_deref()), (2, Some("[]")));
}

#[test]
fn the_kind_of_an_attribute_comes_from_its_definition() {
    let def = |t: &str, multi: bool| -> crate::ports::AttributeDefinition {
        serde_json::from_value(serde_json::json!({"api_slug": "x", "type": t, "is_multiselect": multi}))
            .expect("definition")
    };
    assert_eq!(
        AttributeKind::of(&def("record-reference", false)),
        AttributeKind::Reference
    );
    assert_eq!(
        AttributeKind::of(&def("record-reference", true)),
        AttributeKind::Reference
    );
    assert_eq!(AttributeKind::of(&def("select", true)), AttributeKind::Multiselect);
    assert_eq!(AttributeKind::of(&def("text", false)), AttributeKind::Single);
}

#[test]
fn the_same_value_written_again_merges_even_when_its_kind_is_unknown() {
    let unknown = |_: &str, _: &str| AttributeKind::Unknown;
    let page_load = a(&[("title", "\"a\""), ("tags", r#"["x"]"#)], Multiselect::Append);
    let c = coalesce(&vec![page_load.clone(); 5], WriteMode::Upsert, &unknown).expect("not empty");
    assert_eq!((c.merged, c.assertion), (5, page_load.clone()));
    let changed = a(&[("title", "\"b\"")], Multiselect::Append);
    let c = coalesce(&[page_load.clone(), changed], WriteMode::Upsert, &unknown).expect("not empty");
    assert_eq!(c.merged, 1);
}
