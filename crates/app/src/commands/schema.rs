//! The configuration checked against the workspace `serve` would use (see
//! [`app::schema_check`]), for `check-config`, `serve` and `check-auth`.

use std::sync::Arc;

use app::config::{ValidConfig, DEFAULT_DESTINATION};
use app::schema_check::{self, SchemaProblem};
use attio_adapter::http::HttpAttioGateway;
use domain::GatewayError;
use segment_adapter::destination::ActionSubscription;

use super::attio::{self, AttioTarget};

/// Whether `sub` delivers to the destination `name` (`[attio]` is the destination `default`).
fn delivers_to(sub: &ActionSubscription, name: &str) -> bool {
    sub.destination.as_deref().unwrap_or(DEFAULT_DESTINATION) == name
}

/// Each destination's subscriptions checked against its own workspace: `default` (the
/// `[attio]` gateway) and every `[[destinations]]` entry's gateway, one result each (a
/// workspace that cannot be read does not hide the others' problems).
pub async fn check_destinations(
    default: &HttpAttioGateway,
    named: &[(String, Arc<HttpAttioGateway>)],
    subscriptions: &[ActionSubscription],
) -> Vec<(String, Result<Vec<SchemaProblem>, GatewayError>)> {
    let mut out = vec![(
        DEFAULT_DESTINATION.to_owned(),
        schema_check::check(
            default,
            subscriptions.iter().filter(|s| delivers_to(s, DEFAULT_DESTINATION)),
        )
        .await,
    )];
    for (name, gateway) in named {
        let mine: Vec<&ActionSubscription> = subscriptions.iter().filter(|s| delivers_to(s, name)).collect();
        if !mine.is_empty() {
            out.push((name.clone(), schema_check::check(gateway, mine).await));
        }
    }
    out
}

/// The result of the check against an already connected target (and the gateways of the
/// `[[destinations]]` entries, for their subscriptions).
pub async fn check_target(target: &AttioTarget, valid: &ValidConfig) -> Result<Vec<SchemaProblem>, GatewayError> {
    let mut named = Vec::new();
    for d in &valid.settings.destinations {
        let gateway = attio::connect_destination(d, &valid.settings.attio)
            .map_err(|e| GatewayError::Rejected(format!("destinations {:?}: {e}", d.name)))?;
        named.push((d.name.clone(), gateway));
    }
    let mut problems = Vec::new();
    for (name, result) in check_destinations(&target.gateway, &named, &valid.subscriptions).await {
        match result {
            Ok(p) => problems.extend(p),
            Err(e) if name == DEFAULT_DESTINATION => return Err(e),
            Err(e) => return Err(GatewayError::Rejected(format!("destination {name:?}: {e}"))),
        }
    }
    Ok(problems)
}

/// `check-config` without `--offline`: connects (or starts the built-in simulator), checks,
/// prints the problems. `Ok(true)` when everything fits.
pub async fn check_config(valid: &ValidConfig) -> anyhow::Result<bool> {
    let target = attio::connect(&valid.settings.attio).await?;
    let result = check_target(&target, valid).await;
    let describe = target.describe();
    if let Some(sim) = target.simulator {
        sim.shutdown().await;
    }
    match result {
        Ok(problems) if problems.is_empty() => {
            println!("the subscriptions fit the workspace ({describe})");
            Ok(true)
        }
        Ok(problems) => {
            let text = report(&problems);
            println!("the subscriptions do not fit the workspace ({describe}):\n{text}");
            eprintln!("error: the subscriptions do not fit the workspace ({describe}):\n{text}");
            Ok(false)
        }
        Err(e) => {
            eprintln!(
                "error: could not check the subscriptions against the workspace ({describe}): {e} (--offline skips this check)"
            );
            Ok(false)
        }
    }
}

/// One problem a line.
pub fn report(problems: &[SchemaProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
