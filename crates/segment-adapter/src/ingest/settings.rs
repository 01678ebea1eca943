//! `GET /v1/projects/{writeKey}/settings`: the settings document analytics.js
//! (`@segment/analytics-next`) loads from its CDN before it starts. Point its `cdnURL`
//! at this service and it sends events here.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{IngestError, IngestState};

/// Where analytics.js should send events: `(apiHost, protocol)`, e.g.
/// `("collect.example.com/v1", "https")`.
pub(crate) fn api_host(public_url: Option<&str>, headers: &HeaderMap) -> (String, &'static str) {
    if let Some(url) = public_url {
        let (protocol, rest) = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => ("http", rest),
            Some((_, rest)) => ("https", rest),
            None => ("https", url),
        };
        return (format!("{}/v1", rest.trim_end_matches('/')), protocol);
    }
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let host = header_text("x-forwarded-host")
        .or_else(|| header_text(header::HOST.as_str()))
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("localhost");
    let protocol = match header_text("x-forwarded-proto") {
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
    let (host, protocol) = api_host(state.config.public_url.as_deref(), &headers);
    let mut response = axum::Json(settings_document(&write_key, &host, protocol)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_decides_host_and_protocol() {
        let headers = HeaderMap::new();
        assert_eq!(
            api_host(Some("https://collect.example.com/seg/"), &headers),
            ("collect.example.com/seg/v1".to_owned(), "https")
        );
        assert_eq!(
            api_host(Some("http://localhost:8080"), &headers),
            ("localhost:8080/v1".to_owned(), "http")
        );
    }

    #[test]
    fn request_headers_decide_without_public_url() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert_eq!(api_host(None, &headers), ("127.0.0.1:3000/v1".to_owned(), "http"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        headers.insert("x-forwarded-host", HeaderValue::from_static("edge.example.com"));
        assert_eq!(api_host(None, &headers), ("edge.example.com/v1".to_owned(), "https"));
    }

    #[test]
    fn odd_host_header_falls_back_to_localhost() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("evil.com/\"x"));
        assert_eq!(api_host(None, &headers).0, "localhost/v1");
    }

    #[test]
    fn document_points_segment_io_at_this_service() {
        let doc = settings_document("WK", "h/v1", "http");
        assert_eq!(doc["integrations"]["Segment.io"]["apiKey"], "WK");
        assert_eq!(doc["integrations"]["Segment.io"]["apiHost"], "h/v1");
        assert_eq!(doc["integrations"]["Segment.io"]["protocol"], "http");
    }
}
