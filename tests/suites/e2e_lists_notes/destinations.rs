//! Several Attio workspaces: subscriptions delivering to their own destination, per
//! destination credentials and pauses, dead letters by destination, write keys limited to
//! some destinations.

use super::*;

fn two_workspaces_config(eu: &SimulatorProcess) -> String {
    format!(
        r#"
[[destinations]]
name = "eu"
token = "eu-token"
base_url = "{}"
write_rate = 10
read_rate = 20

[[subscriptions]]
name = "people, default workspace"
action = "identifyUser"
subscribe = 'type = "identify"'
use_default_mapping = true

[[subscriptions]]
name = "notes, EU workspace"
action = "createNote"
destination = "eu"
subscribe = 'type = "track"'
mapping = {{ parent_object = "people", parent_matching_attribute = "email_addresses", parent_attributes = {{ email_addresses = {{ "@path" = "$.properties.email" }} }}, title = {{ "@path" = "$.event" }}, content = "Signed." }}
"#,
        eu.base_url
    )
}

#[tokio::test]
async fn subscriptions_deliver_to_their_own_workspace() {
    let (us, eu) = (SimulatorProcess::start().await, SimulatorProcess::start().await);
    let service = ServiceBuilder::new()
        .attio(&us)
        .config(&two_workspaces_config(&eu))
        .start()
        .await;
    let identify = json!({"userId": "f", "traits": {"email": "fay@example.com"}});
    assert_eq!(service.post("/v1/identify", &identify).await.status(), 200);
    let track = track("Signed Contract", json!({"email": "fay@example.com"}));
    assert_eq!(service.post("/v1/track", &track).await.status(), 200);
    service.wait_until_drained(WAIT).await;
    assert_eq!(us.records("users").await.expect("users").len(), 1);
    assert!(us.notes().await.is_empty());
    assert!(eu.records("users").await.expect("users").is_empty());
    let notes = eu.notes().await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["title"], "Signed Contract");
    assert!(service.dead_letters().is_empty(), "{:?}", service.dead_letters());
    let (_, metrics) = service.get_text("/metrics").await;
    for destination in ["default", "eu"] {
        let series =
            format!("segment_attio_attio_destination_requests_total{{destination=\"{destination}\",status=\"200\"}}");
        assert!(
            metrics.lines().any(|l| l.starts_with(&series)),
            "missing {series} in:\n{metrics}"
        );
    }
}

#[tokio::test]
async fn check_auth_and_check_config_cover_every_destination() {
    let (us, eu) = (
        SimulatorProcess::start().await,
        SimulatorProcess::start_with(&["--token", "other"]).await,
    );
    let mut builder = ServiceBuilder::new().attio(&us).config(&two_workspaces_config(&eu));
    let out = builder.cli(&["check-auth", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["ok"], json!(true), "{report}");
    assert_eq!(report["destinations"][0]["name"], "eu");
    assert_eq!(
        report["destinations"][0]["ok"],
        json!(false),
        "eu-token is refused: {report}"
    );
    assert!(!out.status.success());
    let out = builder.cli(&["check-config"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("destination eu") && text.contains("@ eu"), "{text}");

    let bad = "[[subscriptions]]\nname = \"x\"\naction = \"identifyUser\"\ndestination = \"mars\"\nuse_default_mapping = true\n";
    let out = ServiceBuilder::new().config(bad).cli(&["check-config"]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && text.contains("destination \"mars\""), "{text}");
}

#[tokio::test]
async fn a_refused_token_pauses_only_its_own_destination() {
    let (us, eu) = (
        SimulatorProcess::start().await,
        SimulatorProcess::start_with(&["--token", "the-right-one", "--write-rate", "0", "--read-rate", "0"]).await,
    );
    let service = ServiceBuilder::new()
        .attio(&us)
        .config(&two_workspaces_config(&eu))
        .start()
        .await;
    let note = track("Signed Contract", json!({"email": "gil@example.com"}));
    assert_eq!(service.post("/v1/track", &note).await.status(), 200);
    let letters = segment_attio_acceptance::service::eventually("the refused note's dead letter", WAIT, || async {
        let letters = service.dead_letters();
        if letters.is_empty() {
            Err("none yet".to_owned())
        } else {
            Ok(letters)
        }
    })
    .await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["subscription"], "notes, EU workspace");
    assert!(
        letters[0]["reason"].as_str().is_some_and(|r| r.contains("credentials")),
        "{letters:?}"
    );

    // The default workspace keeps delivering at once (its credentials are not in question).
    for i in 0..3 {
        let identify = json!({"userId": format!("g{i}"), "traits": {"email": format!("g{i}@example.com")}});
        assert_eq!(service.post("/v1/identify", &identify).await.status(), 200);
    }
    us.wait_for_records("users", Duration::from_secs(5), |u| u.len() == 3)
        .await;
    assert!(eu.notes().await.is_empty());
}

fn person_config(integrations_section: &str) -> String {
    format!(
        r#"{integrations_section}

[[subscriptions]]
name = "people"
action = "assertRecord"
subscribe = 'type = "track"'
mapping = {{ object = "people", matching_attribute = "email_addresses", attributes = {{ email_addresses = {{ "@path" = "$.properties.email" }} }} }}
"#
    )
}

#[tokio::test]
async fn the_former_destination_section_still_names_the_integration_with_a_warning() {
    let sim = SimulatorProcess::start().await;
    let service = ServiceBuilder::new()
        .attio(&sim)
        .unthrottled()
        .config(&person_config("[destination]\nintegration_names = [\"Attio EU\"]"))
        .start()
        .await;
    let mut off = track("Signed up", json!({"email": "off@example.com"}));
    off["integrations"] = json!({"Attio EU": false});
    let on = track("Signed up", json!({"email": "on@example.com"}));
    for event in [&off, &on] {
        assert_eq!(service.post("/v1/track", event).await.status(), 200);
    }
    service.wait_until_drained(WAIT).await;
    let people = sim.records("people").await.expect("people");
    let emails: Vec<String> = people
        .iter()
        .filter_map(|p| first_value(p, "email_addresses").map(|v| v["email_address"].to_string()))
        .collect();
    assert_eq!(
        emails,
        ["\"on@example.com\""],
        "the old key's name switched the event off"
    );
    assert!(
        service.logs().contains("use integrations.names"),
        "the warning names the new key: {}",
        service.logs()
    );

    // The new name does the same without a warning; both at once is an error naming both.
    let out = ServiceBuilder::new()
        .config(&person_config("[integrations]\nnames = [\"Attio EU\"]"))
        .cli(&["check-config", "--offline"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("deprecated"));
    let both = "[destination]\nintegration_names = [\"A\"]\n[integrations]\nnames = [\"B\"]";
    let out = ServiceBuilder::new()
        .config(&person_config(both))
        .cli(&["check-config", "--offline"]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("destination.integration_names") && text.contains("integrations.names"),
        "{text}"
    );
}

#[tokio::test]
async fn dead_letters_record_their_destination_and_are_listed_by_it() {
    let (us, eu) = (SimulatorProcess::start().await, SimulatorProcess::start().await);
    let service = ServiceBuilder::new()
        .attio(&us)
        .config(&two_workspaces_config(&eu))
        .start()
        .await;
    // Both refused before sending: not an email address.
    let identify = json!({"userId": "f", "traits": {"email": "not an email"}});
    assert_eq!(service.post("/v1/identify", &identify).await.status(), 200);
    let track = track("Signed Contract", json!({"email": "not an email either"}));
    assert_eq!(service.post("/v1/track", &track).await.status(), 200);
    service.wait_until_drained(WAIT).await;
    let all = service.dead_letters();
    assert_eq!(all.len(), 2, "{all:?}");
    for (subscription, destination) in [("people, default workspace", "default"), ("notes, EU workspace", "eu")] {
        let letter = all
            .iter()
            .find(|l| l["subscription"] == subscription)
            .unwrap_or_else(|| panic!("a letter of {subscription}: {all:?}"));
        assert_eq!(letter["destination"], destination, "{letter}");

        let out = service.cli(&["dead-letters", "list", "--json", "--destination", destination]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let listed: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0]["subscription"], subscription);

        let (status, body) = service
            .get_json(&format!("/dead-letters?destination={destination}"))
            .await;
        assert_eq!(status, 200, "{body}");
        let text = body.to_string();
        assert!(text.contains(subscription), "{text}");
        let other = if destination == "eu" {
            "people, default workspace"
        } else {
            "notes, EU workspace"
        };
        assert!(!text.contains(other), "{text}");
    }
    let out = service.cli(&["dead-letters", "list", "--json", "--destination", "mars"]);
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).expect("JSON"), json!([]));
}

fn sources_config(eu_base_url: &str, source_destinations: &str) -> String {
    let people = r#"action = "assertRecord"
subscribe = 'type = "track"'
mapping = { object = "people", matching_attribute = "email_addresses", attributes = { email_addresses = { "@path" = "$.properties.email" } } }"#;
    format!(
        r#"
[ingest]
write_keys = ["key-for-every-destination"]

[[ingest.sources]]
write_key = "key-for-the-eu-only"
destinations = {source_destinations}

[[destinations]]
name = "eu"
token = "eu-token"
base_url = "{}"

[[subscriptions]]
name = "people, default workspace"
{people}

[[subscriptions]]
name = "people, EU workspace"
destination = "eu"
{people}
"#,
        eu_base_url
    )
}

fn emails(people: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = people
        .iter()
        .filter_map(|p| first_value(p, "email_addresses"))
        .filter_map(|v| v["email_address"].as_str().map(str::to_owned))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_write_key_limited_to_some_destinations_delivers_only_to_their_subscriptions() {
    let (us, eu) = (SimulatorProcess::start().await, SimulatorProcess::start().await);
    let service = ServiceBuilder::new()
        .attio(&us)
        .unthrottled()
        .config(&sources_config(&eu.base_url, r#"["eu"]"#))
        .start()
        .await;
    let limited = track("Signed up", json!({"email": "eu-only@example.com"}));
    let status = service
        .post_with_key("/v1/track", "key-for-the-eu-only", &limited)
        .await
        .status();
    assert_eq!(status, 200);
    let everywhere = track("Signed up", json!({"email": "both@example.com"}));
    let status = service
        .post_with_key("/v1/track", "key-for-every-destination", &everywhere)
        .await
        .status();
    assert_eq!(status, 200);
    let status = service
        .post_with_key("/v1/track", "unknown-key", &everywhere)
        .await
        .status();
    assert_eq!(status, 401);
    service.wait_until_drained(WAIT).await;
    assert_eq!(
        emails(&eu.records("people").await.expect("eu people")),
        ["both@example.com", "eu-only@example.com"]
    );
    assert_eq!(
        emails(&us.records("people").await.expect("default people")),
        ["both@example.com"],
        "the limited key's event stays out of the default workspace"
    );
    assert!(service.dead_letters().is_empty(), "{:?}", service.dead_letters());
}

#[test]
fn a_source_naming_an_unknown_destination_is_a_configuration_error_naming_the_field() {
    let out = ServiceBuilder::new()
        .config(&sources_config("http://127.0.0.1:9", r#"["eu", "mars"]"#))
        .cli(&["check-config", "--offline"]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("ingest.sources[0].destinations") && text.contains("\"mars\""),
        "{text}"
    );
    assert!(!text.contains("key-for-the-eu-only"), "no secret in the error: {text}");
}
