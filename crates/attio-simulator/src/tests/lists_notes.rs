//! Lists, list entries, notes and workspace members, as Attio's API reference
//! describes them.

use reqwest::Method;
use serde_json::json;

use super::*;

async fn person(sim: &SimulatorHandle, email: &str) -> String {
    let (status, body) = assert_record(sim, "people", "email_addresses", json!({"email_addresses": [email]})).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["id"]["record_id"].as_str().expect("record id").to_owned()
}

fn entry(parent: &str, values: serde_json::Value) -> serde_json::Value {
    json!({"data": {"parent_record_id": parent, "parent_object": "people", "entry_values": values}})
}

#[tokio::test]
async fn built_in_workspace_has_the_onboarding_list_of_people() {
    let sim = start_unlimited().await;
    let (status, body) = call(&sim, Method::GET, "/v2/lists", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["api_slug"], "onboarding");
    assert_eq!(body["data"][0]["parent_object"], json!(["people"]));
    let (_, attrs) = call(&sim, Method::GET, "/v2/lists/onboarding/attributes", None).await;
    let slugs: Vec<_> = attrs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["api_slug"].clone())
        .collect();
    assert_eq!(slugs, [json!("stage"), json!("score")]);
    let (status, body) = call(&sim, Method::GET, "/v2/lists/nope", None).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    sim.shutdown().await;
}

#[tokio::test]
async fn entry_assert_by_parent_creates_then_updates_the_same_entry() {
    let sim = start_unlimited().await;
    let p = person(&sim, "a@example.com").await;
    let (status, first) = call(
        &sim,
        Method::PUT,
        "/v2/lists/onboarding/entries",
        Some(entry(&p, json!({"stage": "Signed up", "score": 3}))),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["data"]["parent_record_id"], json!(p));
    assert_eq!(
        first["data"]["entry_values"]["stage"][0]["status"]["title"],
        "Signed up"
    );
    let (_, second) = call(
        &sim,
        Method::PUT,
        "/v2/lists/onboarding/entries",
        Some(entry(&p, json!({"stage": "Activated"}))),
    )
    .await;
    assert_eq!(second["data"]["id"]["entry_id"], first["data"]["id"]["entry_id"]);
    assert_eq!(
        second["data"]["entry_values"]["stage"][0]["status"]["title"],
        "Activated"
    );
    assert_eq!(second["data"]["entry_values"]["score"][0]["value"], json!(3.0));
    assert_eq!(sim.entries("onboarding").len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn entry_writes_are_validated_like_attio() {
    let sim = start_unlimited().await;
    let p = person(&sim, "b@example.com").await;
    let cases = [
        (entry(&p, json!({"stage": "Churned"})), 400, "value_not_found"),
        (entry(&p, json!({"score": "many"})), 400, "validation_type"),
        (entry(&p, json!({"nope": 1})), 400, "value_not_found"),
        (entry(&uuid::Uuid::new_v4().to_string(), json!({})), 404, "not_found"),
        (
            json!({"data": {"parent_object": "people", "entry_values": {}}}),
            400,
            "validation_type",
        ),
        (
            json!({"data": {"parent_record_id": p, "parent_object": "companies", "entry_values": {}}}),
            400,
            "validation_type",
        ),
    ];
    for (body, status, code) in cases {
        let (s, answer) = call(&sim, Method::PUT, "/v2/lists/onboarding/entries", Some(body.clone())).await;
        assert_eq!((s, answer["code"].as_str()), (status, Some(code)), "{body} → {answer}");
        assert_eq!(answer["type"], "invalid_request_error");
    }
    assert!(sim.entries("onboarding").is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn entries_are_queried_by_parent_and_deleted() {
    let sim = start_unlimited().await;
    let (a, b) = (person(&sim, "a@example.com").await, person(&sim, "b@example.com").await);
    for p in [&a, &b, &a] {
        let (s, _) = call(
            &sim,
            Method::POST,
            "/v2/lists/onboarding/entries",
            Some(entry(p, json!({"score": 1}))),
        )
        .await;
        assert_eq!(s, 200);
    }
    let (status, found) = call(
        &sim,
        Method::POST,
        "/v2/lists/onboarding/entries/query",
        Some(json!({"filter": {"parent_record_id": a}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(found["data"].as_array().unwrap().len(), 2);
    let by_path = json!({"filter": {"path": [["onboarding", "parent_record"], ["people", "record_id"]], "constraints": {"value": b}}});
    let (_, found_b) = call(&sim, Method::POST, "/v2/lists/onboarding/entries/query", Some(by_path)).await;
    assert_eq!(found_b["data"].as_array().unwrap().len(), 1);
    // Two entries with the same parent: the assert cannot choose.
    let (s, e) = call(
        &sim,
        Method::PUT,
        "/v2/lists/onboarding/entries",
        Some(entry(&a, json!({}))),
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (400, Some("multiple_match_results")));
    for item in found["data"].as_array().unwrap() {
        let id = item["id"]["entry_id"].as_str().unwrap();
        let (s, _) = call(
            &sim,
            Method::DELETE,
            &format!("/v2/lists/onboarding/entries/{id}"),
            None,
        )
        .await;
        assert_eq!(s, 200);
        let (s, _) = call(&sim, Method::GET, &format!("/v2/lists/onboarding/entries/{id}"), None).await;
        assert_eq!(s, 404);
    }
    assert_eq!(sim.entries("onboarding").len(), 1);
    let (s, e) = call(
        &sim,
        Method::POST,
        "/v2/lists/onboarding/entries/query",
        Some(json!({"filter": {"stage": "x"}})),
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (400, Some("filter_error")));
    sim.shutdown().await;
}

#[tokio::test]
async fn notes_are_created_listed_by_parent_and_deleted() {
    let sim = start_unlimited().await;
    let (a, b) = (person(&sim, "a@example.com").await, person(&sim, "b@example.com").await);
    let note = |p: &str, title: &str| json!({"data": {"parent_object": "people", "parent_record_id": p, "title": title, "format": "markdown", "content": "# Hi\n**bold**"}});
    let (status, created) = call(&sim, Method::POST, "/v2/notes", Some(note(&a, "one"))).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["data"]["content_plaintext"], "Hi\nbold");
    assert_eq!(created["data"]["content_markdown"], "# Hi\n**bold**");
    call(&sim, Method::POST, "/v2/notes", Some(note(&b, "two"))).await;
    let (_, listed) = call(
        &sim,
        Method::GET,
        &format!("/v2/notes?parent_object=people&parent_record_id={a}"),
        None,
    )
    .await;
    let titles: Vec<_> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].clone())
        .collect();
    assert_eq!(titles, [json!("one")]);
    let (s, e) = call(&sim, Method::GET, "/v2/notes?limit=51", None).await;
    assert_eq!((s, e["code"].as_str()), (400, Some("validation_type")));
    let bad_format = json!({"data": {"parent_object": "people", "parent_record_id": a, "title": "t", "format": "html", "content": "x"}});
    let (s, e) = call(&sim, Method::POST, "/v2/notes", Some(bad_format)).await;
    assert_eq!((s, e["code"].as_str()), (400, Some("validation_type")));
    let id = created["data"]["id"]["note_id"].as_str().unwrap();
    let (s, _) = call(&sim, Method::DELETE, &format!("/v2/notes/{id}"), None).await;
    assert_eq!(s, 200);
    let (s, e) = call(&sim, Method::GET, &format!("/v2/notes/{id}"), None).await;
    assert_eq!((s, e["code"].as_str()), (404, Some("not_found")));
    assert_eq!(sim.notes().len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn workspace_members_are_listed() {
    let sim = start_unlimited().await;
    let (status, body) = call(&sim, Method::GET, "/v2/workspace_members", None).await;
    assert_eq!(status, 200);
    let id = body["data"][0]["id"]["workspace_member_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, one) = call(&sim, Method::GET, &format!("/v2/workspace_members/{id}"), None).await;
    assert_eq!(
        (status, one["data"]["email_address"].clone()),
        (200, body["data"][0]["email_address"].clone())
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_dropped_answer_still_applies_the_write() {
    let sim = start_unlimited().await;
    let p = person(&sim, "a@example.com").await;
    sim.set_faults(crate::Faults {
        drop_after_write: 1,
        drop_after_write_path: Some("/v2/notes".into()),
        ..Default::default()
    });
    let body = json!({"data": {"parent_object": "people", "parent_record_id": p, "title": "t", "format": "plaintext", "content": "c"}});
    let sent = client()
        .post(format!("{}/v2/notes", sim.base_url()))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await;
    assert!(sent.is_err(), "the answer is lost");
    assert_eq!(sim.notes().len(), 1, "the note was created");
    let (s, _) = call(&sim, Method::POST, "/v2/notes", Some(body)).await;
    assert_eq!(s, 200, "the fault applied once");
    sim.shutdown().await;
}
