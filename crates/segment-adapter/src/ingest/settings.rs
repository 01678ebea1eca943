//! `GET /v1/projects/{writeKey}/settings`: the settings document analytics.js
//! (`@segment/analytics-next`) loads from its CDN before it starts. Point its `cdnURL`
//! at this service and it sends events here.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{IngestError, IngestState};

/// Where analytics.js should send events: `(apiHost, protocol)`, e.g.
/// `("collect.example.com/v1", "https")`: `public_url` when set, else the request's
/// `Host` (and, only when `trust_forwarded`, the proxy's `X-Forwarded-Host` and
/// `X-Forwarded-Proto`).
pub(crate) fn api_host(public_url: Option<&str>, trust_forwarded: bool, headers: &HeaderMap) -> (String, &'static str) {
    if let Some(url) = public_url {
        let (protocol, rest) = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => ("http", rest),
            Some((_, rest)) => ("https", rest),
            None => ("https", url),
        };
        return (format!("{}/v1", rest.trim_end_matches('/')), protocol);
    }
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let forwarded = |name: &str| if trust_forwarded { header_text(name) } else { None };
    let host = forwarded("x-forwarded-host")
        .or_else(|| header_text(header::HOST.as_str()))
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("localhost");
    let protocol = match forwarded("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    (format!("{host}/v1"), protocol)
}

/// The smallest document analytics-next starts with: the `Segment.io` integration
/// pointing at this service, an everything-enabled tracking plan, and its metrics off.
pub(crate) fn settings_document(write_key: &str, api_host: &str, protocol: &str) -> Value {
    json!({
        "integrations": {
            "Segment.io": {
                "apiKey": write_key,
                "apiHost": api_host,
                "protocol": protocol,
                "unbundledIntegrations": [],
                "addBundledMetadata": true,
                "maybeBundledConfigIds": {},
                "versionSettings": {"componentTypes": ["browser"]}
            }
        },
        "plan": {
            "track": {"__default": {"enabled": true, "integrations": {}}},
            "identify": {"__default": {"enabled": true}},
            "group": {"__default": {"enabled": true}}
        },
        "edgeFunction": {},
        "analyticsNextEnabled": true,
        "middlewareSettings": {},
        "enabledMiddleware": {},
        "metrics": {"sampleRate": 0},
        "legacyVideoPluginsEnabled": false,
        "remotePlugins": []
    })
}

pub(crate) async fn settings(
    State(state): State<IngestState>,
    Path(write_key): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !state.keys.is_empty() && !state.keys.contains(&write_key) {
        return IngestError::UnknownSettingsKey.into_response();
    }
    let config = &state.config;
    let (host, protocol) = api_host(config.public_url.as_deref(), config.trust_forwarded_headers, &headers);
    let mut response = axum::Json(settings_document(&write_key, &host, protocol)).into_response();
    let answer = response.headers_mut();
    answer.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    if let Some(vary) = vary(config.public_url.is_some(), config.trust_forwarded_headers) {
        answer.insert(header::VARY, HeaderValue::from_static(vary));
    }
    response
}

/// The request headers the document depends on (the CORS layer adds `Origin`), so that
/// a shared cache keeps one answer per host instead of serving one client's to all.
fn vary(public_url: bool, trust_forwarded: bool) -> Option<&'static str> {
    match (public_url, trust_forwarded) {
        (true, _) => None,
        (false, false) => Some("Host"),
        (false, true) => Some("Host, X-Forwarded-Host, X-Forwarded-Proto"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_decides_host_and_protocol() {
        let headers = HeaderMap::new();
        assert_eq!(
            api_host(Some("https://collect.example.com/seg/"), false, &headers),
            ("collect.example.com/seg/v1".to_owned(), "https")
        );
        assert_eq!(
            api_host(Some("http://localhost:8080"), false, &headers),
            ("localhost:8080/v1".to_owned(), "http")
        );
    }

    #[test]
    fn request_headers_decide_without_public_url() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert_eq!(
            api_host(None, false, &headers),
            ("127.0.0.1:3000/v1".to_owned(), "http")
        );
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        headers.insert("x-forwarded-host", HeaderValue::from_static("edge.example.com"));
        assert_eq!(
            api_host(None, true, &headers),
            ("edge.example.com/v1".to_owned(), "https")
        );
    }

    #[test]
    fn forwarded_headers_are_ignored_unless_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        headers.insert("x-forwarded-host", HeaderValue::from_static("attacker.example"));
        assert_eq!(
            api_host(None, false, &headers),
            ("127.0.0.1:3000/v1".to_owned(), "http")
        );
    }

    #[test]
    fn vary_names_the_headers_the_document_depends_on() {
        assert_eq!(vary(true, true), None);
        assert_eq!(vary(false, false), Some("Host"));
        assert_eq!(vary(false, true), Some("Host, X-Forwarded-Host, X-Forwarded-Proto"));
    }

    #[test]
    fn odd_host_header_falls_back_to_localhost() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("evil.com/\"x"));
        assert_eq!(api_host(None, false, &headers).0, "localhost/v1");
    }

    #[test]
    fn document_points_segment_io_at_this_service() {
        let doc = settings_document("WK", "h/v1", "http");
        assert_eq!(doc["integrations"]["Segment.io"]["apiKey"], "WK");
        assert_eq!(doc["integrations"]["Segment.io"]["apiHost"], "h/v1");
        assert_eq!(doc["integrations"]["Segment.io"]["protocol"], "http");
    }
}
