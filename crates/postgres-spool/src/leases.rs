//! Partition ownership: each instance holds a fair share of the partitions through leases
//! in `partition_leases`, renewed by a heartbeat. An instance reads only the events of the
//! partitions it holds; a partition whose owner stopped renewing is taken over once its
//! lease ran out, from its first waiting event.
//!
//! A partition an instance gives up (another instance joined) is first drained: it is no
//! longer read, but its lease is kept for at least one more lease period and until every
//! event this instance read from it is acknowledged or dead-lettered, so that another
//! instance never starts on a record while an older update of it is still on its way.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::ports::SpoolError;
use tokio_postgres::Client;

use crate::error::Doing;

/// What `read_after` reads: the partitions read from the caller's cursor, and those just
/// taken over, each from where its catch-up has got to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReadPlan {
    pub(crate) stable: Vec<i32>,
    pub(crate) catching_up: Vec<(i32, i64)>,
}

#[derive(Debug, Default)]
struct State {
    /// Held and read (including those catching up).
    owned: BTreeSet<i32>,
    /// Taken over and not yet read up to the caller's cursor: the last id returned.
    catching_up: BTreeMap<i32, i64>,
    /// Held but no longer read; released at the instant given.
    releasing: BTreeMap<i32, Instant>,
    /// The leases are surely held until then (renewal started before it, plus a lease).
    valid_until: Option<Instant>,
    /// Events read and not yet acknowledged or dead-lettered: their partition.
    outstanding: HashMap<i64, i32>,
    /// How many of `outstanding` each partition has.
    outstanding_by_partition: HashMap<i32, usize>,
}

pub(crate) struct Leases {
    me: String,
    lease: Duration,
    partitions: u32,
    state: Mutex<State>,
}

impl Leases {
    pub(crate) fn new(me: String, lease: Duration, partitions: u32) -> Self {
        Leases {
            me,
            lease,
            partitions,
            state: Mutex::new(State::default()),
        }
    }

    pub(crate) fn owner(&self) -> &str {
        &self.me
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What to read now: nothing once the leases may have run out without renewal.
    pub(crate) fn plan(&self) -> ReadPlan {
        let state = self.lock();
        if state.valid_until.is_none_or(|until| Instant::now() >= until) {
            return ReadPlan::default();
        }
        ReadPlan {
            stable: state
                .owned
                .iter()
                .filter(|p| !state.catching_up.contains_key(p))
                .copied()
                .collect(),
            catching_up: state.catching_up.iter().map(|(p, last)| (*p, *last)).collect(),
        }
    }

    /// Records how far the catch-up of a partition got; `done` moves it to the stable ones.
    pub(crate) fn caught_up(&self, partition: i32, last: i64, done: bool) {
        let mut state = self.lock();
        if done {
            state.catching_up.remove(&partition);
        } else if let Some(at) = state.catching_up.get_mut(&partition) {
            *at = (*at).max(last);
        }
    }

    /// Notes events handed to the reader, with their partitions: a partition being given
    /// up is kept until they are settled.
    pub(crate) fn track(&self, read: impl IntoIterator<Item = (i64, i32)>) {
        let mut state = self.lock();
        for (id, partition) in read {
            if state.outstanding.insert(id, partition).is_none() {
                *state.outstanding_by_partition.entry(partition).or_default() += 1;
            }
        }
    }

    /// Notes events acknowledged or dead-lettered.
    pub(crate) fn settled(&self, ids: &[i64]) {
        let mut state = self.lock();
        for id in ids {
            if let Some(partition) = state.outstanding.remove(id) {
                if let Some(count) = state.outstanding_by_partition.get_mut(&partition) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        state.outstanding_by_partition.remove(&partition);
                    }
                }
            }
        }
    }

    /// How many events read from `partition` are not settled yet.
    #[cfg(test)]
    pub(crate) fn outstanding(&self, partition: i32) -> usize {
        self.lock()
            .outstanding_by_partition
            .get(&partition)
            .copied()
            .unwrap_or(0)
    }

    /// Reads the partitions held from the caller's cursor alone: for those taken at open,
    /// before any read (a reader that starts reads from its beginning anyway).
    pub(crate) fn settle(&self) {
        self.lock().catching_up.clear();
    }

    /// The partitions held (read or draining), for metrics and tests.
    pub(crate) fn held(&self) -> Vec<i32> {
        let state = self.lock();
        state.owned.iter().chain(state.releasing.keys()).copied().collect()
    }

    fn millis(&self) -> f64 {
        self.lease.as_secs_f64() * 1000.0
    }

    /// Announces this instance, renews its leases, and takes or gives partitions so that
    /// each live instance holds its fair share.
    pub(crate) async fn heartbeat(&self, client: &Client) -> Result<(), SpoolError> {
        let started = Instant::now();
        let millis = self.millis();
        client
            .execute(
                "INSERT INTO spool_instances (id, seen_until) VALUES ($1, now() + $2 * interval '1 millisecond')
                 ON CONFLICT (id) DO UPDATE SET seen_until = excluded.seen_until",
                &[&self.me, &millis],
            )
            .await
            .doing("announcing this instance")?;
        let renewed: BTreeSet<i32> = client
            .query(
                "UPDATE partition_leases SET lease_until = now() + $2 * interval '1 millisecond'
                 WHERE owner = $1 RETURNING partition",
                &[&self.me, &millis],
            )
            .await
            .doing("renewing the partition leases")?
            .iter()
            .map(|row| row.get(0))
            .collect();
        let live: i64 = client
            .query_one("SELECT count(*) FROM spool_instances WHERE seen_until > now()", &[])
            .await
            .doing("counting the live instances")?
            .get(0);
        let fair = (i64::from(self.partitions) + live.max(1) - 1) / live.max(1);
        let (to_release, have) = {
            let mut state = self.lock();
            let lost: Vec<i32> = state.owned.difference(&renewed).copied().collect();
            if !lost.is_empty() {
                tracing::warn!(partitions = ?lost, "partition leases lost (not renewed in time); another instance delivers them");
            }
            state.owned.retain(|p| renewed.contains(p));
            state.catching_up.retain(|p, _| renewed.contains(p));
            state.releasing.retain(|p, _| renewed.contains(p));
            state.valid_until = Some(started + self.lease);
            let now = Instant::now();
            let due: Vec<i32> = state
                .releasing
                .iter()
                .filter(|(p, at)| **at <= now && !state.outstanding_by_partition.contains_key(p))
                .map(|(p, _)| *p)
                .collect();
            for p in &due {
                state.releasing.remove(p);
            }
            let mut have = state.owned.len() as i64;
            while have > fair {
                let Some(last) = state.owned.iter().next_back().copied() else {
                    break;
                };
                state.owned.remove(&last);
                state.catching_up.remove(&last);
                state.releasing.insert(last, now + self.lease);
                have -= 1;
            }
            (due, have)
        };
        if !to_release.is_empty() {
            client
                .execute(
                    "UPDATE partition_leases SET owner = NULL, lease_until = '-infinity'
                     WHERE owner = $1 AND partition = ANY($2)",
                    &[&self.me, &to_release],
                )
                .await
                .doing("releasing partitions")?;
            tracing::info!(partitions = ?to_release, "partitions released to other instances");
        }
        if have < fair {
            let claimed: Vec<i32> = client
                .query(
                    "UPDATE partition_leases SET owner = $1, lease_until = now() + $2 * interval '1 millisecond'
                     WHERE partition IN (
                         SELECT partition FROM partition_leases
                         WHERE owner IS NULL OR lease_until < now()
                         ORDER BY partition LIMIT $3 FOR UPDATE SKIP LOCKED)
                     RETURNING partition",
                    &[&self.me, &millis, &(fair - have)],
                )
                .await
                .doing("claiming partitions")?
                .iter()
                .map(|row| row.get(0))
                .collect();
            if !claimed.is_empty() {
                tracing::info!(partitions = ?claimed, "partitions taken");
                let mut state = self.lock();
                for p in claimed {
                    state.owned.insert(p);
                    state.catching_up.insert(p, 0);
                }
            }
        }
        client
            .execute(
                "DELETE FROM spool_instances WHERE seen_until < now() - interval '1 hour'",
                &[],
            )
            .await
            .doing("forgetting instances gone for an hour")?;
        Ok(())
    }

    /// Gives every partition back at once (a clean stop), so that others take them over
    /// without waiting for the leases to run out.
    pub(crate) async fn release_all(&self, client: &Client) -> Result<(), SpoolError> {
        {
            let mut state = self.lock();
            *state = State::default();
        }
        client
            .execute(
                "UPDATE partition_leases SET owner = NULL, lease_until = '-infinity' WHERE owner = $1",
                &[&self.me],
            )
            .await
            .doing("releasing the partitions")?;
        client
            .execute("DELETE FROM spool_instances WHERE id = $1", &[&self.me])
            .await
            .doing("leaving the instances")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_keeps_count_of_the_events_read_until_each_is_settled() {
        let leases = Leases::new("me".into(), Duration::from_secs(1), 4);
        leases.track([(1, 0), (2, 0), (3, 1)]);
        // Read twice (a retry of the read) counts once.
        leases.track([(2, 0)]);
        assert_eq!(leases.outstanding(0), 2);
        assert_eq!(leases.outstanding(1), 1);
        leases.settled(&[1, 3, 99]);
        assert_eq!(leases.outstanding(0), 1);
        assert_eq!(leases.outstanding(1), 0);
        leases.settled(&[2]);
        assert_eq!(leases.outstanding(0), 0);
    }
}
