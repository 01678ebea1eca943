//! `segment-attio events show ID` and `segment-attio events list`: the event trace.

use std::process::ExitCode;

use app::cli::{EventFilterArgs, EventsCommand};
use app::spool::Spool;
use app::trace_query::{parse_since, parse_state, MAX_LIST};
use domain::ports::{EventTraceRecord, TraceFilter};

pub async fn run(spool: Spool, cmd: EventsCommand) -> anyhow::Result<ExitCode> {
    if !spool.trace_enabled() {
        eprintln!(
            "note: the event trace is off (spool.trace = false); only waiting and dead-lettered events are found"
        );
    }
    let code = match cmd {
        EventsCommand::Show { id, json } => match spool.trace.find(&id).await? {
            Some(trace) => {
                if json {
                    println!("{}", serde_json::to_string_pretty(&trace)?);
                } else {
                    print_trace(&trace);
                }
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "error: no event with id or messageId {id:?} in the trace or the spool {}",
                    spool.location()
                );
                ExitCode::FAILURE
            }
        },
        EventsCommand::List { filter, json } => {
            let traces = spool.trace.list(trace_filter(filter)?).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&traces)?);
            } else if traces.is_empty() {
                println!("no traced events found in {}", spool.location());
            } else {
                for t in &traces {
                    println!("{}", summary(t));
                }
                println!("{} shown", traces.len());
            }
            ExitCode::SUCCESS
        }
    };
    spool.close().await?;
    Ok(code)
}

fn trace_filter(args: EventFilterArgs) -> anyhow::Result<TraceFilter> {
    Ok(TraceFilter {
        state: args
            .state
            .as_deref()
            .map(parse_state)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--state: {e}"))?,
        event_type: args.event_type,
        user_id: args.user_id,
        since: args
            .since
            .as_deref()
            .map(parse_since)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--since: {e}"))?,
        subscription: args.subscription,
        limit: args.limit.min(MAX_LIST),
    })
}

fn or_dash(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

/// One line: how the CLI and the logs name an event (`event N message_id=...`).
fn summary(t: &EventTraceRecord) -> String {
    let matched: Vec<&str> = t
        .subscriptions
        .iter()
        .filter(|s| s.matched)
        .map(|s| s.name.as_str())
        .collect();
    format!(
        "event {}  message_id={}  type={}  user_id={}  {}  state={}  subscriptions={}  requests={}",
        t.event_id,
        or_dash(&t.message_id),
        or_dash(&t.event_type),
        or_dash(&t.user_id),
        t.received_at.format("%Y-%m-%dT%H:%M:%SZ"),
        t.state.as_str(),
        if matched.is_empty() {
            "-".to_owned()
        } else {
            matched.join(",")
        },
        t.attio_requests.len()
    )
}

fn print_trace(t: &EventTraceRecord) {
    println!("event {}  message_id={}", t.event_id, or_dash(&t.message_id));
    println!("  type:        {}", or_dash(&t.event_type));
    println!("  user_id:     {}", or_dash(&t.user_id));
    if t.group_id.is_some() {
        println!("  group_id:    {}", or_dash(&t.group_id));
    }
    println!("  received at: {}", t.received_at.to_rfc3339());
    println!(
        "  state:       {} (updated {})",
        t.state.as_str(),
        t.updated_at.to_rfc3339()
    );
    if let Some(reason) = &t.reason {
        println!("  reason:      {reason}");
    }
    println!("  attempts:    {}", t.attempts);
    if !t.subscriptions.is_empty() {
        println!("  subscriptions:");
        for s in &t.subscriptions {
            if s.matched {
                let outcome = s.outcome.map(|o| o.as_str()).unwrap_or("-");
                match &s.reason {
                    Some(reason) => println!("    {}: matched, {outcome}: {reason}", s.name),
                    None => println!("    {}: matched, {outcome}", s.name),
                }
            } else {
                println!("    {}: not matched: {}", s.name, s.why_not.as_deref().unwrap_or("-"));
            }
        }
    }
    if !t.attio_requests.is_empty() {
        println!("  attio requests:");
        for r in &t.attio_requests {
            let status = r
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no answer".to_owned());
            println!(
                "    {} {} {} -> {status} in {:.1} ms [{}]",
                r.started_at.format("%H:%M:%S%.3f"),
                r.method,
                r.path,
                r.duration_ms,
                r.subscription
            );
            if let Some(error) = &r.error {
                println!("      {error}");
            }
        }
    }
}
