//! `segment-attio objects | attributes OBJECT | check-auth`: the configured workspace
//! (or the built-in simulator when no token is set).

use std::process::ExitCode;

use app::config::{AttioSettings, ValidConfig, DEFAULT_DESTINATION};
use app::schema_check::SchemaProblem;
use domain::actions::{choice_error, object_choices};
use domain::ports::AttioGateway;
use domain::GatewayError;
use domain::ObjectSlug;
use segment_adapter::destination::ActionSubscription;
use serde_json::json;

use super::attio;

pub async fn objects(settings: &AttioSettings, as_json: bool) -> anyhow::Result<ExitCode> {
    let target = attio::connect(settings).await?;
    let result = target.gateway.list_objects().await;
    match result {
        Ok(objects) => {
            let choices = object_choices(objects);
            if as_json {
                println!("{}", serde_json::to_string_pretty(&json!({"choices": choices}))?);
            } else {
                println!("{:<24} NAME", "SLUG");
                for c in &choices {
                    println!(
                        "{:<24} {}",
                        c.value.as_deref().unwrap_or("-"),
                        c.label.as_deref().unwrap_or("-")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if as_json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"choices": [], "error": choice_error(&e)}))?
                );
            } else {
                eprintln!("could not list the objects: {e}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

pub async fn attributes(settings: &AttioSettings, object: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let slug = ObjectSlug::parse(object).map_err(|e| anyhow::anyhow!("OBJECT: {e}"))?;
    let target = attio::connect(settings).await?;
    match target.gateway.list_attributes(&slug).await {
        Ok(list) => {
            if as_json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                println!(
                    "{:<28} {:<18} {:<6} {:<6} {:<8} {:<8}",
                    "SLUG", "TYPE", "UNIQUE", "MULTI", "REQUIRED", "WRITABLE"
                );
                for a in &list {
                    println!(
                        "{:<28} {:<18} {:<6} {:<6} {:<8} {:<8}",
                        a.api_slug,
                        a.attribute_type.as_str(),
                        yes(a.is_unique),
                        yes(a.is_multiselect),
                        yes(a.is_required),
                        yes(a.is_writable)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if as_json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"attributes": [], "error": choice_error(&e)}))?
                );
            } else {
                eprintln!("could not list the attributes of {object}: {e}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Why `check-auth` fails when Attio accepts the token but reports it revoked.
const INACTIVE: &str = "the token is not active";

/// One destination's credentials (whether they work, the workspace, the error) and, once
/// they work, its subscriptions checked against its workspace.
struct AuthCheck {
    name: String,
    target: &'static str,
    ok: bool,
    workspace: Option<attio_adapter::http::Identity>,
    error: Option<String>,
    schema: Option<Result<Vec<SchemaProblem>, GatewayError>>,
}

impl AuthCheck {
    fn schema_ok(&self) -> bool {
        matches!(&self.schema, Some(Ok(p)) if p.is_empty())
    }

    fn schema_json(&self) -> serde_json::Value {
        match &self.schema {
            None => json!(null),
            Some(Ok(p)) => {
                json!({"ok": p.is_empty(), "problems": p.iter().map(ToString::to_string).collect::<Vec<_>>()})
            }
            Some(Err(e)) => json!({"ok": false, "error": e.to_string()}),
        }
    }

    fn workspace_json(&self) -> Option<serde_json::Value> {
        self.workspace.as_ref().map(
            |w| json!({"id": w.workspace_id, "name": w.workspace_name, "slug": w.workspace_slug, "active": w.active}),
        )
    }
}

async fn check_one(
    name: &str,
    target: &'static str,
    gateway: &attio_adapter::http::HttpAttioGateway,
    subscriptions: &[ActionSubscription],
) -> AuthCheck {
    let who = gateway.whoami().await;
    let check = gateway.check_credentials().await;
    let ok = check.is_ok() && who.as_ref().map(|w| w.active).unwrap_or(true);
    let error = match &check {
        Err(e) => Some(e.to_string()),
        Ok(()) if !ok => Some(INACTIVE.to_owned()),
        Ok(()) => None,
    };
    // The destination's subscriptions against its workspace, once the credentials work.
    let schema = if ok {
        let mine = subscriptions
            .iter()
            .filter(|s| s.destination.as_deref().unwrap_or(DEFAULT_DESTINATION) == name);
        Some(app::schema_check::check(gateway, mine).await)
    } else {
        None
    };
    AuthCheck {
        name: name.to_owned(),
        target,
        ok,
        workspace: who.ok(),
        error,
        schema,
    }
}

/// Checks the credentials of `[attio]` (the destination `default`) and of every
/// `[[destinations]]` entry, and each destination's subscriptions against its workspace.
pub async fn check_auth(valid: &ValidConfig, as_json: bool) -> anyhow::Result<ExitCode> {
    let settings = &valid.settings.attio;
    let target = attio::connect(settings).await?;
    let mut checks = vec![
        check_one(
            DEFAULT_DESTINATION,
            target.describe(),
            &target.gateway,
            &valid.subscriptions,
        )
        .await,
    ];
    for d in &valid.settings.destinations {
        let gateway = attio::connect_destination(d, settings)?;
        checks.push(check_one(&d.name, "attio", &gateway, &valid.subscriptions).await);
    }
    let ok = checks.iter().all(|c| c.ok && c.schema_ok());
    if as_json {
        let first = &checks[0];
        let others: Vec<_> = checks[1..]
            .iter()
            .map(|c| {
                json!({"name": c.name, "ok": c.ok && c.schema_ok(), "workspace": c.workspace_json(), "error": c.error, "schema": c.schema_json()})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "ok": first.ok && first.schema_ok(),
                "target": first.target,
                "workspace": first.workspace_json(),
                "error": first.error,
                "schema": first.schema_json(),
                "destinations": others,
                "all_ok": ok,
            }))?
        );
    } else {
        let several = checks.len() > 1;
        for c in &checks {
            let prefix = if several {
                format!("{}: ", c.name)
            } else {
                String::new()
            };
            if c.ok {
                match &c.workspace {
                    Some(w) => println!(
                        "{prefix}credentials valid for workspace {} ({})",
                        w.workspace_name.as_deref().unwrap_or("?"),
                        c.target
                    ),
                    None => println!("{prefix}credentials valid ({})", c.target),
                }
                match &c.schema {
                    Some(Ok(p)) if p.is_empty() => println!("{prefix}the subscriptions fit the workspace"),
                    Some(Ok(p)) => eprintln!(
                        "{prefix}the subscriptions do not fit the workspace:\n{}",
                        super::schema::report(p)
                    ),
                    Some(Err(e)) => {
                        eprintln!("{prefix}could not check the subscriptions against the workspace: {e}")
                    }
                    None => {}
                }
            } else {
                eprintln!(
                    "{prefix}credentials refused: {}",
                    c.error.as_deref().unwrap_or(INACTIVE)
                );
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
