//! HTML building blocks: escaping, the page frame, tables, form controls.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value as escaped text (`-` for null or absent).
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => esc(s),
        other => esc(&other.to_string()),
    }
}

/// An RFC 3339 time from JSON, to the second and in UTC (`-` when absent).
pub fn time(v: &Value) -> String {
    match v.as_str().map(chrono::DateTime::parse_from_rfc3339) {
        Some(Ok(at)) => format!(
            "<span class=\"time\">{}</span>",
            at.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%SZ")
        ),
        _ => text(v),
    }
}

/// A JSON array of strings as an escaped, comma-separated list (`-` when empty).
pub fn list(v: &Value) -> String {
    let items: Vec<&str> = v.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if items.is_empty() {
        "-".to_owned()
    } else {
        esc(&items.join(", "))
    }
}

/// Pretty JSON in a `<pre>`.
pub fn pre_json(v: &Value) -> String {
    format!(
        "<pre class=\"json\">{}</pre>",
        esc(&serde_json::to_string_pretty(v).unwrap_or_default())
    )
}

/// JSON for a `<script type="application/json">` block.
pub fn script_json(v: &Value) -> String {
    v.to_string().replace("</", "<\\/")
}

pub const PAGES: [(&str, &str, &str); 5] = [
    ("overview", "/console", "Overview"),
    ("events", "/console/events", "Events"),
    ("dead-letters", "/console/dead-letters", "Dead letters"),
    ("try", "/console/try", "Try it"),
    ("config", "/console/config", "Configuration"),
];

/// A whole page: header, navigation, the loopback notice when no token is configured.
pub fn page(title: &str, active: &str, token_configured: bool, main: &str) -> Response {
    let nav: String = PAGES
        .iter()
        .map(|(key, href, label)| {
            let current = if *key == active { " aria-current=\"page\"" } else { "" };
            format!("<a href=\"{href}\"{current}>{label}</a>")
        })
        .collect();
    let session = if token_configured {
        "<form method=\"post\" action=\"/console/logout\" class=\"logout\"><button type=\"submit\">Log out</button></form>"
    } else {
        ""
    };
    let notice = if token_configured {
        String::new()
    } else {
        "<p class=\"notice\" role=\"note\">No <code>server.admin_token</code> is configured: this console answers only on loopback. Set one to use it from elsewhere.</p>".to_owned()
    };
    let body = format!(
        "<header><span class=\"brand\">segment-attio</span><nav aria-label=\"Console pages\">{nav}</nav>{session}</header>{notice}<main id=\"main\"><h1>{title}</h1>{main}</main>"
    );
    frame(StatusCode::OK, title, &body)
}

/// The HTML document around a body.
pub fn frame(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} · segment-attio console</title><link rel=\"stylesheet\" href=\"/console/assets/console.css\"><script src=\"/console/assets/console.js\" defer></script></head><body>{body}</body></html>",
        esc(title)
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

/// A table in a scrolling wrapper; cells are HTML already.
pub fn table(id: &str, caption: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let head: String = headers.iter().map(|h| format!("<th scope=\"col\">{h}</th>")).collect();
    let body: String = if rows.is_empty() {
        format!(
            "<tr><td colspan=\"{}\" class=\"empty\">Nothing to show.</td></tr>",
            headers.len()
        )
    } else {
        rows.iter()
            .map(|r| {
                format!(
                    "<tr>{}</tr>",
                    r.iter().map(|c| format!("<td>{c}</td>")).collect::<String>()
                )
            })
            .collect()
    };
    format!(
        "<div class=\"scroll\" id=\"{id}\"><table><caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
}

/// A labelled text input.
pub fn input(name: &str, label: &str, value: Option<&str>, hint: &str) -> String {
    format!(
        "<label for=\"f-{name}\">{label}</label><input id=\"f-{name}\" name=\"{name}\" value=\"{}\" placeholder=\"{}\">",
        esc(value.unwrap_or("")),
        esc(hint)
    )
}

/// A labelled select; the first option is "any" (empty value).
pub fn select(name: &str, label: &str, any: &str, options: &[String], value: Option<&str>) -> String {
    let mut html = format!("<label for=\"f-{name}\">{label}</label><select id=\"f-{name}\" name=\"{name}\"><option value=\"\">{any}</option>");
    for o in options {
        let selected = if value == Some(o.as_str()) { " selected" } else { "" };
        html.push_str(&format!("<option value=\"{0}\"{selected}>{0}</option>", esc(o)));
    }
    html.push_str("</select>");
    html
}

/// Seconds as a short age.
pub fn age(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    match s {
        s if s < 120 => format!("{s}s"),
        s if s < 7_200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn script_json_cannot_close_its_script() {
        let v = serde_json::json!({"x": "</script><script>alert(1)</script>"});
        assert!(!script_json(&v).contains("</script>"));
    }
}
