//! The service's HTTP server: Segment ingestion plus the operational endpoints.

pub mod admin;
mod notifying_spool;
pub mod ops;

pub use notifying_spool::NotifyingSpool;
