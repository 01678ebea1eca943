//! Shared helpers of the acceptance suites.

pub mod binary;
pub mod conformance;
pub mod delivery_bench;
pub mod metrics_doc;
pub mod pacing;
pub mod pg;
pub mod real_clients;
pub mod scripted_attio;
pub mod scripted_server;
pub mod service;
pub mod workspace_state;
