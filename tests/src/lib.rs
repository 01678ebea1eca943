//! Shared helpers of the acceptance suites.

pub mod conformance;
pub mod in_process;
pub mod scripted_attio;
