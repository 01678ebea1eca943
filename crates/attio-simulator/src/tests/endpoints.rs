use reqwest::Method;
use serde_json::json;

use super::*;

#[tokio::test]
async fn missing_and_unknown_tokens_get_401_auth_error() {
    let sim = start_unlimited().await;
    let url = format!("{}/v2/objects", sim.base_url());
    let none = client().get(&url).send().await.expect("sent");
    assert_eq!(none.status().as_u16(), 401);
    let body: Value = none.json().await.expect("json");
    assert_eq!(
        (body["type"].as_str(), body["code"].as_str()),
        (Some("auth_error"), Some("unauthorized"))
    );
    let bad = client().get(&url).bearer_auth("wrong").send().await.expect("sent");
    assert_eq!(bad.status().as_u16(), 401);
    let basic = client()
        .get(format!("{}/v1/token", sim.base_url()))
        .basic_auth(TOKEN, Some(""))
        .send()
        .await
        .expect("sent");
    assert_eq!(basic.status().as_u16(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn self_is_flat_and_names_the_workspace() {
    let sim = start_unlimited().await;
    let (status, body) = call(&sim, Method::GET, "/v2/self", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], json!(true));
    assert!(body["workspace_id"].is_string() && body["workspace_slug"].is_string());
    assert!(body.get("data").is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn workspace_members_are_listed_with_their_ids_and_emails() {
    let sim = start_unlimited().await;
    let (status, body) = call(&sim, Method::GET, "/v2/workspace_members", None).await;
    assert_eq!(status, 200);
    let members = body["data"].as_array().expect("list");
    assert!(!members.is_empty(), "{body}");
    assert!(members[0]["id"]["workspace_member_id"].is_string(), "{body}");
    assert!(
        members[0]["email_address"].as_str().is_some_and(|e| e.contains('@')),
        "{body}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn objects_are_listed_and_inactive_ones_are_404() {
    let sim = start(SimulatorConfig {
        inactive_objects: vec!["deals".into()],
        ..SimulatorConfig::default()
    })
    .await;
    let (status, body) = call(&sim, Method::GET, "/v2/objects", None).await;
    assert_eq!(status, 200);
    let slugs: Vec<_> = body["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|o| o["api_slug"].clone())
        .collect();
    assert_eq!(
        slugs,
        [json!("people"), json!("companies"), json!("users"), json!("workspaces")]
    );
    let (status, body) = call(&sim, Method::GET, "/v2/objects/deals", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["message"], json!("Object with slug/ID \"deals\" not found."));
    let (status, body) = call(&sim, Method::GET, "/v2/objects/users", None).await;
    assert_eq!((status, body["data"]["singular_noun"].clone()), (200, json!("User")));
    sim.shutdown().await;
}

#[tokio::test]
async fn attributes_carry_attios_flags_and_relationships() {
    let sim = start_unlimited().await;
    let (status, body) = call(&sim, Method::GET, "/v2/objects/people/attributes", None).await;
    assert_eq!(status, 200);
    let email = body["data"]
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["api_slug"] == "email_addresses")
        .cloned()
        .expect("email_addresses");
    assert_eq!(email["type"], json!("email-address"));
    assert_eq!(
        (email["is_unique"].clone(), email["is_multiselect"].clone()),
        (json!(true), json!(true))
    );
    let (status, person) = call(&sim, Method::GET, "/v2/objects/users/attributes/person", None).await;
    assert_eq!(status, 200);
    assert_eq!(person["data"]["relationship"]["api_slug"], json!("associated_users"));
    assert_eq!(person["data"]["relationship"]["object_slug"], json!("people"));
    let (status, body) = call(&sim, Method::GET, "/v2/objects/people/attributes/nope", None).await;
    assert_eq!((status, body["code"].clone()), (404, json!("not_found")));
    sim.shutdown().await;
}

#[tokio::test]
async fn records_are_read_queried_and_deleted() {
    let sim = start_unlimited().await;
    for (email, title) in [("a@x.com", "CEO"), ("b@x.com", "CTO"), ("c@y.com", "CTO")] {
        let (s, _) = simple(
            &sim,
            "people",
            "email_addresses",
            json!({"email_addresses": email, "job_title": title}),
        )
        .await;
        assert_eq!(s, 200);
    }
    let (s, body) = call(
        &sim,
        Method::POST,
        "/v2/objects/people/records/query",
        Some(json!({"filter": {"job_title": "CTO"}})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    let (_, body) = call(
        &sim,
        Method::POST,
        "/v2/objects/people/records/query",
        Some(json!({"filter": {"email_addresses": "C@Y.com"}})),
    )
    .await;
    let found = &body["data"][0];
    assert_eq!(field(found, "email_addresses", "email_address"), [json!("c@y.com")]);
    let (_, page) = call(
        &sim,
        Method::POST,
        "/v2/objects/people/records/query",
        Some(json!({"limit": 1, "offset": 1})),
    )
    .await;
    assert_eq!(
        field(&page["data"][0], "email_addresses", "email_address"),
        [json!("b@x.com")]
    );
    let (_, bad) = call(
        &sim,
        Method::POST,
        "/v2/objects/people/records/query",
        Some(json!({"filter": {"nope": 1}})),
    )
    .await;
    assert_eq!(bad["code"], json!("filter_error"));

    let id = found["id"]["record_id"].as_str().expect("id").to_owned();
    let (s, got) = call(&sim, Method::GET, &format!("/v2/objects/people/records/{id}"), None).await;
    assert_eq!((s, got["data"]["id"]["record_id"].clone()), (200, json!(id)));
    let (s, body) = call(&sim, Method::DELETE, &format!("/v2/objects/people/records/{id}"), None).await;
    assert_eq!((s, body), (200, json!({})));
    let (s, body) = call(&sim, Method::GET, &format!("/v2/objects/people/records/{id}"), None).await;
    assert_eq!((s, body["code"].clone()), (404, json!("not_found")));
    sim.shutdown().await;
}

#[tokio::test]
async fn output_has_every_slug_and_full_value_objects() {
    let sim = start_unlimited().await;
    let (_, body) = simple(
        &sim,
        "people",
        "email_addresses",
        json!({"email_addresses": "Ann@Example.com"}),
    )
    .await;
    let record = &body["data"];
    assert_eq!(record["values"]["job_title"], json!([]));
    let v = &record["values"]["email_addresses"][0];
    assert_eq!(v["attribute_type"], json!("email-address"));
    assert_eq!(v["active_until"], Value::Null);
    assert_eq!(v["created_by_actor"]["type"], json!("api-token"));
    let ts = v["active_from"].as_str().expect("timestamp");
    assert!(
        ts.ends_with('Z') && ts.split('.').nth(1).map(|f| f.len()) == Some(10),
        "{ts}"
    );
    let id = uuid::Uuid::parse_str(record["id"]["record_id"].as_str().expect("id")).expect("uuid");
    assert_eq!(id.get_version_num(), 4);
    assert_eq!(sim.records("people").len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn control_endpoints_expose_stats_records_and_faults() {
    let sim = start_unlimited().await;
    simple(&sim, "companies", "domains", json!({"domains": "acme.com"})).await;
    let stats: Value = client()
        .get(format!("{}/_simulator/stats", sim.base_url()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["records"]["companies"], json!(1));
    assert_eq!(stats["write_arrivals_ms"].as_array().map(Vec::len), Some(1));
    let records: Value = client()
        .get(format!("{}/_simulator/records/companies", sim.base_url()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(field(&records["data"][0], "domains", "domain"), [json!("acme.com")]);
    let set = client()
        .post(format!("{}/_simulator/faults", sim.base_url()))
        .json(&json!({"burst_429": {"count": 1, "retry_after_secs": 2}}))
        .send()
        .await
        .expect("sent");
    assert_eq!(set.status().as_u16(), 200);
    let (s, _) = simple(&sim, "companies", "domains", json!({"domains": "acme.com"})).await;
    assert_eq!(s, 429);
    let bad = client()
        .post(format!("{}/_simulator/faults", sim.base_url()))
        .json(&json!({"drop_rate": 2.0}))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status().as_u16(), 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn custom_objects_from_a_schema_file_can_be_asserted() {
    let path = std::env::temp_dir().join(format!("sim-schema-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(
        &path,
        r#"
[[objects]]
api_slug = "projects"
singular_noun = "Project"
plural_noun = "Projects"

[[objects.attributes]]
slug = "code"
type = "text"
unique = true

[[objects.attributes]]
slug = "phase"
type = "select"
options = ["Discovery", "Build"]

[[objects.attributes]]
slug = "members"
type = "record-reference"
multiselect = true
target_objects = ["people"]
"#,
    )
    .expect("schema written");
    let sim = start(SimulatorConfig {
        write_rate: 0,
        read_rate: 0,
        schema_file: Some(path.clone()),
        ..SimulatorConfig::default()
    })
    .await;
    let _ = std::fs::remove_file(&path);
    let (s, body) = call(&sim, Method::GET, "/v2/objects/projects/attributes/phase", None).await;
    assert_eq!((s, body["data"]["type"].clone()), (200, json!("select")));
    let (s, body) = simple(
        &sim,
        "projects",
        "code",
        json!({"code": "P-1", "phase": "Build", "members": "m@x.com"}),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(field(&body["data"], "phase", "option")[0]["title"], json!("Build"));
    let (s, body) = simple(&sim, "projects", "code", json!({"code": "P-1", "phase": "Ship"})).await;
    assert_eq!((s, body["code"].clone()), (400, json!("value_not_found")));
    assert_eq!(sim.records("projects").len(), 1);
    assert_eq!(sim.records("people").len(), 1, "the member was created by email");
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_schema_file_fails_to_start_with_the_reason() {
    let path = std::env::temp_dir().join(format!("sim-schema-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(
        &path,
        "[[attributes]]\nobject = \"people\"\nslug = \"tier\"\ntype = \"select\"\nunique = true\noptions = [\"A\"]\n",
    )
    .expect("schema written");
    let err = Simulator::start(SimulatorConfig {
        schema_file: Some(path.clone()),
        ..SimulatorConfig::default()
    })
    .await
    .unwrap_err();
    let _ = std::fs::remove_file(&path);
    assert!(err.to_string().contains("tier"), "{err}");
}
