//! A pool of pre-serialized events from which request bodies are assembled.
//!
//! Event number `g` of the run (0-based) uses template `g % pool size`, message id
//! `<run prefix><g as 12 hex digits>` (unique within the run; the prefix holds the start time
//! and random bits, so ids differ between runs) and user number `g % distinct users`.

use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::generate::{event, Call, Placeholders, TIME_WIDTH};
use super::template::{Fill, Template};
use super::EventKind;

/// Number of distinct event templates; prime so it does not line up with round user counts.
pub const DEFAULT_POOL_SIZE: usize = 997;

const BODY_OPEN: &[u8] = br#"{"batch":["#;
const BODY_SENT_AT: &[u8] = br#"],"sentAt":""#;
const BODY_CLOSE: &[u8] = br#""}"#;

/// Pre-generated events for one run.
#[derive(Debug, Clone)]
pub struct EventPool {
    templates: Vec<Template>,
    distinct_users: u64,
    mean_event_len: usize,
}

impl EventPool {
    /// Generates `size` (at least 1) templates of `kind` from `seed`. `run_prefix` starts every
    /// message id and must be free of placeholder characters (see [`run_prefix`]).
    pub fn new(kind: EventKind, distinct_users: u64, size: usize, seed: u64, run_prefix: &str) -> Self {
        let user_width = decimal_width(distinct_users.saturating_sub(1));
        let marks = Placeholders::new(run_prefix, user_width);
        let mut rng = StdRng::seed_from_u64(seed);
        let templates: Vec<Template> = (0..size.max(1))
            .map(|_| {
                let call = Call::pick(kind, &mut rng);
                let bytes =
                    serde_json::to_vec(&event(call, &marks, &mut rng)).expect("a serde_json::Value always serializes");
                Template::new(bytes, user_width)
                    .expect("generated events hold placeholders only where fields are patched")
            })
            .collect();
        let total: usize = templates.iter().map(Template::len).sum();
        let mean_event_len = total / templates.len();
        Self {
            templates,
            distinct_users: distinct_users.max(1),
            mean_event_len,
        }
    }

    /// Mean serialized event size in bytes.
    pub fn mean_event_len(&self) -> usize {
        self.mean_event_len
    }

    /// Appends event number `seq` to `out`, stamped with `time`.
    pub fn write_event(&self, seq: u64, time: &[u8; TIME_WIDTH], out: &mut Vec<u8>) {
        let index = usize::try_from(seq % self.templates.len() as u64).expect("index below the pool size");
        let fill = Fill {
            seq,
            user: seq % self.distinct_users,
            time,
        };
        self.templates[index].write(&fill, out);
    }

    /// Replaces `out` with a `/v1/batch` body holding events `first_seq .. first_seq + count`,
    /// every event's `timestamp` and the envelope's `sentAt` set to `time`.
    pub fn write_body(&self, first_seq: u64, count: u64, time: &[u8; TIME_WIDTH], out: &mut Vec<u8>) {
        out.clear();
        let estimate = (self.mean_event_len + 1) * usize::try_from(count).unwrap_or(0) + 64;
        out.reserve(estimate);
        out.extend_from_slice(BODY_OPEN);
        for (i, seq) in (first_seq..first_seq + count).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.write_event(seq, time, out);
        }
        out.extend_from_slice(BODY_SENT_AT);
        out.extend_from_slice(time);
        out.extend_from_slice(BODY_CLOSE);
    }
}

/// A message id prefix shaped like analytics-node's `node-next-<ms>-<uuid>`, whose last 12 hex
/// digits are left for the sequence number.
pub fn run_prefix(now: SystemTime, rng: &mut impl Rng) -> String {
    let millis = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!(
        "node-next-{millis}-{:08x}-{:04x}-4{:03x}-{:04x}-",
        rng.random::<u32>(),
        rng.random::<u16>(),
        rng.random_range(0..0x1000_u16),
        0x8000 | (rng.random::<u16>() & 0x3FFF),
    )
}

/// `time` as `2026-01-02T03:04:05.678Z` (24 bytes for years 1000..=9999).
pub fn timestamp(time: SystemTime) -> [u8; TIME_WIDTH] {
    let text = DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut out = *b"1970-01-01T00:00:00.000Z";
    if text.len() == TIME_WIDTH {
        out.copy_from_slice(text.as_bytes());
    }
    out
}

/// Number of decimal digits of `value` (1 for 0).
pub fn decimal_width(value: u64) -> usize {
    let mut width = 1;
    let mut rest = value / 10;
    while rest > 0 {
        width += 1;
        rest /= 10;
    }
    width
}
