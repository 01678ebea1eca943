//! How the actions' [`AttioCommand`]s go on the wire: the record-assert paths and their
//! JSON bodies, written without intermediate values (they are on the hot path).

use domain::json_text::write_json_str;
use domain::{AssertValue, Assertion, AttioCommand, Multiselect};
use percent_encoding::utf8_percent_encode;

use super::path::{PATH_SEGMENT, QUERY_VALUE, RECORD_ID_PLACEHOLDER};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
        }
    }
}

/// How a [`AttioCommand`] goes on the wire.
///
/// - `SimpleAssert`: `PUT /v2/objects/{object}/records/simple?matching_attribute=..&append_to_existing_values=true`
/// - `BatchAssert`: `PUT /v2/batch/records` with `{"assertions":[...]}`.
pub trait CommandWire {
    fn method(&self) -> Method;

    /// Path and query, percent-encoded.
    fn path_and_query(&self) -> String;

    /// The JSON body. `previous_record_id` fills [`AssertValue::RecordIdOfPreviousReply`];
    /// with `None` a readable placeholder is written instead (dry runs).
    fn write_body(&self, out: &mut String, previous_record_id: Option<&str>);

    fn body(&self, previous_record_id: Option<&str>) -> String {
        let mut s = String::with_capacity(self.body_len_hint(previous_record_id));
        self.write_body(&mut s, previous_record_id);
        s
    }

    /// The length of the body when no key needs escaping (escapes only lengthen it), so
    /// that a whole batch is written into one allocation.
    fn body_len_hint(&self, previous_record_id: Option<&str>) -> usize;

    /// `METHOD /path?query`, for logs and dry runs.
    fn describe(&self) -> String {
        format!("{} {}", self.method().as_str(), self.path_and_query())
    }
}

impl CommandWire for AttioCommand<'_> {
    fn method(&self) -> Method {
        Method::Put
    }

    fn path_and_query(&self) -> String {
        match self {
            AttioCommand::SimpleAssert(a) => simple_assert_path(a),
            AttioCommand::BatchAssert(_) => super::route::BATCH_RECORDS.to_owned(),
        }
    }

    fn write_body(&self, out: &mut String, previous_record_id: Option<&str>) {
        match self {
            AttioCommand::SimpleAssert(a) => write_simple_body(out, a, previous_record_id),
            AttioCommand::BatchAssert(list) => write_batch_body(out, list, previous_record_id),
        }
    }

    fn body_len_hint(&self, previous_record_id: Option<&str>) -> usize {
        match self {
            AttioCommand::SimpleAssert(a) => SIMPLE_OPEN.len() + values_len(&a.values, previous_record_id) + 2,
            AttioCommand::BatchAssert(list) => {
                let items: usize = list.iter().map(|a| batch_assertion_len(a, previous_record_id)).sum();
                BATCH_OPEN.len() + items + list.len().saturating_sub(1) + 2
            }
        }
    }
}

/// The body of a simple assert of `a` (what [`CommandWire::body`] writes for
/// `AttioCommand::SimpleAssert`), from a borrowed assertion.
pub fn simple_assert_body(a: &Assertion<'_>, previous_record_id: Option<&str>) -> String {
    let mut out = String::with_capacity(SIMPLE_OPEN.len() + values_len(&a.values, previous_record_id) + 2);
    write_simple_body(&mut out, a, previous_record_id);
    out
}

/// The body of a batch assert of `list` (what [`CommandWire::body`] writes for
/// `AttioCommand::BatchAssert`), from borrowed assertions.
pub fn batch_assert_body(list: &[Assertion<'_>]) -> String {
    let items: usize = list.iter().map(|a| batch_assertion_len(a, None)).sum();
    let mut out = String::with_capacity(BATCH_OPEN.len() + items + list.len().saturating_sub(1) + 2);
    write_batch_body(&mut out, list, None);
    out
}

fn write_batch_body(out: &mut String, list: &[Assertion<'_>], previous_record_id: Option<&str>) {
    out.push_str(BATCH_OPEN);
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_batch_assertion(out, a, previous_record_id);
    }
    out.push_str("]}");
}

fn write_simple_body(out: &mut String, a: &Assertion<'_>, previous_record_id: Option<&str>) {
    out.push_str(SIMPLE_OPEN);
    write_values(out, &a.values, previous_record_id);
    out.push_str("}}");
}

/// `/v2/objects/{object}/records/simple?matching_attribute=..&append_to_existing_values=true`
/// (Without `append_to_existing_values` when the assertion replaces multiselect values.)
pub fn simple_assert_path(a: &Assertion<'_>) -> String {
    let end = match a.multiselect {
        Multiselect::Append => "&append_to_existing_values=true",
        Multiselect::Replace => "",
    };
    assert_path(a, "/records/simple?matching_attribute=", end)
}

/// `/v2/objects/{object}{middle}{matching_attribute}{end}`, built without formatting
/// machinery (it is written for every single-mode request).
fn assert_path(a: &Assertion<'_>, middle: &str, end: &str) -> String {
    let (object, matching) = (a.object.as_str(), a.matching_attribute.as_str());
    let mut s = String::with_capacity(12 + object.len() + middle.len() + matching.len() + end.len());
    s.push_str("/v2/objects/");
    s.extend(utf8_percent_encode(object, PATH_SEGMENT));
    s.push_str(middle);
    s.extend(utf8_percent_encode(matching, QUERY_VALUE));
    s.push_str(end);
    s
}

/// The documented assert: `/v2/objects/{object}/records?matching_attribute=..`.
pub fn documented_assert_path(a: &Assertion<'_>) -> String {
    assert_path(a, "/records?matching_attribute=", "")
}

const SIMPLE_OPEN: &str = "{\"data\":{\"values\":";
const BATCH_OPEN: &str = "{\"assertions\":[";
const OBJECT: &str = "{\"object\":";
const MODE: &str = ",\"mode\":\"create-or-update\",\"matching_attribute\":";
const MULTISELECT: &str = ",\"multiselect_values\":";
const VALUES: &str = ",\"values\":";
const RECEIVED_AT: &str = ",\"received_at\":";

/// `"s"` when `s` needs no escape.
fn quoted_len(s: &str) -> usize {
    s.len() + 2
}

fn values_len(values: &[(std::borrow::Cow<'_, str>, AssertValue<'_>)], prev: Option<&str>) -> usize {
    let entries: usize = values
        .iter()
        .map(|(k, v)| {
            quoted_len(k)
                + 1
                + match v {
                    AssertValue::Json(j) => j.as_str().len(),
                    AssertValue::Nested(n) => batch_assertion_len(n, prev),
                    AssertValue::RecordIdOfPreviousReply => quoted_len(prev.unwrap_or(RECORD_ID_PLACEHOLDER)),
                }
        })
        .sum();
    2 + entries + values.len().saturating_sub(1)
}

fn batch_assertion_len(a: &Assertion<'_>, prev: Option<&str>) -> usize {
    OBJECT.len()
        + quoted_len(a.object.as_str())
        + MODE.len()
        + quoted_len(a.matching_attribute.as_str())
        + MULTISELECT.len()
        + quoted_len(a.multiselect.batch_value())
        + VALUES.len()
        + values_len(&a.values, prev)
        + a.received_at.as_ref().map_or(0, |r| RECEIVED_AT.len() + quoted_len(r))
        + 1
}

fn write_values(out: &mut String, values: &[(std::borrow::Cow<'_, str>, AssertValue<'_>)], prev: Option<&str>) {
    out.push('{');
    for (i, (k, v)) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_str(out, k);
        out.push(':');
        match v {
            AssertValue::Json(j) => out.push_str(j.as_str()),
            AssertValue::Nested(n) => write_batch_assertion(out, n, prev),
            AssertValue::RecordIdOfPreviousReply => write_json_str(out, prev.unwrap_or(RECORD_ID_PLACEHOLDER)),
        }
    }
    out.push('}');
}

fn write_batch_assertion(out: &mut String, a: &Assertion<'_>, prev: Option<&str>) {
    out.push_str(OBJECT);
    write_json_str(out, a.object.as_str());
    out.push_str(MODE);
    write_json_str(out, a.matching_attribute.as_str());
    out.push_str(MULTISELECT);
    write_json_str(out, a.multiselect.batch_value());
    out.push_str(VALUES);
    write_values(out, &a.values, prev);
    if let Some(r) = &a.received_at {
        out.push_str(RECEIVED_AT);
        write_json_str(out, r);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{AttributeSlug, JsonText, ObjectSlug};

    #[test]
    fn matching_attribute_cannot_inject_query_parameters() {
        let a = Assertion::new(
            ObjectSlug::parse("my obj").unwrap(),
            AttributeSlug::parse("a&b=c#d").unwrap(),
        );
        assert_eq!(
            AttioCommand::SimpleAssert(a).path_and_query(),
            "/v2/objects/my%20obj/records/simple?matching_attribute=a%26b%3Dc%23d&append_to_existing_values=true"
        );
    }

    #[test]
    fn documented_path_encodes_like_the_simple_one() {
        let a = Assertion::new(
            ObjectSlug::parse("a/b c").unwrap(),
            AttributeSlug::parse("x&y").unwrap(),
        );
        assert_eq!(
            documented_assert_path(&a),
            "/v2/objects/a%2Fb%20c/records?matching_attribute=x%26y"
        );
    }

    #[test]
    fn object_slash_is_encoded_in_the_path() {
        let a = Assertion::new(ObjectSlug::parse("a/b?c").unwrap(), AttributeSlug::EMAIL_ADDRESSES);
        assert!(simple_assert_path(&a).starts_with("/v2/objects/a%2Fb%3Fc/records/simple?"));
    }

    #[test]
    fn simple_body_lists_values_in_order() {
        let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
        a.set_json("email_addresses", JsonText::string("a@b.co"));
        a.set_json("n", JsonText::trusted("null"));
        let body = AttioCommand::SimpleAssert(a).body(None);
        assert_eq!(body, r#"{"data":{"values":{"email_addresses":"a@b.co","n":null}}}"#);
    }

    #[test]
    fn borrowed_bodies_are_the_commands_bodies() {
        let mut a = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
        a.set_json("email_addresses", JsonText::string("a@b.co"));
        a.set_json("name", JsonText::string("A \"B\""));
        let mut b = a.clone();
        b.set_json("email_addresses", JsonText::string("c@d.co"));
        for prev in [None, Some("rec-1")] {
            assert_eq!(
                simple_assert_body(&a, prev),
                AttioCommand::SimpleAssert(a.clone()).body(prev)
            );
        }
        let list = vec![a, b];
        assert_eq!(
            batch_assert_body(&list),
            AttioCommand::BatchAssert(list.clone()).body(None)
        );
    }

    #[test]
    fn batch_body_nests_assertions_with_received_at() {
        let mut inner = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
        inner.set_json("email_addresses", JsonText::string("a@b.co"));
        inner.received_at = Some("R".into());
        let mut outer = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        outer.set_json("user_id", JsonText::string("u1"));
        outer.set("person", AssertValue::Nested(Box::new(inner)));
        outer.received_at = Some("R".into());
        let body = AttioCommand::BatchAssert(vec![outer]).body(None);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v["assertions"][0]["values"]["person"]["values"]["email_addresses"],
            "a@b.co"
        );
        assert_eq!(v["assertions"][0]["multiselect_values"], "append");
        assert_eq!(v["assertions"][0]["received_at"], "R");
    }

    #[test]
    fn body_length_hint_is_exact_when_nothing_needs_escaping() {
        let mut inner = Assertion::new(ObjectSlug::PEOPLE, AttributeSlug::EMAIL_ADDRESSES);
        inner.set_json("email_addresses", JsonText::string("a@b.co"));
        inner.received_at = Some("2024-05-24T10:00:00.000Z".into());
        let mut outer = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        outer.set_json("user_id", JsonText::string("u1"));
        outer.set_json("tags", JsonText::trusted("[1,{\"a\":null}]"));
        outer.set("person", AssertValue::Nested(Box::new(inner)));
        outer.set("company", AssertValue::RecordIdOfPreviousReply);
        let empty = Assertion::new(ObjectSlug::USERS, AttributeSlug::USER_ID);
        let commands = [
            AttioCommand::BatchAssert(vec![outer.clone(), empty.clone(), outer.clone()]),
            AttioCommand::BatchAssert(vec![]),
            AttioCommand::SimpleAssert(outer),
            AttioCommand::SimpleAssert(empty),
        ];
        for cmd in &commands {
            for prev in [None, Some("rec-1")] {
                assert_eq!(cmd.body_len_hint(prev), cmd.body(prev).len(), "{cmd:?}");
            }
        }
    }

    #[test]
    fn record_id_placeholder_is_filled_from_previous_reply() {
        let mut a = Assertion::new(ObjectSlug::WORKSPACES, AttributeSlug::WORKSPACE_ID);
        a.set("company", AssertValue::RecordIdOfPreviousReply);
        let cmd = AttioCommand::SimpleAssert(a);
        assert_eq!(cmd.body(Some("rec-1")), r#"{"data":{"values":{"company":"rec-1"}}}"#);
        assert!(cmd.body(None).contains("<record_id"));
    }

    #[test]
    fn assert_paths_route_to_the_endpoints_the_simulator_serves() {
        use crate::wire::route::Route;
        let a = Assertion::new(ObjectSlug::parse("my obj").unwrap(), AttributeSlug::EMAIL_ADDRESSES);
        let path = |p: String| p.split('?').next().unwrap_or_default().to_owned();
        let simple = AttioCommand::SimpleAssert(a.clone());
        assert_eq!(
            Route::parse(simple.method().as_str(), &path(simple.path_and_query())),
            Route::AssertSimple("my obj".into())
        );
        let batch = AttioCommand::BatchAssert(vec![a.clone()]);
        assert_eq!(
            Route::parse(batch.method().as_str(), &batch.path_and_query()),
            Route::Batch
        );
        assert_eq!(
            Route::parse("PUT", &path(documented_assert_path(&a))),
            Route::Assert("my obj".into())
        );
    }
}
