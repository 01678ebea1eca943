//! `segment-attio test-event`: prints the Attio requests some events would cause.

use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use app::cli::test_event::{self, inline_subscription};
use app::cli::TestEventArgs;
use app::config::ValidConfig;
use app::routing::Router;
use chrono::{DateTime, Utc};
use segment_adapter::destination::ActionSubscription;

/// The events to try, one at a time: the argument, then the file's lines (read as they
/// are needed, so that a large file is never held in memory).
fn events(args: &TestEventArgs) -> anyhow::Result<Box<dyn Iterator<Item = std::io::Result<String>>>> {
    let first = args.event.clone().map(Ok).into_iter();
    let Some(path) = &args.file else {
        if args.event.is_none() {
            bail!("give an event as an argument or a JSON Lines file with --file");
        }
        return Ok(Box::new(first));
    };
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
        Box::new(BufReader::new(file))
    };
    Ok(Box::new(first.chain(reader.lines())))
}

pub fn run(valid: ValidConfig, args: TestEventArgs) -> anyhow::Result<ExitCode> {
    let events = events(&args)?;
    let now: DateTime<Utc> = match &args.now {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .context("--now must be an RFC 3339 time")?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let ValidConfig {
        settings,
        subscriptions,
        integrations,
        ..
    } = valid;
    let subs: Vec<ActionSubscription> = if let Some(action) = &args.action {
        vec![inline_subscription(
            action,
            args.mapping.as_deref(),
            args.subscribe.as_deref(),
            args.default_mapping,
            args.batch,
        )
        .map_err(anyhow::Error::msg)?]
    } else {
        let all = subscriptions;
        match &args.subscription {
            Some(name) => {
                let picked: Vec<_> = all.into_iter().filter(|s| &s.name == name).collect();
                if picked.is_empty() {
                    bail!("no subscription named {name:?} in the configuration");
                }
                picked
            }
            None => all,
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Each event is prepared as delivery prepares it (the schema check is not run: nothing
    // is blocked).
    let router = Router::new(integrations, subs, Vec::new());
    let mut runner = test_event::DryRunner::new(&router, &settings.attio.base_url, now, args.json);
    for line in events {
        let line = line.context("reading the events")?;
        if line.trim().is_empty() {
            continue;
        }
        runner.event(&line, &mut out)?;
    }
    let rejected = runner.finish(&mut out)?;
    out.flush()?;
    Ok(if rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
