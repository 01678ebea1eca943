//! The service's HTTP server: Segment ingestion plus the operational endpoints.

pub mod access;
mod activity;
pub mod admin;
pub mod connections;
pub mod console;
pub mod fd_limit;
pub mod inspection;
mod notifying_spool;
pub mod ops;
pub mod prometheus;
pub mod query;

pub use notifying_spool::NotifyingSpool;
