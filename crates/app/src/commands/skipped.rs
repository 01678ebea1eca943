//! `segment-attio skipped`: the events subscriptions skipped, and why.

use std::path::Path;
use std::process::ExitCode;

use app::spool::SpoolConfig;
use serde_json::json;

pub async fn run(
    mut spool_config: SpoolConfig,
    data_dir: Option<&Path>,
    limit: usize,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    if let Some(dir) = data_dir {
        super::spool_path::override_spool(&mut spool_config, dir);
    }
    let spool = super::spool_path::open_existing(spool_config, None).await?;
    let skipped = spool.journal.skipped_events(limit).await?;
    if as_json {
        let list: Vec<_> = skipped
            .iter()
            .map(|s| json!({"event_id": s.event_id, "subscription": s.subscription, "reason": s.reason, "skipped_at": micros(&s.skipped_at)}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else if skipped.is_empty() {
        println!("no skipped events");
    } else {
        for s in &skipped {
            println!(
                "{} event {} [{}]: {}",
                micros(&s.skipped_at),
                s.event_id,
                s.subscription,
                s.reason
            );
        }
    }
    spool.close().await?;
    Ok(ExitCode::SUCCESS)
}

fn micros(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
