//! `segment-attio skipped`: the events subscriptions skipped, and why.

use std::path::Path;
use std::process::ExitCode;

use app::spool::{SpoolConfig, SqliteJournal};
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
    // Opening the spool first brings its schema up to date for the journal.
    let spool = super::spool_path::open_existing(spool_config.clone(), None).await?;
    let journal = tokio::task::spawn_blocking(move || SqliteJournal::open(&spool_config)).await??;
    let skipped = journal.skipped_events(limit).await?;
    if as_json {
        let list: Vec<_> = skipped
            .iter()
            .map(|s| json!({"event_id": s.event_id, "subscription": s.subscription, "reason": s.reason, "skipped_at": s.skipped_at}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else if skipped.is_empty() {
        println!("no skipped events");
    } else {
        for s in &skipped {
            println!(
                "{} event {} [{}]: {}",
                s.skipped_at, s.event_id, s.subscription, s.reason
            );
        }
    }
    drop(spool);
    Ok(ExitCode::SUCCESS)
}
