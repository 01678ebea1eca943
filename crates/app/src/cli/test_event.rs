//! `segment-attio test-event`: what would be sent to Attio for some events, without
//! sending anything (Segment's "Send test event", as a dry run).

use std::io::Write;

use attio_adapter::wire::CommandWire;
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
    Rejected(String),
    Requests(Vec<RenderedRequest>),
    /// In a batching subscription: the event goes into this batch request (numbered from 1).
    Batched(usize),
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
        let r = attio_adapter::wire::requests::follow_up_request(f);
        out.push(RenderedRequest {
            method: r.method,
            url: format!("{}{}", base_url.trim_end_matches('/'), r.path_and_query),
            body: r.body.unwrap_or(Value::Null),
        });
    }
    out
}

/// Builds the subscription given inline on the command line. `default_mapping` alone
/// decides whether `mapping` is laid over the action's default mapping (as
/// `use_default_mapping` does in the configuration), whatever `mapping` holds; without a
/// `mapping` the default mapping is used.
pub fn inline_subscription(
    action: &str,
    mapping: Option<&str>,
    subscribe: Option<&str>,
    default_mapping: bool,
    batch: bool,
) -> Result<ActionSubscription, String> {
    let kind = ActionKind::parse(action)
        .ok_or_else(|| format!("--action {action:?} is not one of {}", ActionKind::names()))?;
    let defaults = default_mapping || mapping.is_none();
    let mut mapping: Value = match mapping {
        Some(m) => serde_json::from_str(m).map_err(|e| format!("--mapping is not valid JSON: {e}"))?,
        None => json!({}),
    };
    if batch {
        match mapping.as_object_mut() {
            Some(o) => {
                o.insert("enable_batching".into(), Value::Bool(true));
            }
            None => return Err("--mapping must be a JSON object".to_owned()),
        }
    }
    let sub = if defaults {
        ActionSubscription::with_default_mapping("test-event", kind, subscribe, &mapping)
    } else {
        ActionSubscription::new("test-event", kind, subscribe, &mapping)
    };
    sub.map_err(|e| e.to_string())
}

/// Runs events through the subscriptions one at a time and prints what would be sent,
/// holding at most one batch (`batch_size` events) per batching subscription.
pub struct DryRunner<'s> {
    subscriptions: &'s [ActionSubscription],
    integrations: &'s IntegrationsFilter,
    base_url: &'s str,
    now: DateTime<Utc>,
    as_json: bool,
    /// Per subscription: the texts of the events waiting for its next batch request.
    pending: Vec<Vec<String>>,
    /// Per subscription: batch requests printed so far.
    batches: Vec<usize>,
    events: usize,
    rejected: usize,
    json_items: usize,
}

impl<'s> DryRunner<'s> {
    pub fn new(
        subscriptions: &'s [ActionSubscription],
        integrations: &'s IntegrationsFilter,
        base_url: &'s str,
        now: DateTime<Utc>,
        as_json: bool,
    ) -> Self {
        Self {
            subscriptions,
            integrations,
            base_url,
            now,
            as_json,
            pending: vec![Vec::new(); subscriptions.len()],
            batches: vec![0; subscriptions.len()],
            events: 0,
            rejected: 0,
            json_items: 0,
        }
    }

    fn mode(sub: &ActionSubscription) -> Mode {
        if sub.batching.enabled {
            Mode::Batch
        } else {
            Mode::Single
        }
    }

    /// One event: one line naming the subscriptions it matches, then what each would send.
    pub fn event(&mut self, text: &str, out: &mut dyn Write) -> std::io::Result<()> {
        self.events += 1;
        let n = self.events;
        let event = match Val::parse(text) {
            Ok(event) => event,
            Err(e) => {
                self.rejected += 1;
                let reason = format!("the event is not valid JSON: {e}");
                return if self.as_json {
                    self.json(out, json!({"event": n, "matched": [], "rejected": reason}))
                } else {
                    writeln!(out, "event {n}: REJECTED: {reason}")
                };
            }
        };
        if !self.integrations.allows(&event) {
            return if self.as_json {
                self.json(
                    out,
                    json!({"event": n, "matched": [], "filtered_by_integrations": true}),
                )
            } else {
                writeln!(
                    out,
                    "event {n}: not sent: its integrations object disables this destination"
                )
            };
        }
        let mut results = Vec::new();
        let mut to_flush = Vec::new();
        for (i, sub) in self.subscriptions.iter().enumerate() {
            if !sub.matches(&event) {
                results.push((i, DryRun::NotSubscribed));
                continue;
            }
            let mode = Self::mode(sub);
            let outcome = match sub.payload(&event, mode) {
                Err(e) => DryRun::Rejected(e.to_string()),
                Ok(p) if mode == Mode::Batch => match sub.batch_assertion(p, self.now) {
                    Ok(_) => {
                        self.pending[i].push(text.to_owned());
                        if self.pending[i].len() >= sub.batching.size.max(1) {
                            to_flush.push(i);
                        }
                        DryRun::Batched(self.batches[i] + 1)
                    }
                    Err(e) => DryRun::Rejected(e.to_string()),
                },
                Ok(p) => DryRun::Requests(render_plan(self.base_url, &sub.plan(p))),
            };
            if matches!(outcome, DryRun::Rejected(_)) {
                self.rejected += 1;
            }
            results.push((i, outcome));
        }
        self.print_event(out, n, &results)?;
        for i in to_flush {
            self.flush(i, out)?;
        }
        Ok(())
    }

    fn print_event(&mut self, out: &mut dyn Write, n: usize, results: &[(usize, DryRun)]) -> std::io::Result<()> {
        let matched: Vec<&str> = results
            .iter()
            .filter(|(_, o)| *o != DryRun::NotSubscribed)
            .map(|(i, _)| self.subscriptions[*i].name.as_str())
            .collect();
        if self.as_json {
            let outcomes: Vec<Value> = results
                .iter()
                .filter(|(_, o)| *o != DryRun::NotSubscribed)
                .map(|(i, o)| outcome_json(&self.subscriptions[*i].name, o))
                .collect();
            return self.json(out, json!({"event": n, "matched": matched, "results": outcomes}));
        }
        if matched.is_empty() {
            return if self.subscriptions.len() == 1 {
                writeln!(out, "event {n}: does not match the subscription")
            } else {
                writeln!(out, "event {n}: matches no subscription")
            };
        }
        writeln!(out, "event {n}: matches {}", matched.join(", "))?;
        for (i, outcome) in results {
            let sub = &self.subscriptions[*i].name;
            match outcome {
                DryRun::NotSubscribed => {}
                DryRun::Rejected(r) => writeln!(out, "  [{sub}] REJECTED: {r}")?,
                DryRun::Batched(k) => writeln!(out, "  [{sub}] goes into batch request {k}")?,
                DryRun::Requests(reqs) => {
                    writeln!(out, "  [{sub}] {} request(s):", reqs.len())?;
                    for r in reqs {
                        print_request(out, r)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Prints subscription `i`'s batch request for the events waiting for it.
    fn flush(&mut self, i: usize, out: &mut dyn Write) -> std::io::Result<()> {
        let texts = std::mem::take(&mut self.pending[i]);
        if texts.is_empty() {
            return Ok(());
        }
        let sub = &self.subscriptions[i];
        let parsed: Vec<Val<'_>> = texts.iter().filter_map(|t| Val::parse(t).ok()).collect();
        let assertions: Vec<_> = parsed
            .iter()
            .filter_map(|event| sub.payload(event, Mode::Batch).ok())
            .filter_map(|p| sub.batch_assertion(p, self.now).ok())
            .collect();
        self.batches[i] += 1;
        let k = self.batches[i];
        let count = assertions.len();
        let command = AttioCommand::BatchAssert(assertions);
        let url = format!("{}{}", self.base_url.trim_end_matches('/'), command.path_and_query());
        let method = command.method().as_str();
        // The body is written as it is built (compact): a batch of 10,000 events is large.
        let body = command.body(None);
        drop(command);
        drop(parsed);
        if self.as_json {
            let head = json!({"subscription": sub.name, "batch": k, "batch_of": count});
            let head = serde_json::to_string(&head).unwrap_or_default();
            let open = head.strip_suffix('}').unwrap_or(&head);
            let separator = if self.json_items == 0 { "[\n" } else { ",\n" };
            self.json_items += 1;
            write!(
                out,
                "{separator}{open},\"requests\":[{{\"method\":{},\"url\":{},\"body\":{body}}}]}}",
                json!(method),
                json!(url)
            )
        } else {
            writeln!(
                out,
                "[{}] batch request {k}, one request for {count} event(s):",
                sub.name
            )?;
            writeln!(out, "    {method} {url}")?;
            writeln!(out, "      {body}")
        }
    }

    fn json(&mut self, out: &mut dyn Write, item: Value) -> std::io::Result<()> {
        let separator = if self.json_items == 0 { "[\n" } else { ",\n" };
        self.json_items += 1;
        write!(
            out,
            "{separator}{}",
            serde_json::to_string_pretty(&item).unwrap_or_default()
        )
    }

    /// Prints the last partial batches; returns how many (event, subscription) pairs were
    /// rejected.
    pub fn finish(mut self, out: &mut dyn Write) -> std::io::Result<usize> {
        for i in 0..self.subscriptions.len() {
            self.flush(i, out)?;
        }
        if self.as_json {
            if self.json_items == 0 {
                writeln!(out, "[]")?;
            } else {
                writeln!(out, "\n]")?;
            }
        }
        Ok(self.rejected)
    }
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
    let mut runner = DryRunner::new(subscriptions, integrations, base_url, now, as_json);
    for text in events {
        runner.event(text, out)?;
    }
    runner.finish(out)
}

fn request_json(r: &RenderedRequest) -> Value {
    json!({"method": r.method, "url": r.url, "body": r.body})
}

fn outcome_json(sub: &str, o: &DryRun) -> Value {
    let (status, detail) = match o {
        DryRun::NotSubscribed => ("not_subscribed", Value::Null),
        DryRun::Rejected(r) => ("rejected", json!(r)),
        DryRun::Batched(k) => ("batched", json!({"batch": k})),
        DryRun::Requests(reqs) => ("requests", Value::Array(reqs.iter().map(request_json).collect())),
    };
    json!({"subscription": sub, "outcome": status, "detail": detail})
}

fn print_request(out: &mut dyn Write, r: &RenderedRequest) -> std::io::Result<()> {
    writeln!(out, "    {} {}", r.method, r.url)?;
    let body = serde_json::to_string_pretty(&r.body).unwrap_or_default();
    for line in body.lines() {
        writeln!(out, "      {line}")?;
    }
    Ok(())
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

    fn batching_sub(size: usize) -> ActionSubscription {
        let mapping = json!({"batch_size": size});
        inline_subscription("identifyUser", Some(&mapping.to_string()), None, true, true).unwrap()
    }

    #[test]
    fn batches_are_cut_at_the_subscription_batch_size() {
        let events: Vec<String> = (0..5)
            .map(|n| format!(r#"{{"type":"identify","userId":"u{n}","traits":{{"email":"u{n}@b.co"}}}}"#))
            .collect();
        let refs: Vec<&str> = events.iter().map(String::as_str).collect();
        let (text, _) = output(&[batching_sub(2)], &refs, true);
        let v: Value = serde_json::from_str(&text).unwrap();
        let sizes: Vec<u64> = v
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e.get("batch_of").and_then(Value::as_u64))
            .collect();
        assert_eq!(sizes, vec![2, 2, 1]);
    }

    #[test]
    fn mapping_is_laid_over_the_defaults_only_with_the_flag_whether_empty_or_not() {
        let event = r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}"#;
        for mapping in ["{}", r#"{"user_attributes":{"plan":"pro"}}"#] {
            let with = inline_subscription("identifyUser", Some(mapping), None, true, false).unwrap();
            let (text, rejected) = output(&[with], &[event], false);
            assert_eq!(rejected, 0, "{mapping}: {text}");
            let without = inline_subscription("identifyUser", Some(mapping), None, false, false).unwrap();
            let (text, rejected) = output(&[without], &[event], false);
            assert_eq!(rejected, 1, "{mapping} without the defaults: {text}");
        }
    }

    #[test]
    fn several_subscriptions_give_one_line_per_event_naming_those_that_matched() {
        let identify = ActionSubscription::with_default_mapping(
            "Identify",
            ActionKind::IdentifyUser,
            Some(r#"type = "identify""#),
            &json!({}),
        )
        .unwrap();
        let group = ActionSubscription::with_default_mapping(
            "Group",
            ActionKind::GroupWorkspace,
            Some(r#"type = "group""#),
            &json!({}),
        )
        .unwrap();
        let (text, _) = output(
            &[identify, group],
            &[
                r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"}}"#,
                r#"{"type":"track","event":"x","userId":"u"}"#,
            ],
            false,
        );
        let event_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("event ")).collect();
        assert_eq!(
            event_lines,
            vec!["event 1: matches Identify", "event 2: matches no subscription"],
            "{text}"
        );
        assert!(!text.contains("does not match"), "{text}");
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
