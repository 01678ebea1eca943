//! The service's HTTP server: Segment ingestion plus the operational endpoints.

pub mod ops;
