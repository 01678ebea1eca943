//! Metric names, recorded through the `metrics` facade.

/// Counter, label `endpoint` (`batch`, `track`, `t`, `webhook`, ...): events parsed
/// from requests, accepted or not.
pub const EVENTS_RECEIVED: &str = "segment_attio_events_received_total";
/// Counter: events durably stored in the spool.
pub const EVENTS_ACCEPTED: &str = "segment_attio_events_accepted_total";
/// Counter: events answered as accepted but not stored, because an event with the same
/// `messageId` was stored within the de-duplication window.
pub const EVENTS_DUPLICATE: &str = "segment_attio_events_duplicate_total";
/// Counter, label `reason` (the error `code` of the answer).
pub const REQUESTS_REJECTED: &str = "segment_attio_requests_rejected_total";
/// Histogram, seconds from request start to answer.
pub const REQUEST_SECONDS: &str = "segment_attio_ingest_request_seconds";
