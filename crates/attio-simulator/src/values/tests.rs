use serde_json::json;

use super::*;
use crate::schema::Schema;

fn parse(object: &str, slug: &str, mode: WriteMode, raw: Value) -> Result<Parsed, ApiError> {
    let schema = Schema::build(None, &[]).expect("schema");
    let o = schema.object(object).expect("object");
    let a = o.attribute(slug).expect("attribute");
    parse_write(
        &ValueContext {
            schema: &schema,
            object: o,
            mode,
        },
        a,
        &raw,
    )
}

fn plain(p: Parsed) -> Vec<Map<String, Value>> {
    match p {
        Parsed::Items(items) => items
            .into_iter()
            .filter_map(|i| match i {
                Item::Plain(m) => Some(m),
                Item::Reference(_) => None,
            })
            .collect(),
        Parsed::Clear => Vec::new(),
    }
}

#[test]
fn emails_get_attios_derived_fields() {
    let m = plain(
        parse(
            "people",
            "email_addresses",
            WriteMode::Simple,
            json!("Alice+x@App.Attio.com"),
        )
        .expect("ok"),
    );
    assert_eq!(m[0]["email_address"], json!("alice+x@app.attio.com"));
    assert_eq!(m[0]["email_root_domain"], json!("attio.com"));
    assert_eq!(m[0]["email_local_specifier"], json!("alice"));
}

#[test]
fn strict_mode_refuses_bare_multiselect_values_and_simple_accepts_them() {
    let e = parse("companies", "domains", WriteMode::Strict, json!("acme.com")).unwrap_err();
    assert_eq!(e.code, "validation_type");
    let m = plain(
        parse(
            "companies",
            "domains",
            WriteMode::Simple,
            json!("https://www.acme.com/x"),
        )
        .expect("ok"),
    );
    assert_eq!(m.len(), 1);
}

#[test]
fn unknown_select_option_is_value_not_found() {
    let e = parse("companies", "categories", WriteMode::Strict, json!(["Nope"])).unwrap_err();
    assert_eq!(e.code, "value_not_found");
    let ok = plain(parse("companies", "categories", WriteMode::Strict, json!(["B2B"])).expect("ok"));
    assert_eq!(ok[0]["option"]["title"], json!("B2B"));
}

#[test]
fn currency_takes_the_attribute_default_code() {
    let m = plain(parse("deals", "value", WriteMode::Strict, json!(12.5)).expect("ok"));
    assert_eq!(
        (m[0]["currency_value"].clone(), m[0]["currency_code"].clone()),
        (json!(12.5), json!("USD"))
    );
}

#[test]
fn status_titles_resolve_and_unknown_ones_do_not() {
    let m = plain(parse("deals", "stage", WriteMode::Strict, json!("Lead")).expect("ok"));
    assert_eq!(m[0]["status"]["title"], json!("Lead"));
    assert_eq!(
        parse("deals", "stage", WriteMode::Strict, json!("Nope"))
            .unwrap_err()
            .code,
        "value_not_found"
    );
}

#[test]
fn bare_uuid_is_a_record_id_only_on_the_simple_endpoint() {
    let id = "6f1c8a4e-1d2b-4c3a-9e8f-0a1b2c3d4e5f";
    let simple = parse("workspaces", "company", WriteMode::Simple, json!(id)).expect("ok");
    assert!(
        matches!(&simple, Parsed::Items(i) if matches!(&i[0], Item::Reference(RefSpec::Id { object, .. }) if object == "companies"))
    );
    assert!(
        parse("workspaces", "company", WriteMode::Strict, json!(id)).is_err(),
        "a UUID is not a domain"
    );
}

#[test]
fn shorthand_references_match_on_the_targets_unique_attribute() {
    let p = parse("users", "person", WriteMode::Simple, json!("a@b.com")).expect("ok");
    let Parsed::Items(items) = p else {
        panic!("items expected")
    };
    assert!(
        matches!(&items[0], Item::Reference(RefSpec::Match { object, attribute, .. })
        if object == "people" && attribute == "email_addresses")
    );
}

#[test]
fn read_only_attributes_are_refused_and_null_clears() {
    assert_eq!(
        parse("people", "record_id", WriteMode::Strict, json!("x"))
            .unwrap_err()
            .code,
        "validation_type"
    );
    assert_eq!(
        parse("people", "job_title", WriteMode::Strict, Value::Null).expect("ok"),
        Parsed::Clear
    );
}

#[test]
fn timestamps_are_stored_with_nine_fraction_digits() {
    let m = plain(parse("people", "job_title", WriteMode::Strict, json!("x")).expect("ok"));
    assert_eq!(m[0]["value"], json!("x"));
    let schema = Schema::build(None, &[]).expect("schema");
    let o = schema.object("people").expect("people");
    let mut a = o.attribute("job_title").expect("attr").clone();
    a.attribute_type = AttributeType::Timestamp;
    let ctx = ValueContext {
        schema: &schema,
        object: o,
        mode: WriteMode::Strict,
    };
    let m = plain(parse_write(&ctx, &a, &json!("2023-01-02T15:00:00+02:00")).expect("ok"));
    assert_eq!(m[0]["value"], json!("2023-01-02T13:00:00.000000000Z"));
}
