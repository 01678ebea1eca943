//! Overview: the last hour as a chart, the spool, Attio's state, per subscription.

use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::super::api::stats_json;
use super::super::html::{age, esc, list, page as html_page, table, text};
use super::super::Console;

/// The chart's series: key in `minutes`, label, colour.
const SERIES: [(&str, &str, &str); 4] = [
    ("received", "received", "#5b6b7f"),
    ("accepted", "accepted", "#2f6fdb"),
    ("delivered", "delivered", "#1d8a4e"),
    ("dead_lettered", "dead-lettered", "#c2410c"),
];

/// The last hour as an inline SVG line chart.
pub fn chart(minutes: &[Value]) -> String {
    let (w, h, pad) = (600.0, 160.0, 24.0);
    let max = minutes
        .iter()
        .flat_map(|m| SERIES.iter().map(move |(k, _, _)| m[*k].as_f64().unwrap_or(0.0)))
        .fold(1.0_f64, f64::max);
    let n = minutes.len().max(2) as f64;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (n - 1.0);
    let y = |v: f64| h - pad - (h - 2.0 * pad) * v / max;
    let mut lines = String::new();
    let mut summary = Vec::new();
    for (key, label, colour) in SERIES {
        let points: Vec<String> = minutes
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{:.1},{:.1}", x(i), y(m[key].as_f64().unwrap_or(0.0))))
            .collect();
        let total: f64 = minutes.iter().map(|m| m[key].as_f64().unwrap_or(0.0)).sum();
        summary.push(format!("{total} {label}"));
        lines.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"><title>{label}</title></polyline>",
            points.join(" ")
        ));
    }
    let legend: String = SERIES
        .iter()
        .map(|(key, label, colour)| {
            let total: f64 = minutes.iter().map(|m| m[*key].as_f64().unwrap_or(0.0)).sum();
            format!("<li><svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" fill=\"{colour}\"/></svg> {label}: <strong>{total}</strong></li>")
        })
        .collect();
    let (base, right, now_x) = (h - pad, w - pad, w - pad - 24.0);
    format!(
        "<figure class=\"chart\"><svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Events per minute over the last hour: {label}\"><line x1=\"{pad}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\" stroke=\"#999\"/><text x=\"2\" y=\"{pad}\" font-size=\"11\">{max}</text><text x=\"2\" y=\"{base}\" font-size=\"11\">0</text><text x=\"{pad}\" y=\"{h}\" font-size=\"11\">-60 min</text><text x=\"{now_x}\" y=\"{h}\" font-size=\"11\">now</text>{lines}</svg><figcaption>Events per minute, last hour<ul class=\"legend\">{legend}</ul></figcaption></figure>",
        label = summary.join(", "),
    )
}

fn card(label: &str, value: &str, note: &str) -> String {
    format!("<div class=\"card\"><div class=\"label\">{label}</div><div class=\"value\">{value}</div><div class=\"note\">{note}</div></div>")
}

pub async fn page(State(c): State<Console>) -> Response {
    let s = stats_json(&c.0).await;
    let minutes = s["minutes"].as_array().cloned().unwrap_or_default();
    let spool = &s["spool"];
    let attio = &s["attio"];
    let oldest = spool["oldest_waiting_age_seconds"]
        .as_f64()
        .map_or_else(|| "none waiting".to_owned(), age);
    let schema = &s["schema"];
    let schema_text = if schema["ok"] == true {
        "objects found".to_owned()
    } else if let Some(e) = schema["error"].as_str() {
        format!("check failed: {}", esc(e))
    } else {
        format!("missing: {}", list(&schema["missing"]))
    };
    let credentials = match &attio["credentials_error"] {
        Value::String(e) => format!("{} ({})", text(&attio["credentials"]), esc(e)),
        _ => text(&attio["credentials"]),
    };
    let cards = [
        card("Waiting in the spool", &text(&spool["pending"]), "events"),
        card("Oldest waiting", &oldest, "age"),
        card(
            "Dead letters",
            &text(&spool["dead_letters"]),
            "<a href=\"/console/dead-letters\">see them</a>",
        ),
        card(
            "Attio writes",
            &format!("{:.1}/s", attio["write_rate_per_second"].as_f64().unwrap_or(0.0)),
            &format!(
                "limit {}/s; 429s in the last hour: {:.0}",
                text(&attio["write_limit_per_second"]),
                attio["responses_429_last_hour"].as_f64().unwrap_or(0.0)
            ),
        ),
        card(
            "Attio credentials",
            &credentials,
            &format!("destination: {}", text(&attio["target"])),
        ),
        card("Schema", &schema_text, "<a href=\"/console/config\">configuration</a>"),
    ]
    .concat();
    let rows: Vec<Vec<String>> = s["subscriptions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|sub| {
            let name = sub["name"].as_str().unwrap_or("");
            let link = format!(
                "<a href=\"/console/events?subscription={}\">{}</a>",
                esc(&percent(name)),
                esc(name)
            );
            vec![
                link,
                text(&sub["matched"]),
                text(&sub["delivered"]),
                text(&sub["skipped"]),
                text(&sub["dead_lettered"]),
                text(&sub["waiting"]),
            ]
        })
        .collect();
    let trace_note = if s["trace"]["enabled"] == true {
        ""
    } else {
        "<p class=\"notice\">The event trace is off (<code>spool.trace = false</code>): per-subscription counts and the Events page are empty.</p>"
    };
    let main = format!(
        "<noscript><meta http-equiv=\"refresh\" content=\"15\"></noscript><div id=\"overview\" data-refresh=\"5000\"><section class=\"cards\" aria-label=\"State\">{cards}</section>{}<h2>Subscriptions, last hour</h2>{trace_note}{}<p class=\"muted\">Updated {} (refreshes by itself).</p></div>",
        chart(&minutes),
        table(
            "subscriptions",
            "Per subscription: events matched, delivered, skipped (not matched, or nothing written by its write_mode), dead-lettered, still waiting",
            &["Subscription", "Matched", "Delivered", "Skipped", "Dead-lettered", "Waiting"],
            &rows
        ),
        text(&s["now"]),
    );
    html_page("Overview", "overview", c.0.access.token_configured(), &main)
}

/// Percent-encodes a query value.
pub fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
