//! Events: the latest events, live and filterable, and one event's trace.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use domain::ports::TraceState;
use serde_json::{json, Value};

use super::super::html::{esc, input, page, pre_json, select, table, text, time};
use super::super::Console;
use super::overview::percent;
use crate::dead_letter_view::view;
use crate::server::query::{self, EventQuery};

pub const EVENT_TYPES: [&str; 6] = ["identify", "group", "track", "page", "screen", "alias"];

pub fn subscription_names(c: &Console) -> Vec<String> {
    c.0.router.subscriptions.iter().map(|s| s.name.clone()).collect()
}

fn types() -> Vec<String> {
    EVENT_TYPES.iter().map(|t| t.to_string()).collect()
}

fn filters(c: &Console, q: &EventQuery) -> String {
    let states: Vec<String> = TraceState::ALL.iter().map(|s| s.as_str().to_owned()).collect();
    format!(
        "<form method=\"get\" action=\"/console/events\" class=\"filters\" aria-label=\"Filter events\"><div>{}</div><div>{}</div><div>{}</div><div>{}</div><div>{}</div><div class=\"buttons\"><button type=\"submit\">Filter</button> <a href=\"/console/events\">Clear</a></div></form>",
        select("type", "Type", "any type", &types(), q.event_type.as_deref()),
        select("state", "State", "any state", &states, q.state.as_deref()),
        input("who", "User or group id", q.who.as_deref(), "e.g. user-123"),
        input("message_id", "messageId or event id", q.message_id.as_deref(), ""),
        select("subscription", "Subscription", "any subscription", &subscription_names(c), q.subscription.as_deref()),
    )
}

fn trace_link(event: &Value) -> String {
    let id = event["event_id"].to_string();
    let label = event["message_id"].as_str().map_or_else(|| format!("event {id}"), esc);
    format!("<a href=\"/console/events/{}\">{label}</a>", esc(&percent(&id)))
}

pub async fn list(State(c): State<Console>, q: Result<Query<EventQuery>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let body = match &c.0.trace {
        None => "<p class=\"notice\">The event trace is off (<code>spool.trace = false</code>).</p>".to_owned(),
        Some(trace) => match query::events(trace.as_ref(), &q).await {
            Err(e) => format!("<p class=\"error\" role=\"alert\">{}</p>", esc(&e.to_string())),
            Ok(found) => {
                let rows: Vec<Vec<String>> = found
                    .iter()
                    .map(|t| {
                        let v = json!(t);
                        let who = if v["user_id"].is_null() {
                            &v["group_id"]
                        } else {
                            &v["user_id"]
                        };
                        let matched: Vec<String> = t
                            .subscriptions
                            .iter()
                            .filter(|s| s.matched)
                            .map(|s| esc(&s.name))
                            .collect();
                        vec![
                            time(&v["received_at"]),
                            trace_link(&v),
                            text(&v["type"]),
                            text(who),
                            format!("<span class=\"state {0}\">{0}</span>", t.state.as_str()),
                            if matched.is_empty() {
                                "-".into()
                            } else {
                                matched.join(", ")
                            },
                            t.attempts.to_string(),
                            text(&v["reason"]),
                        ]
                    })
                    .collect();
                table(
                    "events",
                    &format!("{} event(s), newest first", found.len()),
                    &[
                        "Received",
                        "messageId",
                        "Type",
                        "User / group",
                        "State",
                        "Subscriptions",
                        "Attempts",
                        "Reason",
                    ],
                    &rows,
                )
            }
        },
    };
    let main = format!(
        "{}<div id=\"live\" data-refresh=\"2000\" aria-live=\"polite\">{body}</div><p class=\"muted\">The list updates by itself. Click a messageId to open the event's trace.</p>",
        filters(&c, &q)
    );
    page("Events", "events", c.0.access.token_configured(), &main)
}

pub async fn trace(State(c): State<Console>, Path(id): Path<String>) -> Response {
    let token = c.0.access.token_configured();
    let Some(trace) = &c.0.trace else {
        return page(
            "Event",
            "events",
            token,
            "<p class=\"notice\">The event trace is off.</p>",
        );
    };
    let found = match trace.find(&id).await {
        Ok(found) => found,
        Err(e) => {
            let msg = format!("<p class=\"error\" role=\"alert\">{}</p>", esc(&e.to_string()));
            return page("Event", "events", token, &msg);
        }
    };
    let Some(record) = found else {
        let msg = format!(
            "<p class=\"error\" role=\"alert\">No event with id or messageId {} in the trace or the spool.</p>",
            esc(&id)
        );
        return page("Event", "events", token, &msg);
    };
    let v = json!(record);
    let summary = format!(
        "<dl class=\"summary\"><dt>State</dt><dd><span class=\"state {state}\" id=\"trace-state\">{state}</span></dd><dt>messageId</dt><dd>{}</dd><dt>Event id</dt><dd>{}</dd><dt>Type</dt><dd>{}</dd><dt>User id</dt><dd>{}</dd><dt>Group id</dt><dd>{}</dd><dt>Received</dt><dd>{}</dd><dt>Updated</dt><dd>{}</dd><dt>Attempts</dt><dd>{}</dd><dt>Reason</dt><dd class=\"reason\">{}</dd></dl>",
        text(&v["message_id"]),
        text(&v["event_id"]),
        text(&v["type"]),
        text(&v["user_id"]),
        text(&v["group_id"]),
        text(&v["received_at"]),
        text(&v["updated_at"]),
        text(&v["attempts"]),
        text(&v["reason"]),
        state = record.state.as_str(),
    );
    let subs: Vec<Vec<String>> = record
        .subscriptions
        .iter()
        .map(|s| {
            vec![
                esc(&s.name),
                if s.matched { "yes".into() } else { "no".into() },
                s.outcome.map_or("-".into(), |o| o.as_str().to_owned()),
                esc(s.why_not.as_deref().or(s.reason.as_deref()).unwrap_or("-")),
            ]
        })
        .collect();
    let requests: Vec<Vec<String>> = record
        .attio_requests
        .iter()
        .map(|r| {
            vec![
                time(&json!(r.started_at)),
                esc(&r.subscription),
                esc(&r.method),
                format!("<code>{}</code>", esc(&r.path)),
                r.status.map_or("no answer".into(), |s| s.to_string()),
                format!("{:.0} ms", r.duration_ms),
                r.error
                    .as_deref()
                    .map_or("-".into(), |e| format!("<pre class=\"answer\">{}</pre>", esc(e))),
            ]
        })
        .collect();
    let omitted = match record.attio_requests_omitted {
        0 => String::new(),
        n => format!("<p class=\"muted\">{n} request(s) between the first and the latest are not kept.</p>"),
    };
    let letters =
        c.0.dead_letters
            .of_event(&record.event_id.to_string())
            .await
            .unwrap_or_default();
    let payload = letters
        .first()
        .map(|l| format!("<h2>Payload</h2>{}", pre_json(&view(l)["payload"])))
        .unwrap_or_default();
    let main = format!(
        "{summary}<h2>Subscriptions</h2>{}<h2>Attio requests</h2>{}{omitted}{payload}<details><summary>The trace as JSON (<code>GET /events/{}</code>)</summary>{}</details><p><a href=\"/console/events\">Back to the events</a></p>",
        table("trace-subscriptions", "Which subscriptions matched, or why not", &["Subscription", "Matched", "Outcome", "Why not / reason"], &subs),
        table("trace-requests", "Requests made to Attio for this event", &["Started", "Subscription", "Method", "Path", "Status", "Time", "Attio's answer"], &requests),
        esc(&id),
        pre_json(&v),
    );
    page("Event trace", "events", token, &main)
}
