//! The console's JSON API: `GET /stats`, `GET /config`, `GET /dead-letters`,
//! `POST /dead-letters/replay`, `POST /dead-letters/purge`, `POST /try`.

use std::time::{Duration, Instant};

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use domain::ports::{DeadLetterSelection, TraceFilter, TraceState};
use serde::Deserialize;
use serde_json::{json, Value};

use super::stats::MINUTES;
use super::try_it::{self, TryRequest};
use super::{Console, ConsoleInner};
use crate::delivery::CredentialState;
use crate::server::admin::problem;
use crate::server::query::{self, DeadLetterQuery, QueryError};
use crate::trace_query::MAX_LIST;

/// How long a schema check is reused.
const SCHEMA_TTL: Duration = Duration::from_secs(60);
/// Most dead letters one replay or purge of "all matching" moves.
pub const MAX_SELECTION: usize = 100_000;

pub fn router(console: Console) -> Router {
    Router::new()
        .route("/stats", get(stats))
        .route("/config", get(config))
        .route("/dead-letters", get(dead_letters))
        .route("/dead-letters/replay", post(replay))
        .route("/dead-letters/purge", post(purge))
        .route("/try", post(try_event))
        .with_state(console)
}

fn failed(e: QueryError) -> Response {
    let status = match e {
        QueryError::BadRequest(_) => StatusCode::BAD_REQUEST,
        QueryError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    problem(status, &e.to_string())
}

async fn stats(State(c): State<Console>) -> Response {
    Json(stats_json(&c.0).await).into_response()
}

async fn config(State(c): State<Console>) -> Response {
    Json(config_json(&c.0).await).into_response()
}

async fn dead_letters(State(c): State<Console>, q: Result<Query<DeadLetterQuery>, QueryRejection>) -> Response {
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    match query::dead_letters(c.0.dead_letters.as_ref(), &q, None).await {
        Ok(found) => {
            let total = c.0.spool.stats().await.map(|s| s.dead_letters).unwrap_or(0);
            Json(json!({"dead_letters": query::dead_letter_views(&found), "total": total})).into_response()
        }
        Err(e) => failed(e),
    }
}

/// The body of a replay or purge: the dead letters by id, or all that match a filter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionBody {
    /// Dead letter ids (`dead_letter_id` in the list).
    #[serde(default)]
    pub ids: Option<Vec<i64>>,
    /// Every dead letter matching this filter (the list's query fields).
    #[serde(default)]
    pub filter: Option<DeadLetterQuery>,
    /// Only count what would change.
    #[serde(default)]
    pub dry_run: bool,
}

/// The dead letter ids a selection names; an unknown id is an error naming it.
async fn selected(c: &ConsoleInner, body: &SelectionBody) -> Result<Vec<i64>, QueryError> {
    let unavailable = |e: domain::ports::SpoolError| QueryError::Unavailable(e.to_string());
    match (&body.ids, &body.filter) {
        (Some(ids), None) => {
            let mut unknown = Vec::new();
            for id in ids {
                if c.dead_letters.get(*id).await.map_err(unavailable)?.is_none() {
                    unknown.push(id.to_string());
                }
            }
            if !unknown.is_empty() {
                return Err(QueryError::BadRequest(format!(
                    "ids: no dead letter with id {}; nothing was changed",
                    unknown.join(", ")
                )));
            }
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            Ok(ids)
        }
        (None, Some(filter)) => {
            let found = query::dead_letters(c.dead_letters.as_ref(), filter, Some(MAX_SELECTION)).await?;
            Ok(found.iter().map(|l| l.id).collect())
        }
        _ => Err(QueryError::BadRequest(
            "give either \"ids\" (dead letter ids) or \"filter\" (the list's filters; {} = all)".into(),
        )),
    }
}

async fn apply(c: &ConsoleInner, body: SelectionBody, replay: bool) -> Result<Value, QueryError> {
    let ids = selected(c, &body).await?;
    let verb = if replay { "replayed" } else { "purged" };
    if body.dry_run {
        return Ok(json!({"dry_run": true, "selected": ids.len(), verb: 0}));
    }
    let mut done = 0u64;
    for chunk in ids.chunks(500) {
        let selection = DeadLetterSelection::Ids(chunk.to_vec());
        let n = if replay {
            c.dead_letters.replay(selection).await
        } else {
            c.dead_letters.purge(selection).await
        }
        .map_err(|e| QueryError::Unavailable(e.to_string()))?;
        done += n;
    }
    tracing::info!(count = done, action = verb, "console: dead letters {verb}");
    Ok(json!({"dry_run": false, "selected": ids.len(), verb: done}))
}

async fn replay(State(c): State<Console>, body: Result<Json<SelectionBody>, JsonRejection>) -> Response {
    match body {
        Ok(Json(body)) => apply(&c.0, body, true)
            .await
            .map_or_else(failed, |v| Json(v).into_response()),
        Err(e) => problem(StatusCode::BAD_REQUEST, &e.body_text()),
    }
}

async fn purge(State(c): State<Console>, body: Result<Json<SelectionBody>, JsonRejection>) -> Response {
    match body {
        Ok(Json(body)) => apply(&c.0, body, false)
            .await
            .map_or_else(failed, |v| Json(v).into_response()),
        Err(e) => problem(StatusCode::BAD_REQUEST, &e.body_text()),
    }
}

async fn try_event(State(c): State<Console>, body: Result<Json<TryRequest>, JsonRejection>) -> Response {
    match body {
        Ok(Json(req)) => try_it::run(&c.0, req)
            .await
            .map_or_else(failed, |v| Json(v).into_response()),
        Err(e) => problem(StatusCode::BAD_REQUEST, &e.body_text()),
    }
}

/// Whether the Attio objects the subscriptions write to exist (reused for a minute).
pub async fn schema_json(c: &ConsoleInner) -> Value {
    let mut cached = c.schema.lock().await;
    if let Some((at, value)) = cached.as_ref() {
        if at.elapsed() < SCHEMA_TTL {
            return value.clone();
        }
    }
    let required = &c.config.required_objects;
    let value = match c.gateway.list_objects().await {
        Ok(objects) => {
            let slugs: Vec<String> = objects.into_iter().filter_map(|o| o.api_slug).collect();
            let missing: Vec<&String> = required.iter().filter(|r| !slugs.contains(r)).collect();
            json!({
                "checked_at": Utc::now(),
                "ok": missing.is_empty(),
                "required": required,
                "missing": missing,
                "objects": slugs,
            })
        }
        Err(e) => json!({"checked_at": Utc::now(), "ok": false, "required": required, "error": e.to_string()}),
    };
    *cached = Some((Instant::now(), value.clone()));
    value
}

pub async fn config_json(c: &ConsoleInner) -> Value {
    let mut view = c.config.view.clone();
    view["schema_check"] = schema_json(c).await;
    view
}

/// Per subscription over the last hour, from the trace.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
struct PerSubscription {
    matched: u64,
    delivered: u64,
    skipped: u64,
    dead_lettered: u64,
    waiting: u64,
}

pub async fn stats_json(c: &ConsoleInner) -> Value {
    let now = Utc::now();
    let current = c.sampler.totals();
    let minutes = c.sampler.minutes(now, current);
    let last_hour = minutes.iter().fold(json!({}), |mut acc, m| {
        for (key, value) in [
            ("received", m.counts.received),
            ("accepted", m.counts.accepted),
            ("delivered", m.counts.delivered),
            ("dead_lettered", m.counts.dead_lettered),
            ("attio_writes", m.counts.attio_writes),
            ("attio_429s", m.counts.attio_429s),
        ] {
            acc[key] = json!(acc[key].as_f64().unwrap_or(0.0) + value);
        }
        acc
    });
    let write_rate = minutes.last().map_or(0.0, |m| m.counts.attio_writes / 60.0);
    let spool = match c.spool.stats().await {
        Ok(st) => json!({
            "pending": st.pending,
            "dead_letters": st.dead_letters,
            "oldest_waiting_age_seconds": st.oldest_received_at.map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0),
        }),
        Err(e) => json!({"error": e.to_string()}),
    };
    let (credentials, credentials_error) = match c.status.credentials() {
        CredentialState::Valid => ("valid", None),
        CredentialState::Unknown => ("unknown", None),
        CredentialState::Invalid(why) => ("invalid", Some(why)),
    };
    // In the configuration's order; a name only the trace knows (a subscription since
    // removed) goes last.
    let mut per: Vec<(String, PerSubscription)> = c
        .router
        .subscriptions
        .iter()
        .map(|s| (s.name.clone(), PerSubscription::default()))
        .collect();
    let mut traced = None;
    if let Some(trace) = &c.trace {
        let filter = TraceFilter {
            since: Some(now - chrono::Duration::minutes(MINUTES)),
            limit: MAX_LIST,
            ..TraceFilter::default()
        };
        if let Ok(events) = trace.list(filter).await {
            traced = Some(events.len());
            for event in &events {
                for s in &event.subscriptions {
                    let at = match per.iter().position(|(name, _)| name == &s.name) {
                        Some(at) => at,
                        None => {
                            per.push((s.name.clone(), PerSubscription::default()));
                            per.len() - 1
                        }
                    };
                    let entry = &mut per[at].1;
                    if !s.matched {
                        entry.skipped += 1;
                        continue;
                    }
                    entry.matched += 1;
                    match s.outcome {
                        Some(TraceState::Delivered) => entry.delivered += 1,
                        Some(TraceState::DeadLettered | TraceState::Rejected) => entry.dead_lettered += 1,
                        // Matched, but its write_mode wrote nothing.
                        Some(TraceState::Skipped) => entry.skipped += 1,
                        _ => entry.waiting += 1,
                    }
                }
            }
        }
    }
    let subscriptions: Vec<Value> = per
        .into_iter()
        .map(|(name, counts)| {
            let mut v = json!(counts);
            v["name"] = json!(name);
            v
        })
        .collect();
    json!({
        "now": now,
        "minutes": minutes,
        "last_hour": last_hour,
        "spool": spool,
        "attio": {
            "target": c.config.view["destination"]["attio"],
            "credentials": credentials,
            "credentials_error": credentials_error,
            "delivery_paused": c.status.paused.load(std::sync::atomic::Ordering::Relaxed),
            "last_error": c.status.last_error(),
            "write_rate_per_second": write_rate,
            "write_limit_per_second": c.write_limit,
            "responses_429_last_hour": last_hour["attio_429s"],
        },
        "schema": schema_json(c).await,
        "subscriptions": subscriptions,
        "trace": {"enabled": c.trace.is_some(), "events_last_hour": traced},
    })
}
