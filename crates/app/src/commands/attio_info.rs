//! `segment-attio objects | attributes OBJECT | check-auth`: the configured workspace
//! (or the built-in simulator when no token is set).

use std::process::ExitCode;

use app::config::{AttioSettings, ValidConfig};
use domain::actions::{choice_error, object_choices};
use domain::ports::AttioGateway;
use domain::ObjectSlug;
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

pub async fn check_auth(valid: &ValidConfig, as_json: bool) -> anyhow::Result<ExitCode> {
    let target = attio::connect(&valid.settings.attio).await?;
    let who = target.gateway.whoami().await;
    let check = target.gateway.check_credentials().await;
    let credentials_ok = check.is_ok() && who.as_ref().map(|w| w.active).unwrap_or(true);
    // The subscriptions against the workspace, once the credentials work.
    let schema = if credentials_ok {
        Some(super::schema::check_target(&target, valid).await)
    } else {
        None
    };
    let schema_ok = matches!(&schema, Some(Ok(p)) if p.is_empty());
    let ok = credentials_ok && schema_ok;
    let schema_json = match &schema {
        None => json!(null),
        Some(Ok(p)) => json!({"ok": p.is_empty(), "problems": p.iter().map(ToString::to_string).collect::<Vec<_>>()}),
        Some(Err(e)) => json!({"ok": false, "error": e.to_string()}),
    };
    let error = match &check {
        Err(e) => Some(e.to_string()),
        Ok(()) if !credentials_ok => Some(INACTIVE.to_owned()),
        Ok(()) => None,
    };
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "ok": ok,
                "target": target.describe(),
                "workspace": who.as_ref().ok().map(|w| json!({"id": w.workspace_id, "name": w.workspace_name, "slug": w.workspace_slug, "active": w.active})),
                "error": error,
                "schema": schema_json,
            }))?
        );
    } else if credentials_ok {
        match &who {
            Ok(w) => println!(
                "credentials valid for workspace {} ({})",
                w.workspace_name.as_deref().unwrap_or("?"),
                target.describe()
            ),
            Err(_) => println!("credentials valid ({})", target.describe()),
        }
        match &schema {
            Some(Ok(p)) if p.is_empty() => println!("the subscriptions fit the workspace"),
            Some(Ok(p)) => eprintln!(
                "the subscriptions do not fit the workspace:\n{}",
                super::schema::report(p)
            ),
            Some(Err(e)) => eprintln!("could not check the subscriptions against the workspace: {e}"),
            None => {}
        }
    } else {
        eprintln!("credentials refused: {}", error.as_deref().unwrap_or(INACTIVE));
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
