//! `segment-attio objects | attributes | check-auth` as real processes, against a
//! `segment-attio simulator` process and against the built-in simulator (no token).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use segment_attio_acceptance::binary;
use serde_json::Value;

/// The token the simulator process accepts.
const GOOD_TOKEN: &str = "cli-suite-good-token-8d41";
/// A token it refuses; it must never be printed.
const WRONG_TOKEN: &str = "cli-suite-wrong-token-3c7e";

const SCHEMA: &str = r#"
[[objects]]
api_slug = "projects"
singular_noun = "Project"
plural_noun = "Projects"

[[objects.attributes]]
slug = "code"
type = "text"
unique = true
"#;

/// A `segment-attio simulator` process, killed when dropped.
struct SimulatorProcess {
    child: Child,
    addr: SocketAddr,
}

impl Drop for SimulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SimulatorProcess {
    /// Starts the simulator on a free loopback port, accepting only [`GOOD_TOKEN`], with
    /// the custom objects of `schema` when given; waits until it accepts connections.
    fn start(schema: Option<&Path>) -> Self {
        for _ in 0..5 {
            let addr = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port");
            let mut cmd = Command::new(binary::path());
            cmd.env_clear()
                .args(["simulator", "--listen", &addr.to_string(), "--token", GOOD_TOKEN])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some(path) = schema {
                cmd.arg("--schema").arg(path);
            }
            let mut sim = Self {
                child: cmd.spawn().expect("the simulator process starts"),
                addr,
            };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if TcpStream::connect(addr).is_ok() {
                    return sim;
                }
                if sim.child.try_wait().ok().flatten().is_some() {
                    break; // the port was taken meanwhile: try another one
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = sim.child.kill();
        }
        panic!("the simulator process did not start");
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A finished command: exit status and both outputs as text.
struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    fn assert_never_prints(&self, secret: &str) {
        assert!(
            !self.stdout.contains(secret) && !self.stderr.contains(secret),
            "the token was printed:\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
    }
}

/// Runs `segment-attio ARGS` in an empty directory with only the given environment
/// (`token`: `None` means no token at all, so the built-in simulator is used).
fn cli(args: &[&str], base_url: Option<&str>, token: Option<&str>) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(binary::path());
    cmd.env_clear().current_dir(dir.path()).args(args);
    if let Some(url) = base_url {
        cmd.env("SEGMENT_ATTIO__ATTIO__BASE_URL", url);
    }
    if let Some(t) = token {
        cmd.env("SEGMENT_ATTIO__ATTIO__TOKEN", t);
    }
    let Output { status, stdout, stderr } = cmd.output().expect("segment-attio runs");
    let run = Run {
        success: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "segment-attio {args:?} panicked: {}",
        run.stderr
    );
    run
}

/// `(slug, singular noun)` of each object in `objects --json`, in the printed order.
fn choices(run: &Run) -> Vec<(String, String)> {
    let json = run.json();
    let list = json["choices"].as_array().expect("a choices array");
    list.iter()
        .map(|c| {
            (
                c["value"].as_str().expect("a slug").to_owned(),
                c["label"].as_str().expect("a singular noun").to_owned(),
            )
        })
        .collect()
}

/// The first column of a table, without its header.
fn first_column(table: &str) -> Vec<String> {
    table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn assert_sorted_by_noun(objects: &[(String, String)]) {
    let mut sorted = objects.to_vec();
    sorted.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(objects, sorted, "objects are not sorted by singular noun");
}

#[test]
fn objects_are_listed_sorted_by_singular_noun_with_a_custom_object_from_the_schema_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = dir.path().join("schema.toml");
    std::fs::write(&schema, SCHEMA).expect("schema file written");
    let sim = SimulatorProcess::start(Some(&schema));
    let url = sim.base_url();

    let json = cli(&["objects", "--json"], Some(&url), Some(GOOD_TOKEN));
    assert!(json.success, "objects --json failed: {}", json.stderr);
    let objects = choices(&json);
    for slug in ["people", "companies", "users", "workspaces", "projects"] {
        assert!(objects.iter().any(|(s, _)| s == slug), "{slug} missing: {objects:?}");
    }
    assert!(objects.contains(&("projects".to_owned(), "Project".to_owned())));
    assert_sorted_by_noun(&objects);

    let table = cli(&["objects"], Some(&url), Some(GOOD_TOKEN));
    assert!(table.success, "objects failed: {}", table.stderr);
    let slugs: Vec<String> = objects.iter().map(|(s, _)| s.clone()).collect();
    assert_eq!(first_column(&table.stdout), slugs, "{}", table.stdout);

    let attrs = cli(&["attributes", "projects", "--json"], Some(&url), Some(GOOD_TOKEN));
    assert!(attrs.success, "attributes projects failed: {}", attrs.stderr);
    let code = attrs
        .json()
        .as_array()
        .expect("an attribute array")
        .iter()
        .find(|a| a["api_slug"] == "code")
        .cloned();
    assert_eq!(code.expect("the custom attribute")["is_unique"], true);
}

#[test]
fn people_attributes_list_email_addresses_as_unique() {
    let sim = SimulatorProcess::start(None);
    let url = sim.base_url();

    let json = cli(&["attributes", "people", "--json"], Some(&url), Some(GOOD_TOKEN));
    assert!(json.success, "attributes --json failed: {}", json.stderr);
    let list = json.json();
    let attrs = list.as_array().expect("an attribute array");
    let email = attrs
        .iter()
        .find(|a| a["api_slug"] == "email_addresses")
        .expect("email_addresses listed");
    assert_eq!(email["is_unique"], true);
    assert_eq!(email["type"], "email-address");
    let name = attrs.iter().find(|a| a["api_slug"] == "name").expect("name listed");
    assert_eq!(name["is_unique"], false);

    let table = cli(&["attributes", "people"], Some(&url), Some(GOOD_TOKEN));
    assert!(table.success, "attributes failed: {}", table.stderr);
    let header: Vec<&str> = table
        .stdout
        .lines()
        .next()
        .expect("a header")
        .split_whitespace()
        .collect();
    let unique_col = header.iter().position(|h| *h == "UNIQUE").expect("a UNIQUE column");
    let row: Vec<&str> = table
        .stdout
        .lines()
        .find(|l| l.starts_with("email_addresses "))
        .expect("an email_addresses row")
        .split_whitespace()
        .collect();
    assert_eq!(row[unique_col], "yes", "{}", table.stdout);
}

#[test]
fn attributes_of_an_unknown_object_fail_with_a_readable_message() {
    let sim = SimulatorProcess::start(None);
    let url = sim.base_url();

    let run = cli(&["attributes", "no_such_object"], Some(&url), Some(GOOD_TOKEN));
    assert!(!run.success);
    assert!(
        run.stderr.contains("no_such_object") && run.stderr.contains("404"),
        "{}",
        run.stderr
    );

    let json = cli(
        &["attributes", "no_such_object", "--json"],
        Some(&url),
        Some(GOOD_TOKEN),
    );
    assert!(!json.success);
    assert_eq!(json.json()["error"]["code"], "404", "{}", json.stdout);
}

#[test]
fn check_auth_succeeds_with_the_right_token() {
    let sim = SimulatorProcess::start(None);
    let url = sim.base_url();

    let run = cli(&["check-auth"], Some(&url), Some(GOOD_TOKEN));
    assert!(run.success, "check-auth failed: {} {}", run.stdout, run.stderr);
    assert!(run.stdout.contains("credentials valid"), "{}", run.stdout);
    run.assert_never_prints(GOOD_TOKEN);

    let json = cli(&["check-auth", "--json"], Some(&url), Some(GOOD_TOKEN));
    assert!(json.success, "check-auth --json failed: {}", json.stderr);
    let v = json.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["target"], "attio");
    assert_eq!(v["workspace"]["active"], true);
    assert!(v["workspace"]["id"].is_string(), "{v}");
    assert!(v["error"].is_null(), "{v}");
    json.assert_never_prints(GOOD_TOKEN);
}

#[test]
fn a_wrong_token_fails_every_command_without_printing_it() {
    let sim = SimulatorProcess::start(None);
    let url = sim.base_url();

    let run = cli(&["check-auth"], Some(&url), Some(WRONG_TOKEN));
    assert!(!run.success, "check-auth accepted a wrong token: {}", run.stdout);
    assert!(
        run.stderr.contains("credentials refused") && run.stderr.contains("401"),
        "unreadable failure: {}",
        run.stderr
    );
    run.assert_never_prints(WRONG_TOKEN);

    let json = cli(&["check-auth", "--json"], Some(&url), Some(WRONG_TOKEN));
    assert!(!json.success);
    let v = json.json();
    assert_eq!(v["ok"], false);
    assert!(v["error"].as_str().is_some_and(|e| e.contains("401")), "{v}");
    json.assert_never_prints(WRONG_TOKEN);

    let objects = cli(&["objects", "--json"], Some(&url), Some(WRONG_TOKEN));
    assert!(!objects.success);
    assert_eq!(objects.json()["error"]["code"], "401", "{}", objects.stdout);
    objects.assert_never_prints(WRONG_TOKEN);

    let attrs = cli(&["attributes", "people"], Some(&url), Some(WRONG_TOKEN));
    assert!(!attrs.success);
    assert!(attrs.stderr.contains("401"), "{}", attrs.stderr);
    attrs.assert_never_prints(WRONG_TOKEN);
}

#[test]
fn without_a_token_the_commands_use_the_built_in_simulator() {
    let objects = cli(&["objects", "--json"], None, None);
    assert!(objects.success, "objects failed: {}", objects.stderr);
    let list = choices(&objects);
    assert!(list.iter().any(|(s, _)| s == "people"), "{list:?}");
    assert_sorted_by_noun(&list);

    let attrs = cli(&["attributes", "people", "--json"], None, None);
    assert!(attrs.success, "attributes failed: {}", attrs.stderr);
    let email = attrs
        .json()
        .as_array()
        .expect("an attribute array")
        .iter()
        .find(|a| a["api_slug"] == "email_addresses")
        .cloned()
        .expect("email_addresses listed");
    assert_eq!(email["is_unique"], true);

    let auth = cli(&["check-auth", "--json"], None, None);
    assert!(auth.success, "check-auth failed: {}", auth.stderr);
    let v = auth.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["target"], "simulator");
}
