//! The filters of the admin API's lists (`GET /events`, `GET /dead-letters`), shared by the
//! console's pages: what the store filters itself, and the rest (user or group id,
//! `messageId`, type of a dead letter) applied to what it returns.

use domain::ports::{DeadLetterFilter, DeadLetters, EventTrace, EventTraceRecord, StoredDeadLetter, TraceFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dead_letter_view::view;
use crate::trace_query::{parse_since, parse_state, MAX_LIST};

/// Most rows one list answers by default.
pub const DEFAULT_LIMIT: usize = 100;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    /// A filter that does not parse, naming it.
    #[error("{0}")]
    BadRequest(String),
    #[error("reading the spool failed: {0}")]
    Unavailable(String),
}

/// The query of `GET /events` (an empty value is no filter: HTML forms send them).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventQuery {
    pub state: Option<String>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    /// The user id or the group id.
    pub who: Option<String>,
    /// The `messageId` or the spool's event id.
    pub message_id: Option<String>,
    pub since: Option<String>,
    pub subscription: Option<String>,
    pub limit: Option<usize>,
}

/// The query of `GET /dead-letters`, and the filter of replaying or purging all that match.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeadLetterQuery {
    pub subscription: Option<String>,
    /// The destination (`default` or a `[[destinations]]` name).
    pub destination: Option<String>,
    /// A part of the reason.
    pub reason: Option<String>,
    pub since: Option<String>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// The user id or the group id.
    pub who: Option<String>,
    /// The `messageId` or the spool's event id.
    pub message_id: Option<String>,
    pub limit: Option<usize>,
}

/// The value of a filter, `None` when absent or blank.
pub fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn owned(value: &Option<String>) -> Option<String> {
    given(value).map(str::to_owned)
}

fn since(value: &Option<String>) -> Result<Option<chrono::DateTime<chrono::Utc>>, QueryError> {
    given(value)
        .map(parse_since)
        .transpose()
        .map_err(|e| QueryError::BadRequest(format!("since: {e}")))
}

/// Traces matching the query, newest first.
pub async fn events(trace: &dyn EventTrace, q: &EventQuery) -> Result<Vec<EventTraceRecord>, QueryError> {
    let state = given(&q.state)
        .map(parse_state)
        .transpose()
        .map_err(|e| QueryError::BadRequest(format!("state: {e}")))?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIST);
    let filter = TraceFilter {
        state,
        event_type: owned(&q.event_type),
        user_id: owned(&q.user_id),
        since: since(&q.since)?,
        subscription: owned(&q.subscription),
        limit,
    };
    let (who, group_id) = (given(&q.who), given(&q.group_id));
    let keep = |t: &EventTraceRecord| {
        let is = |field: &Option<String>, wanted: &str| field.as_deref() == Some(wanted);
        (filter.state.is_none_or(|s| s == t.state))
            && filter.event_type.as_ref().is_none_or(|ty| is(&t.event_type, ty))
            && filter.user_id.as_ref().is_none_or(|u| is(&t.user_id, u))
            && filter.since.is_none_or(|at| t.received_at >= at)
            && filter
                .subscription
                .as_ref()
                .is_none_or(|name| t.subscriptions.iter().any(|s| s.matched && &s.name == name))
            && who.is_none_or(|w| is(&t.user_id, w) || is(&t.group_id, w))
            && group_id.is_none_or(|g| is(&t.group_id, g))
    };
    let unavailable = |e: domain::ports::SpoolError| QueryError::Unavailable(e.to_string());
    let mut found = if let Some(id) = given(&q.message_id) {
        trace.find(id).await.map_err(unavailable)?.into_iter().collect()
    } else if who.is_some() || group_id.is_some() {
        trace
            .list(TraceFilter {
                limit: MAX_LIST,
                ..filter.clone()
            })
            .await
            .map_err(unavailable)?
    } else {
        trace.list(filter.clone()).await.map_err(unavailable)?
    };
    found.retain(keep);
    found.truncate(limit);
    Ok(found)
}

/// Dead letters matching the query, newest first (`limit` overrides the query's).
pub async fn dead_letters(
    store: &dyn DeadLetters,
    q: &DeadLetterQuery,
    limit: Option<usize>,
) -> Result<Vec<StoredDeadLetter>, QueryError> {
    let limit = limit.or(q.limit).unwrap_or(DEFAULT_LIMIT);
    let filter = DeadLetterFilter {
        subscription: owned(&q.subscription),
        destination: owned(&q.destination),
        reason: owned(&q.reason),
        since: since(&q.since)?,
        limit,
        offset: 0,
    };
    let (event_type, who) = (given(&q.event_type), given(&q.who));
    let keep = |l: &StoredDeadLetter| {
        let v = view(l);
        let is = |key: &str, wanted: &str| v[key].as_str() == Some(wanted);
        filter.subscription.as_ref().is_none_or(|s| &l.letter.subscription == s)
            && filter
                .reason
                .as_ref()
                .is_none_or(|r| l.letter.reason.contains(r.as_str()))
            && filter.since.is_none_or(|at| l.letter.failed_at >= at)
            && event_type.is_none_or(|t| is("type", t))
            && who.is_none_or(|w| is("user_id", w) || is("group_id", w))
    };
    let unavailable = |e: domain::ports::SpoolError| QueryError::Unavailable(e.to_string());
    let mut found = if let Some(id) = given(&q.message_id) {
        store.of_event(id).await.map_err(unavailable)?
    } else if event_type.is_some() || who.is_some() {
        store
            .search(DeadLetterFilter {
                limit: usize::MAX,
                ..filter.clone()
            })
            .await
            .map_err(unavailable)?
    } else {
        store.search(filter.clone()).await.map_err(unavailable)?
    };
    found.retain(keep);
    found.truncate(limit);
    Ok(found)
}

/// Dead letters as the API shows them.
pub fn dead_letter_views(letters: &[StoredDeadLetter]) -> Vec<Value> {
    letters.iter().map(view).collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use domain::ports::{DeadLetter, MockDeadLetters, MockEventTrace, TraceState};

    use super::*;

    fn traced(id: i64, user: Option<&str>, group: Option<&str>) -> EventTraceRecord {
        EventTraceRecord {
            event_id: id,
            message_id: Some(format!("m{id}")),
            event_type: Some(if group.is_some() { "group" } else { "identify" }.into()),
            user_id: user.map(str::to_owned),
            group_id: group.map(str::to_owned),
            received_at: Utc::now(),
            updated_at: Utc::now(),
            state: TraceState::Delivered,
            reason: None,
            attempts: 1,
            subscriptions: Vec::new(),
            attio_requests: Vec::new(),
            attio_requests_omitted: 0,
        }
    }

    fn letter(id: i64, payload: &str) -> StoredDeadLetter {
        StoredDeadLetter {
            id,
            letter: DeadLetter {
                event_id: id,
                received_at: Utc::now(),
                payload: payload.to_owned(),
                subscription: "groups".into(),
                reason: "Attio answered 400".into(),
                attempts: 5,
                last_error: None,
                failed_at: Utc::now(),
            },
            destination: "default".into(),
        }
    }

    #[tokio::test]
    async fn who_matches_the_user_or_the_group_and_the_store_is_asked_for_enough() {
        let mut trace = MockEventTrace::new();
        trace
            .expect_list()
            .withf(|f| f.limit == MAX_LIST && f.user_id.is_none())
            .returning(|_| {
                Ok(vec![
                    traced(3, Some("u1"), Some("w1")),
                    traced(2, Some("u2"), None),
                    traced(1, Some("u1"), None),
                ])
            });
        let q = EventQuery {
            who: Some("w1".into()),
            limit: Some(5),
            ..EventQuery::default()
        };
        let found = events(&trace, &q).await.expect("events");
        assert_eq!(found.iter().map(|t| t.event_id).collect::<Vec<_>>(), [3]);
        let q = EventQuery {
            who: Some("u1".into()),
            state: Some(String::new()),
            limit: Some(1),
            ..EventQuery::default()
        };
        let found = events(&trace, &q).await.expect("events");
        assert_eq!(
            found.iter().map(|t| t.event_id).collect::<Vec<_>>(),
            [3],
            "limited to 1"
        );
    }

    #[tokio::test]
    async fn a_bad_filter_names_itself() {
        let trace = MockEventTrace::new();
        let q = EventQuery {
            state: Some("lost".into()),
            ..EventQuery::default()
        };
        let Err(QueryError::BadRequest(message)) = events(&trace, &q).await else {
            panic!("a bad state must be refused");
        };
        assert!(message.starts_with("state:"), "{message}");
    }

    #[tokio::test]
    async fn dead_letters_filter_on_the_payloads_type_and_ids() {
        let mut store = MockDeadLetters::new();
        store.expect_search().returning(|_| {
            Ok(vec![
                letter(3, r#"{"type":"group","userId":"u1","groupId":"w1"}"#),
                letter(2, r#"{"type":"identify","userId":"u2"}"#),
                letter(1, "not JSON"),
            ])
        });
        let q = DeadLetterQuery {
            event_type: Some("group".into()),
            ..DeadLetterQuery::default()
        };
        let ids = |found: Vec<StoredDeadLetter>| found.iter().map(|l| l.id).collect::<Vec<_>>();
        assert_eq!(ids(dead_letters(&store, &q, None).await.expect("list")), [3]);
        let q = DeadLetterQuery {
            who: Some("u2".into()),
            ..DeadLetterQuery::default()
        };
        assert_eq!(ids(dead_letters(&store, &q, None).await.expect("list")), [2]);
        let q = DeadLetterQuery::default();
        assert_eq!(ids(dead_letters(&store, &q, Some(2)).await.expect("list")), [3, 2]);
    }
}
