//! One event shaped like what `@segment/analytics-node` sends, with placeholders where the
//! per-event fields (message id, user number, timestamp) are written later.

use rand::seq::IndexedRandom;
use rand::Rng;
use serde_json::{json, Map, Value};

use super::words;
use super::EventKind;

/// Marks the 12 hex digits of the event sequence number inside the message id.
pub const SEQ_MARK: u8 = b'~';
pub const SEQ_WIDTH: usize = 12;
/// Marks the zero-padded user number (width depends on `--distinct-users`).
pub const USER_MARK: u8 = b'^';
/// Marks an ISO-8601 UTC timestamp with milliseconds: `2026-01-02T03:04:05.678Z`.
pub const TIME_MARK: u8 = b'`';
pub const TIME_WIDTH: usize = 24;

/// The concrete kind of one generated event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Identify,
    Group,
    Track,
}

impl Call {
    /// Picks the call for one event of a run of `kind`: mixed runs are 30 % identify,
    /// 10 % group and 60 % track, roughly what a product sends.
    pub fn pick(kind: EventKind, rng: &mut impl Rng) -> Self {
        match kind {
            EventKind::Identify => Self::Identify,
            EventKind::Group => Self::Group,
            EventKind::Track => Self::Track,
            EventKind::Mixed => match rng.random_range(0..10) {
                0..=2 => Self::Identify,
                3 => Self::Group,
                _ => Self::Track,
            },
        }
    }
}

/// Builds the placeholders' text for a run: the message id prefix is fixed per run so ids are
/// unique across runs, the rest of the id is the event sequence number.
#[derive(Debug, Clone)]
pub struct Placeholders {
    message_id: String,
    user: String,
    time: String,
}

impl Placeholders {
    /// `run_prefix` must not contain the placeholder characters; `user_width` is 1..=9.
    pub fn new(run_prefix: &str, user_width: usize) -> Self {
        Self {
            message_id: format!("{run_prefix}{}", char::from(SEQ_MARK).to_string().repeat(SEQ_WIDTH)),
            user: char::from(USER_MARK).to_string().repeat(user_width),
            time: char::from(TIME_MARK).to_string().repeat(TIME_WIDTH),
        }
    }

    fn user_id(&self) -> String {
        format!("user-{}", self.user)
    }

    fn email(&self) -> String {
        format!("user-{}@example.com", self.user)
    }
}

/// One event as JSON, with placeholders.
pub fn event(call: Call, marks: &Placeholders, rng: &mut impl Rng) -> Value {
    let mut event = Map::new();
    let type_name = match call {
        Call::Identify => "identify",
        Call::Group => "group",
        Call::Track => "track",
    };
    event.insert("type".into(), json!(type_name));
    match call {
        Call::Identify => {
            event.insert("userId".into(), json!(marks.user_id()));
            event.insert("traits".into(), person_traits(marks, rng));
        }
        Call::Group => {
            let (name, domain, industry) = *pick(words::COMPANIES, rng);
            event.insert("groupId".into(), json!(format!("org-{}", rng.random_range(1..=5_000))));
            event.insert("userId".into(), json!(marks.user_id()));
            event.insert(
                "traits".into(),
                json!({
                    "name": name,
                    "domain": domain,
                    "industry": industry,
                    "employees": rng.random_range(5..20_000),
                    "plan": pick(words::PLANS, rng),
                }),
            );
        }
        Call::Track => {
            let name = *pick(words::TRACK_EVENTS, rng);
            event.insert("event".into(), json!(name));
            event.insert("userId".into(), json!(marks.user_id()));
            event.insert("properties".into(), track_properties(rng));
        }
    }
    event.insert("timestamp".into(), json!(marks.time));
    event.insert("messageId".into(), json!(marks.message_id));
    event.insert("integrations".into(), json!({}));
    event.insert("context".into(), context(call, marks, rng));
    event.insert(
        "_metadata".into(),
        json!({ "nodeVersion": pick(words::NODE_VERSIONS, rng), "jsRuntime": "node" }),
    );
    Value::Object(event)
}

fn person_traits(marks: &Placeholders, rng: &mut impl Rng) -> Value {
    let first = *pick(words::FIRST_NAMES, rng);
    let last = *pick(words::LAST_NAMES, rng);
    json!({
        "email": marks.email(),
        "name": format!("{first} {last}"),
        "firstName": first,
        "lastName": last,
        "plan": pick(words::PLANS, rng),
        "logins": rng.random_range(1..500),
        "createdAt": created_at(rng),
    })
}

fn track_properties(rng: &mut impl Rng) -> Value {
    let cents: u32 = rng.random_range(500..50_000);
    json!({
        "orderId": format!("ord-{:08}", rng.random_range(0..100_000_000)),
        "revenue": f64::from(cents) / 100.0,
        "currency": pick(words::CURRENCIES, rng),
        "plan": pick(words::PLANS, rng),
        "quantity": rng.random_range(1..10),
    })
}

fn context(call: Call, marks: &Placeholders, rng: &mut impl Rng) -> Value {
    let locale = *pick(words::LOCALES, rng);
    let mut context = Map::new();
    context.insert(
        "library".into(),
        json!({ "name": "@segment/analytics-node", "version": pick(words::LIBRARY_VERSIONS, rng) }),
    );
    context.insert("ip".into(), json!(format!("203.0.113.{}", rng.random_range(1..255))));
    context.insert("userAgent".into(), json!(pick(words::USER_AGENTS, rng)));
    context.insert("locale".into(), json!(locale));
    if call == Call::Track {
        context.insert("traits".into(), json!({ "email": marks.email() }));
    }
    Value::Object(context)
}

fn created_at(rng: &mut impl Rng) -> String {
    format!(
        "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        rng.random_range(19..26),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
        rng.random_range(0..24),
        rng.random_range(0..60),
        rng.random_range(0..60),
    )
}

fn pick<'a, T>(items: &'a [T], rng: &mut impl Rng) -> &'a T {
    items.choose(rng).expect("vocabulary lists are not empty")
}
