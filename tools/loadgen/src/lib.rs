//! Load generator for segment-attio's Segment-compatible HTTP ingestion.
//!
//! Posts realistic `/v1/batch` requests to a loopback endpoint at a fixed offered rate (open
//! loop, latency measured from each request's due time) or as fast as possible, and reports
//! throughput, status codes and latency percentiles.

pub mod cli;
pub mod config;
pub mod events;
pub mod pacing;
pub mod report;
pub mod runner;
pub mod stats;
pub mod target;

pub use config::{ConfigError, RawConfig, RunConfig, WriteKey};
pub use events::EventKind;
pub use report::Report;
pub use runner::{run, RunError};
pub use target::{LoopbackTarget, TargetError};
