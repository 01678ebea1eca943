//! `segment-attio import FILE.jsonl`: backfills historical events (e.g. a Segment
//! export) into the spool, from where `serve` delivers them through the same pipeline.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::Context;
use app::spool::SpoolConfig;
use chrono::{DateTime, Utc};
use domain::ports::{NewEvent, SystemClock};
use indicatif::{ProgressBar, ProgressStyle};
use segment_adapter::event::{Enrichment, Event, StampMode};

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    pub lines: u64,
    pub imported: u64,
    pub invalid: Vec<(u64, String)>,
}

pub async fn run(spool_config: SpoolConfig, file: &Path, chunk: usize) -> anyhow::Result<ImportSummary> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let spool = super::spool_path::open(spool_config).await?;
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if !console_is_interactive() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    // Historical events keep their own receivedAt; events without one get now.
    let stamp = Enrichment::new(&SystemClock, StampMode::Relayed);
    let mut summary = ImportSummary::default();
    let mut pending: Vec<NewEvent> = Vec::with_capacity(chunk);
    for line in BufReader::new(f).lines() {
        let line = line.with_context(|| format!("reading {}", file.display()))?;
        summary.lines += 1;
        bar.inc(line.len() as u64 + 1);
        if line.trim().is_empty() {
            continue;
        }
        match prepare(&line, &stamp) {
            Ok(ev) => pending.push(ev),
            Err(reason) => summary.invalid.push((summary.lines, reason)),
        }
        if pending.len() >= chunk.max(1) {
            summary.imported += pending.len() as u64;
            spool.events.append(std::mem::take(&mut pending)).await?;
            bar.set_message(format!("{} imported", summary.imported));
        }
    }
    if !pending.is_empty() {
        summary.imported += pending.len() as u64;
        spool.events.append(pending).await?;
    }
    bar.finish_and_clear();
    spool.close().await?;
    Ok(summary)
}

fn console_is_interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

/// Validates and stamps one event as ingestion does.
fn prepare(line: &str, stamp: &Enrichment) -> Result<NewEvent, String> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let mut event = Event::from_value(value).map_err(|e| e.to_string())?;
    let _ = event.take_write_key();
    event.validate().map_err(|e| e.to_string())?;
    event.enrich(stamp);
    let received_at = event
        .received_at()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| stamp.received_at());
    Ok(NewEvent {
        received_at,
        payload: event.into_json(),
        only_subscription: None,
        only_destinations: None,
    })
}
