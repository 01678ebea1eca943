//! What `deploy/` promises, checked without a container engine: the Dockerfile's health
//! check (run for real against a service), its non-root user, volume, port and the binary
//! and flags it uses; `.dockerignore`; the systemd unit's command line; the Prometheus
//! alert rules (`promtool check rules`) and the Grafana dashboard, which read only
//! documented metrics.

use std::path::{Path, PathBuf};
use std::process::Command;

use segment_attio_acceptance::binary;
use segment_attio_acceptance::metrics_doc::{documented, referenced};
use segment_attio_acceptance::service::{free_port, ServiceBuilder};
use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The Dockerfile's instructions (continuation lines joined, comments dropped), as
/// (INSTRUCTION, arguments).
fn dockerfile() -> Vec<(String, String)> {
    let text = read("deploy/Dockerfile");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (word, rest) = current.split_once(' ').unwrap_or((current.as_str(), ""));
                out.push((word.to_ascii_uppercase(), rest.trim().to_owned()));
                current.clear();
            }
        }
    }
    out
}

/// The instructions of the image's last stage.
fn final_stage() -> Vec<(String, String)> {
    let all = dockerfile();
    let start = all.iter().rposition(|(i, _)| i == "FROM").expect("a FROM");
    all[start..].to_vec()
}

fn one<'a>(stage: &'a [(String, String)], instruction: &str) -> &'a str {
    let found: Vec<&str> = stage
        .iter()
        .filter(|(i, _)| i == instruction)
        .map(|(_, a)| a.as_str())
        .collect();
    assert_eq!(found.len(), 1, "the image's stage has {} {instruction}", found.len());
    found[0]
}

/// `KEY=value` pairs of the final stage's ENV instructions.
fn env(stage: &[(String, String)], key: &str) -> String {
    stage
        .iter()
        .filter(|(i, _)| i == "ENV")
        .flat_map(|(_, a)| a.split_whitespace())
        .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("the image sets no {key}"))
        .to_owned()
}

/// The HEALTHCHECK's command (exec form: a JSON array after `CMD`).
fn healthcheck_command() -> Vec<String> {
    let stage = final_stage();
    let args = one(&stage, "HEALTHCHECK");
    let json = &args[args.find("CMD [").map(|i| i + 4).expect("HEALTHCHECK ... CMD [...]")..];
    serde_json::from_str(json).unwrap_or_else(|e| panic!("HEALTHCHECK CMD is not a JSON array ({e}): {json}"))
}

fn image_port() -> u16 {
    let stage = final_stage();
    let expose: u16 = one(&stage, "EXPOSE").trim().parse().expect("EXPOSE a port number");
    let listen = env(&stage, "SEGMENT_ATTIO__SERVER__LISTEN");
    assert_eq!(
        listen.rsplit(':').next().and_then(|p| p.parse().ok()),
        Some(expose),
        "the service listens on {listen} but the image exposes {expose}"
    );
    expose
}

/// Runs the health check with the image's port replaced by `port`.
fn run_healthcheck(port: u16) -> bool {
    let command = healthcheck_command();
    let image = format!("127.0.0.1/{}", image_port());
    assert!(
        command.iter().any(|a| a.contains(&image)),
        "the health check does not probe the exposed port: {command:?}"
    );
    let command: Vec<String> = command
        .iter()
        .map(|a| a.replace(&image, &format!("127.0.0.1/{port}")))
        .collect();
    Command::new(&command[0])
        .args(&command[1..])
        .status()
        .expect("run the health check")
        .success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_health_check_probes_healthz_and_fails_without_a_service() {
    let command = healthcheck_command();
    assert!(command.iter().any(|a| a.contains("/healthz")), "{command:?}");
    let service = ServiceBuilder::new().start().await;
    let port = service.addr.port();
    let healthy = tokio::task::spawn_blocking(move || run_healthcheck(port))
        .await
        .expect("ran");
    assert!(healthy, "the health check fails against a running service");
    let nobody = free_port();
    let unhealthy = tokio::task::spawn_blocking(move || run_healthcheck(nobody))
        .await
        .expect("ran");
    assert!(!unhealthy, "the health check passes with nothing listening");
}

#[test]
fn the_image_runs_as_a_non_root_user_with_the_spool_on_a_volume() {
    let stage = final_stage();
    let user = one(&stage, "USER").trim();
    let name = user.split(':').next().unwrap_or_default();
    assert!(!name.is_empty() && name != "root" && name != "0", "USER {user}");
    let volume = one(&stage, "VOLUME")
        .trim()
        .trim_matches(|c| c == '[' || c == ']' || c == '"');
    let spool = env(&stage, "SEGMENT_ATTIO__SPOOL__PATH");
    assert!(
        Path::new(&spool).starts_with(volume),
        "the spool {spool} is not on the volume {volume}"
    );
    image_port();
}

#[test]
fn the_image_builds_and_starts_the_real_binary() {
    let all = dockerfile();
    let stages = all.iter().filter(|(i, _)| i == "FROM").count();
    assert!(stages >= 2, "not a multi-stage build");
    // Dependencies are built in a layer of their own, before the sources are copied.
    let cook = all
        .iter()
        .position(|(i, a)| i == "RUN" && a.contains("cargo chef cook"));
    let sources = all.iter().rposition(|(i, a)| i == "COPY" && a.starts_with(". ."));
    assert!(
        matches!((cook, sources), (Some(c), Some(s)) if c < s),
        "no dependency layer before the sources"
    );
    let build = all
        .iter()
        .find(|(i, a)| i == "RUN" && a.contains("cargo build"))
        .map(|(_, a)| a.clone())
        .expect("a cargo build");
    let manifest = read("crates/app/Cargo.toml");
    assert!(build.contains("-p segment-attio ") && manifest.contains("name = \"segment-attio\""));
    assert!(build.contains("--bin segment-attio") && manifest.contains("[[bin]]\nname = \"segment-attio\""));

    let stage = final_stage();
    let copy = one(&stage, "COPY");
    let mut words = copy.split_whitespace().skip(1);
    let (from, to) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    assert_eq!(from, "/src/target/release/segment-attio", "{copy}");
    let entrypoint: Vec<String> = serde_json::from_str(one(&stage, "ENTRYPOINT")).expect("ENTRYPOINT [...]");
    assert_eq!(entrypoint, [to], "the entrypoint is not the binary copied in");
    let cmd: Vec<String> = serde_json::from_str(one(&stage, "CMD")).expect("CMD [...]");
    let out = Command::new(binary::path())
        .args(&cmd)
        .arg("--help")
        .output()
        .expect("run the binary");
    assert!(out.status.success(), "`segment-attio {cmd:?} --help` fails");
}

#[test]
fn dockerignore_keeps_target_out_of_the_build_context() {
    let ignore = read(".dockerignore");
    let patterns: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for wanted in ["target", ".git"] {
        assert!(
            patterns
                .iter()
                .any(|p| p.trim_start_matches("**/").trim_matches('/') == wanted),
            ".dockerignore does not exclude {wanted}: {patterns:?}"
        );
    }
    assert!(!patterns.iter().any(|p| p.starts_with('!')), "{patterns:?}");
}

#[test]
fn the_systemd_unit_runs_flags_the_binary_has() {
    let unit = read("deploy/segment-attio.service");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let args: Vec<&str> = exec.split_whitespace().collect();
    assert_eq!(args[0], "/usr/local/bin/segment-attio");
    let command = args[1];
    let help = |extra: &[&str]| {
        let out = Command::new(binary::path())
            .args(extra)
            .arg("--help")
            .output()
            .expect("run the binary");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let global = help(&[]);
    let sub = help(&[command]);
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        assert!(
            global.contains(flag) || sub.contains(flag),
            "`segment-attio {command}` has no {flag}"
        );
    }
    let data_dir = args
        .windows(2)
        .find(|w| w[0] == "--data-dir")
        .map(|w| w[1])
        .expect("--data-dir");
    let state = unit
        .lines()
        .find_map(|l| l.strip_prefix("StateDirectory="))
        .expect("StateDirectory");
    assert_eq!(
        data_dir,
        format!("/var/lib/{state}"),
        "the spool is not in the unit's state directory"
    );
}

/// `promtool`, from Debian's `prometheus` package (scripts/install-test-deps.sh).
fn promtool() -> PathBuf {
    let path = std::env::var_os("PROMTOOL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/promtool"));
    assert!(
        path.exists(),
        "promtool is not installed at {}: run scripts/install-test-deps.sh",
        path.display()
    );
    path
}

#[test]
fn the_alert_rules_pass_promtool() {
    let rules = repo("deploy/prometheus-alerts.yml");
    let out = Command::new(promtool())
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool check rules:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `expr:` of every rule (single-line expressions).
fn alert_expressions() -> Vec<String> {
    read("deploy/prometheus-alerts.yml")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("expr:").map(|e| e.trim().to_owned()))
        .collect()
}

/// Every PromQL query of the dashboard (panels and template variables).
fn dashboard_queries() -> Vec<String> {
    let dashboard: Value = serde_json::from_str(&read("deploy/grafana-dashboard.json")).expect("the dashboard is JSON");
    let mut queries = Vec::new();
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("expr" | "definition", Value::String(s)) => out.push(s.clone()),
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(&dashboard, &mut queries);
    assert!(
        dashboard["panels"].as_array().is_some_and(|p| !p.is_empty()),
        "no panels"
    );
    queries
}

#[test]
fn alert_rules_and_dashboard_read_only_documented_metrics() {
    let docs = documented();
    for (source, queries) in [("alert rules", alert_expressions()), ("dashboard", dashboard_queries())] {
        assert!(queries.len() >= 4, "{source}: {queries:?}");
        for query in &queries {
            for name in referenced(query, &docs) {
                assert!(
                    docs.contains_key(&name),
                    "{source}: {name} is not a documented metric ({query})"
                );
            }
        }
    }
    // The alerts the operators asked for.
    let rules = alert_expressions().join("\n");
    for needle in [
        "segment_attio_events_dead_lettered_total",
        "segment_attio_spool_oldest_event_age_seconds",
        "segment_attio_attio_credentials_refused",
        "segment_attio_attio_requests_total{status=\"429\"}",
    ] {
        assert!(rules.contains(needle), "no alert reads {needle}");
    }
}
