//! HTTP plumbing: routing, authentication, the Attio endpoints and the control endpoints.

pub mod api;
pub mod auth;
pub mod control;
