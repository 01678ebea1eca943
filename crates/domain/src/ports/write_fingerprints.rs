//! What delivery last wrote to each Attio record, so that an assertion that would write
//! nothing new can be skipped (`[delivery] skip_unchanged`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::SpoolError;

/// A record in one destination: object slug, and the matching attribute with its value in canonical text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordRef {
    pub destination: String,
    pub object: String,
    pub matching: String,
}

/// What was last written to a record (an opaque fingerprint the delivery side encodes) and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenState {
    pub fingerprint: String,
    pub written_at: DateTime<Utc>,
}

/// The durable memory of what was written to which record.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait WriteFingerprints: Send + Sync {
    /// The stored state of each record, in the order asked.
    async fn written(&self, records: Vec<RecordRef>) -> Result<Vec<Option<WrittenState>>, SpoolError>;
    /// Remembers what was written (replacing any earlier state).
    async fn remember(&self, written: Vec<(RecordRef, WrittenState)>) -> Result<(), SpoolError>;
    /// Forgets the records (a 4xx or unknown outcome).
    async fn forget(&self, records: Vec<RecordRef>) -> Result<(), SpoolError>;
    /// Writes what a store keeps in memory before writing (delivery calls it when it
    /// stops). A store that writes at once has nothing to do.
    async fn flush(&self) -> Result<(), SpoolError> {
        Ok(())
    }
    /// Says which records are about to be asked for (the events delivery just took up),
    /// so that a store can read their states together. A store without a read-ahead has
    /// nothing to do.
    async fn prefetch(&self, records: Vec<RecordRef>) -> Result<(), SpoolError> {
        let _ = records;
        Ok(())
    }
}
