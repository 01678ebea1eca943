//! `segment-attio test-event`: what would be sent to Attio for some events, without
//! sending anything (Segment's "Send test event", as a dry run).

use std::io::Write;

use chrono::{DateTime, Utc};
use domain::actions::ActionKind;
use domain::{AttioCommand, Plan};
use segment_adapter::destination::ActionSubscription;
use segment_adapter::integrations::IntegrationsFilter;
use segment_adapter::json::Val;
use segment_adapter::pipeline::Mode;
use serde_json::{json, Value};

/// The outcome for one event and one subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum DryRun {
    NotSubscribed,
    FilteredByIntegrations,
    Rejected(String),
    Requests(Vec<RenderedRequest>),
    /// In a batching subscription: the event goes into the batch request.
    Batched,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenderedRequest {
    pub method: &'static str,
    pub url: String,
    pub body: Value,
}

fn render(base_url: &str, cmd: &AttioCommand<'_>) -> RenderedRequest {
    RenderedRequest {
        method: cmd.method().as_str(),
        url: format!("{}{}", base_url.trim_end_matches('/'), cmd.path_and_query()),
        body: serde_json::from_str(&cmd.body(None)).unwrap_or(Value::Null),
    }
}

/// The plan's requests; a follow-up shows its first request, with the parent record's id
/// as a placeholder.
fn render_plan(base_url: &str, plan: &Plan<'_>) -> Vec<RenderedRequest> {
    let mut out: Vec<RenderedRequest> = plan.commands.iter().map(|c| render(base_url, c)).collect();
    if let Some(f) = &plan.follow_up {
        let r = attio_adapter::http::wire::follow_up_request(f);
        out.push(RenderedRequest {
            method: r.method,
            url: format!("{}{}", base_url.trim_end_matches('/'), r.path_and_query),
            body: r.body.unwrap_or(Value::Null),
        });
    }
    out
}

/// Builds the subscription given inline on the command line.
pub fn inline_subscription(
    action: &str,
    mapping: Option<&str>,
    subscribe: Option<&str>,
    default_mapping: bool,
    batch: bool,
) -> Result<ActionSubscription, String> {
    let kind = ActionKind::parse(action)
        .ok_or_else(|| format!("--action {action:?} is not one of {}", ActionKind::names()))?;
    let mut mapping: Value = match mapping {
        Some(m) => serde_json::from_str(m).map_err(|e| format!("--mapping is not valid JSON: {e}"))?,
        None => json!({}),
    };
    if batch {
        if let Some(o) = mapping.as_object_mut() {
            o.insert("enable_batching".into(), Value::Bool(true));
        }
    }
    let sub = if default_mapping || mapping.as_object().is_some_and(|o| o.is_empty()) {
        ActionSubscription::with_default_mapping("test-event", kind, subscribe, &mapping)
    } else {
        ActionSubscription::new("test-event", kind, subscribe, &mapping)
    };
    sub.map_err(|e| e.to_string())
}

/// Runs the events through the subscriptions and prints what would be sent.
pub fn run(
    subscriptions: &[ActionSubscription],
    integrations: &IntegrationsFilter,
    events: &[String],
    base_url: &str,
    now: DateTime<Utc>,
    as_json: bool,
    out: &mut dyn Write,
) -> std::io::Result<usize> {
    let mut rejected = 0;
    let mut json_out = Vec::new();
    for sub in subscriptions {
        let mode = if sub.batching.enabled {
            Mode::Batch
        } else {
            Mode::Single
        };
        let mut assertions = Vec::new();
        let mut parsed: Vec<Option<Val<'_>>> = Vec::with_capacity(events.len());
        for text in events {
            parsed.push(Val::parse(text).ok());
        }
        for (i, (text, event)) in events.iter().zip(&parsed).enumerate() {
            let outcome = match event {
                None => DryRun::Rejected(match serde_json::from_str::<Value>(text) {
                    Err(e) => format!("the event is not valid JSON: {e}"),
                    Ok(_) => "the event could not be read".to_owned(),
                }),
                Some(ev) if !integrations.allows(ev) => DryRun::FilteredByIntegrations,
                Some(ev) if !sub.matches(ev) => DryRun::NotSubscribed,
                Some(ev) => match sub.payload(ev, mode) {
                    Err(e) => DryRun::Rejected(e.to_string()),
                    Ok(p) if mode == Mode::Batch => match sub.batch_assertion(p, now) {
                        Ok(a) => {
                            assertions.push(a);
                            DryRun::Batched
                        }
                        Err(e) => DryRun::Rejected(e.to_string()),
                    },
                    Ok(p) => DryRun::Requests(render_plan(base_url, &sub.plan(p))),
                },
            };
            if matches!(outcome, DryRun::Rejected(_)) {
                rejected += 1;
            }
            if as_json {
                json_out.push(outcome_json(&sub.name, i, &outcome));
            } else {
                print_outcome(out, &sub.name, i, &outcome)?;
            }
        }
        if !assertions.is_empty() {
            let n = assertions.len();
            let req = render(base_url, &AttioCommand::BatchAssert(assertions));
            if as_json {
                json_out.push(json!({"subscription": sub.name, "batch_of": n, "requests": [request_json(&req)]}));
            } else {
                writeln!(out, "[{}] one batch request for {n} event(s):", sub.name)?;
                print_request(out, &req)?;
            }
        }
    }
    if as_json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&Value::Array(json_out)).unwrap_or_default()
        )?;
    }
    Ok(rejected)
}

fn request_json(r: &RenderedRequest) -> Value {
    json!({"method": r.method, "url": r.url, "body": r.body})
}

fn outcome_json(sub: &str, i: usize, o: &DryRun) -> Value {
    let (status, detail) = match o {
        DryRun::NotSubscribed => ("not_subscribed", Value::Null),
        DryRun::FilteredByIntegrations => ("filtered_by_integrations", Value::Null),
        DryRun::Rejected(r) => ("rejected", json!(r)),
        DryRun::Batched => ("batched", Value::Null),
        DryRun::Requests(reqs) => ("requests", Value::Array(reqs.iter().map(request_json).collect())),
    };
    json!({"subscription": sub, "event": i + 1, "outcome": status, "detail": detail})
}

fn print_request(out: &mut dyn Write, r: &RenderedRequest) -> std::io::Result<()> {
    writeln!(out, "  {} {}", r.method, r.url)?;
    let body = serde_json::to_string_pretty(&r.body).unwrap_or_default();
    for line in body.lines() {
        writeln!(out, "    {line}")?;
    }
    Ok(())
}

fn print_outcome(out: &mut dyn Write, sub: &str, i: usize, o: &DryRun) -> std::io::Result<()> {
    match o {
        DryRun::NotSubscribed => writeln!(out, "[{sub}] event {}: does not match the subscription", i + 1),
        DryRun::FilteredByIntegrations => {
            writeln!(
                out,
                "[{sub}] event {}: not sent: its integrations object disables this destination",
                i + 1
            )
        }
        DryRun::Rejected(r) => writeln!(out, "[{sub}] event {}: REJECTED: {r}", i + 1),
        DryRun::Batched => writeln!(out, "[{sub}] event {}: goes into the batch request below", i + 1),
        DryRun::Requests(reqs) => {
            writeln!(out, "[{sub}] event {}: {} request(s):", i + 1, reqs.len())?;
            for r in reqs {
                print_request(out, r)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2030-01-02T03:04:05.678Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn output(subs: &[ActionSubscription], events: &[&str], as_json: bool) -> (String, usize) {
        let events: Vec<String> = events.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        let rejected = run(
            subs,
            &IntegrationsFilter::default(),
            &events,
            "https://api.attio.com",
            now(),
            as_json,
            &mut out,
        )
        .unwrap();
        (String::from_utf8(out).unwrap(), rejected)
    }

    #[test]
    fn identify_prints_the_two_requests() {
        let sub = inline_subscription("identifyUser", None, None, true, false).unwrap();
        let (text, rejected) = output(
            &[sub],
            &[r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}"#],
            false,
        );
        assert_eq!(rejected, 0);
        assert!(text.contains("PUT https://api.attio.com/v2/objects/people/records/simple?matching_attribute=email_addresses&append_to_existing_values=true"), "{text}");
        assert!(text.contains("\"user_id\": \"u1\""), "{text}");
    }

    #[test]
    fn rejected_event_prints_the_reason_and_counts() {
        let sub = inline_subscription("identifyUser", None, None, true, false).unwrap();
        let (text, rejected) = output(
            &[sub],
            &[r#"{"type":"identify","userId":"u1","traits":{"email":"nope"}}"#],
            false,
        );
        assert_eq!(rejected, 1);
        assert!(text.contains("REJECTED: email_address"), "{text}");
    }

    #[test]
    fn batching_prints_one_batch_request_as_json() {
        let sub = inline_subscription("identifyUser", None, None, true, true).unwrap();
        let (text, _) = output(
            &[sub],
            &[
                r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}"#,
                r#"{"type":"identify","userId":"u2","traits":{"email":"c@d.co"}}"#,
            ],
            true,
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        let batch = v
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e.get("batch_of").is_some())
            .unwrap();
        assert_eq!(batch["batch_of"], 2);
        assert_eq!(batch["requests"][0]["url"], "https://api.attio.com/v2/batch/records");
        assert_eq!(batch["requests"][0]["body"]["assertions"][1]["values"]["user_id"], "u2");
        assert_eq!(
            batch["requests"][0]["body"]["assertions"][0]["received_at"],
            "2030-01-02T03:04:05.678Z"
        );
    }

    #[test]
    fn not_subscribed_and_filtered_events_say_so() {
        let sub = inline_subscription("identifyUser", None, Some("type = \"identify\""), true, false).unwrap();
        let (text, _) = output(
            &[sub],
            &[
                r#"{"type":"track","event":"x","userId":"u"}"#,
                r#"{"type":"identify","userId":"u","integrations":{"All":false}}"#,
            ],
            false,
        );
        assert!(text.contains("does not match"), "{text}");
        assert!(text.contains("integrations object"), "{text}");
    }

    #[test]
    fn list_actions_print_the_parent_assert_then_the_entry_request() {
        let parent = r#""parent_object":"people","parent_matching_attribute":"email_addresses","parent_attributes":{"email_addresses":{"@path":"$.properties.email"}}"#;
        let upsert = format!(r#"{{"list":"onboarding",{parent},"entry_attributes":{{"stage":"Paying"}}}}"#);
        let remove = format!(r#"{{"list":"onboarding",{parent}}}"#);
        let event = r#"{"type":"track","event":"Paid","userId":"u","properties":{"email":"p@b.co"}}"#;
        for (action, mapping, expected) in [
            (
                "upsertListEntry",
                upsert,
                "PUT https://api.attio.com/v2/lists/onboarding/entries",
            ),
            (
                "removeListEntry",
                remove,
                "POST https://api.attio.com/v2/lists/onboarding/entries/query",
            ),
        ] {
            let sub = inline_subscription(action, Some(&mapping), None, false, false).unwrap();
            let (text, rejected) = output(&[sub], &[event], false);
            assert_eq!(rejected, 0, "{text}");
            let parent_at = text
                .find("/v2/objects/people/records/simple")
                .expect("the parent assert");
            let entry_at = text.find(expected).unwrap_or_else(|| panic!("{expected} in {text}"));
            assert!(parent_at < entry_at, "{text}");
        }
    }
}
