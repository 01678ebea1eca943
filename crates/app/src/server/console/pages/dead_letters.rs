//! Dead letters: filter them, read the reason and Attio's answer in full, replay or purge
//! one, a selection, or all that match the filter (the script asks for confirmation).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;

use super::super::html::{esc, input, pre_json, select, table, text, time};
use super::super::Console;
use super::events::{subscription_names, EVENT_TYPES};
use super::overview::percent;
use crate::server::query::{self, DeadLetterQuery};

fn filters(c: &Console, q: &DeadLetterQuery) -> String {
    let types: Vec<String> = EVENT_TYPES.iter().map(|t| t.to_string()).collect();
    format!(
        "<form method=\"get\" action=\"/console/dead-letters\" class=\"filters\" aria-label=\"Filter dead letters\"><div>{}</div><div>{}</div><div>{}</div><div>{}</div><div>{}</div><div>{}</div><div>{}</div><div class=\"buttons\"><button type=\"submit\">Filter</button> <a href=\"/console/dead-letters\">Clear</a></div></form>",
        select("type", "Type", "any type", &types, q.event_type.as_deref()),
        input("who", "User or group id", q.who.as_deref(), "e.g. user-123"),
        input("message_id", "messageId or event id", q.message_id.as_deref(), ""),
        select("subscription", "Subscription", "any subscription", &subscription_names(c), q.subscription.as_deref()),
        select("destination", "Destination", "any destination", &destination_names(c), q.destination.as_deref()),
        input("reason", "Reason contains", q.reason.as_deref(), "e.g. 404"),
        input("since", "Failed since", q.since.as_deref(), "e.g. 2h or 2024-05-01T10:00:00Z"),
    )
}

/// `default` and the configured subscriptions' other destinations.
fn destination_names(c: &Console) -> Vec<String> {
    let mut names = vec![crate::config::DEFAULT_DESTINATION.to_owned()];
    for s in &c.0.router.subscriptions {
        if let Some(d) = &s.destination {
            if !names.contains(d) {
                names.push(d.clone());
            }
        }
    }
    names
}

pub async fn page_body(c: &Console, q: &DeadLetterQuery) -> String {
    match query::dead_letters(c.0.dead_letters.as_ref(), q, None).await {
        Err(e) => format!("<p class=\"error\" role=\"alert\">{}</p>", esc(&e.to_string())),
        Ok(found) => {
            let views = query::dead_letter_views(&found);
            let rows: Vec<Vec<String>> = views
                .iter()
                .map(|v| {
                    let id = v["dead_letter_id"].to_string();
                    let who = if v["user_id"].is_null() { &v["group_id"] } else { &v["user_id"] };
                    let label = v["message_id"].as_str().map_or_else(|| format!("event {}", v["event_id"]), esc);
                    vec![
                        format!("<input type=\"checkbox\" name=\"id\" value=\"{id}\" id=\"dl-{id}\" aria-label=\"Select dead letter {id}\" form=\"dl-actions\">"),
                        time(&v["failed_at"]),
                        format!("<a href=\"/console/events/{}\">{label}</a>", esc(&percent(&v["event_id"].to_string()))),
                        text(&v["type"]),
                        text(who),
                        text(&v["subscription"]),
                        text(&v["destination"]),
                        text(&v["attempts"]),
                        format!("<div class=\"reason\">{}</div>", text(&v["reason"])),
                        match v["last_error"].as_str() {
                            Some(e) => format!("<pre class=\"answer\">{}</pre>", esc(e)),
                            None => "-".into(),
                        },
                        format!("<details><summary>Payload</summary>{}</details>", pre_json(&v["payload"])),
                        format!("<button type=\"button\" data-action=\"replay\" data-scope=\"one\" data-id=\"{id}\" aria-label=\"Replay dead letter {id}\">Replay</button> <button type=\"button\" data-action=\"purge\" data-scope=\"one\" data-id=\"{id}\" aria-label=\"Purge dead letter {id}\">Purge</button>"),
                    ]
                })
                .collect();
            let total = c.0.spool.stats().await.map(|s| s.dead_letters).unwrap_or(0);
            table(
                "dead-letters",
                &format!("{} shown of {total} dead letter(s), newest first", views.len()),
                &[
                    "Select",
                    "Failed",
                    "messageId",
                    "Type",
                    "User / group",
                    "Subscription",
                    "Destination",
                    "Attempts",
                    "Reason",
                    "Attio's answer",
                    "Event",
                    "Actions",
                ],
                &rows,
            )
        }
    }
}

pub async fn page(State(c): State<Console>, q: Result<Query<DeadLetterQuery>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let body = page_body(&c, &q).await;
    let main = format!(
        "{}<form id=\"dl-actions\" class=\"actions\" aria-label=\"Replay or purge dead letters\"><button type=\"button\" data-action=\"replay\" data-scope=\"selected\">Replay selected</button><button type=\"button\" data-action=\"purge\" data-scope=\"selected\">Purge selected</button><button type=\"button\" data-action=\"replay\" data-scope=\"filter\">Replay all matching</button><button type=\"button\" data-action=\"purge\" data-scope=\"filter\">Purge all matching</button></form><p id=\"dl-status\" role=\"status\" aria-live=\"polite\" class=\"status\"></p><div id=\"dl-results\">{body}</div><noscript><p class=\"notice\">Replaying and purging need JavaScript (or the API: <code>POST /dead-letters/replay</code>, <code>POST /dead-letters/purge</code>).</p></noscript>",
        filters(&c, &q)
    );
    super::super::html::page("Dead letters", "dead-letters", c.0.access.token_configured(), &main)
}
