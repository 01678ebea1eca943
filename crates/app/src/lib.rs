//! The segment-attio service: configuration, the durable spool, delivery and the CLI.

pub mod cli;
pub mod config;
pub mod dead_letter_view;
pub mod delivery;
pub mod prepare;
pub mod routing;
pub mod schema_check;
pub mod server;
pub mod spool;
pub mod trace_query;
