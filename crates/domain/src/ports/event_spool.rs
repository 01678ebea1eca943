use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An event to store: the Segment event as JSON text (already stamped with
/// `receivedAt` and `messageId` by the ingestion side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub received_at: DateTime<Utc>,
    pub payload: String,
    /// Deliver to this subscription only (a replayed dead letter); `None` = all.
    pub only_subscription: Option<String>,
    /// Deliver only to subscriptions of these destinations (the write key's source is
    /// limited to them); `None` = all.
    pub only_destinations: Option<Vec<String>>,
}

/// An event and the id its sender gave it (Segment's `messageId`), if any: an event whose
/// id was stored within the spool's de-duplication window is not stored again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifiedEvent {
    pub event: NewEvent,
    pub message_id: Option<String>,
}

/// What became of an event given to [`EventSpool::append_once`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored with this id.
    Stored(i64),
    /// An event with the same id was stored within the window: not stored again.
    Duplicate,
}

/// An event waiting in the spool. `id` grows with acceptance order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpooledEvent {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub payload: String,
    pub only_subscription: Option<String>,
    pub only_destinations: Option<Vec<String>>,
}

/// Why an event could not be delivered to one subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The spool id the event had.
    pub event_id: i64,
    pub received_at: DateTime<Utc>,
    pub payload: String,
    /// The subscription it failed for.
    pub subscription: String,
    /// A sentence that names the field or the Attio answer.
    pub reason: String,
    pub attempts: u32,
    /// Attio's last answer, if any (status and body).
    pub last_error: Option<String>,
    pub failed_at: DateTime<Utc>,
}

/// A stored dead letter with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDeadLetter {
    pub id: i64,
    #[serde(flatten)]
    pub letter: DeadLetter,
    /// The destination (Attio workspace) its subscription delivered to when it failed:
    /// `default` for `[attio]`, else a `[[destinations]]` name.
    pub destination: String,
}

/// Depth and age of the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpoolStats {
    pub pending: u64,
    pub oldest_received_at: Option<DateTime<Utc>>,
    pub dead_letters: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpoolError {
    /// The spool holds its configured maximum; the caller should push back (429/503).
    #[error("the spool is full ({pending} events waiting)")]
    Full { pending: u64 },
    #[error("spool storage failed: {0}")]
    Storage(String),
    #[error("the spool is closed")]
    Closed,
}

/// Which dead letters an operation applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetterSelection {
    All,
    Ids(Vec<i64>),
    Subscription(String),
}

/// Which dead letters `search` returns (every given filter applies), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeadLetterFilter {
    pub subscription: Option<String>,
    /// The destination the letter was recorded for.
    pub destination: Option<String>,
    /// A part of the reason.
    pub reason: Option<String>,
    /// Failed at or after.
    pub since: Option<DateTime<Utc>>,
    pub limit: usize,
    pub offset: usize,
}

/// The durable queue between ingestion and delivery.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait EventSpool: Send + Sync {
    /// Stores the events durably, in order, and returns their ids. When this returns
    /// `Ok`, the events survive a crash of the process.
    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<i64>, SpoolError>;

    /// Like `append`, in order, but an event with an id already stored within the spool's
    /// de-duplication window is answered `Duplicate` and not stored. `None` ids are always
    /// stored. A spool that does not de-duplicate stores every event.
    async fn append_once(&self, events: Vec<IdentifiedEvent>) -> Result<Vec<Appended>, SpoolError> {
        let ids = self
            .append(events.into_iter().map(|identified| identified.event).collect())
            .await?;
        Ok(ids.into_iter().map(Appended::Stored).collect())
    }

    /// Up to `limit` events with an id greater than `after_id`, in id order, that this
    /// process delivers. Ids grow with acceptance order, and a backend shared by several
    /// processes must never make an event visible after one with a greater id was read
    /// (else a reader's cursor would pass it): it returns only the events of the
    /// partitions this process owns, and when it takes over a partition it also returns
    /// that partition's waiting events below `after_id` (once), so that the caller, which
    /// keeps the greatest id it has seen, still gets every event exactly once.
    async fn read_after(&self, after_id: i64, limit: usize) -> Result<Vec<SpooledEvent>, SpoolError>;

    /// Removes delivered events.
    async fn ack(&self, ids: Vec<i64>) -> Result<(), SpoolError>;

    /// Stores the dead letters and removes their events from the spool, atomically.
    /// `remove_events` lists the spool ids that are finished (an event with several
    /// subscriptions may get a dead letter for one and be delivered for another).
    async fn dead_letter(&self, letters: Vec<DeadLetter>, remove_events: Vec<i64>) -> Result<(), SpoolError>;

    async fn stats(&self) -> Result<SpoolStats, SpoolError>;

    /// `Ok` when the spool can take writes now (the readiness probe of `/readyz`): a
    /// write that changes nothing, through the same path as `append` (a database that
    /// refuses writes or cannot be reached shows here).
    async fn check_writable(&self) -> Result<(), SpoolError>;

    /// Applies what is queued and releases the storage (connections, files, leases held
    /// by this process). Later writes answer [`SpoolError::Closed`]. Closing twice is
    /// harmless.
    async fn close(&self) -> Result<(), SpoolError>;
}

/// The dead-letter store, for `segment-attio dead-letters list|show|replay|purge`.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait DeadLetters: Send + Sync {
    /// Newest first.
    async fn list(&self, limit: usize, offset: usize) -> Result<Vec<StoredDeadLetter>, SpoolError>;
    async fn get(&self, id: i64) -> Result<Option<StoredDeadLetter>, SpoolError>;
    /// Newest first, filtered.
    async fn search(&self, filter: DeadLetterFilter) -> Result<Vec<StoredDeadLetter>, SpoolError>;
    /// The letters of one event, named by its spool id or its `messageId` (one per
    /// subscription it failed for), oldest first.
    async fn of_event(&self, id: &str) -> Result<Vec<StoredDeadLetter>, SpoolError>;
    /// Moves the selected letters back into the spool (each for its own subscription)
    /// and returns how many were moved.
    async fn replay(&self, selection: DeadLetterSelection) -> Result<u64, SpoolError>;
    /// Deletes the selected letters and returns how many were deleted.
    async fn purge(&self, selection: DeadLetterSelection) -> Result<u64, SpoolError>;
}
