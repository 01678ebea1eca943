//! Skipping writes that would change nothing in Attio (`delivery.skip_unchanged`): the
//! stored fingerprints of what was last written to each record are read before a send,
//! a write whose every record already holds what it sends (and was written less than
//! `delivery.resync_after_secs` ago) is left out, and after the send the fingerprints are
//! remembered (success) or forgotten (a refusal or an unknown outcome).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::fingerprint::{after_write, decide, RecordWrite, WriteDecision};
use domain::ports::{RecordRef, WriteFingerprints, WrittenState};

use crate::prepare::Writes;

/// What was last written to the records of one write, as read before sending it.
pub type Stored = Vec<Option<WrittenState>>;

/// The skip check of one destination.
#[derive(Clone)]
pub struct SkipUnchanged {
    pub store: Arc<dyn WriteFingerprints>,
    pub resync_after: Duration,
    /// The destination's name (`default`: the `[attio]` section).
    pub destination: String,
}

impl SkipUnchanged {
    fn refs<'a>(&'a self, writes: &'a [RecordWrite]) -> impl Iterator<Item = RecordRef> + 'a {
        writes.iter().map(|w| w.record.in_destination(&self.destination))
    }

    /// For each write: what its records hold (`None` when it cannot be skipped), and
    /// whether it can be skipped. One read for all of them. A failed read skips nothing.
    pub async fn check(&self, writes: &[&Writes], now: DateTime<Utc>) -> (Vec<Option<Stored>>, Vec<bool>) {
        let refs: Vec<RecordRef> = writes
            .iter()
            .filter_map(|w| w.as_deref())
            .flat_map(|w| self.refs(w))
            .collect();
        let mut stored_all = if refs.is_empty() {
            Vec::new()
        } else {
            match self.store.written(refs).await {
                Ok(states) => states,
                Err(error) => {
                    tracing::warn!(%error, "reading the write fingerprints failed; sending every write");
                    return (vec![None; writes.len()], vec![false; writes.len()]);
                }
            }
        }
        .into_iter();
        let mut stored = Vec::with_capacity(writes.len());
        let mut skip = Vec::with_capacity(writes.len());
        for w in writes {
            match w {
                Some(w) => {
                    let states: Stored = stored_all.by_ref().take(w.len()).collect();
                    skip.push(decide(w, &states, now, self.resync_after) == WriteDecision::Skip);
                    stored.push(Some(states));
                }
                None => {
                    skip.push(false);
                    stored.push(None);
                }
            }
        }
        (stored, skip)
    }

    /// The writes were applied: their fingerprints are remembered.
    pub async fn remember<'a>(&self, done: impl Iterator<Item = (&'a [RecordWrite], &'a Stored)>, now: DateTime<Utc>) {
        let mut states = Vec::new();
        for (writes, stored) in done {
            for (key, state) in after_write(writes, stored, now, self.resync_after) {
                states.push((key.in_destination(&self.destination), state));
            }
        }
        if states.is_empty() {
            return;
        }
        if let Err(error) = self.store.remember(states).await {
            tracing::warn!(%error, "remembering the write fingerprints failed; those records will be written again");
        }
    }

    /// What the records hold is no longer known (Attio refused the writes, or their
    /// outcome is unknown): their fingerprints are forgotten. Delivery forgets after any
    /// failed send: a failure that wrote nothing costs one write more later, never a
    /// write wrongly skipped.
    pub async fn forget<'a>(&self, writes: impl Iterator<Item = &'a [RecordWrite]>) {
        let refs: Vec<RecordRef> = writes.flat_map(|w| self.refs(w)).collect();
        if refs.is_empty() {
            return;
        }
        if let Err(error) = self.store.forget(refs).await {
            tracing::error!(%error, "forgetting the write fingerprints failed");
        }
    }
}

/// Counts the writes skipped for a subscription.
pub fn count_skipped(subscription: &str, n: usize) {
    if n > 0 {
        metrics::counter!("segment_attio_attio_writes_skipped_total", "subscription" => subscription.to_owned())
            .increment(n as u64);
    }
}
