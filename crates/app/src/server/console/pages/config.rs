//! Configuration: the subscriptions and the destination in force (secrets masked) and the
//! schema check.

use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::super::api::config_json;
use super::super::html::{esc, list, page as html_page, pre_json, table, text};
use super::super::Console;

fn pairs(id: &str, caption: &str, v: &Value) -> String {
    let rows: Vec<Vec<String>> = v
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| vec![format!("<code>{}</code>", esc(k)), text(v)])
        .collect();
    table(id, caption, &["Key", "Value"], &rows)
}

pub async fn page(State(c): State<Console>) -> Response {
    let v = config_json(&c.0).await;
    let subs: Vec<Vec<String>> = v["subscriptions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            vec![
                text(&s["name"]),
                text(&s["action"]),
                s["subscribe"]
                    .as_str()
                    .map_or("every event".into(), |f| format!("<code>{}</code>", esc(f))),
                if s["batching"] == true {
                    format!("yes ({})", text(&s["batch_size"]))
                } else {
                    "no".into()
                },
                text(&s["use_default_mapping"]),
                if s["mapping"].is_null() {
                    "the action's default".into()
                } else {
                    pre_json(&s["mapping"])
                },
            ]
        })
        .collect();
    let schema = &v["schema_check"];
    let schema_text = if schema["ok"] == true {
        format!(
            "<p class=\"ok\">Every object the subscriptions write to exists: {}.</p>",
            list(&schema["required"])
        )
    } else if let Some(e) = schema["error"].as_str() {
        format!("<p class=\"error\">The schema check failed: {}</p>", esc(e))
    } else {
        format!("<p class=\"error\">Missing objects: {}</p>", list(&schema["missing"]))
    };
    let presets = if v["using_presets"] == true {
        "<p class=\"muted\">No subscription is configured: these are the presets.</p>"
    } else {
        ""
    };
    let main = format!(
        "<div id=\"config\"><h2>Subscriptions</h2>{presets}{}<h2>Schema check</h2>{schema_text}<p class=\"muted\">Checked {}; objects in the workspace: {}</p><h2>Destination</h2>{}<h2>Server</h2>{}<h2>Ingestion</h2>{}<h2>Delivery</h2>{}<h2>Spool</h2>{}</div>",
        table("config-subscriptions", "Subscriptions in force", &["Name", "Action", "Subscribe (FQL)", "Batching", "Default mapping", "Mapping"], &subs),
        text(&schema["checked_at"]),
        list(&schema["objects"]),
        pairs("config-destination", "Attio", &v["destination"]),
        pairs("config-server", "Server", &v["server"]),
        pairs("config-ingest", "Ingestion", &v["ingest"]),
        pairs("config-delivery", "Delivery", &v["delivery"]),
        pairs("config-spool", "Spool", &v["spool"]),
    );
    html_page("Configuration", "config", c.0.access.token_configured(), &main)
}
