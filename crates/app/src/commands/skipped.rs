//! `segment-attio skipped`: the events subscriptions skipped, and why.

use std::process::ExitCode;

use app::spool::{SpoolConfig, SqliteJournal, SqliteSpool};
use serde_json::json;

pub async fn run(spool_config: SpoolConfig, limit: usize, as_json: bool) -> anyhow::Result<ExitCode> {
    let (spool, journal) = tokio::task::spawn_blocking(move || {
        let spool = SqliteSpool::open(spool_config.clone())?;
        let journal = SqliteJournal::open(&spool_config)?;
        Ok::<_, domain::ports::SpoolError>((spool, journal))
    })
    .await??;
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
