//! `segment-attio dead-letters list|show|replay|purge`.

use std::process::ExitCode;

use app::cli::{DeadLetterCommand, Selection};
use app::spool::{SpoolConfig, SqliteSpool};
use domain::ports::{DeadLetterSelection, DeadLetters, EventSpool};
use indicatif::{ProgressBar, ProgressStyle};

const PAGE: usize = 500;

fn selection(s: &Selection) -> DeadLetterSelection {
    if s.all {
        DeadLetterSelection::All
    } else if let Some(name) = &s.subscription {
        DeadLetterSelection::Subscription(name.clone())
    } else {
        DeadLetterSelection::Ids(s.ids.clone())
    }
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > max {
        let mut t: String = flat.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        flat
    }
}

pub async fn run(spool_config: SpoolConfig, cmd: DeadLetterCommand) -> anyhow::Result<ExitCode> {
    let spool = tokio::task::spawn_blocking(move || SqliteSpool::open(spool_config)).await??;
    let code = match cmd {
        DeadLetterCommand::List { limit, offset, json } => {
            let letters = spool.list(limit, offset).await?;
            if json {
                // Each item also carries the event's messageId, to find it by.
                let mut items = Vec::with_capacity(letters.len());
                for l in &letters {
                    let mut v = serde_json::to_value(l)?;
                    let message_id = serde_json::from_str::<serde_json::Value>(&l.letter.payload)
                        .ok()
                        .and_then(|p| p.get("messageId").cloned())
                        .unwrap_or(serde_json::Value::Null);
                    v["message_id"] = message_id;
                    items.push(v);
                }
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else if letters.is_empty() {
                println!("no dead letters");
            } else {
                println!(
                    "{:>8}  {:<24}  {:<20}  {:>8}  REASON",
                    "ID", "FAILED AT", "SUBSCRIPTION", "ATTEMPTS"
                );
                for l in &letters {
                    println!(
                        "{:>8}  {:<24}  {:<20}  {:>8}  {}",
                        l.id,
                        l.letter.failed_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                        one_line(&l.letter.subscription, 20),
                        l.letter.attempts,
                        one_line(&l.letter.reason, 100)
                    );
                }
                let total = spool.stats().await.map(|s| s.dead_letters).unwrap_or(0);
                println!("{} shown of {total}", letters.len());
            }
            ExitCode::SUCCESS
        }
        DeadLetterCommand::Show { id } => match spool.get(id).await? {
            Some(letter) => {
                let mut v = serde_json::to_value(&letter)?;
                if let Some(p) = v
                    .get("payload")
                    .and_then(|p| p.as_str())
                    .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
                {
                    v["payload"] = p;
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("no dead letter with id {id}");
                ExitCode::FAILURE
            }
        },
        DeadLetterCommand::Replay(sel) => {
            let n = in_pages(&spool, selection(&sel), true).await?;
            println!("{n} dead letter(s) moved back to the spool; a running service delivers them now");
            ExitCode::SUCCESS
        }
        DeadLetterCommand::Purge(sel) => {
            let n = in_pages(&spool, selection(&sel), false).await?;
            println!("{n} dead letter(s) deleted");
            ExitCode::SUCCESS
        }
    };
    spool.close().await;
    Ok(code)
}

/// Replays or purges page by page, with a progress bar on long runs.
async fn in_pages(spool: &SqliteSpool, selection: DeadLetterSelection, replay: bool) -> anyhow::Result<u64> {
    let total = spool.stats().await?.dead_letters;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if total < 2 * PAGE as u64 || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let apply = |sel: DeadLetterSelection| async move {
        if replay {
            spool.replay(sel).await
        } else {
            spool.purge(sel).await
        }
    };
    let mut done = 0u64;
    match selection {
        DeadLetterSelection::Ids(ids) => {
            for chunk in ids.chunks(PAGE) {
                done += apply(DeadLetterSelection::Ids(chunk.to_vec())).await?;
                bar.set_position(done);
            }
        }
        other => {
            // One transaction, so replayed events keep their original order.
            bar.set_message("working");
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            done = apply(other).await?;
            bar.set_position(done);
        }
    }
    bar.finish_and_clear();
    Ok(done)
}
