//! The web console (`/console`) and the admin API behind it, on a real `segment-attio
//! serve` with its built-in Attio simulator:
//!
//! * in headless Chromium (playwright-core from tests/clients/node, console.mjs): log in,
//!   an identify on the Events page and its trace, a dead letter found by filter, fixed
//!   and replayed until delivered, "Try it" with a pasted mapping, the configuration, every
//!   page at a laptop and a narrow width with labelled controls, the read-only pages
//!   without JavaScript; screenshots under `<target dir>/console-screenshots/`;
//! * over plain HTTP: what answers 401 without the admin token, the login form, the
//!   cross-origin refusal, loopback-only without a token, and no secret on any page.

use std::path::PathBuf;
use std::time::Duration;

use segment_attio_acceptance::real_clients::deps;
use segment_attio_acceptance::real_clients::program::ClientRun;
use segment_attio_acceptance::service::{eventually, Service, ServiceBuilder};
use serde_json::{json, Value};

const CONFIG: &str = include_str!("../clients/service.toml");
const WRITE_KEY: &str = "wk-console-7Hq2";
const ADMIN_TOKEN: &str = "admin-console-Zp81x";
const ATTIO_TOKEN: &str = "attio-token-Lm33q";

async fn start(admin_token: Option<&str>) -> Service {
    let mut builder = ServiceBuilder::new()
        .config(CONFIG)
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", WRITE_KEY);
    if let Some(token) = admin_token {
        builder = builder.env("SEGMENT_ATTIO__SERVER__ADMIN_TOKEN", token);
    }
    builder.start().await
}

/// `<target dir>/console-screenshots`, from the test executable's path
/// (`<target dir>/<profile>/deps/console-...`).
fn screenshots_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.ancestors()
        .nth(3)
        .expect("<target dir>/<profile>/deps/<test>")
        .join("console-screenshots")
}

async fn get(service: &Service, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = service.client.get(service.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("GET reaches the service")
}

async fn post(service: &Service, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = service.client.post(service.url(path)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("POST reaches the service")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_chromium_traces_an_identify_replays_a_fixed_dead_letter_and_tries_a_mapping() {
    let dir = deps::node_dir();
    let chromium = deps::chromium().to_string_lossy().into_owned();
    let service = start(Some(ADMIN_TOKEN)).await;
    let sc = json!({
        "host": service.base_url,
        "token": ADMIN_TOKEN,
        "writeKey": WRITE_KEY,
        "screenshots": screenshots_dir(),
        "user": {"userId": "console-user-1", "email": "console.user@example.com"},
        "lateUser": {"userId": "console-late-user", "email": "console.late@example.com"},
        "group": {"groupId": "console-ws-1"},
        "tryEmail": "console.try@example.com",
    });
    let identify = json!({"userId": "console-user-1", "traits": {"email": "console.user@example.com"}});
    assert_eq!(
        service
            .post_with_key("/v1/identify", WRITE_KEY, &identify)
            .await
            .status(),
        200
    );
    // A group for a user that does not exist yet: dead-lettered after its retries.
    let group = json!({
        "userId": "console-late-user",
        "groupId": "console-ws-1",
        "traits": {"name": "Console Corp", "website": "console-corp.example.com"},
    });
    assert_eq!(
        service.post_with_key("/v1/group", WRITE_KEY, &group).await.status(),
        200
    );
    eventually("the group's dead letter", Duration::from_secs(30), || async {
        let found: Value = get(&service, "/dead-letters?who=console-ws-1", Some(ADMIN_TOKEN))
            .await
            .json()
            .await
            .map_err(|e| e.to_string())?;
        match found["dead_letters"].as_array() {
            Some(letters) if letters.len() == 1 => Ok(()),
            _ => Err(found.to_string()),
        }
    })
    .await;

    let report = ClientRun {
        program: std::path::Path::new("node"),
        args: &["console.mjs"],
        dir: &dir,
        scenario: &sc,
        extra_env: &[("CHROMIUM", &chromium)],
    }
    .run()
    .await
    .report;
    assert_eq!(report["ok"], true, "{report}");

    // What the browser saw is what happened: the replayed group made the workspace, linked
    // to the user the fix created; the dead letter is gone; "send for real" wrote a person.
    let workspaces = service.records("workspaces").await.expect("the simulator's workspaces");
    assert!(
        workspaces.iter().any(|w| w.to_string().contains("console-ws-1")),
        "no workspace console-ws-1 after the replay: {workspaces:?}"
    );
    let left: Value = get(&service, "/dead-letters?who=console-ws-1", Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(left["dead_letters"], json!([]), "{left}");
    let people = service.records("people").await.expect("the simulator's people");
    assert!(
        people
            .iter()
            .any(|p| p.to_string().contains("console.try@example.com") && p.to_string().contains("Chief Tester")),
        "\"send for real\" wrote no person: {people:?}"
    );
    for name in [
        "overview",
        "events",
        "trace",
        "dead-letters",
        "try",
        "config",
        "overview-narrow",
    ] {
        let file = screenshots_dir().join(format!("{name}.png"));
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(size > 1000, "no screenshot at {}", file.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_admin_token_the_console_and_the_admin_api_answer_401() {
    let service = start(Some(ADMIN_TOKEN)).await;
    for path in [
        "/console",
        "/console/events",
        "/console/dead-letters",
        "/console/try",
        "/console/config",
        "/events",
        "/dead-letters",
        "/stats",
        "/config",
        "/metrics",
    ] {
        let anonymous = get(&service, path, None).await;
        assert_eq!(anonymous.status(), 401, "GET {path} without the token");
        let body = anonymous.text().await.unwrap_or_default();
        assert!(
            !body.contains(ADMIN_TOKEN) && !body.contains(WRITE_KEY),
            "{path}: {body}"
        );
        assert_eq!(
            get(&service, path, Some("wrong-token")).await.status(),
            401,
            "GET {path} with a wrong token"
        );
        assert_eq!(
            get(&service, path, Some(ADMIN_TOKEN)).await.status(),
            200,
            "GET {path} with the token"
        );
    }
    for path in ["/dead-letters/replay", "/dead-letters/purge", "/try"] {
        let body = json!({"ids": []});
        assert_eq!(
            post(&service, path, None, &body).await.status(),
            401,
            "POST {path} without the token"
        );
    }
    let preview = post(
        &service,
        "/try",
        Some(ADMIN_TOKEN),
        &json!({"event": {"type": "identify", "userId": "u", "traits": {"email": "u@example.com"}}, "subscription": "identify users"}),
    )
    .await;
    assert_eq!(preview.status(), 200);
    let preview: Value = preview.json().await.expect("JSON");
    assert_eq!(preview["preview"][0]["results"][0]["outcome"], "requests", "{preview}");
    assert_eq!(preview["sent"], Value::Null, "a preview sends nothing: {preview}");

    // The login page answers 200 and opens no session.
    let login = get(&service, "/console/login", None).await;
    assert_eq!(login.status(), 200);
    assert!(
        login.headers().get("set-cookie").is_none(),
        "the login page set a cookie"
    );
    // A login posted from another site is refused; from the console's own page it opens
    // a session, whose cookie changes nothing without the same origin.
    let cross = service
        .client
        .post(service.url("/console/login"))
        .header("origin", "http://evil.example")
        .form(&[("token", ADMIN_TOKEN)])
        .send()
        .await
        .expect("POST");
    assert_eq!(cross.status(), 403);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = no_redirects
        .post(service.url("/console/login"))
        .header("origin", &service.base_url)
        .form(&[("token", ADMIN_TOKEN)])
        .send()
        .await
        .expect("POST");
    assert_eq!(login.status(), 303);
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().expect("name=value").to_owned();
    let page = no_redirects
        .get(service.url("/console/events"))
        .header("cookie", &session)
        .send()
        .await
        .expect("GET");
    assert_eq!(page.status(), 200);
    let forged = no_redirects
        .post(service.url("/dead-letters/purge"))
        .header("cookie", &session)
        .header("origin", "http://evil.example")
        .json(&json!({"filter": {}}))
        .send()
        .await
        .expect("POST");
    assert_eq!(forged.status(), 403);
    let same = no_redirects
        .post(service.url("/dead-letters/purge"))
        .header("cookie", &session)
        .header("origin", &service.base_url)
        .json(&json!({"filter": {}, "dry_run": true}))
        .send()
        .await
        .expect("POST");
    assert_eq!(same.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_token_configured_the_console_answers_on_loopback_and_says_so() {
    let service = start(None).await;
    let (status, page) = service.get_text("/console").await;
    assert_eq!(status, 200);
    assert!(page.contains("answers only on loopback"), "{page}");
    for path in ["/events", "/dead-letters", "/stats"] {
        assert_eq!(get(&service, path, None).await.status(), 200, "GET {path} on loopback");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_or_api_answer_shows_a_token_or_a_write_key() {
    // An Attio workspace token (to an Attio that is not there: the pages must still render).
    let service = ServiceBuilder::new()
        .config(CONFIG)
        .env("SEGMENT_ATTIO__INGEST__WRITE_KEYS", WRITE_KEY)
        .env("SEGMENT_ATTIO__SERVER__ADMIN_TOKEN", ADMIN_TOKEN)
        .attio_url("http://127.0.0.1:9")
        .token(ATTIO_TOKEN)
        .start()
        .await;
    let event = json!({"userId": "secret-check", "traits": {"email": "secret.check@example.com"}});
    assert_eq!(
        service.post_with_key("/v1/identify", WRITE_KEY, &event).await.status(),
        200
    );
    for path in [
        "/console",
        "/console/events",
        "/console/dead-letters",
        "/console/try",
        "/console/config",
        "/config",
        "/stats",
        "/events",
    ] {
        let response = get(&service, path, Some(ADMIN_TOKEN)).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().await.unwrap_or_default();
        for secret in [ADMIN_TOKEN, WRITE_KEY, ATTIO_TOKEN] {
            assert!(!body.contains(secret), "{path} shows a secret");
        }
    }
    let config: Value = get(&service, "/config", Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(config["destination"]["token"], "set (not shown)", "{config}");
}

/// The README's console examples, as commands and the answers shown under them (`# ...`;
/// `…` stands for any text).
fn readme_examples() -> Vec<(String, String)> {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Web console")
        .nth(1)
        .expect("README has a Web console section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the section has a sh block");
    let mut examples = Vec::new();
    let mut command = String::new();
    for line in block.lines() {
        if let Some(answer) = line.strip_prefix("# ") {
            examples.push((std::mem::take(&mut command), answer.to_owned()));
        } else {
            command.push_str(line);
            command.push('\n');
        }
    }
    examples
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_console_examples_answer_as_shown() {
    let service = start(Some(ADMIN_TOKEN)).await;
    let examples = readme_examples();
    assert!(examples.len() >= 4, "{examples:?}");
    let host = service.base_url.trim_start_matches("http://").to_owned();
    for (command, answer) in examples {
        let command = command.replace("localhost:8080", &host);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .env("TOKEN", ADMIN_TOKEN)
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "{command} failed: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut rest = text.trim();
        for part in answer.split('…') {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => panic!("{command}\nanswered\n{text}\nnot\n{answer}"),
            }
        }
        assert!(rest.is_empty(), "{command}\nanswered\n{text}\nmore than\n{answer}");
    }
}
