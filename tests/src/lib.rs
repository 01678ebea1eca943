//! Shared helpers of the acceptance suites.

pub mod binary;
pub mod conformance;
pub mod scripted_attio;
pub mod scripted_server;
pub mod chaos;
