use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::SpoolError;

/// What is known of an event's note: when creating it was first attempted and, once
/// Attio confirmed it, its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteAttempt {
    pub started_at: DateTime<Utc>,
    pub note_id: Option<String>,
}

/// An event that a subscription did not write, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEvent {
    pub event_id: i64,
    pub subscription: String,
    pub reason: String,
    pub skipped_at: DateTime<Utc>,
}

/// The durable record of what delivery did beyond acknowledging events: the notes it
/// created (so that a lost answer never makes a second note) and the events it skipped.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait DeliveryJournal: Send + Sync {
    /// The note attempt recorded under `key` (one per event and subscription).
    async fn note_attempt(&self, key: &str) -> Result<Option<NoteAttempt>, SpoolError>;
    /// Records that a note is about to be created (kept if one was recorded before).
    async fn note_started(&self, key: &str, at: DateTime<Utc>) -> Result<(), SpoolError>;
    /// Records the id of the note created under `key`.
    async fn note_created(&self, key: &str, note_id: &str) -> Result<(), SpoolError>;
    /// Records that an event was not written for a subscription, and why.
    async fn skipped(
        &self,
        event_id: i64,
        subscription: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), SpoolError>;
    /// The skipped events recorded, newest first.
    async fn skipped_events(&self, limit: usize) -> Result<Vec<SkippedEvent>, SpoolError>;
    /// Records the destination each configured subscription delivers to, as
    /// `(subscription, destination)` pairs, replacing what an earlier start recorded: a dead
    /// letter written afterwards records its subscription's destination.
    async fn record_destinations(&self, pairs: Vec<(String, String)>) -> Result<(), SpoolError>;
}
