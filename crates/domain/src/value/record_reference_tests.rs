use super::*;

const ID: &str = "891dcbfc-9141-415d-9b2a-2238a6cc012d";

fn parse(v: Value, allowed: &[&str]) -> Result<RecordReference, ValueProblem> {
    record_reference_from_json(&v, allowed)
}

fn written(v: Value, allowed: &[&str]) -> Value {
    parse(v, allowed).expect("valid reference").to_write_json()
}

fn message(v: Value, allowed: &[&str]) -> String {
    parse(v, allowed).expect_err("invalid reference").to_string()
}

#[test]
fn shorthand_strings_match_by_the_standard_unique_attribute() {
    assert_eq!(
        written(json!("https://Acme.com/about"), &["companies"]),
        json!({"target_object": "companies", "domains": [{"domain": "acme.com"}]})
    );
    assert_eq!(
        written(json!("joe@acme.com"), &["people"]),
        json!({"target_object": "people", "email_addresses": [{"email_address": "joe@acme.com"}]})
    );
    assert_eq!(
        written(json!("user1234"), &["users"]),
        json!({"target_object": "users", "user_id": [{"value": "user1234"}]})
    );
    assert_eq!(
        written(json!("ws-1"), &["workspaces"]),
        json!({"target_object": "workspaces", "workspace_id": [{"value": "ws-1"}]})
    );
}

#[test]
fn a_bare_uuid_is_a_record_id_except_for_users_and_workspaces() {
    for target in ["companies", "people", "projects"] {
        assert_eq!(
            written(json!(ID.to_uppercase()), &[target]),
            json!({"target_object": target, "target_record_id": ID}),
            "{target}"
        );
    }
    assert_eq!(
        written(json!(ID), &["users"]),
        json!({"target_object": "users", "user_id": [{"value": ID}]})
    );
}

#[test]
fn shorthand_needs_exactly_one_known_target() {
    let expected = "is not a valid record reference: a string names a record only when the attribute targets \
                    exactly one of companies, people, users or workspaces (known targets: not known); write \
                    {\"target_object\", \"target_record_id\"} instead";
    assert_eq!(message(json!("acme.com"), &[]), expected);
    assert!(message(json!("acme.com"), &["companies", "people"]).contains("(known targets: companies, people)"));
    assert!(message(json!("some-name"), &["projects"]).contains("(known targets: projects)"));
    assert_eq!(
        message(json!("not a domain"), &["companies"]),
        "is not a valid record reference: the domain to match on it contains ' ', which a host name cannot"
    );
    assert_eq!(
        message(json!("joe"), &["people"]),
        "is not a valid record reference: the email address to match on has no '@'"
    );
    assert_eq!(
        message(json!(" "), &["users"]),
        "is not a valid record reference: the value to match on is empty"
    );
}

#[test]
fn object_form_by_record_id() {
    let v = json!({"target_object": "companies", "target_record_id": ID});
    assert_eq!(written(v.clone(), &["companies"]), v);
    assert_eq!(written(v.clone(), &[]), v);
    assert_eq!(
        message(json!({"target_object": "companies", "target_record_id": "42"}), &[]),
        "is not a valid record reference: target_record_id \"42\" is not a hyphenated UUID"
    );
    assert_eq!(
        message(
            json!({"target_object": "people", "target_record_id": ID}),
            &["companies"]
        ),
        "is not a valid record reference: target object \"people\" is not one this attribute allows (companies)"
    );
    // An object id cannot be checked against the allowed slugs.
    let by_object_id = json!({"target_object": ID, "target_record_id": ID});
    assert_eq!(written(by_object_id.clone(), &["companies"]), by_object_id);
}

#[test]
fn object_form_by_matching_attribute() {
    for v in [
        json!({"target_object": "companies", "domains": [{"domain": "acme.com"}]}),
        json!({"target_object": "people", "email_addresses": [{"email_address": "a@b.com"}]}),
        json!({"target_object": "deals", "deal_number": [{"value": 17224912.0}]}),
        json!({"target_object": "users", "user_id": [{"value": "u-1"}]}),
        json!({"target_object": "people", "phone_numbers": [{"original_phone_number": "07234172834", "country_code": "GB"}]}),
    ] {
        assert_eq!(written(v.clone(), &[]), v);
    }
}

#[test]
fn malformed_object_forms_say_what_is_wrong() {
    assert_eq!(
        message(json!({"target_record_id": ID}), &[]),
        "lacks the required key \"target_object\""
    );
    assert_eq!(
        message(json!({"target_object": "companies"}), &[]),
        "is not a valid record reference: it names no record: add \"target_record_id\" or one matching attribute"
    );
    assert_eq!(
        message(
            json!({"target_object": "companies", "domains": {"domain": "acme.com"}}),
            &[]
        ),
        "is not a valid record reference: \"domains\" must hold an array with exactly one value object"
    );
    assert_eq!(
        message(
            json!({"target_object": "companies", "domains": [{"domain": "a.com"}, {"domain": "b.com"}]}),
            &[]
        ),
        "is not a valid record reference: \"domains\" must hold an array with exactly one value object"
    );
    assert_eq!(
        message(json!({"target_object": "companies", "domains": [{"url": "acme.com"}]}), &[]),
        "is not a valid record reference: the value to match on under \"domains\" is not a domain, email_address, value or phone number object"
    );
    assert!(message(
        json!({"target_object": "companies", "domains": [{"domain": "a.com"}], "target_record_id": ID}),
        &[]
    )
    .contains("more than one attribute (domains, target_record_id)"));
    assert!(parse(json!({"target_object": "", "target_record_id": ID}), &[]).is_err());
    assert!(parse(json!(12), &["companies"]).is_err());
}
