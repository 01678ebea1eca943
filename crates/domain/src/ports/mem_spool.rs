//! [`MemSpool`]: an [`EventSpool`] in memory, for running delivery inside a test: what is
//! pending, finished and dead-lettered. For other crates' tests (feature `testing`).

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{DeadLetter, EventSpool, NewEvent, SpoolError, SpoolStats, SpooledEvent};
use async_trait::async_trait;

/// The spool in memory.
#[derive(Default)]
pub struct MemSpool {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: i64,
    pending: BTreeMap<i64, SpooledEvent>,
    acked: Vec<i64>,
    letters: Vec<DeadLetter>,
}

impl MemSpool {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many events are pending.
    pub fn pending(&self) -> usize {
        self.lock().pending.len()
    }

    /// Ids of the pending events, in order.
    pub fn pending_ids(&self) -> Vec<i64> {
        self.lock().pending.keys().copied().collect()
    }

    /// Ids of the events that are finished (delivered or dead-lettered), in order.
    pub fn acked(&self) -> Vec<i64> {
        self.lock().acked.clone()
    }

    /// The dead letters, in order.
    pub fn letters(&self) -> Vec<DeadLetter> {
        self.lock().letters.clone()
    }
}

#[async_trait]
impl EventSpool for MemSpool {
    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<i64>, SpoolError> {
        let mut s = self.lock();
        let mut ids = Vec::with_capacity(events.len());
        for e in events {
            s.next_id += 1;
            let id = s.next_id;
            s.pending.insert(
                id,
                SpooledEvent {
                    id,
                    received_at: e.received_at,
                    payload: e.payload,
                    only_subscription: e.only_subscription,
                    only_destinations: e.only_destinations,
                },
            );
            ids.push(id);
        }
        Ok(ids)
    }

    async fn read_after(&self, after_id: i64, limit: usize) -> Result<Vec<SpooledEvent>, SpoolError> {
        Ok(self
            .lock()
            .pending
            .range(after_id + 1..)
            .take(limit)
            .map(|(_, e)| e.clone())
            .collect())
    }

    async fn ack(&self, ids: Vec<i64>) -> Result<(), SpoolError> {
        let mut s = self.lock();
        for id in ids {
            s.pending.remove(&id);
            s.acked.push(id);
        }
        Ok(())
    }

    async fn dead_letter(&self, letters: Vec<DeadLetter>, remove_events: Vec<i64>) -> Result<(), SpoolError> {
        let mut s = self.lock();
        s.letters.extend(letters);
        for id in remove_events {
            s.pending.remove(&id);
            s.acked.push(id);
        }
        Ok(())
    }

    async fn check_writable(&self) -> Result<(), SpoolError> {
        Ok(())
    }

    async fn close(&self) -> Result<(), SpoolError> {
        Ok(())
    }

    async fn stats(&self) -> Result<SpoolStats, SpoolError> {
        let s = self.lock();
        Ok(SpoolStats {
            pending: s.pending.len() as u64,
            oldest_received_at: s.pending.values().map(|e| e.received_at).min(),
            dead_letters: s.letters.len() as u64,
        })
    }
}
