//! `segment-attio test-event`: prints the Attio requests some events would cause.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{bail, Context};
use app::cli::test_event::{self, inline_subscription};
use app::cli::TestEventArgs;
use app::config::ValidConfig;
use chrono::{DateTime, Utc};
use segment_adapter::destination::ActionSubscription;

fn read_events(args: &TestEventArgs) -> anyhow::Result<Vec<String>> {
    let mut events = Vec::new();
    if let Some(e) = &args.event {
        events.push(e.clone());
    }
    if let Some(path) = &args.file {
        let mut text = String::new();
        if path.as_os_str() == "-" {
            std::io::stdin().read_to_string(&mut text)?;
        } else {
            text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        }
        events.extend(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned));
    }
    if events.is_empty() {
        bail!("give an event as an argument or a JSON Lines file with --file");
    }
    Ok(events)
}

pub fn run(valid: ValidConfig, args: TestEventArgs) -> anyhow::Result<ExitCode> {
    let events = read_events(&args)?;
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
    let mut stdout = std::io::stdout();
    let rejected = test_event::run(
        &subs,
        &integrations,
        &events,
        &settings.attio.base_url,
        now,
        args.json,
        &mut stdout,
    )?;
    Ok(if rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
