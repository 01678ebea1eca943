use reqwest::Method;
use serde_json::json;

use super::*;

#[tokio::test]
async fn assert_creates_then_updates_the_matching_record() {
    let sim = start_unlimited().await;
    let (s, first) = assert_record(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": ["a@x.com"], "job_title": "CEO"}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, second) = assert_record(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": ["a@x.com"], "job_title": "CTO"}),
    )
    .await;
    assert_eq!(first["data"]["id"], second["data"]["id"]);
    assert_eq!(field(&second["data"], "job_title", "value"), [json!("CTO")]);
    assert_eq!(sim.records("people").len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn documented_assert_needs_arrays_for_multiselect_but_simple_takes_bare_values() {
    let sim = start_unlimited().await;
    let (s, body) = assert_record(&sim, "companies", "domains", json!({"domains": "acme.com"})).await;
    assert_eq!((s, body["code"].clone()), (400, json!("validation_type")));
    assert_eq!(body["message"], json!("An invalid value was passed to attribute with slug \"domains\": multiselect attributes take an array of values."));
    let (s, _) = simple(&sim, "companies", "domains", json!({"domains": "acme.com"})).await;
    assert_eq!(s, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn matching_attribute_errors_use_attios_codes() {
    let sim = start_unlimited().await;
    let (s, b) = assert_record(&sim, "people", "nope", json!({"email_addresses": ["a@x.com"]})).await;
    assert_eq!((s, b["code"].clone()), (400, json!("value_not_found")));
    let (s, b) = assert_record(&sim, "people", "job_title", json!({"job_title": "x"})).await;
    assert_eq!(
        (s, b["code"].clone()),
        (400, json!("matching_attribute_definition_not_unique"))
    );
    let (s, b) = assert_record(&sim, "person", "email_addresses", json!({})).await;
    assert_eq!((s, b["code"].clone()), (404, json!("not_found")));
    let (s, b) = assert_record(&sim, "people", "email_addresses", json!({"job_title": "x"})).await;
    assert_eq!((s, b["code"].clone()), (400, json!("missing_value")));
    let (s, b) = assert_record(&sim, "users", "user_id", json!({"user_id": "u1"})).await;
    assert_eq!(
        (s, b["code"].clone()),
        (400, json!("missing_value")),
        "primary_email_address is required"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn unique_values_of_another_record_conflict() {
    let sim = start_unlimited().await;
    let (s, _) = simple(
        &sim,
        "users",
        "user_id",
        json!({"user_id": "u1", "primary_email_address": "a@x.com"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, b) = simple(
        &sim,
        "users",
        "user_id",
        json!({"user_id": "u2", "primary_email_address": "A@x.com"}),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("uniqueness_conflict")));
    sim.shutdown().await;
}

#[tokio::test]
async fn append_flag_appends_multiselects_and_its_absence_replaces_them() {
    let sim = start_unlimited().await;
    simple(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": "a@x.com", "phone_numbers": "+447777777777"}),
    )
    .await;
    let (_, b) = simple(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": "a@x.com", "phone_numbers": "+33612345678"}),
    )
    .await;
    assert_eq!(field(&b["data"], "phone_numbers", "phone_number").len(), 2);
    let (_, b) = call(
        &sim,
        Method::PUT,
        "/v2/objects/people/records/simple?matching_attribute=email_addresses",
        Some(json!({"data": {"values": {"email_addresses": "a@x.com", "phone_numbers": "+33612345678"}}})),
    )
    .await;
    assert_eq!(
        field(&b["data"], "phone_numbers", "phone_number"),
        [json!("+33612345678")]
    );
    let (_, b) = assert_record(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": ["b@x.com", "a@x.com"]}),
    )
    .await;
    assert_eq!(
        field(&b["data"], "email_addresses", "email_address"),
        [json!("a@x.com"), json!("b@x.com")]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn null_unsets_and_empty_array_clears() {
    let sim = start_unlimited().await;
    simple(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": "a@x.com", "job_title": "CEO", "phone_numbers": ["+447777777777"]}),
    )
    .await;
    let (_, b) = assert_record(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": ["a@x.com"], "job_title": null, "phone_numbers": []}),
    )
    .await;
    assert_eq!(b["data"]["values"]["job_title"], json!([]));
    assert_eq!(b["data"]["values"]["phone_numbers"], json!([]));
    let (s, b) = simple(&sim, "workspaces", "workspace_id", json!({"workspace_id": "w1"})).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = simple(&sim, "workspaces", "workspace_id", json!({"workspace_id": null})).await;
    assert_eq!((s, b["code"].clone()), (400, json!("missing_value")));
    sim.shutdown().await;
}

#[tokio::test]
async fn segment_identify_and_group_link_both_sides_of_relationships() {
    let sim = start_unlimited().await;
    simple(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": "gob@bluth.com"}),
    )
    .await;
    let (s, user) = simple(
        &sim,
        "users",
        "user_id",
        json!({"primary_email_address": "gob@bluth.com", "person": "gob@bluth.com", "user_id": "u1"}),
    )
    .await;
    assert_eq!(s, 200, "{user}");
    let (_, company) = simple(&sim, "companies", "domains", json!({"domains": "bluth.com"})).await;
    let company_id = company["data"]["id"]["record_id"].as_str().expect("id").to_owned();
    let (s, ws) = simple(
        &sim,
        "workspaces",
        "workspace_id",
        json!({"workspace_id": "w1", "company": company_id, "users": ["u1"]}),
    )
    .await;
    assert_eq!(s, 200, "{ws}");
    let person = &sim.records("people")[0];
    assert_eq!(
        field(person, "associated_users", "target_record_id"),
        [user["data"]["id"]["record_id"].clone()]
    );
    let company = &sim.records("companies")[0];
    assert_eq!(
        field(company, "associated_workspaces", "target_record_id"),
        [ws["data"]["id"]["record_id"].clone()]
    );
    let user = &sim.records("users")[0];
    assert_eq!(
        field(user, "workspace", "target_record_id"),
        [ws["data"]["id"]["record_id"].clone()]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn simple_creates_a_missing_person_but_documented_assert_refuses() {
    let sim = start_unlimited().await;
    let (s, b) = assert_record(
        &sim,
        "users",
        "user_id",
        json!({"primary_email_address": "n@x.com", "person": "n@x.com", "user_id": "u9"}),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("value_not_found")));
    let (s, _) = simple(
        &sim,
        "users",
        "user_id",
        json!({"primary_email_address": "n@x.com", "person": "n@x.com", "user_id": "u9"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        field(&sim.records("people")[0], "email_addresses", "email_address"),
        [json!("n@x.com")]
    );
    let (s, b) = simple(
        &sim,
        "workspaces",
        "workspace_id",
        json!({"workspace_id": "w", "users": ["nobody"]}),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("value_not_found")));
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_values_name_the_attribute() {
    let sim = start_unlimited().await;
    let (s, b) = simple(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": "not an email"}),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("validation_type")));
    assert!(b["message"]
        .as_str()
        .expect("msg")
        .starts_with("An invalid value was passed to attribute with slug \"email_addresses\""));
    let (s, b) = simple(
        &sim,
        "companies",
        "domains",
        json!({"domains": "a.com", "categories": ["Nope"]}),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("value_not_found")));
    let (s, b) = simple(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": "a@x.com", "shoe_size": 4}),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("value_not_found")));
    sim.shutdown().await;
}

#[tokio::test]
async fn patch_appends_and_put_overwrites_by_record_id() {
    let sim = start_unlimited().await;
    let (_, b) = simple(
        &sim,
        "companies",
        "domains",
        json!({"domains": "a.com", "categories": ["B2B"]}),
    )
    .await;
    let id = b["data"]["id"]["record_id"].as_str().expect("id").to_owned();
    let path = format!("/v2/objects/companies/records/{id}");
    let (_, b) = call(
        &sim,
        Method::PATCH,
        &path,
        Some(json!({"data": {"values": {"categories": ["SAAS"]}}})),
    )
    .await;
    assert_eq!(field(&b["data"], "categories", "option").len(), 2);
    let (_, b) = call(
        &sim,
        Method::PUT,
        &path,
        Some(json!({"data": {"values": {"categories": ["B2C"]}}})),
    )
    .await;
    let titles: Vec<_> = field(&b["data"], "categories", "option")
        .iter()
        .map(|o| o["title"].clone())
        .collect();
    assert_eq!(titles, [json!("B2C")]);
    sim.shutdown().await;
}

#[tokio::test]
async fn moving_a_person_to_another_company_unlinks_the_first() {
    let sim = start_unlimited().await;
    simple(&sim, "companies", "domains", json!({"domains": "c0.com"})).await;
    simple(&sim, "companies", "domains", json!({"domains": "c1.com"})).await;
    let (s, b) = assert_record(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": ["p@x.com"], "company": "c0.com"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let person_id = b["data"]["id"]["record_id"].clone();
    let (s, b) = assert_record(
        &sim,
        "companies",
        "domains",
        json!({"domains": ["c1.com"], "team": ["p@x.com"]}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let companies = sim.records("companies");
    let team = |domain: &str| {
        companies
            .iter()
            .find(|c| field(c, "domains", "domain") == [json!(domain)])
            .map(|c| field(c, "team", "target_record_id"))
            .expect("company")
    };
    assert_eq!(team("c0.com"), Vec::<Value>::new());
    assert_eq!(team("c1.com"), [person_id]);
    let person = &sim.records("people")[0];
    assert_eq!(
        field(person, "company", "target_record_id"),
        [b["data"]["id"]["record_id"].clone()]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn deleting_a_record_removes_it_from_the_other_side() {
    let sim = start_unlimited().await;
    let (_, user) = simple(
        &sim,
        "users",
        "user_id",
        json!({"user_id": "u1", "primary_email_address": "a@x.com", "person": "a@x.com"}),
    )
    .await;
    assert_eq!(
        field(&sim.records("people")[0], "associated_users", "target_record_id").len(),
        1
    );
    let id = user["data"]["id"]["record_id"].as_str().expect("id").to_owned();
    let (s, _) = call(&sim, Method::DELETE, &format!("/v2/objects/users/records/{id}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(sim.records("people")[0]["values"]["associated_users"], json!([]));
    sim.shutdown().await;
}

#[tokio::test]
async fn verbose_filters_and_sorts_select_and_order_records() {
    let sim = start_unlimited().await;
    for (email, title, name) in [
        ("a@x.com", "CEO", "Smith, Ann"),
        ("b@y.com", "CTO", "Jones, Bob"),
        ("c@x.com", "CTO", "Brown, Cy"),
    ] {
        simple(
            &sim,
            "people",
            "email_addresses",
            json!({"email_addresses": email, "job_title": title, "name": name}),
        )
        .await;
    }
    let query = |body: Value| {
        let sim = &sim;
        async move {
            let (s, b) = call(sim, Method::POST, "/v2/objects/people/records/query", Some(body)).await;
            assert_eq!(s, 200, "{b}");
            b["data"]
                .as_array()
                .expect("list")
                .iter()
                .flat_map(|r| field(r, "email_addresses", "email_address"))
                .collect::<Vec<_>>()
        }
    };
    let or =
        query(json!({"filter": {"$or": [{"job_title": "CEO"}, {"email_addresses": {"email_domain": "y.com"}}]}})).await;
    assert_eq!(or, [json!("a@x.com"), json!("b@y.com")]);
    let not = query(json!({"filter": {"$not": {"job_title": {"$eq": "CTO"}}}})).await;
    assert_eq!(not, [json!("a@x.com")]);
    let starts = query(json!({"filter": {"name": {"last_name": {"$starts_with": "b"}}}})).await;
    assert_eq!(starts, [json!("c@x.com")]);
    let sorted = query(json!({"sorts": [{"direction": "desc", "attribute": "name", "field": "last_name"}]})).await;
    assert_eq!(sorted, [json!("a@x.com"), json!("b@y.com"), json!("c@x.com")]);
    let (s, b) = call(
        &sim,
        Method::POST,
        "/v2/objects/people/records/query",
        Some(json!({"filter": {"job_title": {"$like": "x"}}})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("filter_error")));
    sim.shutdown().await;
}
