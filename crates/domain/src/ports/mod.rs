//! The ports: what the domain needs from the outside world, as small traits.

mod attio_gateway;
mod clock;
mod delivery_journal;
mod event_spool;
mod event_trace;
#[cfg(any(test, feature = "testing"))]
mod mem_spool;
mod rate_limiter;
mod write_fingerprints;

pub use attio_gateway::{AssertReply, AttioGateway, AttioObject, AttributeDefinition, NoteSummary};
pub use clock::{Clock, FixedClock, SystemClock};
pub use delivery_journal::{DeliveryJournal, NoteAttempt, SkippedEvent};
pub use event_spool::{
    Appended, DeadLetter, DeadLetterFilter, DeadLetterSelection, DeadLetters, EventSpool, IdentifiedEvent, NewEvent,
    SpoolError, SpoolStats, SpooledEvent, StoredDeadLetter,
};
pub use event_trace::{AttioRequestTrace, EventTrace, EventTraceRecord, SubscriptionTrace, TraceFilter, TraceState};
pub use rate_limiter::{RateLimitKey, RateLimitStats, RateLimiter, RateLimiters, RequestClass};
pub use write_fingerprints::{RecordRef, WriteFingerprints, WrittenState};

#[cfg(any(test, feature = "testing"))]
pub use attio_gateway::MockAttioGateway;
#[cfg(any(test, feature = "testing"))]
pub use clock::MockClock;
#[cfg(any(test, feature = "testing"))]
pub use delivery_journal::MockDeliveryJournal;
#[cfg(any(test, feature = "testing"))]
pub use event_spool::{MockDeadLetters, MockEventSpool};
#[cfg(any(test, feature = "testing"))]
pub use event_trace::MockEventTrace;
#[cfg(any(test, feature = "testing"))]
pub use mem_spool::MemSpool;
#[cfg(any(test, feature = "testing"))]
pub use write_fingerprints::MockWriteFingerprints;
