use super::*;
use crate::value::StatusRef;
use serde_json::json;

fn spec(slug: &str, t: AttributeType) -> AttributeSpec<'_> {
    AttributeSpec::new(slug, t)
}

fn one(spec: &AttributeSpec<'_>, v: Value) -> AttributeValue {
    match parse_write(spec, &v) {
        Ok(WriteValue::One(x)) => x,
        other => panic!("expected one value for {v}, got {other:?}"),
    }
}

fn many(spec: &AttributeSpec<'_>, v: Value) -> Vec<AttributeValue> {
    match parse_write(spec, &v) {
        Ok(WriteValue::Many(xs)) => xs,
        other => panic!("expected several values for {v}, got {other:?}"),
    }
}

fn error(spec: &AttributeSpec<'_>, v: Value) -> String {
    parse_write(spec, &v).expect_err("invalid value").to_string()
}

#[test]
fn null_and_empty_array_clear_any_attribute() {
    for t in AttributeType::ALL
        .into_iter()
        .filter(|t| *t != AttributeType::Interaction)
    {
        for multi in [false, true] {
            let s = spec("a", t).multiselect(multi);
            assert_eq!(parse_write(&s, &json!(null)), Ok(WriteValue::Clear), "{t}");
            assert_eq!(parse_write(&s, &json!([])), Ok(WriteValue::Clear), "{t}");
        }
    }
}

#[test]
fn interaction_is_never_writable() {
    let s = spec("last_interaction", AttributeType::Interaction);
    assert_eq!(
        error(&s, json!(null)),
        "attribute \"last_interaction\" (interaction): null cannot be written: interaction values are recorded by Attio itself"
    );
    assert!(parse_write(&s, &json!({"interaction_type": "email"})).is_err());
    assert!(parse_write(&s.multiselect(true), &json!([])).is_err());
}

#[test]
fn single_attributes_take_a_bare_value_or_one_element_array() {
    let s = spec("job_title", AttributeType::Text);
    assert_eq!(one(&s, json!("CEO")), AttributeValue::Text("CEO".into()));
    assert_eq!(one(&s, json!(["CEO"])), AttributeValue::Text("CEO".into()));
    assert_eq!(one(&s, json!([{"value": "CEO"}])), AttributeValue::Text("CEO".into()));
    assert_eq!(
        one(&spec("done", AttributeType::Checkbox), json!([true])),
        AttributeValue::Checkbox(true)
    );
    assert_eq!(
        error(&s, json!(["a", "b"])),
        "attribute \"job_title\" (text): [\"a\",\"b\"] holds 2 values, but the attribute takes a single value"
    );
}

#[test]
fn multiselect_attributes_take_arrays_and_a_bare_value_as_one_element() {
    let s = spec("domains", AttributeType::Domain).multiselect(true);
    let values = many(&s, json!(["acme.com", {"domain": "https://www.acme.co.uk/x"}]));
    let hosts: Vec<String> = values
        .iter()
        .map(|v| match v {
            AttributeValue::Domain(d) => d.as_str().to_owned(),
            other => panic!("not a domain: {other:?}"),
        })
        .collect();
    assert_eq!(hosts, ["acme.com", "www.acme.co.uk"]);
    assert_eq!(many(&s, json!("acme.com")).len(), 1);
}

#[test]
fn errors_in_arrays_name_the_item() {
    let s = spec("email_addresses", AttributeType::EmailAddress).multiselect(true);
    assert_eq!(
        error(&s, json!(["a@b.co", "nope"])),
        "attribute \"email_addresses\" (email-address), item 1: \"nope\" is not a valid email address: it has no '@'"
    );
    assert_eq!(
        error(&s, json!(["a@b.co", null])),
        "attribute \"email_addresses\" (email-address), item 1: null is null inside an array; send null or [] alone to clear the attribute"
    );
    assert_eq!(
        error(&s, json!([["a@b.co"]])),
        "attribute \"email_addresses\" (email-address), item 0: [\"a@b.co\"] is an array inside an array"
    );
}

#[test]
fn the_documented_phone_error_reads_as_specified() {
    let s = spec("phone_numbers", AttributeType::PhoneNumber).multiselect(true);
    assert_eq!(
        error(&s, json!("+1123")),
        "attribute \"phone_numbers\" (phone-number): \"+1123\" is not a valid E.164 phone number: too few digits"
    );
}

#[test]
fn each_type_reads_its_shorthand() {
    let s = |t| spec("x", t);
    assert_eq!(one(&s(AttributeType::Number), json!(3.5)), AttributeValue::Number(3.5));
    assert_eq!(
        one(&s(AttributeType::Checkbox), json!("false")),
        AttributeValue::Checkbox(false)
    );
    let usd = spec("value", AttributeType::Currency).default_currency_code(Some("USD"));
    match one(&usd, json!("4.99")) {
        AttributeValue::Currency(c) => assert_eq!((c.value(), c.code().map(|c| c.as_str())), (4.99, Some("USD"))),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        one(&s(AttributeType::Date), json!("2023-01-02T23:00:00-10:00")).to_write_json(),
        json!({"value": "2023-01-03"})
    );
    assert_eq!(
        one(&s(AttributeType::Timestamp), json!("2023-01-02T13:00:00+02:00")).to_write_json(),
        json!({"value": "2023-01-02T11:00:00.000000000Z"})
    );
    assert_eq!(
        one(&s(AttributeType::Rating), json!(4)).to_write_json(),
        json!({"value": 4})
    );
    assert_eq!(
        one(&s(AttributeType::Status), json!("In Progress")),
        AttributeValue::Status(StatusRef::Title("In Progress".into()))
    );
    assert_eq!(
        one(&s(AttributeType::Select), json!("Medium")).to_write_json(),
        json!({"option": "Medium"})
    );
    let company = spec("company", AttributeType::RecordReference).allowed_targets(&["companies"]);
    assert_eq!(
        one(&company, json!("acme.com")).to_write_json(),
        json!({"target_object": "companies", "domains": [{"domain": "acme.com"}]})
    );
    assert_eq!(
        one(&s(AttributeType::ActorReference), json!("alice@attio.com")).to_write_json(),
        json!({"workspace_member_email_address": "alice@attio.com"})
    );
    assert_eq!(
        one(&s(AttributeType::Location), json!("Paris, FR")).to_write_json()["locality"],
        json!("Paris")
    );
    assert_eq!(
        one(&s(AttributeType::EmailAddress), json!(" a@b.com ")).to_write_json(),
        json!({"email_address": "a@b.com"})
    );
    assert_eq!(
        one(&s(AttributeType::PhoneNumber), json!("+447777777777")).to_write_json(),
        json!({"original_phone_number": "+447777777777", "country_code": "GB"})
    );
    assert_eq!(
        one(&s(AttributeType::PersonalName), json!("Bloggs, Joe")).to_write_json(),
        json!({"first_name": "Joe", "last_name": "Bloggs", "full_name": "Joe Bloggs"})
    );
}

#[test]
fn email_object_form_and_errors() {
    let s = spec("email", AttributeType::EmailAddress);
    assert_eq!(
        one(&s, json!({"email_address": "x@y.io"})).to_write_json(),
        json!({"email_address": "x@y.io"})
    );
    assert_eq!(
        error(&s, json!({"email": "x@y.io"})),
        "attribute \"email\" (email-address): {\"email\":\"x@y.io\"} has the unknown key \"email\""
    );
    assert_eq!(
        error(&s, json!(5)),
        "attribute \"email\" (email-address): 5 is a number, expected an email address string or {\"email_address\": string}"
    );
}

#[test]
fn every_value_reports_its_type() {
    let values = [
        json!("t"),
        json!(1),
        json!(true),
        json!(1),
        json!("2023"),
        json!("2023"),
        json!(1),
        json!("S"),
        json!("O"),
        json!({"target_object": "people", "target_record_id": "891dcbfc-9141-415d-9b2a-2238a6cc012d"}),
        json!("a@b.co"),
        json!("Paris"),
        json!("a.co"),
        json!("a@b.co"),
        json!("+447777777777"),
        json!("Joe"),
    ];
    let writable = AttributeType::ALL
        .into_iter()
        .filter(|t| *t != AttributeType::Interaction);
    for (t, v) in writable.zip(values) {
        assert_eq!(one(&spec("x", t), v).attribute_type(), t);
    }
}

#[test]
fn write_value_helpers() {
    let s = spec("domains", AttributeType::Domain).multiselect(true);
    let w = parse_write(&s, &json!(["a.com", "b.com"])).unwrap();
    assert_eq!(w.values().len(), 2);
    assert!(!w.is_clear());
    assert_eq!(w.to_write_json(), json!([{"domain": "a.com"}, {"domain": "b.com"}]));
    assert_eq!(WriteValue::Clear.to_write_json(), json!([]));
    assert!(WriteValue::Clear.values().is_empty());
}
