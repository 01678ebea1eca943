//! Try it: an event and a subscription, the Attio requests it would make (or why it is
//! rejected), and a button that sends it for real.

use axum::extract::State;
use axum::response::Response;
use domain::ports::DeadLetterFilter;
use serde_json::{json, Value};

use super::super::html::{esc, script_json};
use super::super::Console;
use crate::dead_letter_view::view;

const EXAMPLE: &str = r#"{
  "type": "identify",
  "userId": "user-123",
  "traits": {"email": "ada@example.com", "name": "Ada Lovelace"}
}"#;

pub async fn page_body(c: &Console) -> String {
    let recent =
        c.0.dead_letters
            .search(DeadLetterFilter {
                limit: 20,
                ..DeadLetterFilter::default()
            })
            .await
            .unwrap_or_default();
    let recent: Vec<Value> = recent.iter().map(view).collect();
    let options: String = recent
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let who = if v["user_id"].is_null() {
                &v["group_id"]
            } else {
                &v["user_id"]
            };
            format!(
                "<option value=\"{i}\">{} {} ({})</option>",
                esc(v["type"].as_str().unwrap_or("?")),
                esc(who.as_str().unwrap_or("-")),
                esc(v["message_id"].as_str().unwrap_or("no messageId"))
            )
        })
        .collect();
    let payloads: Vec<&Value> = recent.iter().map(|v| &v["payload"]).collect();
    let subs: String =
        c.0.router
            .subscriptions
            .iter()
            .map(|s| {
                format!(
                    "<option value=\"{0}\">{0} ({1})</option>",
                    esc(&s.name),
                    s.action.as_str()
                )
            })
            .collect();
    format!(
        "<form id=\"try\" class=\"try\" aria-label=\"Try an event\">\
<div class=\"field\"><label for=\"t-recent\">Pick a recent dead letter</label><select id=\"t-recent\"><option value=\"\">(paste an event below)</option>{options}</select></div>\
<script type=\"application/json\" id=\"recent-events\">{}</script>\
<div class=\"field\"><label for=\"t-event\">Event (Segment JSON)</label><textarea id=\"t-event\" name=\"event\" rows=\"8\" spellcheck=\"false\">{}</textarea></div>\
<div class=\"field\"><label for=\"t-subscription\">Subscription</label><select id=\"t-subscription\" name=\"subscription\"><option value=\"\">every configured subscription (preview only)</option>{subs}<option value=\"__inline\">the action, mapping and FQL typed below</option></select></div>\
<fieldset><legend>Typed subscription</legend>\
<div class=\"field\"><label for=\"t-action\">Action</label><select id=\"t-action\" name=\"action\"><option>assertRecord</option><option>identifyUser</option><option>groupWorkspace</option></select></div>\
<div class=\"field\"><label for=\"t-mapping\">Mapping JSON</label><textarea id=\"t-mapping\" name=\"mapping\" rows=\"6\" spellcheck=\"false\" placeholder='{{\"object\": \"people\", \"matching_attribute\": \"email_addresses\", \"attributes\": {{\"email_addresses\": {{\"@path\": \"$.traits.email\"}}}}}}'></textarea></div>\
<div class=\"field\"><label for=\"t-subscribe\">FQL (empty: every event)</label><input id=\"t-subscribe\" name=\"subscribe\" placeholder='type = \"identify\"'></div>\
<div class=\"field check\"><input type=\"checkbox\" id=\"t-default\" name=\"default_mapping\"><label for=\"t-default\">Lay the mapping over the action's default mapping</label></div>\
</fieldset>\
<div class=\"buttons\"><button type=\"submit\" data-send=\"false\">Preview (sends nothing)</button><button type=\"button\" id=\"t-send\" data-send=\"true\">Send for real</button></div>\
</form><p id=\"try-status\" role=\"status\" aria-live=\"polite\" class=\"status\"></p><section id=\"try-output\" aria-label=\"Result\"></section>\
<noscript><p class=\"notice\">Try it needs JavaScript (or the API: <code>POST /try</code>).</p></noscript>",
        script_json(&json!(payloads)),
        esc(EXAMPLE),
    )
}

pub async fn page(State(c): State<Console>) -> Response {
    let body = page_body(&c).await;
    super::super::html::page("Try it", "try", c.0.access.token_configured(), &body)
}
