//! Whether an assertion must be sent, given what was last written to its records, and
//! what to remember once it was.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::records::{RecordKey, RecordWrite};
use super::values::Fingerprint;
use crate::ports::WrittenState;

/// Send the assertion, or skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteDecision {
    /// Every record it writes already holds every value it writes.
    Skip,
    Write(WriteReason),
}

/// Why an assertion is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteReason {
    /// A record has no (readable) stored state.
    NotWrittenBefore,
    /// An attribute's value differs from the one last written, or was not written.
    Changed,
    /// The state of a record is `resync_after` old or older: sent again so that edits
    /// made in Attio meanwhile are overwritten, as the reference would.
    Resync,
}

impl WriteReason {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteReason::NotWrittenBefore => "not written before",
            WriteReason::Changed => "changed",
            WriteReason::Resync => "resync",
        }
    }
}

/// The explanation recorded for a skipped write.
pub const SKIP_REASON: &str = "unchanged: Attio already holds every value this write sends";

/// `stored[i]` is the state of `writes[i].record` (as the port returns it). A state is
/// fresh while `now - written_at < resync_after`.
pub fn decide(
    writes: &[RecordWrite],
    stored: &[Option<WrittenState>],
    now: DateTime<Utc>,
    resync_after: Duration,
) -> WriteDecision {
    let mut reason: Option<WriteReason> = None;
    for (i, write) in writes.iter().enumerate() {
        let verdict = match stored.get(i).and_then(Option::as_ref) {
            None => Some(WriteReason::NotWrittenBefore),
            Some(state) if !is_fresh(state, now, resync_after) => Some(WriteReason::Resync),
            Some(state) => match Fingerprint::decode(&state.fingerprint) {
                None => Some(WriteReason::NotWrittenBefore),
                Some(old) if write.fingerprint.is_covered_by(&old) => None,
                Some(_) => Some(WriteReason::Changed),
            },
        };
        // The first reason found wins, except that a resync is named when there is one.
        reason = match (reason, verdict) {
            (_, Some(WriteReason::Resync)) => Some(WriteReason::Resync),
            (None, v) => v,
            (r, _) => r,
        };
    }
    match reason {
        None if !writes.is_empty() => WriteDecision::Skip,
        None => WriteDecision::Write(WriteReason::NotWrittenBefore),
        Some(r) => WriteDecision::Write(r),
    }
}

fn is_fresh(state: &WrittenState, now: DateTime<Utc>, resync_after: Duration) -> bool {
    let age = now.signed_duration_since(state.written_at);
    match age.to_std() {
        Ok(age) => age < resync_after,
        // Written "in the future" (a clock step back): fresh.
        Err(_) => true,
    }
}

/// What to remember once `writes` were written successfully at `now`. A record's fresh
/// stored fingerprint gets the written attributes laid over it and keeps its
/// `written_at` (the time of its oldest hash, so that every attribute is re-sent within
/// `resync_after`); a missing, unreadable or stale one is replaced by this write's alone.
pub fn after_write(
    writes: &[RecordWrite],
    stored: &[Option<WrittenState>],
    now: DateTime<Utc>,
    resync_after: Duration,
) -> Vec<(RecordKey, WrittenState)> {
    writes
        .iter()
        .enumerate()
        .map(|(i, write)| {
            let previous = stored
                .get(i)
                .and_then(Option::as_ref)
                .filter(|s| is_fresh(s, now, resync_after))
                .and_then(|s| Some((Fingerprint::decode(&s.fingerprint)?, s.written_at)));
            let state = match previous {
                Some((old, written_at)) => WrittenState {
                    fingerprint: write.fingerprint.laid_over(&old).encode(),
                    written_at: written_at.min(now),
                },
                None => WrittenState {
                    fingerprint: write.fingerprint.encode(),
                    written_at: now,
                },
            };
            (write.record.clone(), state)
        })
        .collect()
}

#[cfg(test)]
#[path = "decision_tests.rs"]
mod tests;
