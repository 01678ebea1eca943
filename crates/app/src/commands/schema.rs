//! The configuration checked against the workspace `serve` would use (see
//! [`app::schema_check`]), for `check-config`, `serve` and `check-auth`.

use app::config::ValidConfig;
use app::schema_check::{self, SchemaProblem};
use domain::GatewayError;

use super::attio::{self, AttioTarget};

/// The result of the check against an already connected target.
pub async fn check_target(target: &AttioTarget, valid: &ValidConfig) -> Result<Vec<SchemaProblem>, GatewayError> {
    schema_check::check(&target.gateway, &valid.subscriptions).await
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
