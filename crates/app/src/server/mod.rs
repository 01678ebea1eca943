//! The service's HTTP server: Segment ingestion plus the operational endpoints.

pub mod access;
pub mod admin;
pub mod console;
mod notifying_spool;
pub mod ops;
pub mod query;

pub use notifying_spool::NotifyingSpool;
