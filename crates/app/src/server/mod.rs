//! The service's HTTP server: Segment ingestion, the operational endpoints, the admin API
//! and the web console.

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
