//! Listing notes follows pages until a short or repeated one.

use domain::ports::AttioGateway;
use domain::ObjectSlug;

use super::config_for;
use super::server::{Reply, TestServer};
use crate::http::HttpAttioGateway;

#[tokio::test]
async fn pages_are_followed_until_a_short_or_repeated_page() {
    // A server that ignores `offset` answers the same full page every time.
    let page: Vec<_> = (0..crate::wire::requests::NOTE_PAGE)
        .map(|i| serde_json::json!({"id": {"note_id": format!("n{i}")}, "title": "t", "created_at": "2030-01-01T00:00:00Z"}))
        .collect();
    let body = serde_json::json!({ "data": page }).to_string();
    let server = TestServer::start(move |_, _| Reply::json(200, body.clone())).await;
    let gw = HttpAttioGateway::new(config_for(&server.url())).unwrap();
    let notes = gw.notes_of(&ObjectSlug::PEOPLE, "rec").await.unwrap();
    assert_eq!(notes.len(), crate::wire::requests::NOTE_PAGE);
    assert_eq!(server.requests().len(), 2, "the repeated page ends the listing");
    assert!(server.requests()[1].path_and_query.ends_with("&offset=50"));
}
