//! Segment's own client libraries, which this project did not write, pointed at a running
//! `segment-attio serve` (built-in Attio simulator, a write key, tests/clients/service.toml):
//!
//! * `@segment/analytics-node`, the classic `analytics-node` 6 and
//!   `segment-analytics-python`: identify, group, track and page, then alias, each landing
//!   as the records the subscriptions promise;
//! * RudderStack's `@rudderstack/rudder-sdk-node` (gzipped JSON labelled form-encoded) and
//!   `rudder-sdk-python`, with the README's "Coming from RudderStack" configuration (the
//!   e-mail address mapped from `$.context.traits.email`): identify and group land;
//! * `@segment/analytics-next` in headless Chromium, loading its settings from the service
//!   (npm UMD build with `cdnURL`/`apiHost`, and the standalone build as the snippet loads
//!   it): identify and group land as records.
//!
//! The clients are installed by scripts/install-test-deps.sh; when one is missing the
//! tests fail and say so.

use std::time::Duration;

use segment_attio_acceptance::real_clients::deps;
use segment_attio_acceptance::real_clients::program::{ClientReport, ClientRun};
use segment_attio_acceptance::real_clients::records::{one, record_id, strings, targets};
use segment_attio_acceptance::real_clients::snapshot::{wait_for, Snapshot};
use segment_attio_acceptance::service::{Service, ServiceBuilder};
use serde_json::{json, Value};

const CONFIG: &str = include_str!("../clients/service.toml");
const WRITE_KEY: &str = "wk-real-clients";
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

/// The calls a server-side client makes, all derived from `tag` (so each client writes
/// its own records).
fn scenario(service: &Service, tag: &str, phase: &str) -> Value {
    json!({
        "phase": phase,
        "host": service.base_url,
        "writeKey": WRITE_KEY,
        "user": {"userId": format!("{tag}-user-1"), "email": format!("{tag}.user@example.com"), "name": format!("{tag} User")},
        "group": {"groupId": format!("{tag}-ws-1"), "website": format!("{tag}-corp.example.com"), "name": format!("{tag} Corp")},
        "track": {"event": "Lead Captured", "email": format!("{tag}.lead@example.com"), "jobTitle": format!("Head of {tag}")},
        "page": {"category": "Docs", "name": format!("{tag} pricing"), "path": "/pricing"},
        "alias": {"previousId": format!("{tag}-user-1"), "userId": format!("{tag}-user-1-renamed")},
    })
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("scenario has no {pointer}"))
}

fn assert_answered(report: &ClientReport, types: &[&str]) {
    let statuses = report.statuses();
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| *s == 200),
        "the service answered {statuses:?}: {}",
        report.report
    );
    let answered = report.types_answered(200);
    for t in types {
        assert!(
            answered.iter().any(|a| a == t),
            "no {t} event was answered 200: {}",
            report.report
        );
    }
}

/// identify → a person and a user linked to each other; group → a company and a
/// workspace linked to it and to the user. Returns the users record id.
fn identified_and_grouped<'a>(s: &'a Snapshot, user: &Value, group: Option<&Value>) -> Result<&'a Value, String> {
    let email = text(user, "/email");
    let person = one(&s.people, "people", "email_addresses", "email_address", email)?;
    let account = one(&s.users, "users", "user_id", "value", text(user, "/userId"))?;
    if strings(account, "primary_email_address", "email_address") != [email] {
        return Err(format!("user's primary_email_address is not {email}: {account}"));
    }
    if targets(account, "person") != [record_id(person)] {
        return Err(format!(
            "user does not point at the person {}: {account}",
            record_id(person)
        ));
    }
    if !targets(person, "associated_users").contains(&record_id(account)) {
        return Err(format!(
            "person does not list the user {}: {person}",
            record_id(account)
        ));
    }
    if let Some(group) = group {
        let company = one(&s.companies, "companies", "domains", "domain", text(group, "/website"))?;
        let workspace = one(
            &s.workspaces,
            "workspaces",
            "workspace_id",
            "value",
            text(group, "/groupId"),
        )?;
        if targets(workspace, "company") != [record_id(company)] {
            return Err(format!("workspace does not point at its company: {workspace}"));
        }
        if !targets(workspace, "users").contains(&record_id(account)) {
            return Err(format!("workspace does not list the user: {workspace}"));
        }
        if !targets(account, "workspace").contains(&record_id(workspace)) {
            return Err(format!("user does not list the workspace: {account}"));
        }
    }
    Ok(account)
}

/// Everything the first phase (identify, group, track, page) promises.
fn main_phase_landed(s: &Snapshot, sc: &Value) -> Result<(), String> {
    identified_and_grouped(s, &sc["user"], Some(&sc["group"]))?;
    // page → "last page viewed": the identified person's description is the page name.
    let person = one(
        &s.people,
        "people",
        "email_addresses",
        "email_address",
        text(sc, "/user/email"),
    )?;
    let page = text(sc, "/page/name");
    if strings(person, "description", "value") != [page] {
        return Err(format!("person's description is not the page name {page:?}: {person}"));
    }
    // track → "leads from track": a person of its own, with the job title.
    let lead = one(
        &s.people,
        "people",
        "email_addresses",
        "email_address",
        text(sc, "/track/email"),
    )?;
    let title = text(sc, "/track/jobTitle");
    if strings(lead, "job_title", "value") != [title] {
        return Err(format!("lead's job_title is not {title:?}: {lead}"));
    }
    Ok(())
}

/// alias → "alias renames the user": the same users record now has the new id.
fn alias_landed(s: &Snapshot, sc: &Value, user_record: &str) -> Result<(), String> {
    let renamed = one(&s.users, "users", "user_id", "value", text(sc, "/alias/userId"))?;
    if record_id(renamed) != user_record {
        return Err(format!(
            "the alias created another user instead of renaming {user_record}: {renamed}"
        ));
    }
    let previous = text(sc, "/alias/previousId");
    if s.users
        .iter()
        .any(|u| strings(u, "user_id", "value").contains(&previous))
    {
        return Err(format!("a user still has the previous id {previous}"));
    }
    Ok(())
}

/// The service with the clients' configuration and write key, delivering to its built-in
/// simulator.
async fn start_service() -> Service {
    ServiceBuilder::new()
        .config(CONFIG)
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", WRITE_KEY)
        .env("SEGMENT_ATTIO__DELIVERY__FLUSH_INTERVAL_MS", "100")
        .start()
        .await
}

/// Runs a server-side client through both phases and checks the records after each.
async fn server_side_client(tag: &str, program: &std::path::Path, args: &[&str], dir: &std::path::Path) {
    let service = start_service().await;
    let main = scenario(&service, tag, "main");
    let run = |sc| ClientRun {
        program,
        args,
        dir,
        scenario: sc,
        extra_env: &[],
    };
    let report = run(&main).run().await;
    assert_answered(&report, &["identify", "group", "track", "page"]);
    wait_for(
        &service,
        "identify, group, track and page records",
        DELIVERY_TIMEOUT,
        |s| main_phase_landed(s, &main),
    )
    .await;
    let snapshot_user = service.records("users").await.expect("the simulator's users");
    let user_record = one(&snapshot_user, "users", "user_id", "value", text(&main, "/user/userId"))
        .map(|u| record_id(u).to_owned())
        .expect("the user exists after the first phase");

    // The alias goes second: it finds the user the identify created.
    let alias = scenario(&service, tag, "alias");
    let report = run(&alias).run().await;
    assert_answered(&report, &["alias"]);
    wait_for(&service, "the alias's rename", DELIVERY_TIMEOUT, |s| {
        alias_landed(s, &alias, &user_record)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_node_calls_land_as_attio_records() {
    let dir = deps::node_dir();
    server_side_client("node", std::path::Path::new("node"), &["send.mjs"], &dir).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_python_calls_land_as_attio_records() {
    let python = deps::python();
    let dir = deps::clients_dir().join("python");
    server_side_client("python", &python, &["send.py"], &dir).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_next_in_chromium_loads_settings_and_identifies() {
    let dir = deps::node_dir();
    let chromium = deps::chromium();
    let service = start_service().await;
    let sc = json!({
        "host": service.base_url,
        "writeKey": WRITE_KEY,
        "umd": {
            "user": {"userId": "browser-user-1", "email": "browser.user@example.com", "name": "Browser User"},
            "group": {"groupId": "browser-ws-1", "website": "browser-corp.example.com", "name": "Browser Corp"},
        },
        "standalone": {
            "user": {"userId": "snippet-user-1", "email": "snippet.user@example.com", "name": "Snippet User"},
        },
    });
    let chromium = chromium.to_string_lossy().into_owned();
    let report = ClientRun {
        program: std::path::Path::new("node"),
        args: &["browser.mjs"],
        dir: &dir,
        scenario: &sc,
        extra_env: &[("CHROMIUM", &chromium)],
    }
    .run()
    .await
    .report;

    // Each page loaded its settings from the service, then posted its calls there, and
    // every answer was 200 (browser.mjs fails otherwise; checked again here).
    let settings_url = service.url(&format!("/v1/projects/{WRITE_KEY}/settings"));
    for (page, posts) in [("umd", &["/v1/i", "/v1/g"][..]), ("standalone", &["/v1/i"][..])] {
        let requests = report["pages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["page"] == page)
            .map(|p| p["requests"].clone())
            .unwrap_or_else(|| panic!("no {page} page in the report: {report}"));
        let answered = |method: &str, url: &str| {
            requests
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| r["method"] == method && r["url"] == url && r["status"] == 200)
        };
        assert!(
            answered("GET", &settings_url),
            "{page}: settings not loaded from the service: {report}"
        );
        for path in posts {
            let url = service.url(path);
            assert!(answered("POST", &url), "{page}: no 200 answer to POST {url}: {report}");
        }
    }

    wait_for(
        &service,
        "the browser's identify and group records",
        DELIVERY_TIMEOUT,
        |s| {
            identified_and_grouped(s, &sc["umd"]["user"], Some(&sc["umd"]["group"]))?;
            identified_and_grouped(s, &sc["standalone"]["user"], None).map(|_| ())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_analytics_node_6_calls_land_as_attio_records() {
    let dir = deps::node_dir();
    server_side_client(
        "node6",
        std::path::Path::new("node"),
        &["classic.mjs", "analytics-node"],
        &dir,
    )
    .await;
}

/// The configuration of README.md's "Coming from RudderStack" section, as printed there.
fn readme_rudderstack_config() -> String {
    let readme = std::fs::read_to_string(deps::clients_dir().join("../../README.md")).expect("README.md");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Coming from RudderStack"))
        .expect("README.md has a \"Coming from RudderStack\" section");
    let block = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a TOML block");
    assert!(block.contains("$.context.traits.email"), "{block}");
    block.to_owned()
}

/// Runs a RudderStack client with the README's configuration: an identify whose traits
/// the SDK copies to `context.traits`, one with traits only there, and a group.
async fn rudderstack_client(
    tag: &str,
    program: &std::path::Path,
    args: &[&str],
    dir: &std::path::Path,
) -> ClientReport {
    let service = ServiceBuilder::new()
        .config(&readme_rudderstack_config())
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", WRITE_KEY)
        .env("SEGMENT_ATTIO__DELIVERY__FLUSH_INTERVAL_MS", "100")
        .start()
        .await;
    let mut sc = scenario(&service, tag, "rudder");
    sc["contextUser"] = json!({
        "userId": format!("{tag}-user-2"),
        "email": format!("{tag}.context@example.com"),
        "name": format!("{tag} Context"),
    });
    let report = ClientRun {
        program,
        args,
        dir,
        scenario: &sc,
        extra_env: &[],
    }
    .run()
    .await;
    assert_answered(&report, &["identify", "group"]);
    wait_for(
        &service,
        "the RudderStack client's identify and group records",
        DELIVERY_TIMEOUT,
        |s| {
            identified_and_grouped(s, &sc["user"], Some(&sc["group"]))?;
            identified_and_grouped(s, &sc["contextUser"], None).map(|_| ())
        },
    )
    .await;
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rudder_sdk_node_identify_lands_with_the_context_traits_mapping() {
    let dir = deps::node_dir();
    let report = rudderstack_client(
        "rudder-node",
        std::path::Path::new("node"),
        &["classic.mjs", "@rudderstack/rudder-sdk-node"],
        &dir,
    )
    .await;
    // What made it a 415 before: gzipped JSON declared as a form.
    let labelled_form = report.report["responses"].as_array().into_iter().flatten().any(|r| {
        r["contentEncoding"] == "gzip"
            && r["contentType"]
                .as_str()
                .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
    });
    assert!(
        labelled_form,
        "the SDK did not send form-labelled gzip: {}",
        report.report
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rudder_sdk_python_identify_lands_with_the_context_traits_mapping() {
    let python = deps::python();
    let dir = deps::clients_dir().join("python");
    rudderstack_client("rudder-python", &python, &["rudder.py"], &dir).await;
}
