//! The service's HTTP server: Segment ingestion plus the operational endpoints.

mod notifying_spool;
pub mod ops;
pub mod prometheus;

pub use notifying_spool::NotifyingSpool;
