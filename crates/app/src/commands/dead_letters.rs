//! `segment-attio dead-letters list|show|replay|purge`.

use std::process::ExitCode;

use anyhow::Context;
use app::cli::{DeadLetterCommand, Selection};
use app::dead_letter_view::view;
use app::spool::Spool;
use app::trace_query::parse_since;
use chrono::Utc;
use domain::ports::{DeadLetterFilter, DeadLetterSelection};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

const PAGE: usize = 500;

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How long ago, in the largest whole unit.
fn age(since: chrono::DateTime<Utc>) -> String {
    let secs = (Utc::now() - since).num_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7_200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}

fn flat(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

pub async fn run(spool: Spool, cmd: DeadLetterCommand) -> anyhow::Result<ExitCode> {
    let code = match cmd {
        DeadLetterCommand::List {
            limit,
            offset,
            subscription,
            destination,
            reason,
            since,
            json,
        } => {
            let since = since
                .as_deref()
                .map(parse_since)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--since: {e}"))?;
            let filter = DeadLetterFilter {
                subscription,
                destination,
                reason,
                since,
                limit,
                offset,
            };
            let letters = spool.dead_letters.search(filter).await?;
            if json {
                let views: Vec<Value> = letters.iter().map(view).collect();
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else if letters.is_empty() {
                println!("no dead letters found in {}", spool.location());
            } else {
                for l in &letters {
                    let v = view(l);
                    let who = if v["user_id"].is_null() {
                        &v["group_id"]
                    } else {
                        &v["user_id"]
                    };
                    println!(
                        "event {}  message_id={}  type={}  user/group={}  subscription={}  destination={}  attempts={}  age={}",
                        l.letter.event_id,
                        text(&v["message_id"]),
                        text(&v["type"]),
                        text(who),
                        l.letter.subscription,
                        l.destination,
                        l.letter.attempts,
                        age(l.letter.failed_at)
                    );
                    println!("    reason: {}", flat(&l.letter.reason));
                }
                let total = spool.events.stats().await.map(|s| s.dead_letters).unwrap_or(0);
                println!("{} shown of {total}", letters.len());
            }
            ExitCode::SUCCESS
        }
        DeadLetterCommand::Show { id } => {
            let letters = spool.dead_letters.of_event(&id).await?;
            if letters.is_empty() {
                eprintln!(
                    "error: no dead letter for an event with id or messageId {id:?} in {}",
                    spool.location()
                );
                ExitCode::FAILURE
            } else {
                let views: Vec<Value> = letters.iter().map(view).collect();
                let out = if views.len() == 1 {
                    views[0].clone()
                } else {
                    Value::Array(views)
                };
                println!("{}", serde_json::to_string_pretty(&out)?);
                ExitCode::SUCCESS
            }
        }
        DeadLetterCommand::Replay { selection, dry_run } => {
            let Some(selection) = resolve(&spool, &selection).await? else {
                return Ok(ExitCode::FAILURE);
            };
            if dry_run {
                let n = count(&spool, &selection).await?;
                println!("would move {n} dead letter(s) back to the spool (dry run: nothing changed)");
            } else {
                let n = in_pages(&spool, selection, true).await?;
                println!("{n} dead letter(s) moved back to the spool; a running service delivers them now");
            }
            ExitCode::SUCCESS
        }
        DeadLetterCommand::Purge { selection, yes } => {
            let Some(selection) = resolve(&spool, &selection).await? else {
                return Ok(ExitCode::FAILURE);
            };
            if yes {
                let n = in_pages(&spool, selection, false).await?;
                println!("{n} dead letter(s) deleted");
            } else {
                let n = count(&spool, &selection).await?;
                println!("would delete {n} dead letter(s); run again with --yes to delete them");
            }
            ExitCode::SUCCESS
        }
    };
    spool.close().await?;
    Ok(code)
}

/// The selection in dead letter ids; `None` (after saying which) when an id names no
/// dead letter.
async fn resolve(spool: &Spool, s: &Selection) -> anyhow::Result<Option<DeadLetterSelection>> {
    if s.all {
        return Ok(Some(DeadLetterSelection::All));
    }
    if let Some(name) = &s.subscription {
        return Ok(Some(DeadLetterSelection::Subscription(name.clone())));
    }
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for id in &s.ids {
        let letters = spool
            .dead_letters
            .of_event(id)
            .await
            .with_context(|| format!("looking up {id:?}"))?;
        if letters.is_empty() {
            unknown.push(id.as_str());
        }
        ids.extend(letters.iter().map(|l| l.id));
    }
    if !unknown.is_empty() {
        eprintln!(
            "error: no dead letter for an event with id or messageId {}; nothing was changed",
            unknown
                .iter()
                .map(|id| format!("{id:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(None);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(Some(DeadLetterSelection::Ids(ids)))
}

/// How many dead letters a selection holds.
async fn count(spool: &Spool, selection: &DeadLetterSelection) -> anyhow::Result<u64> {
    Ok(match selection {
        DeadLetterSelection::All => spool.events.stats().await?.dead_letters,
        DeadLetterSelection::Ids(ids) => ids.len() as u64,
        DeadLetterSelection::Subscription(name) => {
            let filter = DeadLetterFilter {
                subscription: Some(name.clone()),
                limit: usize::MAX,
                ..DeadLetterFilter::default()
            };
            spool.dead_letters.search(filter).await?.len() as u64
        }
    })
}

/// Replays or purges page by page, with a progress bar on long runs.
async fn in_pages(spool: &Spool, selection: DeadLetterSelection, replay: bool) -> anyhow::Result<u64> {
    let total = spool.events.stats().await?.dead_letters;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if total < 2 * PAGE as u64 || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let apply = |sel: DeadLetterSelection| async move {
        if replay {
            spool.dead_letters.replay(sel).await
        } else {
            spool.dead_letters.purge(sel).await
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
