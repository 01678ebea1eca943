use axum::http::StatusCode;
use serde_json::json;

use super::support::{answer, error_code, keyed_config, Server, KEY};
use crate::ingest::IngestConfig;

#[tokio::test]
async fn settings_point_analytics_js_at_this_service() {
    let server = Server::start(keyed_config()).await;
    let url = format!("{}/v1/projects/{KEY}/settings", server.base);
    let (status, body) = answer(server.client.get(url).send().await).await;
    assert_eq!(status, StatusCode::OK);
    let segment = &body["integrations"]["Segment.io"];
    assert_eq!(segment["apiKey"], json!(KEY));
    assert_eq!(segment["apiHost"], json!(format!("{}/v1", server.addr)));
    assert_eq!(segment["protocol"], json!("http"));
    assert!(body["plan"]["track"]["__default"]["enabled"].as_bool().unwrap_or(false));
}

#[tokio::test]
async fn settings_use_the_configured_public_url() {
    let server = Server::start(IngestConfig {
        public_url: Some("https://collect.example.com".into()),
        ..keyed_config()
    })
    .await;
    let url = format!("{}/v1/projects/{KEY}/settings", server.base);
    let (_, body) = answer(server.client.get(url).send().await).await;
    assert_eq!(
        body["integrations"]["Segment.io"]["apiHost"],
        json!("collect.example.com/v1")
    );
    assert_eq!(body["integrations"]["Segment.io"]["protocol"], json!("https"));
}

#[tokio::test]
async fn settings_for_an_unknown_key_are_404() {
    let server = Server::start(keyed_config()).await;
    let url = format!("{}/v1/projects/other/settings", server.base);
    let (status, body) = answer(server.client.get(url).send().await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "unknown_write_key");
}

#[tokio::test]
async fn cors_preflight_allows_posting_events_from_another_origin() {
    let server = Server::start(keyed_config()).await;
    let response = server
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/v1/t", server.base))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 204);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("access-control-allow-origin"), "https://shop.example");
    assert!(header("access-control-allow-methods").contains("POST"));
    let allowed = header("access-control-allow-headers").to_ascii_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
    assert_eq!(server.spool.append_calls(), 0);
}

#[tokio::test]
async fn answers_to_browsers_carry_cors_headers_even_on_errors() {
    let server = Server::start(keyed_config()).await;
    for key in [KEY, "wrong"] {
        let response = server
            .post("/v1/t")
            .header("origin", "https://shop.example")
            .body(json!({"userId": "u", "event": "E", "writeKey": key}).to_string())
            .send()
            .await
            .expect("answer");
        let allow = response.headers().get("access-control-allow-origin").cloned();
        assert_eq!(
            allow.as_ref().and_then(|v| v.to_str().ok()),
            Some("https://shop.example")
        );
    }
    assert_eq!(server.spool.events().len(), 1);
}

#[tokio::test]
async fn browser_batch_with_basic_auth_and_body_key_is_accepted() {
    let server = Server::start(keyed_config()).await;
    let body = json!({"batch": [{"type": "page", "anonymousId": "a", "name": "Home"}], "writeKey": KEY,
                      "sentAt": "2024-05-01T12:00:00.000Z"});
    let request = server
        .client
        .post(format!("{}/v1/b", server.base))
        .header("content-type", "text/plain")
        .basic_auth(KEY, Some(""))
        .body(body.to_string());
    assert_eq!(answer(request.send().await).await.0, StatusCode::OK);
    assert_eq!(server.spool.payloads()[0]["name"], json!("Home"));
}
